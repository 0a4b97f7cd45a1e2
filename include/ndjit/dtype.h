// Element types of ndjit arrays, and the two 16-bit float storage types.
//
// This header is public and depends only on the standard library; the IR layer includes it too,
// so the enum below is the one dtype enum of the whole project.
#ifndef NDJIT_DTYPE_H_
#define NDJIT_DTYPE_H_

#include <bit>
#include <cstdint>
#include <cstring>

namespace ndjit {

enum class DType : uint8_t {
  kBool,
  kInt8,
  kUInt8,
  kInt32,
  kInt64,
  kFloat16,
  kBFloat16,
  kFloat32,
  kFloat64,
};
inline constexpr int kNumDTypes = 9;

// NumPy's name of the dtype ("float32", "bool", ...).
const char* DTypeName(DType dtype);
// Size of one element in bytes.
int DTypeSize(DType dtype);
bool IsFloat(DType dtype);    // float16, bfloat16, float32, float64
bool IsInteger(DType dtype);  // int8, uint8, int32, int64 (not bool)
bool IsSignedInteger(DType dtype);

// IEEE 754 binary16, stored as its bits. Conversions round to nearest even; NaN stays NaN.
struct float16 {
  uint16_t bits = 0;
  float16() = default;
  explicit float16(float f) : bits(FromFloat(f)) {}
  explicit operator float() const { return ToFloat(bits); }
  static uint16_t FromFloat(float f);
  static float ToFloat(uint16_t h);
};

// bfloat16: the upper half of a float32. Conversions round to nearest even; NaN stays NaN.
struct bfloat16 {
  uint16_t bits = 0;
  bfloat16() = default;
  explicit bfloat16(float f) : bits(FromFloat(f)) {}
  explicit operator float() const { return ToFloat(bits); }
  static uint16_t FromFloat(float f) {
    uint32_t u = std::bit_cast<uint32_t>(f);
    if ((u & 0x7fffffffu) > 0x7f800000u)
      return static_cast<uint16_t>((u >> 16) | 0x40);  // quiet NaN
    u += 0x7fffu + ((u >> 16) & 1u);
    return static_cast<uint16_t>(u >> 16);
  }
  static float ToFloat(uint16_t b) { return std::bit_cast<float>(static_cast<uint32_t>(b) << 16); }
};

// Maps a C++ element type to its dtype: DTypeOf<float>::value == DType::kFloat32.
template <typename T>
struct DTypeOf;
template <>
struct DTypeOf<bool> {
  static constexpr DType value = DType::kBool;
};
template <>
struct DTypeOf<int8_t> {
  static constexpr DType value = DType::kInt8;
};
template <>
struct DTypeOf<uint8_t> {
  static constexpr DType value = DType::kUInt8;
};
template <>
struct DTypeOf<int32_t> {
  static constexpr DType value = DType::kInt32;
};
template <>
struct DTypeOf<int64_t> {
  static constexpr DType value = DType::kInt64;
};
template <>
struct DTypeOf<float16> {
  static constexpr DType value = DType::kFloat16;
};
template <>
struct DTypeOf<bfloat16> {
  static constexpr DType value = DType::kBFloat16;
};
template <>
struct DTypeOf<float> {
  static constexpr DType value = DType::kFloat32;
};
template <>
struct DTypeOf<double> {
  static constexpr DType value = DType::kFloat64;
};

}  // namespace ndjit

#endif  // NDJIT_DTYPE_H_
