#pragma once
// ndjit: std:: names of CUDA's built-in math functions for NVRTC
// (codegen/cuda/device/cmath_shim.h).
namespace std {
using ::copysign;
using ::cos;
using ::floor;
using ::fmod;
using ::ldexp;
using ::log1p;
using ::sqrt;
}  // namespace std
