// Tests of ir/dtype.cc: names, promotion (NumPy 2 with ndjit's deviations) and 16-bit floats.
#include "ir/dtype.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "gtest/gtest.h"
#include "ir_test_util.h"

namespace ndjit::ir {
namespace {

using testing::AllDTypes;

constexpr DType B = DType::kBool;
constexpr DType I8 = DType::kInt8;
constexpr DType U8 = DType::kUInt8;
constexpr DType I32 = DType::kInt32;
constexpr DType I64 = DType::kInt64;
constexpr DType F16 = DType::kFloat16;
constexpr DType BF16 = DType::kBFloat16;
constexpr DType F32 = DType::kFloat32;
constexpr DType F64 = DType::kFloat64;

// np.result_type(a, b) for arrays (NumPy 2 == NumPy 1 here), with int8+uint8 -> int32 (NumPy's
// int16 is not an ndjit dtype) and bfloat16 as ml_dtypes/JAX: with float16 -> float32, with
// int8/uint8 -> bfloat16, with int32/int64 -> float64. Rows and columns in enum order.
// clang-format off
constexpr DType kPromotion[kNumDTypes][kNumDTypes] = {
    //          bool  i8    u8    i32   i64   f16   bf16  f32   f64
    /* bool */ {B,    I8,   U8,   I32,  I64,  F16,  BF16, F32,  F64},
    /* i8   */ {I8,   I8,   I32,  I32,  I64,  F16,  BF16, F32,  F64},
    /* u8   */ {U8,   I32,  U8,   I32,  I64,  F16,  BF16, F32,  F64},
    /* i32  */ {I32,  I32,  I32,  I32,  I64,  F64,  F64,  F64,  F64},
    /* i64  */ {I64,  I64,  I64,  I64,  I64,  F64,  F64,  F64,  F64},
    /* f16  */ {F16,  F16,  F16,  F64,  F64,  F16,  F32,  F32,  F64},
    /* bf16 */ {BF16, BF16, BF16, F64,  F64,  F32,  BF16, F32,  F64},
    /* f32  */ {F32,  F32,  F32,  F64,  F64,  F32,  F32,  F32,  F64},
    /* f64  */ {F64,  F64,  F64,  F64,  F64,  F64,  F64,  F64,  F64},
};
// clang-format on

TEST(PromoteTypesTest, AllPairsMatchTable) {
  int checked = 0;
  for (DType a : AllDTypes()) {
    for (DType b : AllDTypes()) {
      EXPECT_EQ(PromoteTypes(a, b), kPromotion[static_cast<int>(a)][static_cast<int>(b)])
          << DTypeName(a) << " + " << DTypeName(b) << " gave " << DTypeName(PromoteTypes(a, b));
      ++checked;
    }
  }
  EXPECT_EQ(checked, 81);
}

TEST(PromoteTypesTest, SymmetricAndIdempotent) {
  for (DType a : AllDTypes()) {
    EXPECT_EQ(PromoteTypes(a, a), a) << DTypeName(a);
    for (DType b : AllDTypes()) {
      EXPECT_EQ(PromoteTypes(a, b), PromoteTypes(b, a)) << DTypeName(a) << ", " << DTypeName(b);
    }
  }
}

TEST(PromoteTypesTest, DocumentedDeviations) {
  EXPECT_EQ(PromoteTypes(I8, U8), I32);
  EXPECT_EQ(PromoteTypes(U8, I8), I32);
  EXPECT_EQ(PromoteTypes(BF16, F16), F32);
  EXPECT_EQ(PromoteTypes(BF16, I8), BF16);
  EXPECT_EQ(PromoteTypes(BF16, U8), BF16);
  EXPECT_EQ(PromoteTypes(BF16, I32), F64);
  EXPECT_EQ(PromoteTypes(BF16, I64), F64);
}

struct ScalarCase {
  DType array;
  DType with_bool;
  DType with_int;
  DType with_float;
};

TEST(PromoteWithScalarTest, WeakScalarsNumPy2) {
  const ScalarCase cases[] = {
      {B, B, I64, F64},         {I8, I8, I8, F64},    {U8, U8, U8, F64},
      {I32, I32, I32, F64},     {I64, I64, I64, F64}, {F16, F16, F16, F16},
      {BF16, BF16, BF16, BF16}, {F32, F32, F32, F32}, {F64, F64, F64, F64},
  };
  for (const ScalarCase& c : cases) {
    SCOPED_TRACE(DTypeName(c.array));
    EXPECT_EQ(PromoteWithScalar(c.array, ScalarKind::kBool), c.with_bool);
    EXPECT_EQ(PromoteWithScalar(c.array, ScalarKind::kInt), c.with_int);
    EXPECT_EQ(PromoteWithScalar(c.array, ScalarKind::kFloat), c.with_float);
  }
}

TEST(PromoteWithScalarTest, DefaultDTypes) {
  EXPECT_EQ(DefaultDType(ScalarKind::kBool), B);
  EXPECT_EQ(DefaultDType(ScalarKind::kInt), I64);
  EXPECT_EQ(DefaultDType(ScalarKind::kFloat), F64);
}

TEST(DTypeNameTest, NamesAndShortNames) {
  const char* names[] = {"bool",    "int8",     "uint8",   "int32",  "int64",
                         "float16", "bfloat16", "float32", "float64"};
  const char* short_names[] = {"bool", "i8", "u8", "i32", "i64", "f16", "bf16", "f32", "f64"};
  for (DType d : AllDTypes()) {
    EXPECT_STREQ(DTypeName(d), names[static_cast<int>(d)]);
    EXPECT_STREQ(DTypeShortName(d), short_names[static_cast<int>(d)]);
  }
}

TEST(DTypeNameTest, ParseRoundTrip) {
  for (DType d : AllDTypes()) {
    EXPECT_EQ(ParseDType(DTypeName(d)), d) << DTypeName(d);
    EXPECT_EQ(ParseDType(DTypeShortName(d)), d) << DTypeShortName(d);
  }
}

TEST(DTypeNameTest, ParseRejectsUnknown) {
  for (const char* bad : {"", "float", "int", "int16", "uint32", "F32", "f32 ", " f32", "f8",
                          "complex64", "b", "bool_", "?"}) {
    EXPECT_EQ(ParseDType(bad), std::nullopt) << "'" << bad << "'";
  }
}

TEST(DTypeNameTest, SizesAndKinds) {
  const int sizes[] = {1, 1, 1, 4, 8, 2, 2, 4, 8};
  for (DType d : AllDTypes()) {
    const int i = static_cast<int>(d);
    EXPECT_EQ(DTypeSize(d), sizes[i]) << DTypeName(d);
    EXPECT_EQ(IsFloat(d), i >= static_cast<int>(F16)) << DTypeName(d);
    EXPECT_EQ(IsInteger(d), d == I8 || d == U8 || d == I32 || d == I64) << DTypeName(d);
    EXPECT_EQ(IsSignedInteger(d), d == I8 || d == I32 || d == I64) << DTypeName(d);
  }
  EXPECT_EQ(DTypeOf<bool>::value, B);
  EXPECT_EQ(DTypeOf<int8_t>::value, I8);
  EXPECT_EQ(DTypeOf<uint8_t>::value, U8);
  EXPECT_EQ(DTypeOf<int32_t>::value, I32);
  EXPECT_EQ(DTypeOf<int64_t>::value, I64);
  EXPECT_EQ(DTypeOf<float16>::value, F16);
  EXPECT_EQ(DTypeOf<bfloat16>::value, BF16);
  EXPECT_EQ(DTypeOf<float>::value, F32);
  EXPECT_EQ(DTypeOf<double>::value, F64);
}

// ---- float16 -------------------------------------------------------------------------------

struct HalfCase {
  float value;
  uint16_t bits;
};

// Expected bits from numpy: np.float32(v).astype(np.float16).view(np.uint16).
TEST(Float16Test, FromFloatKnownValues) {
  const HalfCase cases[] = {
      {0.0f, 0x0000},
      {-0.0f, 0x8000},
      {1.0f, 0x3c00},
      {-2.0f, 0xc000},
      {0.5f, 0x3800},
      {0.1f, 0x2e66},
      {1.0f / 3.0f, 0x3555},
      {65504.0f, 0x7bff},  // largest finite
      {65519.0f, 0x7bff},  // below the midpoint to 65536: rounds down
      {65520.0f, 0x7c00},  // the midpoint: ties to even, which is inf
      {-65520.0f, 0xfc00},
      {1e10f, 0x7c00},
      {std::numeric_limits<float>::max(), 0x7c00},
      {std::numeric_limits<float>::infinity(), 0x7c00},
      {-std::numeric_limits<float>::infinity(), 0xfc00},
      {0x1p-14f, 0x0400},  // smallest normal
      {0x1p-24f, 0x0001},  // smallest subnormal
      {-0x1p-24f, 0x8001},
      {0x3ffp-24f, 0x03ff},       // largest subnormal
      {0x1p-25f, 0x0000},         // half the smallest subnormal: tie to even (0)
      {-0x1p-25f, 0x8000},        // ... keeps the sign
      {0x1.000002p-25f, 0x0001},  // just above the tie
      {0x3p-25f, 0x0002},         // 1.5 ulp: tie to even (2)
      {0x5p-25f, 0x0002},         // 2.5 ulp: tie to even (2)
      {0x7fep-25f, 0x03ff},       // 1023 ulp exactly
      {0x7ffp-25f, 0x0400},       // 1023.5 ulp: tie rounds up into the normals
      {1e-8f, 0x0000},
      {0x1.002p0f, 0x3c00},     // 1 + 2^-11: tie to even (down)
      {0x1.006p0f, 0x3c02},     // 1 + 3*2^-11: tie to even (up)
      {0x1.002002p0f, 0x3c01},  // just above the tie
      {0x1.001ffep0f, 0x3c00},  // just below the tie
      {2049.0f, 0x6800},
      {2051.0f, 0x6802},
      {0x1.ffcp15f, 0x7bff},  // 65504 again, spelled in hex
  };
  for (const HalfCase& c : cases) {
    EXPECT_EQ(float16::FromFloat(c.value), c.bits)
        << std::hexfloat << c.value << " -> 0x" << std::hex << float16::FromFloat(c.value)
        << ", expected 0x" << c.bits;
  }
}

TEST(Float16Test, ToFloatKnownValues) {
  const HalfCase cases[] = {
      {0.0f, 0x0000},
      {1.0f, 0x3c00},
      {-2.0f, 0xc000},
      {65504.0f, 0x7bff},
      {0x1p-14f, 0x0400},
      {0x1p-24f, 0x0001},
      {0x3ffp-24f, 0x03ff},
      {0.333251953125f, 0x3555},
      {0.0999755859375f, 0x2e66},
      {std::numeric_limits<float>::infinity(), 0x7c00},
      {-std::numeric_limits<float>::infinity(), 0xfc00},
  };
  for (const HalfCase& c : cases) {
    EXPECT_EQ(float16::ToFloat(c.bits), c.value) << std::hex << c.bits;
  }
  const float neg_zero = float16::ToFloat(0x8000);
  EXPECT_EQ(neg_zero, 0.0f);
  EXPECT_TRUE(std::signbit(neg_zero));
}

TEST(Float16Test, NaN) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const uint16_t h = float16::FromFloat(nan);
  EXPECT_EQ(h & 0x7c00, 0x7c00);
  EXPECT_NE(h & 0x03ff, 0);
  EXPECT_TRUE(std::isnan(float16::ToFloat(h)));
  // A NaN whose payload lives only in the low float bits must not become inf.
  const float low_payload_nan = std::bit_cast<float>(0x7f800001u);
  ASSERT_TRUE(std::isnan(low_payload_nan));
  EXPECT_TRUE(std::isnan(float16::ToFloat(float16::FromFloat(low_payload_nan))));
  EXPECT_TRUE(std::isnan(float16::ToFloat(float16::FromFloat(-nan))));
  // Every half NaN bit pattern reads as NaN, signaling or quiet.
  for (uint32_t bits : {0x7c01u, 0x7e00u, 0x7fffu, 0xfc01u, 0xfe00u, 0xffffu}) {
    EXPECT_TRUE(std::isnan(float16::ToFloat(static_cast<uint16_t>(bits)))) << std::hex << bits;
  }
}

TEST(Float16Test, StructConversions) {
  const float16 h(0.1f);
  EXPECT_EQ(h.bits, 0x2e66);
  EXPECT_EQ(static_cast<float>(h), 0.0999755859375f);
  EXPECT_EQ(float16().bits, 0);
}

// Every non-NaN half survives half -> float -> half, and float order matches half order.
TEST(Float16Test, ExhaustiveRoundTripAndOrder) {
  float prev = -std::numeric_limits<float>::infinity();
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    const uint16_t h = static_cast<uint16_t>(bits);
    const float f = float16::ToFloat(h);
    const bool is_nan = (h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0;
    EXPECT_EQ(std::isnan(f), is_nan) << std::hex << bits;
    if (is_nan) continue;
    EXPECT_EQ(float16::FromFloat(f), h) << std::hex << bits;
    EXPECT_EQ(std::signbit(f), (h & 0x8000) != 0) << std::hex << bits;
    if (bits > 0 && bits <= 0x7c00) {
      EXPECT_GT(f, prev) << std::hex << bits;
    }
    if (bits <= 0x7c00) prev = f;
  }
}

// Reference rounding: the nearest finite half by exhaustive search in double, ties to even,
// overflowing to inf at or above 65520 (the midpoint between 65504 and 2^16).
uint16_t ReferenceHalf(float f) {
  const double v = std::fabs(static_cast<double>(f));
  const uint16_t sign = std::signbit(f) ? 0x8000 : 0;
  if (v >= 65520.0) return sign | 0x7c00;
  // Positive finite halves are ordered like their bits.
  uint16_t lo = 0, hi = 0x7bff;
  while (lo < hi) {  // largest h with value(h) <= v
    const uint16_t mid = static_cast<uint16_t>((lo + hi + 1) / 2);
    if (static_cast<double>(float16::ToFloat(mid)) <= v) {
      lo = mid;
    } else {
      hi = static_cast<uint16_t>(mid - 1);
    }
  }
  if (lo == 0x7bff) return sign | lo;
  const double below = float16::ToFloat(lo);
  const double above = float16::ToFloat(static_cast<uint16_t>(lo + 1));
  uint16_t pick = lo;
  if (v - below > above - v || (v - below == above - v && (lo & 1))) pick = lo + 1;
  return sign | pick;
}

TEST(Float16Test, MatchesReferenceOnMidpointsAndNeighbors) {
  for (uint32_t h = 0; h < 0x7bff; ++h) {
    const double a = float16::ToFloat(static_cast<uint16_t>(h));
    const double b = float16::ToFloat(static_cast<uint16_t>(h + 1));
    const float mid = static_cast<float>((a + b) / 2);  // exact: halves have 11 bits
    ASSERT_EQ(static_cast<double>(mid), (a + b) / 2);
    for (float f : {mid, std::nextafter(mid, 0.0f), std::nextafter(mid, 1e9f), -mid}) {
      ASSERT_EQ(float16::FromFloat(f), ReferenceHalf(f)) << std::hexfloat << f;
    }
  }
}

TEST(Float16Test, MatchesReferenceOnFloatSweep) {
  // Every 4099th positive float bit pattern below inf, and their negatives.
  for (uint32_t u = 0; u < 0x7f800000u; u += 4099) {
    const float f = std::bit_cast<float>(u);
    ASSERT_EQ(float16::FromFloat(f), ReferenceHalf(f)) << std::hexfloat << f;
    ASSERT_EQ(float16::FromFloat(-f), ReferenceHalf(-f)) << std::hexfloat << -f;
  }
}

// ---- bfloat16 ------------------------------------------------------------------------------

TEST(BFloat16Test, KnownValues) {
  const HalfCase cases[] = {
      {0.0f, 0x0000},
      {-0.0f, 0x8000},
      {1.0f, 0x3f80},
      {-2.0f, 0xc000},
      {0.1f, 0x3dcd},                               // 0x3dcccccd rounds up
      {0x1.01p0f, 0x3f80},                          // 1 + 2^-8: tie to even (down)
      {0x1.03p0f, 0x3f82},                          // 1 + 3*2^-8: tie to even (up)
      {0x1.010002p0f, 0x3f81},                      // just above the tie
      {std::numeric_limits<float>::max(), 0x7f80},  // rounds past the largest bfloat16
      {std::bit_cast<float>(0x7f7f7fffu), 0x7f7f},
      {std::bit_cast<float>(0x7f7f8000u), 0x7f80},  // tie at the top: even is inf
      {std::numeric_limits<float>::infinity(), 0x7f80},
      {-std::numeric_limits<float>::infinity(), 0xff80},
      {std::bit_cast<float>(0x00008000u), 0x0000},  // subnormal tie to even
      {std::bit_cast<float>(0x00018000u), 0x0002},
      {std::bit_cast<float>(0x00008001u), 0x0001},
      {std::bit_cast<float>(0x80008000u), 0x8000},
  };
  for (const HalfCase& c : cases) {
    EXPECT_EQ(bfloat16::FromFloat(c.value), c.bits)
        << std::hexfloat << c.value << " -> 0x" << std::hex << bfloat16::FromFloat(c.value)
        << ", expected 0x" << c.bits;
  }
  EXPECT_EQ(bfloat16::ToFloat(0x3f80), 1.0f);
  EXPECT_EQ(bfloat16::ToFloat(0x3dcd), std::bit_cast<float>(0x3dcd0000u));
  EXPECT_EQ(bfloat16::ToFloat(0x7f80), std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::signbit(bfloat16::ToFloat(0x8000)));
  EXPECT_EQ(bfloat16(0.1f).bits, 0x3dcd);
  EXPECT_EQ(static_cast<float>(bfloat16(1.0f)), 1.0f);
}

TEST(BFloat16Test, NaNStaysNaN) {
  for (uint32_t u : {0x7fc00000u, 0x7f800001u, 0x7f80ffffu, 0xff800001u, 0x7fffffffu}) {
    const float f = std::bit_cast<float>(u);
    const uint16_t b = bfloat16::FromFloat(f);
    EXPECT_TRUE(std::isnan(bfloat16::ToFloat(b))) << std::hex << u << " -> " << b;
  }
}

TEST(BFloat16Test, ExhaustiveRoundTripAndTies) {
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    const uint16_t b = static_cast<uint16_t>(bits);
    const float f = bfloat16::ToFloat(b);
    if (std::isnan(f)) continue;
    EXPECT_EQ(bfloat16::FromFloat(f), b) << std::hex << bits;
    if ((bits & 0x7fff) >= 0x7f80) continue;  // inf: no next value
    // The float exactly between b and b+1 (same sign) rounds to whichever is even.
    const uint32_t mid = (bits << 16) | 0x8000u;
    const uint16_t even = (bits & 1) ? static_cast<uint16_t>(bits + 1) : b;
    EXPECT_EQ(bfloat16::FromFloat(std::bit_cast<float>(mid)), even) << std::hex << mid;
    EXPECT_EQ(bfloat16::FromFloat(std::bit_cast<float>(mid - 1)), b) << std::hex << mid;
    EXPECT_EQ(bfloat16::FromFloat(std::bit_cast<float>(mid + 1)), static_cast<uint16_t>(bits + 1))
        << std::hex << mid;
  }
}

}  // namespace
}  // namespace ndjit::ir
