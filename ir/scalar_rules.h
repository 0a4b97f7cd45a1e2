// The scalar rules of the IR's arithmetic that are more than one C++ operator: NumPy's floor
// division and remainder, integer powers, wrapping integer arithmetic, NaN-propagating max/min
// and sign. One definition serves the reference interpreter (ir/interpreter.cc) and the CPU
// kernels (codegen/cpu/prelude.cc, compiled to LLVM bitcode by clang), so the two cannot drift.
// Standard library only; everything is inline.
#ifndef NDJIT_IR_SCALAR_RULES_H_
#define NDJIT_IR_SCALAR_RULES_H_

#include <cmath>
#include <cstdint>

// The rules run in host code and in CUDA kernels, which include this header; nvcc needs them
// marked for both (NVRTC, given -default-device, compiles them for the device anyway).
#ifndef NDJIT_HOST_DEVICE
#if defined(__CUDACC__)
#define NDJIT_HOST_DEVICE __host__ __device__
#else
#define NDJIT_HOST_DEVICE
#endif
#endif

namespace ndjit::ir {

NDJIT_HOST_DEVICE inline int64_t WrapAdd(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}
NDJIT_HOST_DEVICE inline int64_t WrapSub(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}
NDJIT_HOST_DEVICE inline int64_t WrapMul(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
}

// Integer floor division (NumPy's //): rounds toward -inf; x // 0 == 0; INT_MIN // -1 wraps.
NDJIT_HOST_DEVICE inline int64_t FloorDiv(int64_t a, int64_t b) {
  if (b == 0) return 0;
  if (b == -1) return WrapSub(0, a);
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// Integer remainder with the divisor's sign (NumPy's %); x % 0 == 0.
NDJIT_HOST_DEVICE inline int64_t FloorMod(int64_t a, int64_t b) {
  if (b == 0 || b == -1) return 0;
  int64_t r = a % b;
  if (r != 0 && ((r < 0) != (b < 0))) r += b;
  return r;
}

// Exact integer power by squaring, wrapping; a negative exponent gives 1 for base 1, +-1 for
// base -1 and 0 otherwise.
NDJIT_HOST_DEVICE inline int64_t IntPow(int64_t base, int64_t exp) {
  if (exp < 0) {
    if (base == 1) return 1;
    if (base == -1) return (exp & 1) ? -1 : 1;
    return 0;
  }
  uint64_t result = 1, b = static_cast<uint64_t>(base);
  while (exp > 0) {
    if (exp & 1) result *= b;
    b *= b;
    exp >>= 1;
  }
  return static_cast<int64_t>(result);
}

// Float remainder with the divisor's sign (NumPy's npy_remainder): x % 0 is NaN.
NDJIT_HOST_DEVICE inline double FloatMod(double a, double b) {
  double mod = std::fmod(a, b);
  if (b == 0.0) return mod;
  if (mod != 0.0) {
    if ((b < 0) != (mod < 0)) mod += b;
  } else {
    mod = std::copysign(0.0, b);
  }
  return mod;
}

// NumPy's npy_floor_divide: the quotient of a - fmod(a, b), floored, with NumPy's rounding and
// signed-zero corrections; x // 0 == x / 0.
NDJIT_HOST_DEVICE inline double FloatFloorDiv(double a, double b) {
  if (b == 0.0) return a / b;
  double mod = std::fmod(a, b);
  double div = (a - mod) / b;
  if (mod != 0.0 && ((b < 0) != (mod < 0))) div -= 1.0;
  if (div == 0.0) return std::copysign(0.0, a / b);
  double floordiv = std::floor(div);
  if (div - floordiv > 0.5) floordiv += 1.0;
  return floordiv;
}

// NaN in either operand gives NaN (NumPy's maximum/minimum).
template <typename T>
NDJIT_HOST_DEVICE inline T FloatMax(T a, T b) {
  return (a >= b || a != a) ? a : b;
}
template <typename T>
NDJIT_HOST_DEVICE inline T FloatMin(T a, T b) {
  return (a <= b || a != a) ? a : b;
}

// -1, 0 or 1; NaN stays NaN; sign(-0.0) == 0.0.
template <typename T>
NDJIT_HOST_DEVICE inline T SignOf(T x) {
  if (x != x) return x;
  return x > 0 ? T(1) : (x < 0 ? T(-1) : T(0));
}

}  // namespace ndjit::ir

#endif  // NDJIT_IR_SCALAR_RULES_H_
