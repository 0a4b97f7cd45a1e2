// Tests of the catalog's elementwise functions (issue #3) against values computed with NumPy.
//
// Expected values were computed once with NumPy (float64) and are written here as literals, so
// the suite needs no Python. Each case also checks the result dtype and the IR round trip.
#include <cmath>
#include <limits>

#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace ndjit {
namespace {

namespace nd = ndjit::nd;
using testing::AllClose;
using testing::ExpectPendingRoundTrip;
using testing::Values;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

NDArray F64(const std::vector<double>& v) { return nd::array<double>(v); }

struct UnaryCase {
  const char* name;
  NDArray (*fn)(const NDArray&, SourceLocation);
  std::vector<double> input;
  std::vector<double> expected;
};

const UnaryCase kUnaryCases[] = {
#include "tests/frontend/catalog_unary_cases.inc"
};

TEST(CatalogTest, FloatFunctionsMatchNumPyInFloat64) {
  for (const UnaryCase& c : kUnaryCases) {
    SCOPED_TRACE(c.name);
    NDArray y = c.fn(F64(c.input), SourceLocation::current());
    EXPECT_EQ(y.dtype(), DType::kFloat64);
    ExpectPendingRoundTrip({y});
    EXPECT_TRUE(AllClose(Values(y.asnumpy()), c.expected, 1e-15, 1e-300));
  }
}

TEST(CatalogTest, FloatFunctionsInFloat32StayFloat32AndAgreeToFloatPrecision) {
  for (const UnaryCase& c : kUnaryCases) {
    SCOPED_TRACE(c.name);
    NDArray y = c.fn(F64(c.input).astype(DType::kFloat32), SourceLocation::current());
    EXPECT_EQ(y.dtype(), DType::kFloat32);
    EXPECT_TRUE(AllClose(Values(y.asnumpy()), c.expected, 2e-7, 1e-30));
  }
}

TEST(CatalogTest, FloatFunctionsOnIntegersComputeInTheFloatThatHoldsThem) {
  EXPECT_EQ(nd::sin(nd::array<int32_t>({1, 2})).dtype(), DType::kFloat64);
  EXPECT_EQ(nd::log2(nd::array<uint8_t>({1, 2})).dtype(), DType::kFloat16);
  EXPECT_EQ(nd::erf(nd::array<bool>({true})).dtype(), DType::kFloat16);
  EXPECT_EQ(nd::log2(nd::array<int64_t>({1, 1024})).asnumpy().to_vector<double>(),
            (std::vector<double>{0, 10}));
}

TEST(CatalogTest, SoftplusIsStableAtBothEnds) {
  NDArray y = nd::softplus(F64({-1000.0, -30.0, -1.0, 0.0, 1.0, 30.0, 1000.0}));
  ExpectPendingRoundTrip({y});
  EXPECT_TRUE(AllClose(Values(y.asnumpy()),
                       {0.0, 9.357622968839737e-14, 0.31326168751822286, 0.6931471805599453,
                        1.3132616875182228, 30.000000000000092, 1000.0},
                       1e-15, 1e-300));
}

TEST(CatalogTest, GeluBothForms) {
  NDArray x = F64({-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0});
  EXPECT_TRUE(AllClose(Values(nd::gelu(x).asnumpy()),
                       {-0.00404969409489031, -0.15865525393145707, -0.15426876936299344, 0.0,
                        0.34573123063700656, 0.8413447460685429, 2.99595030590511},
                       1e-14, 1e-300));
  EXPECT_TRUE(AllClose(Values(nd::gelu(x, /*approximate=*/true).asnumpy()),
                       {-0.0036373920817729943, -0.1588080093917233, -0.15428599017485606, 0.0,
                        0.34571400982514394, 0.8411919906082768, 2.996362607918227},
                       1e-14, 1e-300));
}

TEST(CatalogTest, RoundingFloatsAndKeepingIntegers) {
  NDArray r = F64({-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, -0.2, 0.7});
  EXPECT_EQ(Values(nd::floor(r).asnumpy()), (std::vector<double>{-3, -2, -1, 0, 1, 2, -1, 0}));
  EXPECT_EQ(Values(nd::ceil(r).asnumpy()), (std::vector<double>{-2, -1, -0.0, 1, 2, 3, -0.0, 1}));
  EXPECT_EQ(Values(nd::trunc(r).asnumpy()), (std::vector<double>{-2, -1, -0.0, 0, 1, 2, -0.0, 0}));
  // round is to nearest even, as numpy.round / numpy.rint.
  EXPECT_EQ(Values(nd::round(r).asnumpy()), (std::vector<double>{-2, -2, -0.0, 0, 2, 2, -0.0, 1}));
  EXPECT_TRUE(std::signbit(nd::ceil(F64({-0.5})).asnumpy().data<double>()[0]));
  NDArray i = nd::array<int32_t>({-3, 4});
  for (NDArray y : {nd::floor(i), nd::ceil(i), nd::trunc(i), nd::round(i)}) {
    EXPECT_EQ(y.dtype(), DType::kInt32);
    EXPECT_EQ(y.asnumpy().to_vector<int32_t>(), (std::vector<int32_t>{-3, 4}));
  }
}

TEST(CatalogTest, SignSquareReciprocal) {
  EXPECT_EQ(Values(nd::sign(F64({-2, -0.0, 0, 3, kNaN})).asnumpy())[0], -1);
  std::vector<double> s = Values(nd::sign(F64({-2, -0.0, 0, 3, kNaN})).asnumpy());
  EXPECT_EQ(s[1], 0);
  EXPECT_EQ(s[3], 1);
  EXPECT_TRUE(std::isnan(s[4]));
  EXPECT_EQ(nd::sign(nd::array<int8_t>({-5, 0, 7})).asnumpy().to_vector<int8_t>(),
            (std::vector<int8_t>{-1, 0, 1}));
  EXPECT_EQ(nd::square(nd::array<int32_t>({-3, 4})).asnumpy().to_vector<int32_t>(),
            (std::vector<int32_t>{9, 16}));
  EXPECT_EQ(nd::square(nd::array<bool>({true, false})).dtype(), DType::kInt8);
  EXPECT_EQ(nd::reciprocal(nd::array<int32_t>({1, -1, 2, -2, 7})).asnumpy().to_vector<int32_t>(),
            (std::vector<int32_t>{1, -1, 0, 0, 0}));
  EXPECT_EQ(Values(nd::reciprocal(F64({4, -0.0})).asnumpy()), (std::vector<double>{0.25, -kInf}));
}

TEST(CatalogTest, PredicatesOnEveryKind) {
  NDArray f = F64({1, kNaN, kInf, -kInf});
  EXPECT_EQ(Values(nd::isnan(f).asnumpy()), (std::vector<double>{0, 1, 0, 0}));
  EXPECT_EQ(Values(nd::isinf(f).asnumpy()), (std::vector<double>{0, 0, 1, 1}));
  EXPECT_EQ(Values(nd::isfinite(f).asnumpy()), (std::vector<double>{1, 0, 0, 0}));
  NDArray i = nd::array<int32_t>({1, 2});
  EXPECT_EQ(nd::isnan(i).dtype(), DType::kBool);
  EXPECT_EQ(Values(nd::isfinite(i).asnumpy()), (std::vector<double>{1, 1}));
}

TEST(CatalogTest, LogicalOpsTakeTruthValuesAndBroadcast) {
  NDArray a = nd::array<int32_t>({0, 1, 2, 0}, {2, 2});
  NDArray b = nd::array<double>({0.0, 0.5});
  NDArray y = nd::logical_and(a, b);
  EXPECT_EQ(y.dtype(), DType::kBool);
  ExpectPendingRoundTrip({y});
  EXPECT_EQ(Values(y.asnumpy()), (std::vector<double>{0, 1, 0, 0}));
  EXPECT_EQ(Values(nd::logical_or(a, b).asnumpy()), (std::vector<double>{0, 1, 1, 1}));
  EXPECT_EQ(Values(nd::logical_xor(a, true).asnumpy()), (std::vector<double>{1, 0, 0, 1}));
  EXPECT_EQ(Values(nd::logical_not(a).asnumpy()), (std::vector<double>{1, 0, 0, 1}));
}

TEST(CatalogTest, BitwiseOpsOnIntegersAndBool) {
  NDArray a = nd::array<int32_t>({12, -1, 5});
  EXPECT_EQ(nd::bitwise_and(a, 10).asnumpy().to_vector<int32_t>(),
            (std::vector<int32_t>{8, 10, 0}));
  EXPECT_EQ(nd::bitwise_or(a, 3).asnumpy().to_vector<int32_t>(), (std::vector<int32_t>{15, -1, 7}));
  EXPECT_EQ(nd::bitwise_xor(a, a).asnumpy().to_vector<int32_t>(), (std::vector<int32_t>{0, 0, 0}));
  EXPECT_EQ(nd::invert(a).asnumpy().to_vector<int32_t>(), (std::vector<int32_t>{-13, 0, -6}));
  EXPECT_EQ(nd::invert(nd::array<uint8_t>({0, 255})).asnumpy().to_vector<uint8_t>(),
            (std::vector<uint8_t>{255, 0}));
  NDArray t = nd::array<bool>({true, false});
  EXPECT_EQ(Values(nd::bitwise_not(t).asnumpy()), (std::vector<double>{0, 1}));
  EXPECT_EQ(nd::bitwise_and(t, t).dtype(), DType::kBool);
}

TEST(CatalogTest, PowerModFloorDivide) {
  EXPECT_EQ(nd::power(nd::array<int32_t>({2, -3, 0, 5}), 3).asnumpy().to_vector<int32_t>(),
            (std::vector<int32_t>{8, -27, 0, 125}));
  EXPECT_EQ(nd::power(nd::array<int64_t>({2, 3, 4}), nd::array<int64_t>({10, 0, 31}))
                .asnumpy()
                .to_vector<int64_t>(),
            (std::vector<int64_t>{1024, 1, 4611686018427387904}));
  EXPECT_EQ(nd::power(F64({2, 9}), 0.5).dtype(), DType::kFloat64);
  NDArray a = nd::array<int32_t>({7, -7, 7, -7, 0, 5});
  NDArray b = nd::array<int32_t>({2, 2, -2, -2, 3, 0});
  EXPECT_EQ(nd::floor_divide(a, b).asnumpy().to_vector<int32_t>(),
            (std::vector<int32_t>{3, -4, -4, 3, 0, 0}));
  EXPECT_EQ(nd::mod(a, b).asnumpy().to_vector<int32_t>(),
            (std::vector<int32_t>{1, 1, -1, -1, 0, 0}));
  EXPECT_EQ(nd::remainder(a, b).asnumpy().to_vector<int32_t>(),
            (a % b).asnumpy().to_vector<int32_t>());
  NDArray fa = F64({7.5, -7.5, 1.0, -0.0, 5.0}), fb = F64({2.0, 2.0, 0.1, 3.0, -0.0});
  std::vector<double> fd = Values(nd::floor_divide(fa, fb).asnumpy());
  EXPECT_EQ(fd, (std::vector<double>{3.0, -4.0, 9.0, -0.0, -kInf}));
  EXPECT_TRUE(std::signbit(fd[3]));
  std::vector<double> fm = Values(nd::mod(fa, fb).asnumpy());
  EXPECT_TRUE(AllClose(fm, {1.5, 0.5, 0.09999999999999995, 0.0, kNaN}, 1e-16, 0));
  EXPECT_FALSE(std::signbit(fm[3]));
  EXPECT_EQ(nd::floor_divide(nd::array<bool>({true}), true).dtype(), DType::kInt8);
}

TEST(CatalogTest, Arctan2AndHypot) {
  NDArray y = nd::arctan2(F64({1.0, -1.0, 0.0, -0.0}), -1.0);
  ExpectPendingRoundTrip({y});
  EXPECT_TRUE(AllClose(
      Values(y.asnumpy()),
      {2.356194490192345, -2.356194490192345, 3.141592653589793, -3.141592653589793}, 1e-16, 0));
  EXPECT_EQ(nd::arctan2(nd::array<int32_t>({1}), 1).dtype(), DType::kFloat64);
  EXPECT_EQ(nd::hypot(nd::array<float>({3e30f}), 4e30f).dtype(), DType::kFloat32);
  EXPECT_EQ(Values(nd::hypot(F64({3e300, kInf}), F64({4e300, kNaN})).asnumpy()),
            (std::vector<double>{5e300, kInf}));
}

TEST(CatalogTest, ClipPropagatesNaNAndPromotes) {
  NDArray x = F64({-2.0, 0.5, 3.0, kNaN});
  NDArray y = nd::clip(x, 0.0, 1.0);
  ExpectPendingRoundTrip({y});
  EXPECT_TRUE(AllClose(Values(y.asnumpy()), {0.0, 0.5, 1.0, kNaN}));
  EXPECT_EQ(Values(nd::clip(x, std::nullopt, 0.0).asnumpy())[2], 0.0);
  NDArray i = nd::array<int32_t>({-5, 5});
  EXPECT_EQ(nd::clip(i, 0, 3).dtype(), DType::kInt32);
  EXPECT_EQ(nd::clip(i, 0.5, 3).dtype(), DType::kFloat64);
  EXPECT_EQ(Values(nd::clip(i, nd::array<int32_t>({-10, 10}), std::nullopt).asnumpy()),
            (std::vector<double>{-5, 10}));
}

TEST(CatalogCreationTest, LinspaceMatchesNumPy) {
  NDArray a = nd::linspace(0, 1, 5, true, DType::kFloat64);
  ExpectPendingRoundTrip({a});
  EXPECT_EQ(Values(a.asnumpy()), (std::vector<double>{0.0, 0.25, 0.5, 0.75, 1.0}));
  EXPECT_EQ(Values(nd::linspace(0, 1, 5, false, DType::kFloat64).asnumpy()),
            (std::vector<double>{0.0, 0.2, 0.4, 0.6000000000000001, 0.8}));
  EXPECT_EQ(Values(nd::linspace(2, 3, 1, true, DType::kFloat64).asnumpy()),
            (std::vector<double>{2.0}));
  EXPECT_EQ(nd::linspace(2, 3, 0).shape(), (std::vector<int64_t>{0}));
  // NumPy 2 floors for integer dtypes.
  EXPECT_EQ(nd::linspace(0, 10, 4, true, DType::kInt32).asnumpy().to_vector<int32_t>(),
            (std::vector<int32_t>{0, 3, 6, 10}));
  EXPECT_EQ(nd::linspace(-1, 0, 3, true, DType::kInt64).asnumpy().to_vector<int64_t>(),
            (std::vector<int64_t>{-1, -1, 0}));
  NDArray f = nd::linspace(0.1, 0.7, 7);  // float32 by default
  EXPECT_EQ(f.dtype(), DType::kFloat32);
  EXPECT_EQ(f.asnumpy().to_vector<float>(),
            (std::vector<float>{0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f}));
}

TEST(CatalogCreationTest, EyeIdentityAndEmpty) {
  NDArray e = nd::eye(3, 4, 1);
  ExpectPendingRoundTrip({e});
  EXPECT_EQ(e.shape(), (std::vector<int64_t>{3, 4}));
  EXPECT_EQ(Values(e.asnumpy()), (std::vector<double>{0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1}));
  EXPECT_EQ(Values(nd::eye(3, std::nullopt, -1).asnumpy()),
            (std::vector<double>{0, 0, 0, 1, 0, 0, 0, 1, 0}));
  NDArray i = nd::identity(2, DType::kInt32);
  EXPECT_EQ(i.asnumpy().to_vector<int32_t>(), (std::vector<int32_t>{1, 0, 0, 1}));
  EXPECT_EQ(nd::eye(0).shape(), (std::vector<int64_t>{0, 0}));
  NDArray z = nd::empty({2, 0, 3}, DType::kInt8);
  EXPECT_EQ(z.shape(), (std::vector<int64_t>{2, 0, 3}));
  EXPECT_EQ(z.dtype(), DType::kInt8);
}

TEST(CatalogCreationTest, LikeFunctionsKeepShapeAndDType) {
  NDArray a = nd::array<int32_t>({1, 2, 3, 4, 5, 6}, {2, 3});
  for (NDArray y : {nd::zeros_like(a), nd::ones_like(a), nd::empty_like(a), nd::full_like(a, 7)}) {
    EXPECT_EQ(y.shape(), a.shape());
    EXPECT_EQ(y.dtype(), DType::kInt32);
  }
  EXPECT_EQ(nd::ones_like(a).asnumpy().to_vector<int32_t>(), std::vector<int32_t>(6, 1));
  // The tutorial's missing full_like: np.full_like(np.arange(6), 10) is integer.
  EXPECT_EQ(nd::full_like(nd::arange(0, 6), 10).asnumpy().to_vector<int64_t>(),
            std::vector<int64_t>(6, 10));
  // A float fill value is cast to the array's dtype (NumPy's unsafe casting).
  EXPECT_EQ(nd::full_like(a, 2.7).asnumpy().to_vector<int32_t>(), std::vector<int32_t>(6, 2));
  EXPECT_EQ(nd::full_like(a, 2.5, DType::kFloat64).dtype(), DType::kFloat64);
  EXPECT_EQ(nd::zeros_like(a, DType::kBool).dtype(), DType::kBool);
}

TEST(CatalogCreationTest, RandintIsInRangeUniformAndSeeded) {
  NDArray r = nd::random::randint(-3, 3, {6000}, /*seed=*/5);
  ExpectPendingRoundTrip({r});
  EXPECT_EQ(r.dtype(), DType::kInt64);
  const std::vector<int64_t> v = r.asnumpy().to_vector<int64_t>();
  std::vector<int> counts(6, 0);
  for (int64_t x : v) {
    ASSERT_GE(x, -3);
    ASSERT_LT(x, 3);
    ++counts[x + 3];
  }
  for (int c : counts) EXPECT_NEAR(c, 1000, 150);
  EXPECT_EQ(nd::random::randint(-3, 3, {6000}, 5).asnumpy().to_vector<int64_t>(), v);
  EXPECT_NE(nd::random::randint(-3, 3, {6000}, 6).asnumpy().to_vector<int64_t>(), v);
  NDArray u8 = nd::random::randint(250, 256, {100}, 1, DType::kUInt8);
  for (uint8_t x : u8.asnumpy().to_vector<uint8_t>()) EXPECT_GE(x, 250);
  const int64_t big = int64_t{1} << 53;
  for (int64_t x : nd::random::randint(-big, 0, {1000}, 2).asnumpy().to_vector<int64_t>()) {
    ASSERT_GE(x, -big);
    ASSERT_LT(x, 0);
  }
}

TEST(CatalogReductionTest, NanReductionsMatchNumPy) {
  NDArray x = nd::array<double>({1., 5., kNaN, 2., 3., -1., 4., 0.5}, {2, 4});
  NDArray s = nd::nansum(x);
  ExpectPendingRoundTrip({s});
  EXPECT_EQ(s.asscalar<double>(), 14.5);
  EXPECT_EQ(Values(nd::nansum(x, 1).asnumpy()), (std::vector<double>{8.0, 6.5}));
  EXPECT_EQ(Values(nd::nanmax(x, 0).asnumpy()), (std::vector<double>{3.0, 5.0, 4.0, 2.0}));
  EXPECT_EQ(Values(nd::nanmin(x, 1).asnumpy()), (std::vector<double>{1.0, -1.0}));
  std::vector<double> all_nan = Values(nd::nanmax(F64({kNaN, kNaN})).asnumpy());
  EXPECT_TRUE(std::isnan(all_nan[0]));
  EXPECT_EQ(nd::nansum(nd::array<int32_t>({1, 2})).asscalar<int64_t>(), 3);
  EXPECT_EQ(nd::nanmax(nd::array<int32_t>({1, 2})).asscalar<int32_t>(), 2);
}

TEST(CatalogReductionTest, VarStdProdMatchNumPy) {
  NDArray y = nd::array<double>({1, 2, 3, 4, 2, 4, 8, 16}, {2, 4});
  NDArray v = nd::var(y);
  ExpectPendingRoundTrip({v});
  EXPECT_EQ(v.asscalar<double>(), 21.25);
  EXPECT_EQ(Values(nd::var(y, 1).asnumpy()), (std::vector<double>{1.25, 28.75}));
  EXPECT_TRUE(AllClose(Values(nd::var(y, 1, /*ddof=*/1).asnumpy()),
                       {1.6666666666666667, 38.333333333333336}, 1e-15));
  EXPECT_EQ(Values(nd::std(y, 0).asnumpy()), (std::vector<double>{0.5, 1.0, 2.5, 6.0}));
  EXPECT_EQ(nd::var(y, 1, 0, /*keepdims=*/true).shape(), (std::vector<int64_t>{2, 1}));
  NDArray i = nd::array<int32_t>({1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_EQ(nd::var(i).dtype(), DType::kFloat64);
  EXPECT_TRUE(AllClose({nd::var(i).asscalar<double>()}, {2.9166666666666665}, 1e-15));
  EXPECT_EQ(nd::prod(i, 0).asnumpy().to_vector<int64_t>(), (std::vector<int64_t>{4, 10, 18}));
  EXPECT_EQ(nd::prod(i).asscalar<int64_t>(), 720);
  EXPECT_EQ(nd::prod(nd::zeros({0})).asscalar<float>(), 1.0f);
  // ddof >= count divides by zero, as NumPy (which warns): inf, or NaN for 0/0.
  EXPECT_TRUE(std::isinf(nd::var(F64({1, 2}), {}, 2).asscalar<double>()));
  EXPECT_TRUE(std::isnan(nd::var(F64({1, 1}), {}, 2).asscalar<double>()));
}

TEST(CatalogReductionTest, AnyAllArgmin) {
  NDArray b = nd::array<int32_t>({0, 2, 0, 0}, {2, 2});
  EXPECT_EQ(Values(nd::any(b, 1).asnumpy()), (std::vector<double>{1, 0}));
  EXPECT_EQ(Values(nd::all(b, 0).asnumpy()), (std::vector<double>{0, 0}));
  EXPECT_EQ(nd::any(b).dtype(), DType::kBool);
  EXPECT_FALSE(nd::any(nd::zeros({0})).asscalar<bool>());
  EXPECT_TRUE(nd::all(nd::zeros({0})).asscalar<bool>());
  EXPECT_TRUE(nd::all(F64({kNaN, 1})).asscalar<bool>());               // NaN is true
  EXPECT_EQ(nd::argmin(F64({3, 1, kNaN, 1})).asscalar<int64_t>(), 2);  // the first NaN wins
  EXPECT_EQ(
      nd::argmin(nd::array<int32_t>({3, 1, 1, 0, 7, -2}, {2, 3}), 1).asnumpy().to_vector<int64_t>(),
      (std::vector<int64_t>{1, 2}));
}

TEST(CatalogReductionTest, CumsumCumprodMatchNumPy) {
  NDArray i = nd::array<int32_t>({1, 2, 3, 4, 5, 6}, {2, 3});
  NDArray c = nd::cumsum(i);
  ExpectPendingRoundTrip({c});
  EXPECT_EQ(c.dtype(), DType::kInt64);
  EXPECT_EQ(c.asnumpy().to_vector<int64_t>(), (std::vector<int64_t>{1, 3, 6, 10, 15, 21}));
  EXPECT_EQ(nd::cumsum(i, 0).asnumpy().to_vector<int64_t>(),
            (std::vector<int64_t>{1, 2, 3, 5, 7, 9}));
  EXPECT_EQ(nd::cumprod(i, -1).asnumpy().to_vector<int64_t>(),
            (std::vector<int64_t>{1, 2, 6, 4, 20, 120}));
  EXPECT_EQ(nd::cumsum(nd::arange(1, 11).astype(DType::kFloat32)).asnumpy().to_vector<float>(),
            (std::vector<float>{1, 3, 6, 10, 15, 21, 28, 36, 45, 55}));
  // Long scans against a sequential reference: exact for integers.
  NDArray r = nd::random::randint(-1000, 1000, {3, 1000}, 9);
  const std::vector<int64_t> v = r.asnumpy().to_vector<int64_t>();
  const std::vector<int64_t> scanned = nd::cumsum(r, 1).asnumpy().to_vector<int64_t>();
  for (int row = 0; row < 3; ++row) {
    int64_t acc = 0;
    for (int k = 0; k < 1000; ++k) {
      acc += v[row * 1000 + k];
      ASSERT_EQ(scanned[row * 1000 + k], acc) << row << "," << k;
    }
  }
  EXPECT_EQ(nd::cumsum(nd::zeros({0})).shape(), (std::vector<int64_t>{0}));
  EXPECT_EQ(nd::cumsum(nd::full({}, 3)).asnumpy().to_vector<int64_t>(), (std::vector<int64_t>{3}));
}

TEST(CatalogErrorsTest, EachBadInputNamesTheOpAndTheCaller) {
  NDArray f = F64({1.0, 2.0});
  NDArray i = nd::array<int32_t>({1, 2});
  NDArray t = nd::array<bool>({true});
  EXPECT_NDJIT_THROWS(nd::bitwise_and(f, 1), DTypeError, "bitwise_and: not supported for float64");
  EXPECT_NDJIT_THROWS(nd::bitwise_or(i, 0.5), DTypeError, "bitwise_or");
  EXPECT_NDJIT_THROWS(nd::bitwise_xor(f, f), DTypeError, "bitwise_xor");
  EXPECT_NDJIT_THROWS(nd::invert(f), DTypeError, "bitwise_not: not supported for float64");
  EXPECT_NDJIT_THROWS(nd::sign(t), DTypeError, "sign: not supported for bool");
  EXPECT_NDJIT_THROWS(nd::power(i, -1), ValueError, "power: integers to negative integer powers");
  EXPECT_NDJIT_THROWS(nd::clip(f, std::nullopt, std::nullopt), ValueError,
                      "clip: one of a_min and a_max must be given");
  EXPECT_NDJIT_THROWS(nd::hypot(f, nd::zeros({3})), ShapeError,
                      "hypot: operands could not be broadcast together");
  EXPECT_NDJIT_THROWS(nd::arctan2(f, nd::zeros({3})), ShapeError, "arctan2");
  EXPECT_NDJIT_THROWS(nd::logical_and(f, nd::zeros({3})), ShapeError, "logical_and");
  EXPECT_NDJIT_THROWS(nd::floor_divide(i, nd::zeros({3}, DType::kInt32)), ShapeError,
                      "floor_divide");
  EXPECT_NDJIT_THROWS(nd::mod(nd::array<uint8_t>({1}), 300), ValueError,
                      "remainder: integer scalar 300 is out of bounds for uint8");
  EXPECT_NDJIT_THROWS(nd::sin(NDArray()), ValueError, "sin: the NDArray is empty");
  EXPECT_NDJIT_THROWS(nd::logical_and(1, 2), ValueError,
                      "logical_and: at least one operand must be an NDArray");
  EXPECT_NDJIT_THROWS(nd::linspace(0, 1, -1), ValueError,
                      "linspace: number of samples, -1, must be non-negative");
  EXPECT_NDJIT_THROWS(nd::linspace(0, INFINITY, 3), ValueError, "linspace: start and stop");
  EXPECT_NDJIT_THROWS(nd::eye(-2), ValueError, "eye: negative dimensions are not allowed");
  EXPECT_NDJIT_THROWS(nd::eye(int64_t{1} << 40), ShapeError, "eye: the element count");
  EXPECT_NDJIT_THROWS(nd::empty({-1}), ValueError, "empty: negative dimension");
  EXPECT_NDJIT_THROWS(nd::full_like(i, int64_t{1} << 40), ValueError,
                      "full: integer fill value 1099511627776 is out of bounds for int32");
  EXPECT_NDJIT_THROWS(nd::zeros_like(NDArray()), ValueError, "zeros_like: the NDArray is empty");
  EXPECT_NDJIT_THROWS(nd::random::randint(3, 3, {2}), ValueError, "random.randint: low >= high");
  EXPECT_NDJIT_THROWS(nd::random::randint(0, int64_t{1} << 60, {2}), ValueError,
                      "ranges wider than 2^53");
  EXPECT_NDJIT_THROWS(nd::random::randint(0, 300, {2}, 1, DType::kUInt8), ValueError,
                      "random.randint: [0, 300) is out of bounds for uint8");
  EXPECT_NDJIT_THROWS(nd::random::randint(0, 3, {2}, 1, DType::kFloat32), DTypeError,
                      "random.randint: dtype must be an integer dtype");
  EXPECT_NDJIT_THROWS(nd::argmin(nd::zeros({0})), ValueError,
                      "argmin: attempt to get argmin of an empty sequence");
  EXPECT_NDJIT_THROWS(nd::var(f, 2), ShapeError, "var: axis 2 is out of bounds");
  EXPECT_NDJIT_THROWS(nd::var(f, {}, -1), ValueError, "var: ddof must be non-negative");
  EXPECT_NDJIT_THROWS(nd::nanmax(nd::zeros({0})), ValueError,
                      "nanmax: zero-size array to reduction operation nanmax");
  EXPECT_NDJIT_THROWS(nd::cumsum(f, 1), ShapeError, "cumsum: axis 1 is out of bounds");
  EXPECT_NDJIT_THROWS(nd::prod(f, {0, 0}), ValueError, "prod: duplicate value in 'axis'");
  EXPECT_NDJIT_THROWS(nd::any(f, -2), ShapeError, "any: axis -2 is out of bounds");
}

}  // namespace
}  // namespace ndjit
