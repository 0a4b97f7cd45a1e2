#pragma once
// ndjit: the dtype enumeration for device code (codegen/cuda/device/dtype_shim.h;
// include/ndjit/dtype.h has the real one).
namespace ndjit {
enum class DType { kBool, kInt8, kUInt8, kInt32, kInt64, kFloat16, kBFloat16, kFloat32, kFloat64 };
}  // namespace ndjit
