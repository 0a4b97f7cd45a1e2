// DType names, sizes, float16 conversion and NumPy 2 promotion.
#include "ir/dtype.h"

#include <array>
#include <cmath>

namespace ndjit {

const char* DTypeName(DType dtype) {
  switch (dtype) {
    case DType::kBool:
      return "bool";
    case DType::kInt8:
      return "int8";
    case DType::kUInt8:
      return "uint8";
    case DType::kInt32:
      return "int32";
    case DType::kInt64:
      return "int64";
    case DType::kFloat16:
      return "float16";
    case DType::kBFloat16:
      return "bfloat16";
    case DType::kFloat32:
      return "float32";
    case DType::kFloat64:
      return "float64";
  }
  return "?";
}

int DTypeSize(DType dtype) {
  switch (dtype) {
    case DType::kBool:
    case DType::kInt8:
    case DType::kUInt8:
      return 1;
    case DType::kFloat16:
    case DType::kBFloat16:
      return 2;
    case DType::kInt32:
    case DType::kFloat32:
      return 4;
    case DType::kInt64:
    case DType::kFloat64:
      return 8;
  }
  return 0;
}

bool IsFloat(DType d) {
  return d == DType::kFloat16 || d == DType::kBFloat16 || d == DType::kFloat32 ||
         d == DType::kFloat64;
}
bool IsInteger(DType d) {
  return d == DType::kInt8 || d == DType::kUInt8 || d == DType::kInt32 || d == DType::kInt64;
}
bool IsSignedInteger(DType d) { return IsInteger(d) && d != DType::kUInt8; }

uint16_t float16::FromFloat(float f) {
  const uint32_t u = std::bit_cast<uint32_t>(f);
  const uint16_t sign = static_cast<uint16_t>((u >> 16) & 0x8000u);
  const uint32_t abs = u & 0x7fffffffu;
  if (abs > 0x7f800000u) return sign | 0x7e00u;   // NaN -> quiet NaN
  if (abs >= 0x47800000u) return sign | 0x7c00u;  // >= 65536 (after rounding: overflow) -> inf
  if (abs < 0x38800000u) {
    // Subnormal or zero in half precision: scale so that the half ulp (2^-24) becomes 1 and
    // round to nearest even in float arithmetic, which is exact here.
    const float scaled = std::bit_cast<float>(abs) * 16777216.0f;  // * 2^24
    return sign | static_cast<uint16_t>(std::nearbyint(scaled));
  }
  // Normal: rebias the exponent and round the 13 dropped mantissa bits to nearest even.
  uint32_t half = ((abs >> 13) - ((127 - 15) << 10));
  const uint32_t rest = abs & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (half & 1u))) ++half;  // may carry into inf: correct
  return sign | static_cast<uint16_t>(half);
}

float float16::ToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu;
  const uint32_t mant = h & 0x3ffu;
  if (exp == 0) {
    const float v = static_cast<float>(mant) * (1.0f / 16777216.0f);  // mant * 2^-24
    return sign ? -v : v;
  }
  if (exp == 31) return std::bit_cast<float>(sign | 0x7f800000u | (mant << 13));
  return std::bit_cast<float>(sign | ((exp + 127 - 15) << 23) | (mant << 13));
}

namespace ir {

const char* DTypeShortName(DType dtype) {
  switch (dtype) {
    case DType::kBool:
      return "bool";
    case DType::kInt8:
      return "i8";
    case DType::kUInt8:
      return "u8";
    case DType::kInt32:
      return "i32";
    case DType::kInt64:
      return "i64";
    case DType::kFloat16:
      return "f16";
    case DType::kBFloat16:
      return "bf16";
    case DType::kFloat32:
      return "f32";
    case DType::kFloat64:
      return "f64";
  }
  return "?";
}

std::optional<DType> ParseDType(std::string_view name) {
  for (int i = 0; i < kNumDTypes; ++i) {
    const DType d = static_cast<DType>(i);
    if (name == DTypeShortName(d) || name == DTypeName(d)) return d;
  }
  return std::nullopt;
}

namespace {

// Rank within a kind, used for promotion inside one kind.
int IntRank(DType d) {
  switch (d) {
    case DType::kInt8:
    case DType::kUInt8:
      return 1;
    case DType::kInt32:
      return 3;
    case DType::kInt64:
      return 4;
    default:
      return 0;
  }
}

// Float dtype able to hold every value of an integer dtype of the given rank (NumPy: int8/uint8
// -> float16, int16 -> float32, int32/int64 -> float64).
DType FloatForInt(DType i) { return IntRank(i) <= 1 ? DType::kFloat16 : DType::kFloat64; }

DType PromoteFloats(DType a, DType b) {
  if (a == b) return a;
  if (a == DType::kFloat64 || b == DType::kFloat64) return DType::kFloat64;
  // Mixed float16/bfloat16 (or either with float32) -> float32.
  return DType::kFloat32;
}

}  // namespace

DType PromoteTypes(DType a, DType b) {
  if (a == b) return a;
  if (a == DType::kBool) return b;
  if (b == DType::kBool) return a;
  const bool fa = IsFloat(a), fb = IsFloat(b);
  if (fa && fb) return PromoteFloats(a, b);
  if (fa || fb) {
    const DType f = fa ? a : b;
    const DType i = fa ? b : a;
    const DType need = FloatForInt(i);
    if (need == DType::kFloat16) return f;  // every float holds int8/uint8 exactly
    return PromoteFloats(f, need);
  }
  // Both integers. int8+uint8 is int16 in NumPy; ndjit has no int16, so int32.
  if ((a == DType::kInt8 && b == DType::kUInt8) || (a == DType::kUInt8 && b == DType::kInt8)) {
    return DType::kInt32;
  }
  return IntRank(a) >= IntRank(b) ? a : b;
}

DType PromoteWithScalar(DType array, ScalarKind scalar) {
  switch (scalar) {
    case ScalarKind::kBool:
      return array;
    case ScalarKind::kInt:
      return array == DType::kBool ? DType::kInt64 : array;
    case ScalarKind::kFloat:
      return IsFloat(array) ? array : DType::kFloat64;
  }
  return array;
}

IntRange IntegerRange(DType dtype) {
  switch (dtype) {
    case DType::kBool:
      return {0, 1};
    case DType::kInt8:
      return {INT8_MIN, INT8_MAX};
    case DType::kUInt8:
      return {0, UINT8_MAX};
    case DType::kInt32:
      return {INT32_MIN, INT32_MAX};
    default:
      return {INT64_MIN, INT64_MAX};
  }
}

DType DefaultDType(ScalarKind kind) {
  switch (kind) {
    case ScalarKind::kBool:
      return DType::kBool;
    case ScalarKind::kInt:
      return DType::kInt64;
    case ScalarKind::kFloat:
      return DType::kFloat64;
  }
  return DType::kFloat64;
}

}  // namespace ir
}  // namespace ndjit
