// Accuracy checks of the CPU prelude's vector math (codegen/prelude.cc: exp, expm1, log, tanh, erf
// on float32 and the 16-bit floats), and of pow (glibc's on the CPU), against the bounds in
// codegen/prelude_abi.h, shared by the CPU JIT's test (tests/codegen/vector_math_test.cc) and the
// CUDA emulation's (tests/cuda/cuda_emulation_test.cc), which runs the same prelude text as host
// code.
//
// Errors are in units in the last place of the result's dtype, at the exact result (computed in
// double, whose own error is far below these bounds): |got - exact| / ulp(exact). An infinite
// result counts as the dtype's largest finite value plus one ulp, so overflowing just above the
// largest finite value is a small error, and overflowing far below it a large one.
#ifndef NDJIT_TESTS_CODEGEN_VECTOR_MATH_CHECK_H_
#define NDJIT_TESTS_CODEGEN_VECTOR_MATH_CHECK_H_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ir/ops.h"
#include "ndjit/dtype.h"

namespace ndjit::testing {

// The ops and dtypes the prelude's vector math covers.
inline constexpr ir::Op kVectorMathOps[] = {ir::Op::kExp, ir::Op::kExpm1, ir::Op::kLog,
                                            ir::Op::kTanh, ir::Op::kErf};
inline constexpr DType kVectorMathDTypes[] = {DType::kFloat16, DType::kBFloat16, DType::kFloat32};

inline double ExactResult(ir::Op op, double x) {
  switch (op) {
    case ir::Op::kExp:
      return std::exp(x);
    case ir::Op::kExpm1:
      return std::expm1(x);
    case ir::Op::kLog:
      return std::log(x);
    case ir::Op::kTanh:
      return std::tanh(x);
    case ir::Op::kErf:
      return std::erf(x);
    default:
      return std::nan("");
  }
}

// Significand bits (with the implicit one), smallest normal exponent and largest finite value.
struct FloatFormat {
  int digits;
  int min_exponent;  // of the smallest normal, as frexp's exponent minus one
  double max_finite;
};
inline FloatFormat FormatOf(DType dtype) {
  switch (dtype) {
    case DType::kFloat16:
      return {11, -14, 65504.0};
    case DType::kBFloat16:
      return {8, -126, 3.3895313892515355e38};
    default:
      return {24, -126, 3.4028234663852886e38};
  }
}

// The spacing of `dtype`'s values at magnitude |v| (subnormals included).
inline double UlpAt(DType dtype, double v) {
  const FloatFormat f = FormatOf(dtype);
  int e = 0;
  std::frexp(std::fabs(v), &e);
  const int exponent = std::max(e - 1, f.min_exponent);
  return std::ldexp(1.0, exponent - (f.digits - 1));
}

// The bits of each dtype, as the kernels store them: float32 as float, the 16-bit floats as their
// uint16_t patterns.
inline double BitsToDouble(DType dtype, uint32_t bits) {
  if (dtype == DType::kFloat32) {
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
  }
  if (dtype == DType::kBFloat16) {
    const uint32_t u = bits << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
  }
  // float16
  const uint32_t sign = (bits >> 15) & 1, exponent = (bits >> 10) & 31, mantissa = bits & 1023;
  double v;
  if (exponent == 31) {
    v = mantissa ? std::nan("") : std::numeric_limits<double>::infinity();
  } else if (exponent == 0) {
    v = std::ldexp(static_cast<double>(mantissa), -24);
  } else {
    v = std::ldexp(static_cast<double>(mantissa + 1024), static_cast<int>(exponent) - 25);
  }
  return sign ? -v : v;
}

// The inputs of a check: every 16-bit pattern, or for float32 2^24 patterns spread over all
// signs and exponents (every 256th, with a varying low byte) after the special values.
inline std::vector<uint32_t> VectorMathInputs(DType dtype, int64_t float32_samples = 1 << 24) {
  std::vector<uint32_t> bits;
  if (dtype != DType::kFloat32) {
    for (uint32_t b = 0; b < 65536; ++b) bits.push_back(b);
    return bits;
  }
  auto add = [&bits](float f) {
    uint32_t b;
    std::memcpy(&b, &f, 4);
    bits.push_back(b);
  };
  const float inf = std::numeric_limits<float>::infinity();
  for (float f :
       {0.0f, -0.0f, inf, -inf, std::numeric_limits<float>::quiet_NaN(), 1.0f, -1.0f,
        std::numeric_limits<float>::denorm_min(), -std::numeric_limits<float>::denorm_min(),
        std::numeric_limits<float>::min(), std::numeric_limits<float>::max(),
        -std::numeric_limits<float>::max(), 88.7228394f, 88.7228317f, 89.0f, -87.3365479f,
        -103.278931f, -103.972076f, -104.0f, 9.0f, 10.0f, -10.0f, 0.346573591f, -0.346573591f,
        0.707106769f, 1.41421354f, 1e-30f, -1e-30f, 2e-45f,
        // erf's split points: 1 and the float below it, 3.92 (from where erf is 1)
        // and the float below it.
        0.99999994f, -0.99999994f, 3.92f, 3.91999984f, -3.92f}) {
    add(f);
  }
  const uint64_t stride = (uint64_t{1} << 32) / static_cast<uint64_t>(float32_samples);
  for (int64_t i = static_cast<int64_t>(bits.size()); i < float32_samples; ++i) {
    const uint64_t b =
        static_cast<uint64_t>(i) * stride + ((static_cast<uint64_t>(i) * 2654435761u) % stride);
    bits.push_back(static_cast<uint32_t>(b));
  }
  return bits;
}

// The error of `y` against `exact` in ulps of `dtype` (see the top of this file). A NaN where
// the exact result is not one (or the reverse), or a zero of the wrong sign, is a mismatch: its
// description goes to `*mismatch` and the error returned is 0.
inline double UlpError(DType dtype, double exact, double y, std::string* mismatch) {
  const FloatFormat f = FormatOf(dtype);
  const double top = f.max_finite + UlpAt(dtype, f.max_finite);
  if (std::isnan(exact) || std::isnan(y)) {
    if (std::isnan(exact) != std::isnan(y))
      *mismatch = absl::StrFormat("%.9g, want %.9g", y, exact);
    return 0;
  }
  // Beyond the dtype's range (infinite in it) counts as `top`, as an infinite result does.
  const double want = std::fabs(exact) > top ? std::copysign(top, exact) : exact;
  if (want == 0 && y == 0 && std::signbit(want) != std::signbit(y)) {
    *mismatch = absl::StrFormat("%g, want %g (the sign of zero)", y, want);
    return 0;
  }
  if (std::isinf(y)) y = std::copysign(top, y);
  return std::fabs(y - want) / UlpAt(dtype, std::min(std::fabs(want), f.max_finite));
}

// Compares `got` (result bit patterns) with the exact results of `op` at `inputs`; returns ""
// when every error is within `bound` ulps and NaNs match, else the worst case. `max_error`
// receives the largest error seen.
inline std::string CheckVectorMath(ir::Op op, DType dtype, const std::vector<uint32_t>& inputs,
                                   const std::vector<uint32_t>& got, double bound,
                                   double* max_error) {
  double worst = 0;
  size_t worst_at = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const double x = BitsToDouble(dtype, inputs[i]);
    std::string mismatch;
    const double e = UlpError(dtype, ExactResult(op, x), BitsToDouble(dtype, got[i]), &mismatch);
    if (!mismatch.empty()) return absl::StrFormat("%s(%.9g) = %s", ir::OpName(op), x, mismatch);
    if (e > worst) {
      worst = e;
      worst_at = i;
    }
  }
  *max_error = worst;
  if (worst <= bound) return "";
  const double x = BitsToDouble(dtype, inputs[worst_at]);
  return absl::StrFormat("%s %s: %.3f ulp at x = %.9g (got %.9g, exact %.9g), bound %.2f",
                         ir::OpName(op), DTypeName(dtype), worst, x,
                         BitsToDouble(dtype, got[worst_at]), ExactResult(op, x), bound);
}

// pow's arguments: pairs (x[i], y[i]) of bit patterns of one dtype.
struct PowInputs {
  std::vector<uint32_t> x, y;
};

// For the 16-bit floats: every pattern as x, each with `ys_per_x` exponents (special values
// first: 0, 1, 2, 0.5, 3, 10 and their negatives, the infinities and NaN; then patterns spread
// over the dtype). For float32: `float32_pairs` pairs, x from VectorMathInputs (the special values
// first) and y in turn a small integer (so negative x has real results), a special value, and a
// pattern whose magnitude lies in [2^-12, 2^12).
inline PowInputs MakePowInputs(DType dtype, int ys_per_x = 64, int64_t float32_pairs = 1 << 24) {
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> special = {0.0f, -0.0f, 1.0f,  -1.0f,  2.0f, -2.0f, 0.5f,         -0.5f,
                                      3.0f, -3.0f, 10.0f, -10.0f, inf,  -inf,  std::nanf("")};
  auto bits_of = [dtype](float v) -> uint32_t {  // the specials are exact in every dtype
    if (dtype == DType::kFloat16) return float16::FromFloat(v);
    if (dtype == DType::kBFloat16) return bfloat16::FromFloat(v);
    uint32_t b;
    std::memcpy(&b, &v, 4);
    return b;
  };
  PowInputs in;
  if (dtype != DType::kFloat32) {
    for (uint32_t x = 0; x < 65536; ++x) {
      for (int k = 0; k < ys_per_x; ++k) {
        const uint32_t y =
            k < static_cast<int>(special.size())
                ? bits_of(special[k])
                : static_cast<uint32_t>((x * 40503u + k * 2654435761u) >> 7) & 0xffff;
        in.x.push_back(x);
        in.y.push_back(y);
      }
    }
    return in;
  }
  const std::vector<uint32_t> xs = VectorMathInputs(DType::kFloat32, float32_pairs);
  for (int64_t i = 0; i < float32_pairs; ++i) {
    const uint32_t h = static_cast<uint32_t>(i) * 2654435761u;
    float y;
    switch (i % 4) {
      case 0:
        y = static_cast<float>(static_cast<int>(h >> 26) - 32);  // -32 ... 31
        break;
      case 1:
        y = special[(i / 4) % special.size()];
        break;
      default: {
        const uint32_t b = ((h >> 31) << 31) | ((115u + (h >> 8) % 24u) << 23) | (h & 0x7fffff);
        std::memcpy(&y, &b, 4);
      }
    }
    in.x.push_back(xs[i]);
    in.y.push_back(bits_of(y));
  }
  return in;
}

// Whether `bits` is a signaling NaN of `dtype` (all-ones exponent, nonzero significand whose
// top bit is clear).
inline bool IsSignalingNaN(DType dtype, uint32_t bits) {
  const int mantissa = FormatOf(dtype).digits - 1;
  const int exponent_bits = dtype == DType::kFloat16 ? 5 : 8;
  const uint32_t exponent = (bits >> mantissa) & ((1u << exponent_bits) - 1);
  const uint32_t significand = bits & ((1u << mantissa) - 1);
  return exponent == (1u << exponent_bits) - 1 && significand != 0 &&
         (significand >> (mantissa - 1)) == 0;
}

// As CheckVectorMath, for pow at `in`'s pairs (exact: C's pow in double). C leaves pow of a
// signaling NaN unspecified: pow(sNaN, 0) may be 1, as for a quiet NaN, or NaN (IEEE 754's
// invalid operation; glibc's powf). Converting float16 to float quiets a NaN, bfloat16's
// widening by a shift keeps it signaling: both answers are accepted there.
inline std::string CheckPow(DType dtype, const PowInputs& in, const std::vector<uint32_t>& got,
                            double bound, double* max_error) {
  double worst = 0;
  size_t worst_at = 0;
  for (size_t i = 0; i < in.x.size(); ++i) {
    const double x = BitsToDouble(dtype, in.x[i]), y = BitsToDouble(dtype, in.y[i]);
    std::string mismatch;
    const double r = BitsToDouble(dtype, got[i]);
    if (std::isnan(r) && (IsSignalingNaN(dtype, in.x[i]) || IsSignalingNaN(dtype, in.y[i]))) {
      continue;
    }
    const double e = UlpError(dtype, std::pow(x, y), r, &mismatch);
    if (!mismatch.empty()) return absl::StrFormat("pow(%.9g, %.9g) = %s", x, y, mismatch);
    if (e > worst) {
      worst = e;
      worst_at = i;
    }
  }
  *max_error = worst;
  if (worst <= bound) return "";
  const double x = BitsToDouble(dtype, in.x[worst_at]), y = BitsToDouble(dtype, in.y[worst_at]);
  return absl::StrFormat("pow %s: %.3f ulp at pow(%.9g, %.9g) (got %.9g, exact %.9g), bound %.2f",
                         DTypeName(dtype), worst, x, y, BitsToDouble(dtype, got[worst_at]),
                         std::pow(x, y), bound);
}

}  // namespace ndjit::testing

#endif  // NDJIT_TESTS_CODEGEN_VECTOR_MATH_CHECK_H_
