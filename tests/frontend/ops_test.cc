// Tests every op of the public API (creation, elementwise, reductions, shapes, matmul) by value.
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace ndjit {
namespace {

namespace nd = ndjit::nd;
using Shape = std::vector<int64_t>;
using testing::AllClose;
using testing::Values;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

const std::vector<DType> kAllDTypes = {DType::kBool,     DType::kInt8,    DType::kUInt8,
                                       DType::kInt32,    DType::kInt64,   DType::kFloat16,
                                       DType::kBFloat16, DType::kFloat32, DType::kFloat64};
const std::vector<DType> kNumericDTypes = {DType::kInt8,    DType::kUInt8,   DType::kInt32,
                                           DType::kInt64,   DType::kFloat16, DType::kBFloat16,
                                           DType::kFloat32, DType::kFloat64};
const std::vector<DType> kSignedDTypes = {DType::kInt8,    DType::kInt32,    DType::kInt64,
                                          DType::kFloat16, DType::kBFloat16, DType::kFloat32,
                                          DType::kFloat64};
const std::vector<DType> kFloatDTypes = {DType::kFloat16, DType::kBFloat16, DType::kFloat32,
                                         DType::kFloat64};

std::string DTypeParamName(const ::testing::TestParamInfo<DType>& info) {
  return DTypeName(info.param);
}

template <typename T>
void FillAs(HostArray& h, const std::vector<double>& values) {
  T* p = h.data<T>();
  for (size_t i = 0; i < values.size(); ++i) {
    if constexpr (std::is_same_v<T, float16> || std::is_same_v<T, bfloat16>) {
      p[i] = T(static_cast<float>(values[i]));
    } else if constexpr (std::is_same_v<T, bool>) {
      p[i] = values[i] != 0;
    } else {
      p[i] = static_cast<T>(values[i]);
    }
  }
}

// A computed array of `dtype` holding `values` (converted to the dtype; callers pass values the
// dtype represents, so no conversion is lossy).
NDArray Make(DType dtype, const std::vector<double>& values, Shape shape) {
  HostArray h(dtype, shape);
  EXPECT_EQ(h.size(), static_cast<int64_t>(values.size()));
  switch (dtype) {
    case DType::kBool:
      FillAs<bool>(h, values);
      break;
    case DType::kInt8:
      FillAs<int8_t>(h, values);
      break;
    case DType::kUInt8:
      FillAs<uint8_t>(h, values);
      break;
    case DType::kInt32:
      FillAs<int32_t>(h, values);
      break;
    case DType::kInt64:
      FillAs<int64_t>(h, values);
      break;
    case DType::kFloat16:
      FillAs<float16>(h, values);
      break;
    case DType::kBFloat16:
      FillAs<bfloat16>(h, values);
      break;
    case DType::kFloat32:
      FillAs<float>(h, values);
      break;
    case DType::kFloat64:
      FillAs<double>(h, values);
      break;
  }
  return nd::array(h);
}

NDArray Make(DType dtype, const std::vector<double>& values) {
  return Make(dtype, values, Shape{static_cast<int64_t>(values.size())});
}

// A relative tolerance fitting the dtype's precision.
double Tol(DType dtype) {
  switch (dtype) {
    case DType::kFloat16:
      return 1e-3;
    case DType::kBFloat16:
      return 8e-3;
    case DType::kFloat32:
      return 1e-6;
    case DType::kFloat64:
      return 1e-12;
    default:
      return 0;
  }
}

// Checks dtype and shape, round-trips the pending IR, then computes and checks the values.
void ExpectArray(const NDArray& r, DType dtype, const Shape& shape,
                 const std::vector<double>& expected, double rtol = -1, double atol = 1e-7) {
  ASSERT_FALSE(r.is_none());
  EXPECT_EQ(std::string(DTypeName(r.dtype())), DTypeName(dtype));
  EXPECT_EQ(r.shape(), shape);
  testing::ExpectPendingRoundTrip({r});
  const HostArray h = r.asnumpy();
  EXPECT_EQ(std::string(DTypeName(h.dtype())), DTypeName(dtype));
  EXPECT_EQ(h.shape(), shape);
  EXPECT_TRUE(AllClose(Values(h), expected, rtol < 0 ? Tol(dtype) : rtol, atol));
}

#define EXPECT_ARRAY(...)         \
  do {                            \
    SCOPED_TRACE("EXPECT_ARRAY"); \
    ExpectArray(__VA_ARGS__);     \
  } while (0)

// ================================ Creation ================================

TEST(CreationTest, ArrayOfEveryElementType) {
  NDArray b = nd::array<bool>({true, false, true});
  EXPECT_ARRAY(b, DType::kBool, {3}, {1, 0, 1});
  EXPECT_EQ(b.asnumpy().to_vector<bool>(), (std::vector<bool>{true, false, true}));

  NDArray i8 = nd::array<int8_t>({-128, 0, 127});
  EXPECT_ARRAY(i8, DType::kInt8, {3}, {-128, 0, 127});
  NDArray u8 = nd::array<uint8_t>({0, 200, 255});
  EXPECT_ARRAY(u8, DType::kUInt8, {3}, {0, 200, 255});
  NDArray i32 = nd::array<int32_t>({INT32_MIN, 0, INT32_MAX});
  EXPECT_ARRAY(i32, DType::kInt32, {3}, {INT32_MIN, 0, INT32_MAX});
  NDArray i64 = nd::array<int64_t>({INT64_MIN, 1, INT64_MAX});
  EXPECT_EQ(i64.dtype(), DType::kInt64);
  EXPECT_EQ(i64.asnumpy().to_vector<int64_t>(), (std::vector<int64_t>{INT64_MIN, 1, INT64_MAX}));

  NDArray f16 = nd::array<float16>({float16(1.5f), float16(-2.0f), float16(65504.0f)});
  EXPECT_ARRAY(f16, DType::kFloat16, {3}, {1.5, -2.0, 65504.0}, 0);
  NDArray bf16 = nd::array<bfloat16>({bfloat16(1.5f), bfloat16(-3.0f), bfloat16(256.0f)});
  EXPECT_ARRAY(bf16, DType::kBFloat16, {3}, {1.5, -3.0, 256.0}, 0);
  NDArray f32 = nd::array<float>({1.5f, -0.25f, 3e38f});
  EXPECT_ARRAY(f32, DType::kFloat32, {3}, {1.5, -0.25, static_cast<double>(3e38f)}, 0);
  NDArray f64 = nd::array<double>({1e300, -0.1, 0.0});
  EXPECT_ARRAY(f64, DType::kFloat64, {3}, {1e300, -0.1, 0.0}, 0);
}

TEST(CreationTest, ArrayWithShapes) {
  EXPECT_ARRAY(nd::array<int32_t>({1, 2, 3, 4, 5, 6}, {2, 3}), DType::kInt32, {2, 3},
               {1, 2, 3, 4, 5, 6});
  EXPECT_ARRAY(nd::array<double>({4.5}, Shape{}), DType::kFloat64, {}, {4.5});
  EXPECT_ARRAY(nd::array<float>(std::vector<float>{}, {0, 3}), DType::kFloat32, {0, 3}, {});
  EXPECT_ARRAY(nd::array<int64_t>({7}, {1, 1, 1}), DType::kInt64, {1, 1, 1}, {7});
  NDArray zero_d = nd::array<float>({2.5f}, Shape{});
  EXPECT_EQ(zero_d.ndim(), 0);
  EXPECT_EQ(zero_d.size(), 1);
  EXPECT_EQ(zero_d.asscalar<double>(), 2.5);
}

TEST(CreationTest, ArrayFromHostArrayCopies) {
  HostArray h(DType::kInt32, {2, 2});
  int32_t* p = h.data<int32_t>();
  for (int i = 0; i < 4; ++i) p[i] = i * 10;
  NDArray a = nd::array(h);
  p[0] = 99;  // the array holds its own copy
  EXPECT_ARRAY(a, DType::kInt32, {2, 2}, {0, 10, 20, 30});
  HostArray back = a.asnumpy();
  back.data<int32_t>()[1] = -1;  // and asnumpy returns a fresh copy
  EXPECT_EQ(a.asnumpy().to_vector<int32_t>(), (std::vector<int32_t>{0, 10, 20, 30}));
}

TEST(CreationTest, ArrayFromBufferNormalizesBools) {
  const uint8_t bytes[] = {0, 1, 2, 255};
  NDArray b = nd::array_from_buffer(bytes, DType::kBool, {2, 2});
  EXPECT_ARRAY(b, DType::kBool, {2, 2}, {0, 1, 1, 1});
  const HostArray h = b.asnumpy();
  const auto* raw = static_cast<const uint8_t*>(h.raw_data());
  EXPECT_EQ(raw[2], 1);
  EXPECT_EQ(raw[3], 1);
  const float floats[] = {1.0f, -2.0f, 0.5f};
  EXPECT_ARRAY(nd::array_from_buffer(floats, DType::kFloat32, {3}), DType::kFloat32, {3},
               {1.0, -2.0, 0.5});
  EXPECT_ARRAY(nd::array_from_buffer(nullptr, DType::kFloat32, {0}), DType::kFloat32, {0}, {});
}

class ZerosOnesTest : public ::testing::TestWithParam<DType> {};

TEST_P(ZerosOnesTest, FillsEveryDType) {
  const DType dt = GetParam();
  EXPECT_ARRAY(nd::zeros({2, 3}, dt), dt, {2, 3}, std::vector<double>(6, 0.0));
  EXPECT_ARRAY(nd::ones({3, 2}, dt), dt, {3, 2}, std::vector<double>(6, 1.0));
  EXPECT_ARRAY(nd::zeros({}, dt), dt, {}, {0.0});
  EXPECT_ARRAY(nd::ones({0, 3}, dt), dt, {0, 3}, {});
  EXPECT_ARRAY(nd::full({2}, 1, dt), dt, {2}, {1, 1});
}

INSTANTIATE_TEST_SUITE_P(AllDTypes, ZerosOnesTest, ::testing::ValuesIn(kAllDTypes), DTypeParamName);

TEST(CreationTest, ZerosAndOnesDefaultToFloat32) {
  EXPECT_ARRAY(nd::zeros({2}), DType::kFloat32, {2}, {0, 0});
  EXPECT_ARRAY(nd::ones({2, 1}), DType::kFloat32, {2, 1}, {1, 1});
}

TEST(CreationTest, FullTakesTheScalarsDType) {
  EXPECT_ARRAY(nd::full({2, 2}, 1.5f), DType::kFloat32, {2, 2}, {1.5, 1.5, 1.5, 1.5});
  EXPECT_ARRAY(nd::full({2}, 0.1), DType::kFloat64, {2}, {0.1, 0.1}, 0);
  EXPECT_ARRAY(nd::full({3}, 7), DType::kInt64, {3}, {7, 7, 7});
  EXPECT_ARRAY(nd::full({3}, int8_t{-3}), DType::kInt64, {3}, {-3, -3, -3});
  EXPECT_ARRAY(nd::full({2}, true), DType::kBool, {2}, {1, 1});
  EXPECT_ARRAY(nd::full(Shape{}, 3.0), DType::kFloat64, {}, {3.0});
  EXPECT_ARRAY(nd::full({0}, 3.0), DType::kFloat64, {0}, {});
}

TEST(CreationTest, FullWithExplicitDTypeConverts) {
  EXPECT_ARRAY(nd::full({2}, 2.7, DType::kInt32), DType::kInt32, {2}, {2, 2});
  EXPECT_ARRAY(nd::full({2}, -2.7, DType::kInt32), DType::kInt32, {2}, {-2, -2});
  EXPECT_ARRAY(nd::full({1}, 0.1, DType::kFloat16), DType::kFloat16, {1},
               {static_cast<double>(static_cast<float>(float16(0.1f)))}, 0);
  EXPECT_ARRAY(nd::full({1}, 0.1, DType::kFloat32), DType::kFloat32, {1},
               {static_cast<double>(0.1f)}, 0);
  EXPECT_ARRAY(nd::full({2}, 5, DType::kFloat64), DType::kFloat64, {2}, {5, 5});
  EXPECT_ARRAY(nd::full({2}, 0.5, DType::kBool), DType::kBool, {2}, {1, 1});
  EXPECT_ARRAY(nd::full({2}, 0, DType::kBool), DType::kBool, {2}, {0, 0});
}

// A value is rounded once to a 16-bit float, as NumPy and astype round it, never through float32
// or double first: each value below lies just above the midpoint between two neighbours of the
// 16-bit format, and a rounding on the way drops the part that decides the direction.
TEST(CreationTest, FullRoundsOnceToSixteenBitFloats) {
  const double f16_value = 1.0 + std::ldexp(1.0, -11) + std::ldexp(1.0, -40);
  const double f16_rounded = 1.0 + std::ldexp(1.0, -10);
  EXPECT_ARRAY(nd::full({1}, f16_value, DType::kFloat16), DType::kFloat16, {1}, {f16_rounded}, 0);
  EXPECT_ARRAY(nd::full({1}, f16_value).astype(DType::kFloat16), DType::kFloat16, {1},
               {f16_rounded}, 0);
  const double bf16_value = 1.0 + std::ldexp(1.0, -8) + std::ldexp(1.0, -40);
  const double bf16_rounded = 1.0 + std::ldexp(1.0, -7);
  EXPECT_ARRAY(nd::full({1}, bf16_value, DType::kBFloat16), DType::kBFloat16, {1}, {bf16_rounded},
               0);
  // An integer wider than double's significand: rounding it to double first lands exactly on the
  // midpoint, which then rounds to even (down).
  const int64_t wide = (int64_t{1} << 60) + (int64_t{1} << 52) + 1;
  const double wide_rounded = std::ldexp(1.0, 60) + std::ldexp(1.0, 53);
  EXPECT_ARRAY(nd::full({1}, wide, DType::kBFloat16), DType::kBFloat16, {1}, {wide_rounded}, 0);
  EXPECT_ARRAY(nd::full({1}, wide).astype(DType::kBFloat16), DType::kBFloat16, {1}, {wide_rounded},
               0);
}

TEST(CreationTest, FullOfAnOutOfRangeFloatSaturatesAsCastDoes) {
  // ScalarForDType promises "converted as `cast` does", and cast saturates float -> int.
  EXPECT_ARRAY(nd::full({1}, 1e10, DType::kInt32), DType::kInt32, {1}, {INT32_MAX});
  EXPECT_ARRAY(nd::full({1}, -1e10, DType::kInt32), DType::kInt32, {1}, {INT32_MIN});
  EXPECT_ARRAY(nd::full({1}, 300.0, DType::kUInt8), DType::kUInt8, {1}, {255});
  EXPECT_ARRAY(nd::full({1}, kNaN, DType::kInt8), DType::kInt8, {1}, {0});
  // The same values through astype, for comparison.
  EXPECT_ARRAY(nd::full({1}, 1e10).astype(DType::kInt32), DType::kInt32, {1}, {INT32_MAX});
}

TEST(CreationTest, ArangeIntegers) {
  EXPECT_ARRAY(nd::arange(5), DType::kInt64, {5}, {0, 1, 2, 3, 4});
  EXPECT_ARRAY(nd::arange(2, 10, 3), DType::kInt64, {3}, {2, 5, 8});
  EXPECT_ARRAY(nd::arange(-5, 5, 3), DType::kInt64, {4}, {-5, -2, 1, 4});
  EXPECT_ARRAY(nd::arange(10, 0, -3), DType::kInt64, {4}, {10, 7, 4, 1});
  EXPECT_ARRAY(nd::arange(3, 3), DType::kInt64, {0}, {});
  EXPECT_ARRAY(nd::arange(5, 0), DType::kInt64, {0}, {});
  EXPECT_ARRAY(nd::arange(0, 5, -1), DType::kInt64, {0}, {});
  EXPECT_ARRAY(nd::arange(0), DType::kInt64, {0}, {});
  EXPECT_ARRAY(nd::arange(0, 10, 3, DType::kInt8), DType::kInt8, {4}, {0, 3, 6, 9});
  EXPECT_ARRAY(nd::arange(0, 6, 2, DType::kFloat16), DType::kFloat16, {3}, {0, 2, 4});
  EXPECT_ARRAY(nd::arange(0, 3, 1, DType::kFloat32), DType::kFloat32, {3}, {0, 1, 2});
}

TEST(CreationTest, ArangeFloats) {
  EXPECT_ARRAY(nd::arange(0.0, 1.0, 0.25), DType::kFloat64, {4}, {0, 0.25, 0.5, 0.75});
  EXPECT_ARRAY(nd::arange(0.0f, 1.0f, 0.25f), DType::kFloat32, {4}, {0, 0.25, 0.5, 0.75});
  EXPECT_ARRAY(nd::arange(0, 1, 0.5f), DType::kFloat32, {2}, {0, 0.5});
  EXPECT_ARRAY(nd::arange(1.0, -1.0, -0.5), DType::kFloat64, {4}, {1, 0.5, 0, -0.5});
  EXPECT_ARRAY(nd::arange(2.5), DType::kFloat64, {3}, {0, 1, 2});
  EXPECT_ARRAY(nd::arange(1.0, 1.0), DType::kFloat64, {0}, {});
  EXPECT_ARRAY(nd::arange(1.0, 2.0, -0.5), DType::kFloat64, {0}, {});
  EXPECT_ARRAY(nd::arange(0.0, 3.0, 1.0, DType::kInt32), DType::kInt32, {3}, {0, 1, 2});
  NDArray tenths = nd::arange(0.0, 1.0, 0.1);
  ASSERT_EQ(tenths.shape(), (Shape{10}));
  EXPECT_ARRAY(tenths, DType::kFloat64, {10}, {0, .1, .2, .3, .4, .5, .6, .7, .8, .9}, 1e-12,
               1e-15);
}

double Mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}

double StdDev(const std::vector<double>& v) {
  const double m = Mean(v);
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / static_cast<double>(v.size()));
}

TEST(RandomTest, UniformRangeAndMoments) {
  NDArray u = nd::random::uniform(-2.0, 3.0, {100, 100}, 7);
  EXPECT_EQ(u.dtype(), DType::kFloat32);
  EXPECT_EQ(u.shape(), (Shape{100, 100}));
  testing::ExpectPendingRoundTrip({u});
  const std::vector<double> v = Values(u.asnumpy());
  ASSERT_EQ(v.size(), 10000u);
  for (double x : v) {
    ASSERT_GE(x, -2.0);
    ASSERT_LT(x, 3.0);
  }
  EXPECT_NEAR(Mean(v), 0.5, 0.1);
  EXPECT_NEAR(StdDev(v), 5.0 / std::sqrt(12.0), 0.05);
}

class RandomDTypeTest : public ::testing::TestWithParam<DType> {};

TEST_P(RandomDTypeTest, UniformStaysInHalfOpenRange) {
  const DType dt = GetParam();
  NDArray u = nd::random::uniform(0.0, 1.0, {10000}, 11, dt);
  EXPECT_EQ(u.dtype(), dt);
  testing::ExpectPendingRoundTrip({u});
  const std::vector<double> v = Values(u.asnumpy());
  int at_or_above_high = 0;
  for (double x : v) {
    EXPECT_GE(x, 0.0);
    if (x >= 1.0) ++at_or_above_high;
  }
  EXPECT_EQ(at_or_above_high, 0) << "uniform(0, 1) promises values in [0, 1)";
  EXPECT_NEAR(Mean(v), 0.5, 0.05);
}

TEST_P(RandomDTypeTest, NormalMoments) {
  const DType dt = GetParam();
  NDArray z = nd::random::normal(1.0, 2.0, {10000}, 3, dt);
  EXPECT_EQ(z.dtype(), dt);
  EXPECT_EQ(z.shape(), (Shape{10000}));
  testing::ExpectPendingRoundTrip({z});
  const std::vector<double> v = Values(z.asnumpy());
  for (double x : v) ASSERT_TRUE(std::isfinite(x));
  EXPECT_NEAR(Mean(v), 1.0, 0.1);
  EXPECT_NEAR(StdDev(v), 2.0, 0.1);
}

INSTANTIATE_TEST_SUITE_P(FloatDTypes, RandomDTypeTest, ::testing::ValuesIn(kFloatDTypes),
                         DTypeParamName);

TEST(RandomTest, SameSeedSameNumbersDifferentSeedsDiffer) {
  const std::vector<double> a = Values(nd::random::uniform(0, 1, {1000}, 42).asnumpy());
  const std::vector<double> b = Values(nd::random::uniform(0, 1, {1000}, 42).asnumpy());
  const std::vector<double> c = Values(nd::random::uniform(0, 1, {1000}, 43).asnumpy());
  EXPECT_EQ(a, b);
  int same = 0;
  for (size_t i = 0; i < a.size(); ++i) same += a[i] == c[i];
  EXPECT_LT(same, 10);
  const std::vector<double> n1 = Values(nd::random::normal(0, 1, {1000}, 5).asnumpy());
  const std::vector<double> n2 = Values(nd::random::normal(0, 1, {1000}, 5).asnumpy());
  const std::vector<double> n3 = Values(nd::random::normal(0, 1, {1000}, 6).asnumpy());
  EXPECT_EQ(n1, n2);
  EXPECT_NE(n1, n3);
}

TEST(RandomTest, GlobalSeedIsDeterministic) {
  nd::random::seed(123);
  const std::vector<double> a = Values(nd::random::uniform(0, 1, {64}).asnumpy());
  const std::vector<double> b = Values(nd::random::uniform(0, 1, {64}).asnumpy());
  nd::random::seed(123);
  const std::vector<double> c = Values(nd::random::uniform(0, 1, {64}).asnumpy());
  const std::vector<double> d = Values(nd::random::uniform(0, 1, {64}).asnumpy());
  EXPECT_EQ(a, c);
  EXPECT_EQ(b, d);
  EXPECT_NE(a, b);  // successive calls draw different seeds
}

TEST(RandomTest, DegenerateParameters) {
  EXPECT_ARRAY(nd::random::uniform(2.0, 2.0, {3}, 1), DType::kFloat32, {3}, {2, 2, 2});
  EXPECT_ARRAY(nd::random::normal(-1.5, 0.0, {3}, 1, DType::kFloat64), DType::kFloat64, {3},
               {-1.5, -1.5, -1.5});
  EXPECT_ARRAY(nd::random::uniform(0, 1, {0, 4}, 1), DType::kFloat32, {0, 4}, {});
  NDArray s = nd::random::uniform(5.0, 6.0, {}, 9);
  EXPECT_EQ(s.shape(), Shape{});
  const double x = s.asscalar<double>();
  EXPECT_GE(x, 5.0);
  EXPECT_LT(x, 6.0);
}

// ================================ Elementwise ================================

class NumericBinaryTest : public ::testing::TestWithParam<DType> {};

TEST_P(NumericBinaryTest, ArithmeticKeepsTheDType) {
  const DType dt = GetParam();
  NDArray a = Make(dt, {1, 2, 3, 4}, {2, 2});
  NDArray b = Make(dt, {4, 2, 2, 1}, {2, 2});
  EXPECT_ARRAY(a + b, dt, {2, 2}, {5, 4, 5, 5});
  if (dt == DType::kUInt8) {
    EXPECT_ARRAY(b - a, dt, {2, 2}, {3, 0, 255, 253});
    EXPECT_ARRAY(-a, dt, {2, 2}, {255, 254, 253, 252});
  } else {
    EXPECT_ARRAY(b - a, dt, {2, 2}, {3, 0, -1, -3});
    EXPECT_ARRAY(-a, dt, {2, 2}, {-1, -2, -3, -4});
  }
  EXPECT_ARRAY(a * b, dt, {2, 2}, {4, 4, 6, 4});
  EXPECT_ARRAY(a % b, dt, {2, 2}, {1, 0, 1, 0});
  EXPECT_ARRAY(nd::maximum(a, b), dt, {2, 2}, {4, 2, 3, 4});
  EXPECT_ARRAY(nd::minimum(a, b), dt, {2, 2}, {1, 2, 2, 1});
  // True division: integers give float64, floats keep their dtype.
  const DType div_dt = IsFloat(dt) ? dt : DType::kFloat64;
  EXPECT_ARRAY(a / b, div_dt, {2, 2}, {0.25, 1, 1.5, 4});
}

TEST_P(NumericBinaryTest, ComparisonsGiveBool) {
  const DType dt = GetParam();
  NDArray a = Make(dt, {1, 2, 3, 4});
  NDArray b = Make(dt, {4, 2, 2, 1});
  EXPECT_ARRAY(a == b, DType::kBool, {4}, {0, 1, 0, 0});
  EXPECT_ARRAY(a != b, DType::kBool, {4}, {1, 0, 1, 1});
  EXPECT_ARRAY(a < b, DType::kBool, {4}, {1, 0, 0, 0});
  EXPECT_ARRAY(a <= b, DType::kBool, {4}, {1, 1, 0, 0});
  EXPECT_ARRAY(a > b, DType::kBool, {4}, {0, 0, 1, 1});
  EXPECT_ARRAY(a >= b, DType::kBool, {4}, {0, 1, 1, 1});
  EXPECT_ARRAY(a > 2, DType::kBool, {4}, {0, 0, 1, 1});
  EXPECT_ARRAY(2 >= a, DType::kBool, {4}, {1, 1, 0, 0});
}

TEST_P(NumericBinaryTest, WeakScalarsKeepTheArrayDType) {
  const DType dt = GetParam();
  NDArray a = Make(dt, {1, 2, 3});
  EXPECT_ARRAY(a + 1, dt, {3}, {2, 3, 4});
  EXPECT_ARRAY(2 * a, dt, {3}, {2, 4, 6});
  EXPECT_ARRAY(a - true, dt, {3}, {0, 1, 2});
  EXPECT_ARRAY(a % 2, dt, {3}, {1, 0, 1});
  // A float scalar keeps a float array's dtype and turns integers into float64.
  const DType float_dt = IsFloat(dt) ? dt : DType::kFloat64;
  EXPECT_ARRAY(a * 0.5, float_dt, {3}, {0.5, 1, 1.5});
  EXPECT_ARRAY(a * 2.0f, float_dt, {3}, {2, 4, 6});
  EXPECT_ARRAY(6.0 / a, float_dt, {3}, {6, 3, 2});
}

TEST_P(NumericBinaryTest, Broadcasting) {
  const DType dt = GetParam();
  NDArray m = Make(dt, {1, 2, 3, 4, 5, 6}, {2, 3});
  NDArray row = Make(dt, {10, 20, 30}, {3});
  NDArray col = Make(dt, {1, 2}, {2, 1});
  NDArray zero_d = Make(dt, {2}, {});
  EXPECT_ARRAY(m + row, dt, {2, 3}, {11, 22, 33, 14, 25, 36});
  EXPECT_ARRAY(row + m, dt, {2, 3}, {11, 22, 33, 14, 25, 36});
  EXPECT_ARRAY(col * row, dt, {2, 3}, {10, 20, 30, 20, 40, 60});
  EXPECT_ARRAY(m * zero_d, dt, {2, 3}, {2, 4, 6, 8, 10, 12});
  EXPECT_ARRAY(zero_d + zero_d, dt, {}, {4});
  EXPECT_ARRAY(Make(dt, {}, {0, 3}) + row, dt, {0, 3}, {});
  EXPECT_ARRAY(Make(dt, {}, {0, 3}) + Make(dt, {1}, {1}), dt, {0, 3}, {});
  EXPECT_ARRAY(Make(dt, {}, {0, 1}) * row, dt, {0, 3}, {});
  EXPECT_ARRAY(col < row, DType::kBool, {2, 3}, {1, 1, 1, 1, 1, 1});
}

INSTANTIATE_TEST_SUITE_P(NumericDTypes, NumericBinaryTest, ::testing::ValuesIn(kNumericDTypes),
                         DTypeParamName);

TEST(BinaryTest, BoolOperators) {
  NDArray a = nd::array<bool>({true, true, false, false});
  NDArray b = nd::array<bool>({true, false, true, false});
  EXPECT_ARRAY(a + b, DType::kBool, {4}, {1, 1, 1, 0});  // or
  EXPECT_ARRAY(a * b, DType::kBool, {4}, {1, 0, 0, 0});  // and
  EXPECT_ARRAY(a / b, DType::kFloat64, {4}, {1, kInf, 0, kNaN});
  EXPECT_ARRAY(a % b, DType::kInt8, {4}, {0, 0, 0, 0});
  EXPECT_ARRAY(a == b, DType::kBool, {4}, {1, 0, 0, 1});
  EXPECT_ARRAY(a != b, DType::kBool, {4}, {0, 1, 1, 0});
  EXPECT_ARRAY(a < b, DType::kBool, {4}, {0, 0, 1, 0});
  EXPECT_ARRAY(a >= b, DType::kBool, {4}, {1, 1, 0, 1});
  EXPECT_ARRAY(nd::maximum(a, b), DType::kBool, {4}, {1, 1, 1, 0});
  EXPECT_ARRAY(nd::minimum(a, b), DType::kBool, {4}, {1, 0, 0, 0});
  EXPECT_ARRAY(a + true, DType::kBool, {4}, {1, 1, 1, 1});
  EXPECT_ARRAY(a + 1, DType::kInt64, {4}, {2, 2, 1, 1});
  EXPECT_ARRAY(a * 1.5, DType::kFloat64, {4}, {1.5, 1.5, 0, 0});
  EXPECT_ARRAY(a == true, DType::kBool, {4}, {1, 1, 0, 0});
}

struct PromotionCase {
  DType a, b, result;
};

class PromotionTest : public ::testing::TestWithParam<PromotionCase> {};

TEST_P(PromotionTest, ArrayArrayPromotion) {
  const PromotionCase c = GetParam();
  NDArray a = Make(c.a, {1, 0});
  NDArray b = Make(c.b, {3, 4});
  EXPECT_ARRAY(a + b, c.result, {2}, {4, 4});
  EXPECT_ARRAY(b + a, c.result, {2}, {4, 4});
  EXPECT_ARRAY(nd::maximum(a, b), c.result, {2}, {3, 4});
  EXPECT_ARRAY(nd::where(nd::array<bool>({true, false}), a, b), c.result, {2}, {1, 4});
  EXPECT_ARRAY(a < b, DType::kBool, {2}, {1, 1});
}

std::string PromotionName(const ::testing::TestParamInfo<PromotionCase>& info) {
  return std::string(DTypeName(info.param.a)) + "_" + DTypeName(info.param.b);
}

INSTANTIATE_TEST_SUITE_P(
    NumPy2, PromotionTest,
    ::testing::Values(PromotionCase{DType::kInt8, DType::kUInt8, DType::kInt32},
                      PromotionCase{DType::kInt8, DType::kInt32, DType::kInt32},
                      PromotionCase{DType::kUInt8, DType::kInt32, DType::kInt32},
                      PromotionCase{DType::kUInt8, DType::kInt64, DType::kInt64},
                      PromotionCase{DType::kInt32, DType::kInt64, DType::kInt64},
                      PromotionCase{DType::kBool, DType::kInt8, DType::kInt8},
                      PromotionCase{DType::kBool, DType::kUInt8, DType::kUInt8},
                      PromotionCase{DType::kBool, DType::kFloat16, DType::kFloat16},
                      PromotionCase{DType::kInt8, DType::kFloat16, DType::kFloat16},
                      PromotionCase{DType::kUInt8, DType::kBFloat16, DType::kBFloat16},
                      PromotionCase{DType::kInt8, DType::kFloat32, DType::kFloat32},
                      PromotionCase{DType::kInt32, DType::kFloat16, DType::kFloat64},
                      PromotionCase{DType::kInt32, DType::kFloat32, DType::kFloat64},
                      PromotionCase{DType::kInt64, DType::kFloat32, DType::kFloat64},
                      PromotionCase{DType::kInt64, DType::kBFloat16, DType::kFloat64},
                      PromotionCase{DType::kFloat16, DType::kBFloat16, DType::kFloat32},
                      PromotionCase{DType::kFloat16, DType::kFloat32, DType::kFloat32},
                      PromotionCase{DType::kBFloat16, DType::kFloat64, DType::kFloat64},
                      PromotionCase{DType::kFloat32, DType::kFloat64, DType::kFloat64}),
    PromotionName);

TEST(BinaryTest, ScalarOnlyDTypesAndScalarOnTheLeft) {
  NDArray i = nd::array<int32_t>({1, 2, 4});
  EXPECT_ARRAY(2 - i, DType::kInt32, {3}, {1, 0, -2});
  EXPECT_ARRAY(1 / i, DType::kFloat64, {3}, {1, 0.5, 0.25});
  EXPECT_ARRAY(10 % i, DType::kInt32, {3}, {0, 0, 2});
  EXPECT_ARRAY(i + 1.5, DType::kFloat64, {3}, {2.5, 3.5, 5.5});
  EXPECT_ARRAY(i + (int64_t{1} << 20), DType::kInt32, {3}, {1048577, 1048578, 1048580});
  NDArray f16 = nd::array<float16>({float16(1.0f), float16(2.0f)});
  EXPECT_ARRAY(f16 + 1, DType::kFloat16, {2}, {2, 3});
  EXPECT_ARRAY(f16 * 2.5, DType::kFloat16, {2}, {2.5, 5});
  EXPECT_ARRAY(f16 + 70000, DType::kFloat16, {2}, {kInf, kInf});  // 70000 is inf in float16
  NDArray f32 = nd::array<float>({1.0f, 3.0f});
  EXPECT_ARRAY(f32 * 2.0, DType::kFloat32, {2}, {2, 6});
  EXPECT_ARRAY(f32 - 0.1, DType::kFloat32, {2},
               {static_cast<double>(1.0f - 0.1f), static_cast<double>(3.0f - 0.1f)});
  NDArray f64 = nd::array<double>({1.0});
  EXPECT_ARRAY(f64 + 0.5f, DType::kFloat64, {1}, {1.5});
  NDArray i64 = nd::array<int64_t>({1});
  EXPECT_ARRAY(i64 + (int64_t{1} << 40), DType::kInt64, {1}, {1099511627777.0});
}

TEST(BinaryTest, OutOfRangeScalarsInComparisonsCompareExactly) {
  NDArray u8 = nd::array<uint8_t>({0, 1, 255});
  EXPECT_ARRAY(u8 < 300, DType::kBool, {3}, {1, 1, 1});
  EXPECT_ARRAY(u8 == -1, DType::kBool, {3}, {0, 0, 0});
  EXPECT_ARRAY(u8 > -1, DType::kBool, {3}, {1, 1, 1});
  EXPECT_ARRAY(u8 != 256, DType::kBool, {3}, {1, 1, 1});
  NDArray i8 = nd::array<int8_t>({-128, 0, 127});
  EXPECT_ARRAY(i8 == 1000, DType::kBool, {3}, {0, 0, 0});
  EXPECT_ARRAY(i8 >= -129, DType::kBool, {3}, {1, 1, 1});
  EXPECT_ARRAY(nd::array<int32_t>({INT32_MAX}) < (int64_t{1} << 31), DType::kBool, {1}, {1});
}

TEST(BinaryTest, MixedDTypeComparisons) {
  NDArray i = nd::array<int32_t>({1, 2, 3});
  EXPECT_ARRAY(i == 2.5, DType::kBool, {3}, {0, 0, 0});
  EXPECT_ARRAY(i < 2.5, DType::kBool, {3}, {1, 1, 0});
  EXPECT_ARRAY(nd::array<int8_t>({-1, 5}) < nd::array<uint8_t>({255, 5}), DType::kBool, {2},
               {1, 0});
  EXPECT_ARRAY(nd::array<bool>({true, false}) < 2, DType::kBool, {2}, {1, 1});
  EXPECT_ARRAY(nd::array<float16>({float16(0.5f), float16(2.0f)}) >= nd::array<double>({0.5, 3}),
               DType::kBool, {2}, {1, 0});
  EXPECT_ARRAY(nd::full(Shape{}, 1.0f) == nd::zeros({0, 2}), DType::kBool, {0, 2}, {});
}

TEST(BinaryTest, OutOfRangeScalarsInArithmeticThrow) {
  NDArray u8 = nd::array<uint8_t>({1, 2});
  EXPECT_THROW(u8 + 300, ValueError);
  EXPECT_THROW(u8 * -1, ValueError);
  EXPECT_THROW(nd::array<int8_t>({1}) - 129, ValueError);
  EXPECT_THROW(nd::array<int32_t>({1}) + (int64_t{1} << 31), ValueError);
  EXPECT_THROW(nd::maximum(u8, 256), ValueError);
  EXPECT_ARRAY(u8 + 255, DType::kUInt8, {2}, {0, 1});  // in range: wraps as array arithmetic
  EXPECT_ARRAY(nd::array<int8_t>({1}) + -128, DType::kInt8, {1}, {-127});
}

TEST(BinaryTest, IntegerOverflowWraps) {
  NDArray a = nd::array<int8_t>({127, -128, 100, 64});
  NDArray b = nd::array<int8_t>({1, -1, 100, 2});
  EXPECT_ARRAY(a + b, DType::kInt8, {4}, {-128, 127, -56, 66});
  EXPECT_ARRAY(a * b, DType::kInt8, {4}, {127, -128, 16, -128});
  EXPECT_ARRAY(-nd::array<int8_t>({-128}), DType::kInt8, {1}, {-128});
  EXPECT_ARRAY(nd::array<uint8_t>({0}) - nd::array<uint8_t>({1}), DType::kUInt8, {1}, {255});
  EXPECT_ARRAY(nd::array<int32_t>({INT32_MAX}) + 1, DType::kInt32, {1}, {INT32_MIN});
  NDArray big = nd::array<int64_t>({INT64_MAX}) + 1;
  testing::ExpectPendingRoundTrip({big});
  EXPECT_EQ(big.asnumpy().to_vector<int64_t>(), std::vector<int64_t>{INT64_MIN});
}

TEST(BinaryTest, DivisionByZero) {
  // True division of integers is float division: x / 0 is +-inf or NaN.
  NDArray i = nd::array<int32_t>({1, -1, 0});
  EXPECT_ARRAY(i / 0, DType::kFloat64, {3}, {kInf, -kInf, kNaN});
  EXPECT_ARRAY(i / nd::zeros({3}, DType::kInt32), DType::kFloat64, {3}, {kInf, -kInf, kNaN});
  NDArray f = nd::array<float>({1, -1, 0});
  EXPECT_ARRAY(f / 0.0f, DType::kFloat32, {3}, {kInf, -kInf, kNaN});
  // Integer remainder by zero is 0 (NumPy's defined result).
  NDArray j = nd::array<int32_t>({5, -5, 0});
  EXPECT_ARRAY(j % 0, DType::kInt32, {3}, {0, 0, 0});
  EXPECT_ARRAY(j % nd::zeros({3}, DType::kInt32), DType::kInt32, {3}, {0, 0, 0});
  EXPECT_ARRAY(nd::array<int8_t>({7}) % nd::array<int8_t>({0}), DType::kInt8, {1}, {0});
  EXPECT_ARRAY(nd::array<uint8_t>({7}) % 0, DType::kUInt8, {1}, {0});
  EXPECT_ARRAY(nd::array<int64_t>({7}) % 0, DType::kInt64, {1}, {0});
  EXPECT_ARRAY(nd::array<int32_t>({INT32_MIN}) % -1, DType::kInt32, {1}, {0});
  // Float remainder by zero is NaN.
  EXPECT_ARRAY(f % 0.0f, DType::kFloat32, {3}, {kNaN, kNaN, kNaN});
}

TEST(BinaryTest, RemainderHasTheDivisorsSign) {
  const std::vector<double> x = {7, -7, 7, -7};
  const std::vector<double> y = {3, 3, -3, -3};
  for (DType dt : {DType::kInt8, DType::kInt32, DType::kInt64}) {
    SCOPED_TRACE(DTypeName(dt));
    EXPECT_ARRAY(Make(dt, x) % Make(dt, y), dt, {4}, {1, 2, -2, -1});
  }
  for (DType dt : kFloatDTypes) {
    SCOPED_TRACE(DTypeName(dt));
    EXPECT_ARRAY(Make(dt, {7.5, -7.5, 7.5, -7.5}) % Make(dt, {2, 2, -2, -2}), dt, {4},
                 {1.5, 0.5, -0.5, -1.5});
  }
  EXPECT_ARRAY(nd::array<double>({-1.0, 1.0}) % 3.0, DType::kFloat64, {2}, {2.0, 1.0});
  EXPECT_ARRAY(nd::array<int32_t>({-1, 1}) % 3.5, DType::kFloat64, {2}, {2.5, 1.0});
}

TEST(BinaryTest, NaNComparesUnequal) {
  NDArray a = nd::array<float>({NAN, 1.0f, NAN});
  NDArray b = nd::array<float>({NAN, NAN, 2.0f});
  EXPECT_ARRAY(a == b, DType::kBool, {3}, {0, 0, 0});
  EXPECT_ARRAY(a != b, DType::kBool, {3}, {1, 1, 1});
  EXPECT_ARRAY(a < b, DType::kBool, {3}, {0, 0, 0});
  EXPECT_ARRAY(a >= b, DType::kBool, {3}, {0, 0, 0});
}

TEST(BinaryTest, MaximumMinimumPropagateNaN) {
  NDArray a = nd::array<float>({1, NAN, 3, NAN, -0.5f});
  NDArray b = nd::array<float>({2, 2, NAN, NAN, -1});
  EXPECT_ARRAY(nd::maximum(a, b), DType::kFloat32, {5}, {2, kNaN, kNaN, kNaN, -0.5});
  EXPECT_ARRAY(nd::minimum(a, b), DType::kFloat32, {5}, {1, kNaN, kNaN, kNaN, -1});
  EXPECT_ARRAY(nd::maximum(a, 2.5f), DType::kFloat32, {5}, {2.5, kNaN, 3, kNaN, 2.5});
  EXPECT_ARRAY(nd::minimum(0, a), DType::kFloat32, {5}, {0, kNaN, 0, kNaN, -0.5});
  EXPECT_ARRAY(nd::maximum(nd::array<double>({NAN}), kInf), DType::kFloat64, {1}, {kNaN});
}

TEST(BinaryTest, MaximumMinimumMixedAndBroadcast) {
  NDArray i8 = nd::array<int8_t>({-5, 5});
  NDArray u8 = nd::array<uint8_t>({200, 1});
  EXPECT_ARRAY(nd::maximum(i8, u8), DType::kInt32, {2}, {200, 5});
  EXPECT_ARRAY(nd::minimum(i8, u8), DType::kInt32, {2}, {-5, 1});
  EXPECT_ARRAY(nd::maximum(nd::array<int32_t>({1, 3}), 1.5), DType::kFloat64, {2}, {1.5, 3});
  NDArray col = nd::array<float>({0, 10}, {2, 1});
  NDArray row = nd::array<float>({5, -5, 15}, {3});
  EXPECT_ARRAY(nd::maximum(col, row), DType::kFloat32, {2, 3}, {5, 0, 15, 10, 10, 15});
  EXPECT_ARRAY(nd::minimum(col, row), DType::kFloat32, {2, 3}, {0, -5, 0, 5, -5, 10});
}

// The dtype a float function computes in for an input dtype (NumPy).
DType FloatFunctionDType(DType in) {
  switch (in) {
    case DType::kBool:
    case DType::kInt8:
    case DType::kUInt8:
      return DType::kFloat16;
    case DType::kInt32:
    case DType::kInt64:
      return DType::kFloat64;
    default:
      return in;
  }
}

class FloatFunctionTest : public ::testing::TestWithParam<DType> {};

TEST_P(FloatFunctionTest, ComputesInTheRightFloatDType) {
  const DType dt = GetParam();
  const DType out = FloatFunctionDType(dt);
  const std::vector<double> in =
      dt == DType::kBool ? std::vector<double>{0, 1, 1} : std::vector<double>{0, 1, 4};
  NDArray x = Make(dt, in);
  struct Fn {
    const char* name;
    std::function<NDArray(const NDArray&)> op;
    std::function<double(double)> ref;
  };
  const std::vector<Fn> fns = {
      {"exp", [](const NDArray& a) { return nd::exp(a); }, [](double v) { return std::exp(v); }},
      {"log", [](const NDArray& a) { return nd::log(a); }, [](double v) { return std::log(v); }},
      {"sqrt", [](const NDArray& a) { return nd::sqrt(a); }, [](double v) { return std::sqrt(v); }},
      {"tanh", [](const NDArray& a) { return nd::tanh(a); }, [](double v) { return std::tanh(v); }},
      {"sigmoid", [](const NDArray& a) { return nd::sigmoid(a); },
       [](double v) { return 1.0 / (1.0 + std::exp(-v)); }},
  };
  for (const Fn& fn : fns) {
    SCOPED_TRACE(fn.name);
    std::vector<double> expected;
    for (double v : in) expected.push_back(fn.ref(v));
    EXPECT_ARRAY(fn.op(x), out, {3}, expected, 2 * Tol(out) + 1e-15, 1e-6);
  }
}

INSTANTIATE_TEST_SUITE_P(AllDTypes, FloatFunctionTest, ::testing::ValuesIn(kAllDTypes),
                         DTypeParamName);

TEST(UnaryTest, FloatFunctionSpecialValues) {
  NDArray x = nd::array<float>({-INFINITY, -1, 0, INFINITY, NAN});
  const double e = std::exp(-1.0);
  EXPECT_ARRAY(nd::exp(x), DType::kFloat32, {5}, {0, e, 1, kInf, kNaN});
  EXPECT_ARRAY(nd::log(x), DType::kFloat32, {5}, {kNaN, kNaN, -kInf, kInf, kNaN});
  EXPECT_ARRAY(nd::sqrt(x), DType::kFloat32, {5}, {kNaN, kNaN, 0, kInf, kNaN});
  EXPECT_ARRAY(nd::tanh(x), DType::kFloat32, {5}, {-1, std::tanh(-1.0), 0, 1, kNaN});
  EXPECT_ARRAY(nd::sigmoid(x), DType::kFloat32, {5}, {0, 1 / (1 + std::exp(1.0)), 0.5, 1, kNaN});
  // Values computed with NumPy (float32).
  NDArray y = nd::array<float>({-1.5f, 0.0f, 0.5f, 2.0f});
  EXPECT_ARRAY(nd::exp(y), DType::kFloat32, {4}, {0.22313015, 1.0, 1.6487212, 7.3890557});
  EXPECT_ARRAY(nd::tanh(y), DType::kFloat32, {4}, {-0.9051482, 0.0, 0.4621172, 0.9640276});
  EXPECT_ARRAY(nd::sigmoid(y), DType::kFloat32, {4}, {0.18242553, 0.5, 0.62245935, 0.880797});
  // Saturation of sigmoid: no NaN from inf/inf.
  EXPECT_ARRAY(nd::sigmoid(nd::array<float>({-100, 100})), DType::kFloat32, {2}, {0, 1});
  EXPECT_ARRAY(nd::sigmoid(nd::array<double>({-800, 800})), DType::kFloat64, {2}, {0, 1}, 0,
               1e-300);
}

TEST(UnaryTest, FloatFunctionsOnZeroDAndEmpty) {
  EXPECT_ARRAY(nd::exp(nd::full(Shape{}, 0.0)), DType::kFloat64, {}, {1});
  EXPECT_ARRAY(nd::sqrt(nd::full(Shape{}, 9)), DType::kFloat64, {}, {3});
  EXPECT_ARRAY(nd::log(nd::zeros({0, 3})), DType::kFloat32, {0, 3}, {});
  EXPECT_ARRAY(nd::tanh(nd::zeros({2, 0}, DType::kInt8)), DType::kFloat16, {2, 0}, {});
}

TEST(UnaryTest, Abs) {
  NDArray f = nd::array<float>({-1.5f, -0.0f, 2.0f, NAN, -INFINITY});
  NDArray r = nd::abs(f);
  EXPECT_ARRAY(r, DType::kFloat32, {5}, {1.5, 0, 2, kNaN, kInf});
  EXPECT_FALSE(std::signbit(r.asnumpy().to_vector<float>()[1]));  // abs(-0.0) == +0.0
  for (DType dt : kSignedDTypes) {
    SCOPED_TRACE(DTypeName(dt));
    EXPECT_ARRAY(nd::abs(Make(dt, {-3, 0, 2}, {3, 1})), dt, {3, 1}, {3, 0, 2});
  }
  EXPECT_ARRAY(nd::abs(nd::array<int8_t>({-128})), DType::kInt8, {1}, {-128});  // wraps
  EXPECT_ARRAY(nd::abs(nd::array<uint8_t>({0, 255})), DType::kUInt8, {2}, {0, 255});
  EXPECT_ARRAY(nd::abs(nd::array<bool>({true, false})), DType::kBool, {2}, {1, 0});
}

TEST(UnaryTest, Negative) {
  for (DType dt : kSignedDTypes) {
    SCOPED_TRACE(DTypeName(dt));
    EXPECT_ARRAY(nd::negative(Make(dt, {1, -2, 0})), dt, {3}, {-1, 2, 0});
    EXPECT_ARRAY(-Make(dt, {5}, {}), dt, {}, {-5});
  }
  EXPECT_ARRAY(nd::negative(nd::array<uint8_t>({1, 0, 255})), DType::kUInt8, {3}, {255, 0, 1});
  NDArray neg_zero = nd::negative(nd::array<double>({0.0}));
  EXPECT_ARRAY(neg_zero, DType::kFloat64, {1}, {0});
  EXPECT_TRUE(std::signbit(neg_zero.asnumpy().to_vector<double>()[0]));
  EXPECT_ARRAY(-nd::array<float>({NAN, INFINITY}), DType::kFloat32, {2}, {kNaN, -kInf});
}

TEST(UnaryTest, Relu) {
  EXPECT_ARRAY(nd::relu(nd::array<float>({-1, 0, 2, NAN})), DType::kFloat32, {4}, {0, 0, 2, kNaN});
  for (DType dt : kSignedDTypes) {
    SCOPED_TRACE(DTypeName(dt));
    EXPECT_ARRAY(nd::relu(Make(dt, {-5, 3, 0}, {1, 3})), dt, {1, 3}, {0, 3, 0});
  }
  EXPECT_ARRAY(nd::relu(nd::array<uint8_t>({0, 7, 255})), DType::kUInt8, {3}, {0, 7, 255});
  EXPECT_ARRAY(nd::relu(nd::array<bool>({true, false})), DType::kBool, {2}, {1, 0});
  EXPECT_ARRAY(nd::relu(nd::full(Shape{}, -2.0)), DType::kFloat64, {}, {0});
}

TEST(WhereTest, SelectsAndBroadcasts) {
  NDArray c = nd::array<bool>({true, false, true});
  NDArray x = nd::array<float>({1, 2, 3});
  NDArray y = nd::array<float>({10, 20, 30});
  EXPECT_ARRAY(nd::where(c, x, y), DType::kFloat32, {3}, {1, 20, 3});
  // A non-bool condition is tested for nonzero (NaN counts as true).
  EXPECT_ARRAY(nd::where(nd::array<int32_t>({0, 5, -1}), x, y), DType::kFloat32, {3}, {10, 2, 3});
  EXPECT_ARRAY(nd::where(nd::array<float>({NAN, 0.0f, -0.0f}), x, y), DType::kFloat32, {3},
               {1, 20, 30});
  NDArray col = nd::array<bool>({true, false}, {2, 1});
  EXPECT_ARRAY(nd::where(col, x, 0.0f), DType::kFloat32, {2, 3}, {1, 2, 3, 0, 0, 0});
  EXPECT_ARRAY(nd::where(c, 1, 2.5), DType::kFloat64, {3}, {1, 2.5, 1});
  EXPECT_ARRAY(nd::where(c, 1, 2), DType::kInt64, {3}, {1, 2, 1});
  EXPECT_ARRAY(nd::where(c, nd::array<int32_t>({1, 2, 3}), 0), DType::kInt32, {3}, {1, 0, 3});
  EXPECT_ARRAY(nd::where(c, nd::array<int8_t>({1, 2, 3}), nd::array<uint8_t>({7, 8, 9})),
               DType::kInt32, {3}, {1, 8, 3});
  EXPECT_ARRAY(nd::where(nd::full(Shape{}, true), x, y), DType::kFloat32, {3}, {1, 2, 3});
  EXPECT_ARRAY(nd::where(nd::zeros({0}, DType::kBool), 1.0f, 2.0f), DType::kFloat32, {0}, {});
}

TEST(AstypeTest, FloatToIntTruncatesAndSaturates) {
  NDArray f = nd::array<double>({kNaN, 1e10, -1e10, 2.7, -2.7, kInf, -kInf});
  EXPECT_ARRAY(f.astype(DType::kInt32), DType::kInt32, {7},
               {0, INT32_MAX, INT32_MIN, 2, -2, INT32_MAX, INT32_MIN});
  EXPECT_ARRAY(f.astype(DType::kInt8), DType::kInt8, {7}, {0, 127, -128, 2, -2, 127, -128});
  EXPECT_ARRAY(f.astype(DType::kUInt8), DType::kUInt8, {7}, {0, 255, 0, 2, 0, 255, 0});
  NDArray i64 = nd::astype(f, DType::kInt64);
  testing::ExpectPendingRoundTrip({i64});
  EXPECT_EQ(i64.asnumpy().to_vector<int64_t>(),
            (std::vector<int64_t>{0, 10000000000, -10000000000, 2, -2, INT64_MAX, INT64_MIN}));
  EXPECT_ARRAY(nd::array<float>({NAN, 1e10f, 255.9f}).astype(DType::kUInt8), DType::kUInt8, {3},
               {0, 255, 255});
  EXPECT_ARRAY(
      nd::array<float16>({float16(NAN), float16(-INFINITY), float16(300.5f)}).astype(DType::kInt8),
      DType::kInt8, {3}, {0, -128, 127});
}

TEST(AstypeTest, IntToIntWraps) {
  NDArray i = nd::array<int32_t>({300, -129, -1, 255});
  EXPECT_ARRAY(i.astype(DType::kInt8), DType::kInt8, {4}, {44, 127, -1, -1});
  EXPECT_ARRAY(i.astype(DType::kUInt8), DType::kUInt8, {4}, {44, 127, 255, 255});
  EXPECT_ARRAY(nd::array<int64_t>({int64_t{1} << 32, -1}).astype(DType::kInt32), DType::kInt32, {2},
               {0, -1});
  EXPECT_ARRAY(nd::array<uint8_t>({200}).astype(DType::kInt8), DType::kInt8, {1}, {-56});
  EXPECT_ARRAY(nd::array<int8_t>({-1}).astype(DType::kInt64), DType::kInt64, {1}, {-1});
}

TEST(AstypeTest, ToAndFromBool) {
  EXPECT_ARRAY(nd::array<float>({0.0f, -0.0f, NAN, 0.5f, -INFINITY}).astype(DType::kBool),
               DType::kBool, {5}, {0, 0, 1, 1, 1});
  EXPECT_ARRAY(nd::array<int32_t>({0, 2, -1}).astype(DType::kBool), DType::kBool, {3}, {0, 1, 1});
  EXPECT_ARRAY(nd::array<bool>({true, false}).astype(DType::kFloat32), DType::kFloat32, {2},
               {1, 0});
  EXPECT_ARRAY(nd::array<bool>({true, false}).astype(DType::kInt64), DType::kInt64, {2}, {1, 0});
}

TEST(AstypeTest, FloatNarrowingRounds) {
  NDArray f = nd::array<float>({65504.0f, 65520.0f, 1.0f / 3.0f, -1e-8f});
  EXPECT_ARRAY(f.astype(DType::kFloat16), DType::kFloat16, {4}, {65504.0, kInf, 0.333251953125, 0},
               0, 1e-12);
  EXPECT_ARRAY(nd::array<double>({1.0 / 3.0, 1e300}).astype(DType::kFloat32), DType::kFloat32, {2},
               {static_cast<double>(1.0f / 3.0f), kInf}, 0);
  EXPECT_ARRAY(nd::array<float>({1.0f / 3.0f}).astype(DType::kBFloat16), DType::kBFloat16, {1},
               {static_cast<double>(static_cast<float>(bfloat16(1.0f / 3.0f)))}, 0);
  EXPECT_ARRAY(nd::array<int64_t>({(int64_t{1} << 53) + 1}).astype(DType::kFloat64),
               DType::kFloat64, {1}, {9007199254740992.0}, 0);
  EXPECT_ARRAY(nd::array<int32_t>({2049}).astype(DType::kFloat16), DType::kFloat16, {1}, {2048}, 0);
}

TEST(AstypeTest, SameDTypeMakesANewArray) {
  NDArray a = nd::array<float>({1, 2}, {1, 2});
  NDArray b = a.astype(DType::kFloat32);
  EXPECT_NE(a.value(), b.value());
  EXPECT_ARRAY(b, DType::kFloat32, {1, 2}, {1, 2});
  EXPECT_ARRAY(nd::zeros({0, 2}).astype(DType::kInt8), DType::kInt8, {0, 2}, {});
  EXPECT_ARRAY(nd::full(Shape{}, 2.5).astype(DType::kInt32), DType::kInt32, {}, {2});
}

// ================================ Reductions ================================

TEST(SumTest, Axes) {
  NDArray x = nd::array<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_ARRAY(x.sum(), DType::kFloat32, {}, {21});
  EXPECT_ARRAY(nd::sum(x, 0), DType::kFloat32, {3}, {5, 7, 9});
  EXPECT_ARRAY(nd::sum(x, 1), DType::kFloat32, {2}, {6, 15});
  EXPECT_ARRAY(nd::sum(x, -1), DType::kFloat32, {2}, {6, 15});
  EXPECT_ARRAY(nd::sum(x, -2), DType::kFloat32, {3}, {5, 7, 9});
  EXPECT_ARRAY(nd::sum(x, {0, 1}), DType::kFloat32, {}, {21});
  EXPECT_ARRAY(nd::sum(x, {-1, 0}), DType::kFloat32, {}, {21});
  EXPECT_ARRAY(nd::sum(x, 0, true), DType::kFloat32, {1, 3}, {5, 7, 9});
  EXPECT_ARRAY(nd::sum(x, -1, true), DType::kFloat32, {2, 1}, {6, 15});
  EXPECT_ARRAY(nd::sum(x, {}, true), DType::kFloat32, {1, 1}, {21});
  NDArray y = nd::arange(24).reshape({2, 3, 4});
  EXPECT_ARRAY(y.sum({0, 2}), DType::kInt64, {3}, {60, 92, 124});
  EXPECT_ARRAY(y.sum({0, 2}, true), DType::kInt64, {1, 3, 1}, {60, 92, 124});
  EXPECT_ARRAY(y.sum(std::vector<int64_t>{2, 0}), DType::kInt64, {3}, {60, 92, 124});
}

TEST(SumTest, DTypes) {
  EXPECT_ARRAY(nd::array<bool>({true, false, true, true}).sum(), DType::kInt64, {}, {3});
  EXPECT_ARRAY(nd::array<int8_t>({100, 100, 100}).sum(), DType::kInt64, {}, {300});
  EXPECT_ARRAY(nd::array<uint8_t>({200, 200}).sum(), DType::kInt64, {}, {400});
  EXPECT_ARRAY(nd::array<int32_t>({INT32_MAX, 1}).sum(), DType::kInt64, {}, {2147483648.0});
  EXPECT_ARRAY(nd::array<int64_t>({1, 2}, {2, 1}).sum(0), DType::kInt64, {1}, {3});
  EXPECT_ARRAY(nd::array<float16>({float16(1.5f), float16(2.5f)}).sum(), DType::kFloat16, {}, {4});
  EXPECT_ARRAY(nd::array<bfloat16>({bfloat16(1.5f), bfloat16(2.5f)}).sum(), DType::kBFloat16, {},
               {4});
  EXPECT_ARRAY(nd::array<double>({0.1, 0.2}).sum(), DType::kFloat64, {}, {0.30000000000000004}, 0);
  EXPECT_ARRAY(nd::array<float>({1, NAN}).sum(), DType::kFloat32, {}, {kNaN});
}

TEST(SumTest, EmptyAndZeroD) {
  NDArray e = nd::zeros({0, 3});
  EXPECT_ARRAY(e.sum(0), DType::kFloat32, {3}, {0, 0, 0});
  EXPECT_ARRAY(e.sum(1), DType::kFloat32, {0}, {});
  EXPECT_ARRAY(e.sum(), DType::kFloat32, {}, {0});
  EXPECT_ARRAY(nd::zeros({0}, DType::kBool).sum(), DType::kInt64, {}, {0});
  EXPECT_ARRAY(nd::full(Shape{}, 5).sum(), DType::kInt64, {}, {5});
  EXPECT_ARRAY(nd::full(Shape{}, 5.0f).sum({}, true), DType::kFloat32, {}, {5});
  EXPECT_ARRAY(nd::full(Shape{}, int8_t{5}, DType::kInt8).sum(), DType::kInt64, {}, {5});
}

TEST(MeanTest, AxesAndDTypes) {
  NDArray x = nd::array<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_ARRAY(x.mean(), DType::kFloat32, {}, {3.5});
  EXPECT_ARRAY(nd::mean(x, 0), DType::kFloat32, {3}, {2.5, 3.5, 4.5});
  EXPECT_ARRAY(nd::mean(x, 1, true), DType::kFloat32, {2, 1}, {2, 5});
  EXPECT_ARRAY(nd::mean(x, {-1, -2}), DType::kFloat32, {}, {3.5});
  EXPECT_ARRAY(nd::array<int32_t>({1, 2}).mean(), DType::kFloat64, {}, {1.5});
  EXPECT_ARRAY(nd::array<bool>({true, false, false, true}).mean(), DType::kFloat64, {}, {0.5});
  EXPECT_ARRAY(nd::array<int8_t>({100, 100, 100, 101}).mean(), DType::kFloat64, {}, {100.25});
  EXPECT_ARRAY(nd::array<uint8_t>({255, 255}, {2, 1}).mean(0), DType::kFloat64, {1}, {255});
  EXPECT_ARRAY(nd::array<int64_t>({1, 2, 3, 5}, {2, 2}).mean(1), DType::kFloat64, {2}, {1.5, 4});
  // float16 accumulates in float32 (its sum, 120000, would overflow float16).
  EXPECT_ARRAY(nd::array<float16>({float16(60000.0f), float16(60000.0f)}).mean(), DType::kFloat16,
               {}, {60000});
  EXPECT_ARRAY(nd::array<bfloat16>({bfloat16(1.0f), bfloat16(2.0f)}).mean(), DType::kBFloat16, {},
               {1.5});
  EXPECT_ARRAY(nd::array<double>({1, 2, 4}).mean(), DType::kFloat64, {}, {7.0 / 3.0});
}

TEST(MeanTest, EmptyIsNaN) {
  EXPECT_ARRAY(nd::zeros({0}).mean(), DType::kFloat32, {}, {kNaN});
  EXPECT_ARRAY(nd::zeros({0, 3}).mean(0), DType::kFloat32, {3}, {kNaN, kNaN, kNaN});
  EXPECT_ARRAY(nd::zeros({0, 3}).mean(1), DType::kFloat32, {0}, {});
  EXPECT_ARRAY(nd::zeros({0}, DType::kInt32).mean(), DType::kFloat64, {}, {kNaN});
  EXPECT_ARRAY(nd::full(Shape{}, 4).mean(), DType::kFloat64, {}, {4});
}

TEST(MaxMinTest, Axes) {
  NDArray x = nd::array<float>({1, 5, 3, 4, 2, 6}, {2, 3});
  EXPECT_ARRAY(x.max(), DType::kFloat32, {}, {6});
  EXPECT_ARRAY(x.min(), DType::kFloat32, {}, {1});
  EXPECT_ARRAY(nd::max(x, 0), DType::kFloat32, {3}, {4, 5, 6});
  EXPECT_ARRAY(nd::max(x, 1), DType::kFloat32, {2}, {5, 6});
  EXPECT_ARRAY(nd::max(x, -1, true), DType::kFloat32, {2, 1}, {5, 6});
  EXPECT_ARRAY(nd::min(x, -1), DType::kFloat32, {2}, {1, 2});
  EXPECT_ARRAY(nd::min(x, 0, true), DType::kFloat32, {1, 3}, {1, 2, 3});
  EXPECT_ARRAY(nd::min(x, {0, 1}, true), DType::kFloat32, {1, 1}, {1});
  EXPECT_ARRAY(nd::max(nd::full(Shape{}, 3.0)), DType::kFloat64, {}, {3});
  EXPECT_ARRAY(nd::min(nd::full(Shape{}, 3.0), {}, true), DType::kFloat64, {}, {3});
}

TEST(MaxMinTest, NaNPropagates) {
  EXPECT_ARRAY(nd::array<float>({1, NAN, 3}).max(), DType::kFloat32, {}, {kNaN});
  EXPECT_ARRAY(nd::array<float>({1, NAN, 3}).min(), DType::kFloat32, {}, {kNaN});
  NDArray x = nd::array<double>({1, NAN, 3, 4}, {2, 2});
  EXPECT_ARRAY(x.max(1), DType::kFloat64, {2}, {kNaN, 4});
  EXPECT_ARRAY(x.min(0), DType::kFloat64, {2}, {1, kNaN});
  EXPECT_ARRAY(nd::array<float>({-INFINITY, -INFINITY}).max(), DType::kFloat32, {}, {-kInf});
}

TEST(MaxMinTest, DTypes) {
  for (DType dt : kNumericDTypes) {
    SCOPED_TRACE(DTypeName(dt));
    NDArray x = Make(dt, {3, 7, 0, 2}, {2, 2});
    EXPECT_ARRAY(x.max(), dt, {}, {7});
    EXPECT_ARRAY(x.min(), dt, {}, {0});
    EXPECT_ARRAY(x.max(0), dt, {2}, {3, 7});
    EXPECT_ARRAY(x.min(1), dt, {2}, {3, 0});
  }
  EXPECT_ARRAY(nd::array<int8_t>({-128, 127, 0}).max(), DType::kInt8, {}, {127});
  EXPECT_ARRAY(nd::array<int8_t>({-128, 127, 0}).min(), DType::kInt8, {}, {-128});
  NDArray b = nd::array<bool>({false, true, false});
  EXPECT_ARRAY(b.max(), DType::kBool, {}, {1});
  EXPECT_ARRAY(b.min(), DType::kBool, {}, {0});
  NDArray i64 = nd::array<int64_t>({INT64_MIN, INT64_MAX}).max();
  testing::ExpectPendingRoundTrip({i64});
  EXPECT_EQ(i64.asnumpy().to_vector<int64_t>(), std::vector<int64_t>{INT64_MAX});
}

TEST(MaxMinTest, EmptyNonReducedAxisIsFine) {
  EXPECT_ARRAY(nd::zeros({0, 3}).max(1), DType::kFloat32, {0}, {});
  EXPECT_ARRAY(nd::zeros({0, 3}).min(1, true), DType::kFloat32, {0, 1}, {});
}

TEST(ArgmaxTest, AxesAndKeepdims) {
  NDArray x = nd::array<float>({1, 5, 3, 4, 2, 6}, {2, 3});
  EXPECT_ARRAY(x.argmax(), DType::kInt64, {}, {5});
  EXPECT_ARRAY(nd::argmax(x, 0), DType::kInt64, {3}, {1, 0, 1});
  EXPECT_ARRAY(nd::argmax(x, 1), DType::kInt64, {2}, {1, 2});
  EXPECT_ARRAY(nd::argmax(x, -1), DType::kInt64, {2}, {1, 2});
  EXPECT_ARRAY(nd::argmax(x, -2, true), DType::kInt64, {1, 3}, {1, 0, 1});
  EXPECT_ARRAY(nd::argmax(x, 1, true), DType::kInt64, {2, 1}, {1, 2});
  EXPECT_ARRAY(nd::argmax(x, std::nullopt, true), DType::kInt64, {1, 1}, {5});
  EXPECT_ARRAY(nd::argmax(nd::full(Shape{}, 3.0)), DType::kInt64, {}, {0});
  EXPECT_ARRAY(nd::argmax(nd::arange(24).reshape({2, 3, 4}), 1), DType::kInt64, {2, 4},
               {2, 2, 2, 2, 2, 2, 2, 2});
}

TEST(ArgmaxTest, TiesAndNaN) {
  EXPECT_ARRAY(nd::array<int32_t>({3, 1, 3}).argmax(), DType::kInt64, {}, {0});
  EXPECT_ARRAY(nd::array<float>({1, NAN, 3, NAN}).argmax(), DType::kInt64, {}, {1});
  EXPECT_ARRAY(nd::array<float>({INFINITY, NAN}).argmax(), DType::kInt64, {}, {1});
  EXPECT_ARRAY(nd::array<double>({NAN, 1, 2, NAN}, {2, 2}).argmax(1), DType::kInt64, {2}, {0, 1});
  EXPECT_ARRAY(nd::array<float>({-INFINITY, -INFINITY}).argmax(), DType::kInt64, {}, {0});
}

TEST(ArgmaxTest, DTypes) {
  for (DType dt : kAllDTypes) {
    SCOPED_TRACE(DTypeName(dt));
    const std::vector<double> v =
        dt == DType::kBool ? std::vector<double>{0, 1, 1} : std::vector<double>{2, 9, 9};
    EXPECT_ARRAY(Make(dt, v).argmax(), DType::kInt64, {}, {1});
  }
  EXPECT_ARRAY(nd::array<int8_t>({-5, -1, -3}).argmax(), DType::kInt64, {}, {1});
  EXPECT_ARRAY(nd::array<uint8_t>({7, 255, 0}).argmax(), DType::kInt64, {}, {1});
}

TEST(ArgmaxTest, EmptyNonReducedAxisIsFine) {
  // NumPy: np.zeros((0, 3)).argmax(axis=1) is an empty int64 array of shape (0,).
  NDArray r;
  ASSERT_NO_THROW(r = nd::argmax(nd::zeros({0, 3}), 1));
  EXPECT_ARRAY(r, DType::kInt64, {0}, {});
}

// ================================ Shape ops ================================

TEST(ReshapeTest, Shapes) {
  NDArray x = nd::arange(6);
  EXPECT_ARRAY(x.reshape({2, -1}), DType::kInt64, {2, 3}, {0, 1, 2, 3, 4, 5});
  EXPECT_ARRAY(nd::reshape(x, {-1, 2}), DType::kInt64, {3, 2}, {0, 1, 2, 3, 4, 5});
  EXPECT_ARRAY(x.reshape({1, -1, 1}), DType::kInt64, {1, 6, 1}, {0, 1, 2, 3, 4, 5});
  EXPECT_ARRAY(x.reshape({3, 2}).reshape({-1}), DType::kInt64, {6}, {0, 1, 2, 3, 4, 5});
  EXPECT_ARRAY(x.reshape({6}), DType::kInt64, {6}, {0, 1, 2, 3, 4, 5});
  EXPECT_ARRAY(nd::full(Shape{}, 7.0f).reshape({1, 1}), DType::kFloat32, {1, 1}, {7});
  EXPECT_ARRAY(nd::ones({1}).reshape({}), DType::kFloat32, {}, {1});
  EXPECT_ARRAY(nd::full(Shape{}, 7.0f).reshape({-1}), DType::kFloat32, {1}, {7});
  EXPECT_ARRAY(nd::zeros({0, 3}).reshape({-1, 3}), DType::kFloat32, {0, 3}, {});
  EXPECT_ARRAY(nd::zeros({0, 3}).reshape({3, 0, 5}), DType::kFloat32, {3, 0, 5}, {});
  EXPECT_ARRAY(nd::array<bool>({true, false}).reshape({2, 1}), DType::kBool, {2, 1}, {1, 0});
}

TEST(TransposeTest, DefaultAndExplicit) {
  NDArray m = nd::array<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_ARRAY(m.transpose(), DType::kFloat32, {3, 2}, {1, 4, 2, 5, 3, 6});
  EXPECT_ARRAY(nd::transpose(m, {1, 0}), DType::kFloat32, {3, 2}, {1, 4, 2, 5, 3, 6});
  EXPECT_ARRAY(nd::transpose(m, {0, 1}), DType::kFloat32, {2, 3}, {1, 2, 3, 4, 5, 6});
  EXPECT_ARRAY(nd::transpose(m, {-1, -2}), DType::kFloat32, {3, 2}, {1, 4, 2, 5, 3, 6});
  NDArray t = nd::arange(24).reshape({2, 3, 4});
  EXPECT_ARRAY(
      t.transpose(), DType::kInt64, {4, 3, 2},
      {0, 12, 4, 16, 8, 20, 1, 13, 5, 17, 9, 21, 2, 14, 6, 18, 10, 22, 3, 15, 7, 19, 11, 23});
  EXPECT_ARRAY(
      t.transpose({1, 0, 2}), DType::kInt64, {3, 2, 4},
      {0, 1, 2, 3, 12, 13, 14, 15, 4, 5, 6, 7, 16, 17, 18, 19, 8, 9, 10, 11, 20, 21, 22, 23});
  EXPECT_ARRAY(
      t.transpose({-1, 0, 1}), DType::kInt64, {4, 2, 3},
      {0, 4, 8, 12, 16, 20, 1, 5, 9, 13, 17, 21, 2, 6, 10, 14, 18, 22, 3, 7, 11, 15, 19, 23});
  EXPECT_ARRAY(nd::arange(3).transpose(), DType::kInt64, {3}, {0, 1, 2});
  EXPECT_ARRAY(nd::full(Shape{}, 1.0).transpose(), DType::kFloat64, {}, {1});
  EXPECT_ARRAY(nd::zeros({0, 3}, DType::kInt8).transpose(), DType::kInt8, {3, 0}, {});
}

TEST(BroadcastToTest, Shapes) {
  NDArray row = nd::array<int32_t>({1, 2, 3});
  EXPECT_ARRAY(row.broadcast_to({2, 3}), DType::kInt32, {2, 3}, {1, 2, 3, 1, 2, 3});
  EXPECT_ARRAY(nd::broadcast_to(row, {2, 1, 3}), DType::kInt32, {2, 1, 3}, {1, 2, 3, 1, 2, 3});
  NDArray col = nd::array<float>({1, 2}, {2, 1});
  EXPECT_ARRAY(col.broadcast_to({2, 3}), DType::kFloat32, {2, 3}, {1, 1, 1, 2, 2, 2});
  EXPECT_ARRAY(nd::full(Shape{}, 5.0).broadcast_to({2, 2}), DType::kFloat64, {2, 2}, {5, 5, 5, 5});
  EXPECT_ARRAY(nd::full(Shape{}, 5.0).broadcast_to({}), DType::kFloat64, {}, {5});
  NDArray same = row.broadcast_to({3});
  EXPECT_NE(same.value(), row.value());
  EXPECT_ARRAY(same, DType::kInt32, {3}, {1, 2, 3});
  EXPECT_ARRAY(nd::ones({1, 3}).broadcast_to({0, 3}), DType::kFloat32, {0, 3}, {});
  EXPECT_ARRAY(nd::ones({1}, DType::kBool).broadcast_to({3}), DType::kBool, {3}, {1, 1, 1});
}

TEST(SliceTest, OneDimension) {
  NDArray x = nd::arange(10);
  EXPECT_ARRAY(x.slice({Slice(2, 7)}), DType::kInt64, {5}, {2, 3, 4, 5, 6});
  EXPECT_ARRAY(x.slice({Slice(2, 7, 2)}), DType::kInt64, {3}, {2, 4, 6});
  EXPECT_ARRAY(x.slice({Slice(None, None, -1)}), DType::kInt64, {10},
               {9, 8, 7, 6, 5, 4, 3, 2, 1, 0});
  EXPECT_ARRAY(x.slice({Slice(-3, None)}), DType::kInt64, {3}, {7, 8, 9});
  EXPECT_ARRAY(x.slice({Slice(None, -3)}), DType::kInt64, {7}, {0, 1, 2, 3, 4, 5, 6});
  EXPECT_ARRAY(x.slice({Slice(8, 2, -2)}), DType::kInt64, {3}, {8, 6, 4});
  EXPECT_ARRAY(x.slice({Slice(-1, -4, -1)}), DType::kInt64, {3}, {9, 8, 7});
  EXPECT_ARRAY(x.slice({Slice(0, None, 20)}), DType::kInt64, {1}, {0});
  EXPECT_ARRAY(x.slice({Slice(1, None, 3)}), DType::kInt64, {3}, {1, 4, 7});
  EXPECT_ARRAY(x.slice({Slice()}), DType::kInt64, {10}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
}

TEST(SliceTest, ClippingAndEmpty) {
  NDArray x = nd::arange(10);
  EXPECT_ARRAY(x.slice({Slice(-100, 100)}), DType::kInt64, {10}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  EXPECT_ARRAY(x.slice({Slice(100, None, -3)}), DType::kInt64, {4}, {9, 6, 3, 0});
  EXPECT_ARRAY(x.slice({Slice(None, -100, -1)}), DType::kInt64, {10},
               {9, 8, 7, 6, 5, 4, 3, 2, 1, 0});
  EXPECT_ARRAY(x.slice({Slice(-1, -11, -1)}), DType::kInt64, {10}, {9, 8, 7, 6, 5, 4, 3, 2, 1, 0});
  EXPECT_ARRAY(x.slice({Slice(-1, -10, -1)}), DType::kInt64, {9}, {9, 8, 7, 6, 5, 4, 3, 2, 1});
  EXPECT_ARRAY(x.slice({Slice(100, 200)}), DType::kInt64, {0}, {});
  EXPECT_ARRAY(x.slice({Slice(5, 2)}), DType::kInt64, {0}, {});
  EXPECT_ARRAY(x.slice({Slice(2, 5, -1)}), DType::kInt64, {0}, {});
  EXPECT_ARRAY(x.slice({Slice(-100, -50, -1)}), DType::kInt64, {0}, {});
  EXPECT_ARRAY(x.slice({Slice(3, 3)}), DType::kInt64, {0}, {});
  EXPECT_ARRAY(nd::arange(0).slice({Slice(None, None, -1)}), DType::kInt64, {0}, {});
  EXPECT_ARRAY(nd::arange(0).slice({Slice(1, 5)}), DType::kInt64, {0}, {});
}

TEST(SliceTest, SeveralDimensions) {
  NDArray x = nd::arange(12).reshape({3, 4}).astype(DType::kFloat32);
  EXPECT_ARRAY(nd::slice(x, {Slice(1, None), Slice(None, None, 2)}), DType::kFloat32, {2, 2},
               {4, 6, 8, 10});
  EXPECT_ARRAY(x.slice({Slice(None, None, -1)}), DType::kFloat32, {3, 4},
               {8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3});
  EXPECT_ARRAY(x.slice({Slice(), Slice(3, 0, -2)}), DType::kFloat32, {3, 2}, {3, 1, 7, 5, 11, 9});
  EXPECT_ARRAY(x.slice({}), DType::kFloat32, {3, 4}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  EXPECT_ARRAY(x.slice({Slice(1, 1)}), DType::kFloat32, {0, 4}, {});
  EXPECT_ARRAY(x.slice({Slice(), Slice(10, 20)}), DType::kFloat32, {3, 0}, {});
  EXPECT_ARRAY(x.slice({Slice(-1, None), Slice(-1, None)}), DType::kFloat32, {1, 1}, {11});
  EXPECT_ARRAY(nd::full(Shape{}, 2.0).slice({}), DType::kFloat64, {}, {2});
  EXPECT_ARRAY(nd::array<bool>({true, false, true}).slice({Slice(None, None, 2)}), DType::kBool,
               {2}, {1, 1});
}

// ================================ Matmul ================================

TEST(MatmulTest, MatricesAndVectors) {
  NDArray a = nd::array<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  NDArray b = nd::array<float>({7, 8, 9, 10, 11, 12}, {3, 2});
  NDArray v = nd::array<float>({1, 2, 3});
  NDArray w = nd::array<float>({4, 5, 6});
  EXPECT_ARRAY(nd::matmul(a, b), DType::kFloat32, {2, 2}, {58, 64, 139, 154});
  EXPECT_ARRAY(nd::matmul(b, a), DType::kFloat32, {3, 3}, {39, 54, 69, 49, 68, 87, 59, 82, 105});
  EXPECT_ARRAY(nd::matmul(v, w), DType::kFloat32, {}, {32});
  EXPECT_ARRAY(nd::matmul(v, b), DType::kFloat32, {2}, {58, 64});
  EXPECT_ARRAY(nd::matmul(a, v), DType::kFloat32, {2}, {14, 32});
  EXPECT_ARRAY(nd::matmul(nd::array<float>({2}), nd::array<float>({3}, {1, 1})), DType::kFloat32,
               {1}, {6});
}

TEST(MatmulTest, BatchedWithBroadcasting) {
  NDArray b = nd::array<double>({7, 8, 9, 10, 11, 12}, {3, 2});
  NDArray batch = nd::arange(12.0).reshape({2, 2, 3});
  EXPECT_ARRAY(nd::matmul(batch, b), DType::kFloat64, {2, 2, 2},
               {31, 34, 112, 124, 193, 214, 274, 304});
  NDArray x = nd::arange(12.0).reshape({2, 1, 2, 3});
  NDArray y = nd::arange(18.0).reshape({3, 3, 2});
  EXPECT_ARRAY(nd::matmul(x, y), DType::kFloat64, {2, 3, 2, 2},
               {10, 13, 28, 40, 28,  31,  100, 112, 46,  49,  172, 184,
                46, 67, 64, 94, 172, 193, 244, 274, 298, 319, 424, 454});
  NDArray v = nd::array<double>({1, 2, 3});
  EXPECT_ARRAY(nd::matmul(v, nd::arange(12.0).reshape({2, 3, 2})), DType::kFloat64, {2, 2},
               {16, 22, 52, 58});
  EXPECT_ARRAY(nd::matmul(batch, v), DType::kFloat64, {2, 2}, {8, 26, 44, 62});
}

TEST(MatmulTest, DTypes) {
  NDArray ai = nd::array<int32_t>({1, 2, 3, 4}, {2, 2});
  NDArray bi = nd::array<int32_t>({5, 6, 7, 8}, {2, 2});
  EXPECT_ARRAY(nd::matmul(ai, bi), DType::kInt32, {2, 2}, {19, 22, 43, 50});
  EXPECT_ARRAY(nd::matmul(ai, nd::array<float>({1, 0.5f}, {2, 1})), DType::kFloat64, {2, 1},
               {2, 5});
  EXPECT_ARRAY(nd::matmul(nd::array<uint8_t>({1, 2}), nd::array<int8_t>({-3, 4})), DType::kInt32,
               {}, {5});
  EXPECT_ARRAY(nd::matmul(nd::array<int8_t>({100, 100}), nd::array<int8_t>({1, 1})), DType::kInt8,
               {}, {-56});  // wraps as NumPy's int8 matmul
  EXPECT_ARRAY(nd::matmul(nd::array<bool>({true, false, true, true}, {2, 2}),
                          nd::array<bool>({false, true, false, false}, {2, 2})),
               DType::kBool, {2, 2}, {0, 1, 0, 1});
  EXPECT_ARRAY(nd::matmul(nd::array<float16>({float16(0.5f), float16(2.0f)}),
                          nd::array<float16>({float16(4.0f), float16(0.25f)})),
               DType::kFloat16, {}, {2.5});
  EXPECT_ARRAY(nd::matmul(nd::array<bfloat16>({bfloat16(1.0f), bfloat16(2.0f)}, {1, 2}),
                          nd::array<bfloat16>({bfloat16(3.0f), bfloat16(4.0f)}, {2, 1})),
               DType::kBFloat16, {1, 1}, {11});
  EXPECT_ARRAY(
      nd::matmul(nd::array<int64_t>({1, 2}), nd::array<float16>({float16(3.0f), float16(4.0f)})),
      DType::kFloat64, {}, {11});
}

TEST(MatmulTest, SizeZero) {
  EXPECT_ARRAY(nd::matmul(nd::zeros({2, 0}), nd::zeros({0, 3})), DType::kFloat32, {2, 3},
               {0, 0, 0, 0, 0, 0});
  EXPECT_ARRAY(nd::matmul(nd::zeros({0, 3}), nd::ones({3, 2})), DType::kFloat32, {0, 2}, {});
  EXPECT_ARRAY(nd::matmul(nd::zeros({0}), nd::zeros({0})), DType::kFloat32, {}, {0});
  EXPECT_ARRAY(nd::matmul(nd::zeros({0, 2, 3}), nd::ones({3, 4})), DType::kFloat32, {0, 2, 4}, {});
}

// ================================ Handles and 0-d ================================

TEST(HandleTest, CopiesNameTheSameArrayCopyIsIndependent) {
  NDArray a = nd::arange(3);
  NDArray alias = a;
  EXPECT_EQ(alias.value(), a.value());
  NDArray moved_from = a;
  NDArray moved = std::move(moved_from);
  EXPECT_EQ(moved.value(), a.value());
  NDArray c = a.copy();
  EXPECT_NE(c.value(), a.value());
  EXPECT_ARRAY(c, DType::kInt64, {3}, {0, 1, 2});
  a = a + 1;  // rebinding a handle changes neither the alias nor the copy
  EXPECT_NE(alias.value(), a.value());
  EXPECT_ARRAY(alias, DType::kInt64, {3}, {0, 1, 2});
  EXPECT_ARRAY(a, DType::kInt64, {3}, {1, 2, 3});
  EXPECT_ARRAY(c, DType::kInt64, {3}, {0, 1, 2});
  NDArray empty;
  EXPECT_TRUE(empty.is_none());
  EXPECT_FALSE(a.is_none());
}

TEST(HandleTest, CopyOfEveryDTypeAndShape) {
  for (DType dt : kAllDTypes) {
    SCOPED_TRACE(DTypeName(dt));
    NDArray x = nd::ones({2, 1}, dt);
    EXPECT_ARRAY(x.copy(), dt, {2, 1}, {1, 1});
  }
  EXPECT_ARRAY(nd::full(Shape{}, 2.0).copy(), DType::kFloat64, {}, {2});
  EXPECT_ARRAY(nd::zeros({0, 3}).copy(), DType::kFloat32, {0, 3}, {});
}

TEST(HandleTest, ZeroDArrays) {
  NDArray a = nd::full(Shape{}, 2.0f);
  NDArray b = nd::array<float>({3.0f}, Shape{});
  EXPECT_ARRAY(a + b, DType::kFloat32, {}, {5});
  EXPECT_ARRAY(a * nd::ones({2, 2}), DType::kFloat32, {2, 2}, {2, 2, 2, 2});
  EXPECT_ARRAY(a < b, DType::kBool, {}, {1});
  EXPECT_ARRAY(nd::where(a < b, a, b), DType::kFloat32, {}, {2});
  EXPECT_ARRAY(-a, DType::kFloat32, {}, {-2});
  EXPECT_EQ((a * b).asscalar<float>(), 6.0f);
  EXPECT_EQ((a * b).asscalar<int>(), 6);
  EXPECT_EQ(nd::array<int64_t>({INT64_MAX}, Shape{}).asscalar<int64_t>(), INT64_MAX);
  EXPECT_EQ(nd::ones({1, 1}).asscalar<double>(), 1.0);  // one element, any rank
  EXPECT_TRUE(nd::full(Shape{}, true).asscalar<bool>());
}

TEST(HandleTest, MethodsMirrorFunctions) {
  NDArray x = nd::array<float>({3, 1, 2, 6}, {2, 2});
  EXPECT_EQ(Values(x.sum(0).asnumpy()), Values(nd::sum(x, 0).asnumpy()));
  EXPECT_EQ(Values(x.mean(1).asnumpy()), Values(nd::mean(x, 1).asnumpy()));
  EXPECT_EQ(Values(x.max(0).asnumpy()), Values(nd::max(x, 0).asnumpy()));
  EXPECT_EQ(Values(x.min(0).asnumpy()), Values(nd::min(x, 0).asnumpy()));
  EXPECT_EQ(Values(x.argmax(1).asnumpy()), Values(nd::argmax(x, 1).asnumpy()));
  EXPECT_EQ(Values(x.transpose().asnumpy()), Values(nd::transpose(x).asnumpy()));
  EXPECT_EQ(Values(x.reshape({4}).asnumpy()), Values(nd::reshape(x, {4}).asnumpy()));
  EXPECT_EQ(Values(x.astype(DType::kInt8).asnumpy()),
            Values(nd::astype(x, DType::kInt8).asnumpy()));
  EXPECT_EQ(Values(x.broadcast_to({3, 2, 2}).asnumpy()),
            Values(nd::broadcast_to(x, {3, 2, 2}).asnumpy()));
  EXPECT_EQ(Values(x.slice({Slice(1, 2)}).asnumpy()),
            Values(nd::slice(x, {Slice(1, 2)}).asnumpy()));
}

TEST(HandleTest, ChainedExpression) {
  // A small model-like expression through several op families.
  NDArray x = nd::arange(6.0f).reshape({2, 3});  // [[0,1,2],[3,4,5]]
  NDArray w = nd::ones({3, 2}) * 0.5f;
  NDArray h = nd::relu(nd::matmul(x, w) - 2.0f);  // [[-0.5, -0.5], [4, 4]] -> relu
  NDArray out = nd::sum(h, 1) / 2.0f + nd::max(x, 1);
  EXPECT_ARRAY(out, DType::kFloat32, {2}, {2, 9});
}

}  // namespace
}  // namespace ndjit
