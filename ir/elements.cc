// Element access and conversions shared by the interpreter, the frontend and tests.
#include "ir/elements.h"

#include <bit>
#include <cmath>
#include <limits>

#include "ir/dtype.h"

namespace ndjit::ir {

// ---- Element access ------------------------------------------------------------------------

double LoadAsDouble(const HostTensor& t, int64_t i) {
  return ElementAsDouble(t.dtype(), t.data(), i);
}

double ElementAsDouble(DType dtype, const void* p, int64_t i) {
  switch (dtype) {
    case DType::kBool:
      return static_cast<const uint8_t*>(p)[i] ? 1.0 : 0.0;
    case DType::kInt8:
      return static_cast<const int8_t*>(p)[i];
    case DType::kUInt8:
      return static_cast<const uint8_t*>(p)[i];
    case DType::kInt32:
      return static_cast<const int32_t*>(p)[i];
    case DType::kInt64:
      return static_cast<double>(static_cast<const int64_t*>(p)[i]);
    case DType::kFloat16:
      return float16::ToFloat(static_cast<const uint16_t*>(p)[i]);
    case DType::kBFloat16:
      return bfloat16::ToFloat(static_cast<const uint16_t*>(p)[i]);
    case DType::kFloat32:
      return static_cast<const float*>(p)[i];
    case DType::kFloat64:
      return static_cast<const double*>(p)[i];
  }
  return 0;
}

int64_t LoadAsInt(const HostTensor& t, int64_t i) {
  const void* p = t.data();
  switch (t.dtype()) {
    case DType::kBool:
      return static_cast<const uint8_t*>(p)[i] ? 1 : 0;
    case DType::kInt8:
      return static_cast<const int8_t*>(p)[i];
    case DType::kUInt8:
      return static_cast<const uint8_t*>(p)[i];
    case DType::kInt32:
      return static_cast<const int32_t*>(p)[i];
    case DType::kInt64:
      return static_cast<const int64_t*>(p)[i];
    case DType::kFloat16:
    case DType::kBFloat16:
    case DType::kFloat32:
    case DType::kFloat64:
      return SaturatingFloatToInt(LoadAsDouble(t, i), DType::kInt64);
  }
  return 0;
}

namespace {

// Rounds a double to float with round-to-odd, so that a second rounding to a format of at most
// 22 significand bits (float16, bfloat16) is a correct single rounding of the double.
float RoundToOddFloat(double v) {
  if (std::isnan(v) || std::isinf(v)) return static_cast<float>(v);
  float f = static_cast<float>(v);
  if (static_cast<double>(f) == v) return f;
  if (std::isinf(f) || std::fabs(static_cast<double>(f)) > std::fabs(v)) {
    f = std::nextafter(f, 0.0f);  // truncate toward zero
  }
  uint32_t bits = std::bit_cast<uint32_t>(f);
  bits |= 1u;  // sticky bit
  return std::bit_cast<float>(bits);
}

// int64 to float with round-to-odd, for the same reason as above (a direct int64 -> double ->
// 16-bit path can land on a midpoint and round twice).
float IntToFloatRoundToOdd(int64_t v) {
  float f = static_cast<float>(v);
  const __int128 exact = v;
  const __int128 rounded = static_cast<__int128>(f);  // |f| <= 2^63: exact in 128 bits
  if (rounded == exact) return f;
  if ((rounded < 0 ? -rounded : rounded) > (exact < 0 ? -exact : exact)) {
    f = std::nextafter(f, 0.0f);
  }
  return std::bit_cast<float>(std::bit_cast<uint32_t>(f) | 1u);
}

}  // namespace

double RoundToFloatDType(double v, DType dtype) {
  switch (dtype) {
    case DType::kFloat16:
      return float16::ToFloat(float16::FromFloat(RoundToOddFloat(v)));
    case DType::kBFloat16:
      return bfloat16::ToFloat(bfloat16::FromFloat(RoundToOddFloat(v)));
    case DType::kFloat32:
      return static_cast<float>(v);
    default:
      return v;
  }
}

double RoundToFloatDType(int64_t v, DType dtype) {
  switch (dtype) {
    case DType::kFloat16:
      return float16::ToFloat(float16::FromFloat(IntToFloatRoundToOdd(v)));
    case DType::kBFloat16:
      return bfloat16::ToFloat(bfloat16::FromFloat(IntToFloatRoundToOdd(v)));
    case DType::kFloat32:
      return static_cast<float>(v);
    default:
      return static_cast<double>(v);
  }
}

void StoreDouble(HostTensor& t, int64_t i, double v) {
  void* p = t.data();
  switch (t.dtype()) {
    case DType::kBool:
      static_cast<uint8_t*>(p)[i] = v != 0.0;
      return;
    case DType::kInt8:
    case DType::kUInt8:
    case DType::kInt32:
    case DType::kInt64:
      StoreInt(t, i, SaturatingFloatToInt(v, t.dtype()));
      return;
    case DType::kFloat16:
      static_cast<uint16_t*>(p)[i] = float16::FromFloat(RoundToOddFloat(v));
      return;
    case DType::kBFloat16:
      static_cast<uint16_t*>(p)[i] = bfloat16::FromFloat(RoundToOddFloat(v));
      return;
    case DType::kFloat32:
      static_cast<float*>(p)[i] = static_cast<float>(v);
      return;
    case DType::kFloat64:
      static_cast<double*>(p)[i] = v;
      return;
  }
}

void StoreInt(HostTensor& t, int64_t i, int64_t v) {
  void* p = t.data();
  switch (t.dtype()) {
    case DType::kBool:
      static_cast<uint8_t*>(p)[i] = v != 0;
      return;
    case DType::kInt8:
      static_cast<int8_t*>(p)[i] = static_cast<int8_t>(v);
      return;
    case DType::kUInt8:
      static_cast<uint8_t*>(p)[i] = static_cast<uint8_t>(v);
      return;
    case DType::kInt32:
      static_cast<int32_t*>(p)[i] = static_cast<int32_t>(v);
      return;
    case DType::kInt64:
      static_cast<int64_t*>(p)[i] = v;
      return;
    case DType::kFloat16:
      static_cast<uint16_t*>(p)[i] = float16::FromFloat(IntToFloatRoundToOdd(v));
      return;
    case DType::kBFloat16:
      static_cast<uint16_t*>(p)[i] = bfloat16::FromFloat(IntToFloatRoundToOdd(v));
      return;
    case DType::kFloat64:
      static_cast<double*>(p)[i] = static_cast<double>(v);
      return;
    case DType::kFloat32:
      static_cast<float*>(p)[i] = static_cast<float>(v);
      return;
  }
}

int64_t SaturatingFloatToInt(double v, DType to) {
  if (to == DType::kBool) return v != 0.0;  // NaN is true
  if (std::isnan(v)) return 0;
  const IntRange range = IntegerRange(to);
  // Both bounds are exact doubles except INT64_MAX, which rounds up to 2^63: the first double
  // above it, so `>=` saturates exactly the out-of-range values.
  if (v <= static_cast<double>(range.lo)) return range.lo;
  if (v >= static_cast<double>(range.hi)) return range.hi;
  return static_cast<int64_t>(std::trunc(v));
}

}  // namespace ndjit::ir
