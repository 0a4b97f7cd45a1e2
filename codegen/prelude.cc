// The scalar semantics of every IR primitive on every dtype, for compiled kernels: one file for
// both backends.
//
// This file is not part of the C++ build.
// - CPU: clang-19 compiles it to LLVM bitcode at build time (codegen/cpu/CMakeLists.txt), the
//   bitcode is embedded in the library, and the CPU backend links the functions a kernel calls
//   into the kernel's module, where they are inlined and vectorized.
// - CUDA: its text is embedded in the library (codegen/cuda/CMakeLists.txt) and every rendered
//   kernel source includes it; NVRTC compiles it as device code (`__CUDACC__`), and the CPU
//   emulation of the CUDA backend compiles the same text as host C++.
// Writing the rules once in C++ keeps them readable next to the interpreter's (ir/interpreter.cc)
// instead of spelling each one out as LLVM IR builder calls, and the backends cannot drift.
//
// ABI (codegen/prelude_abi.h builds the names): `ndj_<op>_<dtype>` with the IR mnemonic and the
// dtype's short name; bool is uint8_t (0 or 1), float16 and bfloat16 are their bits in uint16_t,
// computed in float and rounded once.
// Integer arithmetic is done in int64 and wrapped to the dtype, as the interpreter does.
// Transcendental functions call libm's float/double functions (CUDA's on the device); the CPU
// backend marks them pure and maps them to glibc's vector versions (libmvec), so that loops over
// them vectorize. exp, expm1, log, tanh and erf on float32 and the 16-bit floats are this file's
// own on the host (see "Vector math" below).
#if defined(__CUDACC__)
// Device code (NVRTC): the CUDA math functions are built in; the CUDA backend's program header
// (codegen/cuda/device/ndjit_cuda.cuh) includes cuda_fp16.h before this file, and <cmath>,
// <cstdint> and "ndjit/dtype.h" are its own small headers (codegen/cuda/device/). Functions are
// internal and inlined, so a kernel carries only the rules it calls.
#define NDJ static __device__ __forceinline__
#define NDJ_INTERNAL static __device__ __forceinline__
#define NDJ_FABSF fabsf
#define NDJ_FABS fabs
#define NDJ_FLOORF floorf
#define NDJ_FLOOR floor
#define NDJ_CEILF ceilf
#define NDJ_CEIL ceil
#define NDJ_RINTF rintf
#define NDJ_RINT rint
#define NDJ_TRUNCF truncf
#define NDJ_TRUNC trunc
#define NDJ_NEXTAFTERF nextafterf
#else
#include <math.h>
#include <stdint.h>
#define NDJ extern "C" __attribute__((always_inline))
#define NDJ_INTERNAL inline
#define NDJ_FABSF __builtin_fabsf
#define NDJ_FABS __builtin_fabs
#define NDJ_FLOORF __builtin_floorf
#define NDJ_FLOOR __builtin_floor
#define NDJ_CEILF __builtin_ceilf
#define NDJ_CEIL __builtin_ceil
#define NDJ_RINTF __builtin_rintf
#define NDJ_RINT __builtin_rint
#define NDJ_TRUNCF __builtin_truncf
#define NDJ_TRUNC __builtin_trunc
#define NDJ_NEXTAFTERF __builtin_nextafterf
#endif

#include "ir/random.h"
#include "ir/scalar_rules.h"

using ndjit::ir::FloatFloorDiv;
using ndjit::ir::FloatMax;
using ndjit::ir::FloatMin;
using ndjit::ir::FloatMod;
using ndjit::ir::FloorDiv;
using ndjit::ir::FloorMod;
using ndjit::ir::IntPow;
using ndjit::ir::SignOf;
using ndjit::ir::WrapAdd;
using ndjit::ir::WrapMul;
using ndjit::ir::WrapSub;

namespace {

// ---- 16-bit floats ------------------------------------------------------------------------------

#if defined(__CUDACC__)
NDJ_INTERNAL float H2F(uint16_t h) { return __half2float(__ushort_as_half(h)); }
NDJ_INTERNAL uint16_t F2H(float f) { return __half_as_ushort(__float2half_rn(f)); }
#else
NDJ_INTERNAL float H2F(uint16_t h) { return static_cast<float>(__builtin_bit_cast(_Float16, h)); }
NDJ_INTERNAL uint16_t F2H(float f) {
  return __builtin_bit_cast(uint16_t, static_cast<_Float16>(f));
}
#endif
NDJ_INTERNAL float B2F(uint16_t b) {
  return __builtin_bit_cast(float, static_cast<uint32_t>(b) << 16);
}
NDJ_INTERNAL uint16_t F2B(float f) {
  uint32_t u = __builtin_bit_cast(uint32_t, f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40);
  u += 0x7fffu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}

// double -> float rounding to odd, so that a second rounding to 16 bits is a single correct
// rounding of the double (as ir/elements.cc does).
NDJ_INTERNAL float RoundToOdd(double v) {
  float f = static_cast<float>(v);
  if (v != v || __builtin_isinf(v) || static_cast<double>(f) == v) return f;
  if (__builtin_isinf(f) || NDJ_FABS(static_cast<double>(f)) > NDJ_FABS(v)) {
    f = NDJ_NEXTAFTERF(f, 0.0f);
  }
  return __builtin_bit_cast(float, __builtin_bit_cast(uint32_t, f) | 1u);
}
NDJ_INTERNAL float IntRoundToOdd(int64_t v) {
  float f = static_cast<float>(v);
  const __int128 exact = v;
  const __int128 rounded = static_cast<__int128>(f);
  if (rounded == exact) return f;
  if ((rounded < 0 ? -rounded : rounded) > (exact < 0 ? -exact : exact)) {
    f = NDJ_NEXTAFTERF(f, 0.0f);
  }
  return __builtin_bit_cast(float, __builtin_bit_cast(uint32_t, f) | 1u);
}

// ---- Vector math (CPU, float32 and the 16-bit floats) ------------------------------------------
// exp, expm1, tanh, log and erf in plain arithmetic and selects, no branches and no tables, so that
// LLVM inlines and vectorizes them at any width the host has. The maximum errors (ir/ops.def's
// header; tests/codegen/vector_math_test.cc checks them exhaustively on the 16-bit floats and on
// 2^24 float32 samples with every special value) are those of correctly rounded results plus a
// few units in the last place. Multiply-adds may be fused (`fp contract`): where the CPU has FMA
// they are, which is faster and no less accurate; the bounds hold either way. `--vector-math=glibc`
// (NDJIT_FLAGS) calls glibc's functions instead (the ndj_glibc_* rules below), vectorized by
// libmvec, as ndjit computed them before (libmvec in vector loops, libm in scalar remainders:
// within libmvec's 4 ulps). The CUDA backend keeps CUDA's own functions.
#if !defined(__CUDACC__)
#define NDJ_CONTRACT _Pragma("clang fp contract(fast)")

NDJ_INTERNAL float BitsToFloat(uint32_t u) { return __builtin_bit_cast(float, u); }
// 2^n, for n in [-126, 127].
NDJ_INTERNAL float Pow2(int32_t n) { return BitsToFloat(static_cast<uint32_t>(n + 127) << 23); }

// e^r - 1 for |r| <= ln(2)/2 (plus rounding): r + r^2 (1/2 + r/3! + ... + r^5/7!), the Taylor
// series, whose first omitted term is below 2^-26 of the result there.
NDJ_INTERNAL float ExpM1Reduced(float r) {
  NDJ_CONTRACT
  float p = 1.0f / 5040;
  p = p * r + 1.0f / 720;
  p = p * r + 1.0f / 120;
  p = p * r + 1.0f / 24;
  p = p * r + 1.0f / 6;
  p = p * r + 0.5f;
  return r + (r * r) * p;
}

// x = n ln(2) + r with n an integer (as float) and |r| <= ln(2)/2. ln(2) is split in a part with
// 9 significant bits, so that n times it is exact, and the rest (Cody and Waite).
NDJ_INTERNAL float ReduceLn2(float x, float* n) {
  NDJ_CONTRACT
  *n = __builtin_rintf(x * 1.44269504088896341f);
  return (x - *n * 0.693359375f) - *n * -2.12194440e-4f;
}

// Beyond [-104, 89] exp is 0 or infinite in float; clamping keeps n in range (NaN becomes 0 and
// is returned as itself at the end).
NDJ_INTERNAL float ClampExpArgument(float x) {
  float c = x > 89.0f ? 89.0f : x;
  c = c < -104.0f ? -104.0f : c;
  return x == x ? c : 0.0f;
}

NDJ_INTERNAL float VecExpf(float x) {
  NDJ_CONTRACT
  float n;
  const float r = ReduceLn2(ClampExpArgument(x), &n);
  const float m = 1.0f + ExpM1Reduced(r);
  // 2^n as two factors that are normal floats for n in [-151, 129]: the second product rounds
  // once, into the subnormals or to infinity where the result lies there.
  const int32_t k = static_cast<int32_t>(n);
  const int32_t half = k / 2;
  const float y = (m * Pow2(half)) * Pow2(k - half);
  return x == x ? y : x;
}

// 2^n (e^r - 1) + (2^n - 1): for n = 0 (|x| < ln(2)/2) e^r - 1 itself, to full relative accuracy.
NDJ_INTERNAL float VecExpm1f(float x) {
  NDJ_CONTRACT
  float n;
  const float r = ReduceLn2(ClampExpArgument(x), &n);
  const float em1 = ExpM1Reduced(r);
  const int32_t k = static_cast<int32_t>(n);
  const float s = Pow2(k > 127 ? 127 : (k < -126 ? -126 : k));
  float y = s * em1 + (s - 1.0f);
  y = k > 127 ? (s * em1 + s) * 2.0f : y;  // 2^128 e^r: finite up to FLT_MAX, then infinite
  y = k < -126 ? -1.0f : y;
  y = x == 0.0f ? x : y;  // expm1(-0) = -0
  return x == x ? y : x;
}

// tanh(x) = sign(x) e / (e + 2) with e = expm1(2|x|); for |x| >= 10 that is 1 in float.
NDJ_INTERNAL float VecTanhf(float x) {
  NDJ_CONTRACT
  const float a = NDJ_FABSF(x);
  float n;
  // NaN becomes 10 here (no NaN reaches the integer conversion) and is returned as itself below.
  const float r = ReduceLn2(2.0f * (a <= 10.0f ? a : 10.0f), &n);
  const float s = Pow2(static_cast<int32_t>(n));
  const float e = s * ExpM1Reduced(r) + (s - 1.0f);
  const float y = __builtin_copysignf(e / (e + 2.0f), x);
  return x == x ? y : x;
}

// log(x) = k ln(2) + log(m), x = 2^k m with m in [sqrt(1/2), sqrt(2)); with f = m - 1 and
// s = f / (2 + f), log(m) = 2 atanh(s) = f - (f^2/2 - s (f^2/2 + R)), R = z (2/3 + 2z/5 + ...
// + 2z^4/11), z = s^2 <= 0.0295 (the omitted term is below 2^-29 of the result).
NDJ_INTERNAL float VecLogf(float x) {
  NDJ_CONTRACT
  const bool subnormal = x < 1.17549435e-38f;
  const float xs = subnormal ? x * 8388608.0f : x;  // times 2^23
  // Subtracting sqrt(1/2)'s bits moves the split point of the exponent to sqrt(1/2).
  const uint32_t shifted = __builtin_bit_cast(uint32_t, xs) - 0x3f3504f3u;
  const int32_t k = static_cast<int32_t>(shifted) >> 23;
  const float f = BitsToFloat((shifted & 0x007fffffu) + 0x3f3504f3u) - 1.0f;
  const float s = f / (2.0f + f);
  const float z = s * s;
  float p = 2.0f / 11;
  p = p * z + 2.0f / 9;
  p = p * z + 2.0f / 7;
  p = p * z + 2.0f / 5;
  p = p * z + 2.0f / 3;
  const float half_f2 = 0.5f * f * f;
  const float log_m = f - (half_f2 - s * (half_f2 + z * p));
  const float kf = static_cast<float>(k - (subnormal ? 23 : 0));
  float y = (kf * -2.12194440e-4f + log_m) + kf * 0.693359375f;
  y = x == 0.0f ? -__builtin_inff() : y;
  y = x < 0.0f ? __builtin_nanf("") : y;
  y = x == __builtin_inff() ? x : y;
  return x == x ? y : x;
}
// erf(x) for |x| < 1: x + x p(x^2), p a polynomial for erf(x)/x - 1 in x^2 (adding x last keeps
// the leading term exact). For 1 <= |x| < 3.92: 1 - q(|x| - 2.46), q a polynomial of degree 14
// for erfc (its absolute error is what the result's ulp measures, 2^-24 there); from 3.92 on
// erfc(x) is below half an ulp of 1, and erf(x) is 1. No division and no exp: fused multiply-adds
// only. Both polynomials were fitted by weighted least squares on Chebyshev nodes, reweighted
// towards the largest errors (Lawson's iteration, close to minimax): errors 1e-10 (relative) and
// 7e-9 (absolute), below float's rounding of the evaluation.
NDJ_INTERNAL float VecErff(float x) {
  NDJ_CONTRACT
  const float z = x * x;
  float p = -9.64151604421204e-06f;
  p = p * z + 0.00011256948346272111f;
  p = p * z + -0.0008482828852720559f;
  p = p * z + 0.005220945458859205f;
  p = p * z + -0.0268654003739357f;
  p = p * z + 0.11283782124519348f;
  p = p * z + -0.37612637877464294f;
  p = p * z + 0.12837916612625122f;
  const float small = x + x * p;
  const float a = NDJ_FABSF(x);
  const float u = (a < 3.92f ? a : 3.92f) - 2.4600000381469727f;  // NaN: returned below
  float q = -1.0908163403655635e-06f;
  q = q * u + -1.0639747216600881e-07f;
  q = q * u + 1.7306889276369475e-05f;
  q = q * u + -2.462635893607512e-05f;
  q = q * u + -7.576050120405853e-05f;
  q = q * u + 0.0002994047827087343f;
  q = q * u + -0.0003559847245924175f;
  q = q * u + -0.0004590616445057094f;
  q = q * u + 0.0029372263234108686f;
  q = q * u + -0.006799711845815182f;
  q = q * u + 0.009914168156683445f;
  q = q * u + -0.0098324129357934f;
  q = q * u + 0.00653452193364501f;
  q = q * u + -0.0026562404818832874f;
  q = q * u + 0.0005033535999245942f;
  const float y = a < 1.0f ? small : __builtin_copysignf(1.0f - q, x);
  return x == x ? y : x;
}
#undef NDJ_CONTRACT
#endif  // !__CUDACC__

// Saturating float -> integer (truncate; NaN -> 0).
NDJ_INTERNAL int64_t SatToInt(double v, int64_t lo, int64_t hi) {
  if (v != v) return 0;
  if (v <= static_cast<double>(lo)) return lo;
  if (v >= static_cast<double>(hi)) return hi;
  return static_cast<int64_t>(v);
}

}  // namespace

// ---- Storage types and conversions per dtype --------------------------------------------------
// For each dtype: its C type, how a value widens to the computation type, and back.

#define NDJ_FLOAT_DTYPES(X)               \
  X(f32, float, float, (v), (v))          \
  X(f64, double, double, (v), (v))        \
  X(f16, uint16_t, float, H2F(v), F2H(v)) \
  X(bf16, uint16_t, float, B2F(v), F2B(v))

#define NDJ_INT_DTYPES(X)                      \
  X(i8, int8_t, -128, 127)                     \
  X(u8, uint8_t, 0, 255)                       \
  X(i32, int32_t, -2147483648ll, 2147483647ll) \
  X(i64, int64_t, (-9223372036854775807ll - 1), 9223372036854775807ll)

// ---- Float ops ------------------------------------------------------------------------------

#define NDJ_FLOAT_UNARY(name, fn32, fn64)                                  \
  NDJ uint16_t ndj_##name##_f16(uint16_t v) { return F2H(fn32(H2F(v))); }  \
  NDJ uint16_t ndj_##name##_bf16(uint16_t v) { return F2B(fn32(B2F(v))); } \
  NDJ float ndj_##name##_f32(float v) { return fn32(v); }                  \
  NDJ double ndj_##name##_f64(double v) { return fn64(v); }

#define NDJ_NEGF(x) (-(x))
NDJ_FLOAT_UNARY(neg, NDJ_NEGF, NDJ_NEGF)
NDJ_FLOAT_UNARY(abs, NDJ_FABSF, NDJ_FABS)
NDJ_FLOAT_UNARY(sign, SignOf<float>, SignOf<double>)
// exp, expm1, log, tanh and erf: on the host the vector math above (float64 keeps libm), plus the
// glibc rules PreludeOp (prelude_abi.h) names for kernels compiled with --vector-math=glibc; on a
// device CUDA's functions.
#if defined(__CUDACC__)
#define NDJ_EXPF expf
#define NDJ_EXPM1F expm1f
#define NDJ_LOGF logf
#define NDJ_TANHF tanhf
#define NDJ_ERFF erff
#else
#define NDJ_EXPF VecExpf
#define NDJ_EXPM1F VecExpm1f
#define NDJ_LOGF VecLogf
#define NDJ_TANHF VecTanhf
#define NDJ_ERFF VecErff
NDJ_FLOAT_UNARY(glibc_exp, expf, exp)
NDJ_FLOAT_UNARY(glibc_expm1, expm1f, expm1)
NDJ_FLOAT_UNARY(glibc_log, logf, log)
NDJ_FLOAT_UNARY(glibc_tanh, tanhf, tanh)
NDJ_FLOAT_UNARY(glibc_erf, erff, erf)
#endif
NDJ_FLOAT_UNARY(exp, NDJ_EXPF, exp)
NDJ_FLOAT_UNARY(expm1, NDJ_EXPM1F, expm1)
NDJ_FLOAT_UNARY(log, NDJ_LOGF, log)
NDJ_FLOAT_UNARY(tanh, NDJ_TANHF, tanh)
NDJ_FLOAT_UNARY(log1p, log1pf, log1p)
NDJ_FLOAT_UNARY(log2, log2f, log2)
NDJ_FLOAT_UNARY(log10, log10f, log10)
NDJ_FLOAT_UNARY(exp2, exp2f, exp2)
NDJ_FLOAT_UNARY(sqrt, sqrtf, sqrt)
NDJ_FLOAT_UNARY(sin, sinf, sin)
NDJ_FLOAT_UNARY(cos, cosf, cos)
NDJ_FLOAT_UNARY(tan, tanf, tan)
NDJ_FLOAT_UNARY(asin, asinf, asin)
NDJ_FLOAT_UNARY(acos, acosf, acos)
NDJ_FLOAT_UNARY(atan, atanf, atan)
NDJ_FLOAT_UNARY(sinh, sinhf, sinh)
NDJ_FLOAT_UNARY(cosh, coshf, cosh)
NDJ_FLOAT_UNARY(asinh, asinhf, asinh)
NDJ_FLOAT_UNARY(acosh, acoshf, acosh)
NDJ_FLOAT_UNARY(atanh, atanhf, atanh)
NDJ_FLOAT_UNARY(erf, NDJ_ERFF, erf)
NDJ_FLOAT_UNARY(floor, NDJ_FLOORF, NDJ_FLOOR)
NDJ_FLOAT_UNARY(ceil, NDJ_CEILF, NDJ_CEIL)
NDJ_FLOAT_UNARY(round, NDJ_RINTF, NDJ_RINT)
NDJ_FLOAT_UNARY(trunc, NDJ_TRUNCF, NDJ_TRUNC)

#define NDJ_FLOAT_PRED(name, expr)                         \
  NDJ uint8_t ndj_##name##_f16(uint16_t h) {               \
    float v = H2F(h);                                      \
    return (expr);                                         \
  }                                                        \
  NDJ uint8_t ndj_##name##_bf16(uint16_t h) {              \
    float v = B2F(h);                                      \
    return (expr);                                         \
  }                                                        \
  NDJ uint8_t ndj_##name##_f32(float v) { return (expr); } \
  NDJ uint8_t ndj_##name##_f64(double v) { return (expr); }
NDJ_FLOAT_PRED(isnan, v != v)
NDJ_FLOAT_PRED(isinf, __builtin_isinf(v) != 0)
NDJ_FLOAT_PRED(isfinite, v == v && !__builtin_isinf(v))

// Binary ops: `expr` over a, b of the computation type C.
#define NDJ_FLOAT_BINARY_ONE(name, tag, T, C, widen, narrow, expr) \
  NDJ T ndj_##name##_##tag(T x, T y) {                             \
    C a, b;                                                        \
    {                                                              \
      T v = x;                                                     \
      a = widen;                                                   \
    }                                                              \
    {                                                              \
      T v = y;                                                     \
      b = widen;                                                   \
    }                                                              \
    C v = static_cast<C>(expr);                                    \
    return narrow;                                                 \
  }
#define NDJ_FLOAT_BINARY(name, expr32, expr64)                              \
  NDJ_FLOAT_BINARY_ONE(name, f16, uint16_t, float, H2F(v), F2H(v), expr32)  \
  NDJ_FLOAT_BINARY_ONE(name, bf16, uint16_t, float, B2F(v), F2B(v), expr32) \
  NDJ_FLOAT_BINARY_ONE(name, f32, float, float, (v), (v), expr32)           \
  NDJ_FLOAT_BINARY_ONE(name, f64, double, double, (v), (v), expr64)

NDJ_FLOAT_BINARY(add, a + b, a + b)
NDJ_FLOAT_BINARY(sub, a - b, a - b)
NDJ_FLOAT_BINARY(mul, a* b, a* b)
NDJ_FLOAT_BINARY(div, a / b, a / b)
NDJ_FLOAT_BINARY(floordiv, FloatFloorDiv(a, b), FloatFloorDiv(a, b))
NDJ_FLOAT_BINARY(mod, FloatMod(a, b), FloatMod(a, b))
NDJ_FLOAT_BINARY(pow, powf(a, b), pow(a, b))
NDJ_FLOAT_BINARY(max, FloatMax(a, b), FloatMax(a, b))
NDJ_FLOAT_BINARY(min, FloatMin(a, b), FloatMin(a, b))
NDJ_FLOAT_BINARY(atan2, atan2f(a, b), atan2(a, b))
NDJ_FLOAT_BINARY(hypot, hypotf(a, b), hypot(a, b))

#define NDJ_FLOAT_COMPARE_ONE(name, tag, T, widen, op) \
  NDJ uint8_t ndj_##name##_##tag(T x, T y) {           \
    auto w = [](T v) { return widen; };                \
    return w(x) op w(y);                               \
  }
#define NDJ_FLOAT_COMPARE(name, op)                       \
  NDJ_FLOAT_COMPARE_ONE(name, f16, uint16_t, H2F(v), op)  \
  NDJ_FLOAT_COMPARE_ONE(name, bf16, uint16_t, B2F(v), op) \
  NDJ_FLOAT_COMPARE_ONE(name, f32, float, v, op)          \
  NDJ_FLOAT_COMPARE_ONE(name, f64, double, v, op)
NDJ_FLOAT_COMPARE(eq, ==)
NDJ_FLOAT_COMPARE(ne, !=)
NDJ_FLOAT_COMPARE(lt, <)
NDJ_FLOAT_COMPARE(le, <=)
NDJ_FLOAT_COMPARE(gt, >)
NDJ_FLOAT_COMPARE(ge, >=)

// ---- Integer and bool ops ---------------------------------------------------------------------

#define NDJ_INT_OPS(tag, T, lo, hi)                                          \
  NDJ T ndj_neg_##tag(T x) { return T(WrapSub(0, x)); }                      \
  NDJ T ndj_abs_##tag(T x) { return T(x < 0 ? WrapSub(0, x) : int64_t(x)); } \
  NDJ T ndj_sign_##tag(T x) { return T(x > 0 ? 1 : (x < 0 ? -1 : 0)); }      \
  NDJ T ndj_not_##tag(T x) { return T(~int64_t(x)); }                        \
  NDJ uint8_t ndj_isnan_##tag(T) { return 0; }                               \
  NDJ uint8_t ndj_isinf_##tag(T) { return 0; }                               \
  NDJ uint8_t ndj_isfinite_##tag(T) { return 1; }                            \
  NDJ T ndj_add_##tag(T a, T b) { return T(WrapAdd(a, b)); }                 \
  NDJ T ndj_sub_##tag(T a, T b) { return T(WrapSub(a, b)); }                 \
  NDJ T ndj_mul_##tag(T a, T b) { return T(WrapMul(a, b)); }                 \
  NDJ T ndj_div_##tag(T a, T b) { return T(FloorDiv(a, b)); }                \
  NDJ T ndj_floordiv_##tag(T a, T b) { return T(FloorDiv(a, b)); }           \
  NDJ T ndj_mod_##tag(T a, T b) { return T(FloorMod(a, b)); }                \
  NDJ T ndj_pow_##tag(T a, T b) { return T(IntPow(a, b)); }                  \
  NDJ T ndj_max_##tag(T a, T b) { return a > b ? a : b; }                    \
  NDJ T ndj_min_##tag(T a, T b) { return a < b ? a : b; }                    \
  NDJ T ndj_and_##tag(T a, T b) { return T(a & b); }                         \
  NDJ T ndj_or_##tag(T a, T b) { return T(a | b); }                          \
  NDJ T ndj_xor_##tag(T a, T b) { return T(a ^ b); }                         \
  NDJ uint8_t ndj_eq_##tag(T a, T b) { return a == b; }                      \
  NDJ uint8_t ndj_ne_##tag(T a, T b) { return a != b; }                      \
  NDJ uint8_t ndj_lt_##tag(T a, T b) { return a < b; }                       \
  NDJ uint8_t ndj_le_##tag(T a, T b) { return a <= b; }                      \
  NDJ uint8_t ndj_gt_##tag(T a, T b) { return a > b; }                       \
  NDJ uint8_t ndj_ge_##tag(T a, T b) { return a >= b; }
#define NDJ_INT_OPS_X(tag, T, lo, hi) NDJ_INT_OPS(tag, T, lo, hi)
NDJ_INT_DTYPES(NDJ_INT_OPS_X)

// bool: integer rules on 0/1, results normalized (add/mul are or/and, as NumPy's).
NDJ uint8_t ndj_not_bool(uint8_t x) { return !x; }
NDJ uint8_t ndj_isnan_bool(uint8_t) { return 0; }
NDJ uint8_t ndj_isinf_bool(uint8_t) { return 0; }
NDJ uint8_t ndj_isfinite_bool(uint8_t) { return 1; }
NDJ uint8_t ndj_add_bool(uint8_t a, uint8_t b) { return a | b; }
NDJ uint8_t ndj_mul_bool(uint8_t a, uint8_t b) { return a & b; }
NDJ uint8_t ndj_sub_bool(uint8_t a, uint8_t b) { return WrapSub(a, b) != 0; }
NDJ uint8_t ndj_div_bool(uint8_t a, uint8_t b) { return FloorDiv(a, b) != 0; }
NDJ uint8_t ndj_floordiv_bool(uint8_t a, uint8_t b) { return FloorDiv(a, b) != 0; }
NDJ uint8_t ndj_mod_bool(uint8_t a, uint8_t b) { return FloorMod(a, b) != 0; }
NDJ uint8_t ndj_pow_bool(uint8_t a, uint8_t b) { return IntPow(a, b) != 0; }
NDJ uint8_t ndj_max_bool(uint8_t a, uint8_t b) { return a | b; }
NDJ uint8_t ndj_min_bool(uint8_t a, uint8_t b) { return a & b; }
NDJ uint8_t ndj_and_bool(uint8_t a, uint8_t b) { return a & b; }
NDJ uint8_t ndj_or_bool(uint8_t a, uint8_t b) { return a | b; }
NDJ uint8_t ndj_xor_bool(uint8_t a, uint8_t b) { return a ^ b; }
NDJ uint8_t ndj_eq_bool(uint8_t a, uint8_t b) { return a == b; }
NDJ uint8_t ndj_ne_bool(uint8_t a, uint8_t b) { return a != b; }
NDJ uint8_t ndj_lt_bool(uint8_t a, uint8_t b) { return a < b; }
NDJ uint8_t ndj_le_bool(uint8_t a, uint8_t b) { return a <= b; }
NDJ uint8_t ndj_gt_bool(uint8_t a, uint8_t b) { return a > b; }
NDJ uint8_t ndj_ge_bool(uint8_t a, uint8_t b) { return a >= b; }

// ---- select -----------------------------------------------------------------------------------

#define NDJ_SELECT(tag, T) \
  NDJ T ndj_select_##tag(uint8_t c, T a, T b) { return c ? a : b; }
NDJ_SELECT(bool, uint8_t)
NDJ_SELECT(i8, int8_t)
NDJ_SELECT(u8, uint8_t)
NDJ_SELECT(i32, int32_t)
NDJ_SELECT(i64, int64_t)
NDJ_SELECT(f16, uint16_t)
NDJ_SELECT(bf16, uint16_t)
NDJ_SELECT(f32, float)
NDJ_SELECT(f64, double)

// ---- cast: every source to every destination ---------------------------------------------------
// Sources read as double (floats) or int64 (integers, bool); destinations written with the
// interpreter's rounding (ir/elements.cc StoreDouble / StoreInt).

namespace {
// Writers from double.
NDJ_INTERNAL uint8_t D2bool(double v) { return v != 0.0; }
NDJ_INTERNAL int8_t D2i8(double v) { return int8_t(SatToInt(v, -128, 127)); }
NDJ_INTERNAL uint8_t D2u8(double v) { return uint8_t(SatToInt(v, 0, 255)); }
NDJ_INTERNAL int32_t D2i32(double v) { return int32_t(SatToInt(v, -2147483648ll, 2147483647ll)); }
NDJ_INTERNAL int64_t D2i64(double v) {
  return SatToInt(v, -9223372036854775807ll - 1, 9223372036854775807ll);
}
NDJ_INTERNAL uint16_t D2f16(double v) { return F2H(RoundToOdd(v)); }
NDJ_INTERNAL uint16_t D2bf16(double v) { return F2B(RoundToOdd(v)); }
NDJ_INTERNAL float D2f32(double v) { return static_cast<float>(v); }
NDJ_INTERNAL double D2f64(double v) { return v; }
// Writers from int64.
NDJ_INTERNAL uint8_t I2bool(int64_t v) { return v != 0; }
NDJ_INTERNAL int8_t I2i8(int64_t v) { return int8_t(v); }
NDJ_INTERNAL uint8_t I2u8(int64_t v) { return uint8_t(v); }
NDJ_INTERNAL int32_t I2i32(int64_t v) { return int32_t(v); }
NDJ_INTERNAL int64_t I2i64(int64_t v) { return v; }
NDJ_INTERNAL uint16_t I2f16(int64_t v) { return F2H(IntRoundToOdd(v)); }
NDJ_INTERNAL uint16_t I2bf16(int64_t v) { return F2B(IntRoundToOdd(v)); }
NDJ_INTERNAL float I2f32(int64_t v) { return static_cast<float>(v); }
NDJ_INTERNAL double I2f64(int64_t v) { return static_cast<double>(v); }
// float32 sources narrow to 16 bits directly (a single rounding), without the double path.
NDJ_INTERNAL uint16_t F2f16(float v) { return F2H(v); }
NDJ_INTERNAL uint16_t F2bf16(float v) { return F2B(v); }
}  // namespace

#define NDJ_CAST_FROM_FLOAT(from, T, read)                         \
  NDJ uint8_t ndj_cast_##from##_bool(T x) { return D2bool(read); } \
  NDJ int8_t ndj_cast_##from##_i8(T x) { return D2i8(read); }      \
  NDJ uint8_t ndj_cast_##from##_u8(T x) { return D2u8(read); }     \
  NDJ int32_t ndj_cast_##from##_i32(T x) { return D2i32(read); }   \
  NDJ int64_t ndj_cast_##from##_i64(T x) { return D2i64(read); }   \
  NDJ float ndj_cast_##from##_f32(T x) { return D2f32(read); }     \
  NDJ double ndj_cast_##from##_f64(T x) { return D2f64(read); }
NDJ_CAST_FROM_FLOAT(f16, uint16_t, double(H2F(x)))
NDJ_CAST_FROM_FLOAT(bf16, uint16_t, double(B2F(x)))
NDJ_CAST_FROM_FLOAT(f32, float, double(x))
NDJ_CAST_FROM_FLOAT(f64, double, x)
NDJ uint16_t ndj_cast_f16_f16(uint16_t x) { return x; }
NDJ uint16_t ndj_cast_f16_bf16(uint16_t x) { return F2B(H2F(x)); }
NDJ uint16_t ndj_cast_bf16_f16(uint16_t x) { return F2H(B2F(x)); }
NDJ uint16_t ndj_cast_bf16_bf16(uint16_t x) { return x; }
NDJ uint16_t ndj_cast_f32_f16(float x) { return F2f16(x); }
NDJ uint16_t ndj_cast_f32_bf16(float x) { return F2bf16(x); }
NDJ uint16_t ndj_cast_f64_f16(double x) { return D2f16(x); }
NDJ uint16_t ndj_cast_f64_bf16(double x) { return D2bf16(x); }

#define NDJ_CAST_FROM_INT(from, T)                               \
  NDJ uint8_t ndj_cast_##from##_bool(T x) { return I2bool(x); }  \
  NDJ int8_t ndj_cast_##from##_i8(T x) { return I2i8(x); }       \
  NDJ uint8_t ndj_cast_##from##_u8(T x) { return I2u8(x); }      \
  NDJ int32_t ndj_cast_##from##_i32(T x) { return I2i32(x); }    \
  NDJ int64_t ndj_cast_##from##_i64(T x) { return I2i64(x); }    \
  NDJ uint16_t ndj_cast_##from##_f16(T x) { return I2f16(x); }   \
  NDJ uint16_t ndj_cast_##from##_bf16(T x) { return I2bf16(x); } \
  NDJ float ndj_cast_##from##_f32(T x) { return I2f32(x); }      \
  NDJ double ndj_cast_##from##_f64(T x) { return I2f64(x); }
NDJ_CAST_FROM_INT(bool, uint8_t)
NDJ_CAST_FROM_INT(i8, int8_t)
NDJ_CAST_FROM_INT(u8, uint8_t)
NDJ_CAST_FROM_INT(i32, int32_t)
NDJ_CAST_FROM_INT(i64, int64_t)

// ---- random: the `random` leaf at flat index n (ir/random.h) ----------------------------------

namespace {
using ndjit::ir::NormalAt;
using ndjit::ir::RandomBits;
using ndjit::ir::UniformFromBits;
}  // namespace

NDJ uint16_t ndj_random_uniform_f16(uint64_t s, int64_t n) {
  return D2f16(UniformFromBits(RandomBits(s, n), 11));
}
NDJ uint16_t ndj_random_uniform_bf16(uint64_t s, int64_t n) {
  return D2bf16(UniformFromBits(RandomBits(s, n), 8));
}
NDJ float ndj_random_uniform_f32(uint64_t s, int64_t n) {
  return D2f32(UniformFromBits(RandomBits(s, n), 24));
}
NDJ double ndj_random_uniform_f64(uint64_t s, int64_t n) {
  return UniformFromBits(RandomBits(s, n), 53);
}
NDJ uint16_t ndj_random_normal_f16(uint64_t s, int64_t n) { return D2f16(NormalAt(s, n)); }
NDJ uint16_t ndj_random_normal_bf16(uint64_t s, int64_t n) { return D2bf16(NormalAt(s, n)); }
NDJ float ndj_random_normal_f32(uint64_t s, int64_t n) { return D2f32(NormalAt(s, n)); }
NDJ double ndj_random_normal_f64(uint64_t s, int64_t n) { return NormalAt(s, n); }

// ---- accumulator -> result conversions used by reductions -------------------------------------
// (The backend calls ndj_cast_<acc>_<dtype>; nothing extra is needed here.)
