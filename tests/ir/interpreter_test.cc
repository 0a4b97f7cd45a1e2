// Tests of ir/interpreter.cc: every primitive for every dtype it accepts, edge semantics from
// ops.def, size-0 and 0-d tensors, run-time errors and InterpretStats.
#include "ir/interpreter.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "ir/elements.h"
#include "ir/graph.h"
#include "ir/random.h"
#include "ir_test_util.h"

namespace ndjit::ir {
namespace {

using testing::AllDTypes;
using testing::Bits16;
using testing::Close;
using testing::Doubles;
using testing::EvalOp;
using testing::FromDoubles;
using testing::FromInts;
using testing::HasError;
using testing::Ints;
using testing::T;
using testing::TryEvalOp;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr int64_t kI64Min = std::numeric_limits<int64_t>::min();
constexpr int64_t kI64Max = std::numeric_limits<int64_t>::max();

// ---- Reference helpers -----------------------------------------------------------------------

// v as the dtype holds it (one rounding, as ir/elements.h defines it).
double Rounded(DType d, double v) { return IsFloat(d) ? RoundToFloatDType(v, d) : v; }

// Relative tolerance for results computed in double and rounded once to the dtype.
double Rtol(DType d) {
  switch (d) {
    case kF16:
      return 1e-3;
    case kBF16:
      return 8e-3;
    case kF32:
      return 3e-7;
    default:
      return 1e-15;
  }
}

// Two's complement wrap of v into an integer dtype (bool: v != 0).
int64_t Wrap(DType d, int64_t v) {
  switch (d) {
    case kBool:
      return v != 0;
    case kI8:
      return static_cast<int8_t>(v);
    case kU8:
      return static_cast<uint8_t>(v);
    case kI32:
      return static_cast<int32_t>(v);
    default:
      return v;
  }
}
int64_t WAdd(int64_t a, int64_t b) { return static_cast<int64_t>(uint64_t(a) + uint64_t(b)); }
int64_t WSub(int64_t a, int64_t b) { return static_cast<int64_t>(uint64_t(a) - uint64_t(b)); }
int64_t WMul(int64_t a, int64_t b) { return static_cast<int64_t>(uint64_t(a) * uint64_t(b)); }

int64_t MinOf(DType d) {
  switch (d) {
    case kI8:
      return -128;
    case kI32:
      return std::numeric_limits<int32_t>::min();
    case kI64:
      return kI64Min;
    default:
      return 0;
  }
}
int64_t MaxOf(DType d) {
  switch (d) {
    case kBool:
      return 1;
    case kI8:
      return 127;
    case kU8:
      return 255;
    case kI32:
      return std::numeric_limits<int32_t>::max();
    default:
      return kI64Max;
  }
}
int Bits(DType d) { return DTypeSize(d) * 8; }

// Float -> int as ops.def defines cast: truncate, NaN -> 0, saturate.
int64_t RefSaturate(double v, DType to) {
  if (std::isnan(v)) return 0;
  const double t = std::trunc(v);
  if (to == kI64) {
    if (t >= 9223372036854775808.0) return kI64Max;
    if (t < -9223372036854775808.0) return kI64Min;
    return static_cast<int64_t>(t);
  }
  if (t < static_cast<double>(MinOf(to))) return MinOf(to);
  if (t > static_cast<double>(MaxOf(to))) return MaxOf(to);
  return static_cast<int64_t>(t);
}

std::string ParamName(const ::testing::TestParamInfo<DType>& info) { return DTypeName(info.param); }

const std::vector<DType> kFloatDTypes = {kF16, kBF16, kF32, kF64};
const std::vector<DType> kIntDTypes = {kI8, kU8, kI32, kI64};
const std::vector<DType> kNonBoolDTypes = {kI8, kU8, kI32, kI64, kF16, kBF16, kF32, kF64};
const std::vector<DType> kNonFloatDTypes = {kBool, kI8, kU8, kI32, kI64};

// Interesting integer values of a dtype: its extremes and small values around zero.
std::vector<int64_t> IntValues(DType d) {
  std::vector<int64_t> v;
  for (int64_t x : {MinOf(d), MinOf(d) + 1, int64_t{-7}, int64_t{-1}, int64_t{0}, int64_t{1},
                    int64_t{3}, int64_t{100}, MaxOf(d) - 1, MaxOf(d)}) {
    if (x >= MinOf(d) && x <= MaxOf(d) && std::find(v.begin(), v.end(), x) == v.end()) {
      v.push_back(x);
    }
  }
  return v;
}

const std::vector<double> kFloatValues = {-2.5, -1.0, 0.0, 0.5, 1.0, 3.0, kInf, -kInf, kNaN};

Attrs Axes(std::vector<int64_t> axes) {
  Attrs a;
  a.axes = std::move(axes);
  return a;
}
Attrs Axis(int64_t axis) {
  Attrs a;
  a.axis = axis;
  return a;
}

// Element i of the test pattern for a dtype: i itself, or i % 2 for bool.
int64_t Pattern(DType d, int64_t i) { return d == kBool ? i % 2 : i; }
HostTensor PatternTensor(DType d, Shape shape) {
  std::vector<int64_t> v;
  for (int64_t i = 0; i < NumElements(shape); ++i) v.push_back(Pattern(d, i));
  return FromInts(d, std::move(shape), v);
}

class AnyDTypeTest : public ::testing::TestWithParam<DType> {};
class FloatTest : public ::testing::TestWithParam<DType> {};
class NonBoolTest : public ::testing::TestWithParam<DType> {};
class NonFloatTest : public ::testing::TestWithParam<DType> {};

INSTANTIATE_TEST_SUITE_P(All, AnyDTypeTest, ::testing::ValuesIn(AllDTypes()), ParamName);
INSTANTIATE_TEST_SUITE_P(Floats, FloatTest, ::testing::ValuesIn(kFloatDTypes), ParamName);
INSTANTIATE_TEST_SUITE_P(NonBool, NonBoolTest, ::testing::ValuesIn(kNonBoolDTypes), ParamName);
INSTANTIATE_TEST_SUITE_P(NonFloat, NonFloatTest, ::testing::ValuesIn(kNonFloatDTypes), ParamName);

// ---- Unary -----------------------------------------------------------------------------------

TEST_P(FloatTest, TranscendentalOps) {
  const DType d = GetParam();
  const std::vector<double> xs = {-2.5, -1.0, -0.5, -0.0, 0.0,  0.25,  0.5, 0.75,
                                  1.0,  1.5,  2.5,  3.0,  kInf, -kInf, kNaN};
  const HostTensor x = FromDoubles(d, {static_cast<int64_t>(xs.size())}, xs);
  struct Fn {
    Op op;
    double (*f)(double);
  };
  const Fn fns[] = {
      {Op::kExp, [](double v) { return std::exp(v); }},
      {Op::kExpm1, [](double v) { return std::expm1(v); }},
      {Op::kLog, [](double v) { return std::log(v); }},
      {Op::kLog1p, [](double v) { return std::log1p(v); }},
      {Op::kSqrt, [](double v) { return std::sqrt(v); }},
      {Op::kSin, [](double v) { return std::sin(v); }},
      {Op::kCos, [](double v) { return std::cos(v); }},
      {Op::kTan, [](double v) { return std::tan(v); }},
      {Op::kAsin, [](double v) { return std::asin(v); }},
      {Op::kAcos, [](double v) { return std::acos(v); }},
      {Op::kAtan, [](double v) { return std::atan(v); }},
      {Op::kSinh, [](double v) { return std::sinh(v); }},
      {Op::kCosh, [](double v) { return std::cosh(v); }},
      {Op::kTanh, [](double v) { return std::tanh(v); }},
      {Op::kAsinh, [](double v) { return std::asinh(v); }},
      {Op::kAcosh, [](double v) { return std::acosh(v); }},
      {Op::kAtanh, [](double v) { return std::atanh(v); }},
      {Op::kErf, [](double v) { return std::erf(v); }},
      {Op::kFloor, [](double v) { return std::floor(v); }},
      {Op::kCeil, [](double v) { return std::ceil(v); }},
      {Op::kRound, [](double v) { return std::nearbyint(v); }},
      {Op::kTrunc, [](double v) { return std::trunc(v); }},
  };
  for (const Fn& fn : fns) {
    SCOPED_TRACE(OpName(fn.op));
    const HostTensor r = EvalOp(fn.op, {x});
    EXPECT_EQ(r.type(), x.type());
    std::vector<double> want;
    for (double v : xs) want.push_back(Rounded(d, fn.f(v)));
    EXPECT_TRUE(Close(Doubles(r), want, Rtol(d)));
  }
}

TEST_P(FloatTest, IeeeSpecialCases) {
  const DType d = GetParam();
  auto one = [&](Op op, double v) { return Doubles(EvalOp(op, {FromDoubles(d, {1}, {v})}))[0]; };
  EXPECT_EQ(one(Op::kExp, -kInf), 0.0);
  EXPECT_EQ(one(Op::kExp, kInf), kInf);
  EXPECT_EQ(one(Op::kExpm1, -kInf), -1.0);
  EXPECT_EQ(one(Op::kLog, 0.0), -kInf);
  EXPECT_EQ(one(Op::kLog, -0.0), -kInf);
  EXPECT_TRUE(std::isnan(one(Op::kLog, -1.0)));
  EXPECT_EQ(one(Op::kLog1p, -1.0), -kInf);
  EXPECT_TRUE(std::isnan(one(Op::kSqrt, -1.0)));
  EXPECT_TRUE(std::signbit(one(Op::kSqrt, -0.0)));
  EXPECT_TRUE(std::isnan(one(Op::kAsin, 2.0)));
  EXPECT_EQ(one(Op::kAtanh, 1.0), kInf);
  EXPECT_EQ(one(Op::kTanh, kInf), 1.0);
  EXPECT_EQ(one(Op::kErf, -kInf), -1.0);
}

TEST_P(FloatTest, RoundingOpsTiesAndSignedZeros) {
  const DType d = GetParam();
  const std::vector<double> xs = {0.5, 1.5, 2.5, -0.5, -1.5, -2.5, -0.0, 0.0, 3.0, kInf};
  const HostTensor x = FromDoubles(d, {10}, xs);
  EXPECT_TRUE(Close(Doubles(EvalOp(Op::kRound, {x})),
                    {0.0, 2.0, 2.0, -0.0, -2.0, -2.0, -0.0, 0.0, 3.0, kInf}, 0, true));
  EXPECT_TRUE(Close(Doubles(EvalOp(Op::kFloor, {x})),
                    {0.0, 1.0, 2.0, -1.0, -2.0, -3.0, -0.0, 0.0, 3.0, kInf}, 0, true));
  EXPECT_TRUE(Close(Doubles(EvalOp(Op::kCeil, {x})),
                    {1.0, 2.0, 3.0, -0.0, -1.0, -2.0, -0.0, 0.0, 3.0, kInf}, 0, true));
  EXPECT_TRUE(Close(Doubles(EvalOp(Op::kTrunc, {x})),
                    {0.0, 1.0, 2.0, -0.0, -1.0, -2.0, -0.0, 0.0, 3.0, kInf}, 0, true));
}

TEST_P(NonBoolTest, NegAbsSign) {
  const DType d = GetParam();
  if (IsFloat(d)) {
    const HostTensor x = FromDoubles(d, {7}, {-2.5, -0.0, 0.0, 3.0, kInf, -kInf, kNaN});
    EXPECT_TRUE(
        Close(Doubles(EvalOp(Op::kNeg, {x})), {2.5, 0.0, -0.0, -3.0, -kInf, kInf, kNaN}, 0, true));
    EXPECT_TRUE(
        Close(Doubles(EvalOp(Op::kAbs, {x})), {2.5, 0.0, 0.0, 3.0, kInf, kInf, kNaN}, 0, true));
    EXPECT_TRUE(Close(Doubles(EvalOp(Op::kSign, {x})), {-1.0, 0.0, 0.0, 1.0, 1.0, -1.0, kNaN}));
    return;
  }
  const std::vector<int64_t> xs = IntValues(d);
  const HostTensor x = FromInts(d, {static_cast<int64_t>(xs.size())}, xs);
  std::vector<int64_t> neg, abs, sign;
  for (int64_t v : xs) {
    neg.push_back(Wrap(d, WSub(0, v)));
    abs.push_back(v < 0 ? Wrap(d, WSub(0, v)) : v);
    sign.push_back(v > 0 ? 1 : (v < 0 ? -1 : 0));
  }
  EXPECT_EQ(Ints(EvalOp(Op::kNeg, {x})), neg);
  EXPECT_EQ(Ints(EvalOp(Op::kAbs, {x})), abs);
  EXPECT_EQ(Ints(EvalOp(Op::kSign, {x})), sign);
  if (d != kU8) {
    // -MIN == MIN and abs(MIN) == MIN (wrapping, as NumPy).
    const HostTensor m = FromInts(d, {1}, {MinOf(d)});
    EXPECT_EQ(Ints(EvalOp(Op::kNeg, {m}))[0], MinOf(d));
    EXPECT_EQ(Ints(EvalOp(Op::kAbs, {m}))[0], MinOf(d));
  } else {
    EXPECT_EQ(Ints(EvalOp(Op::kNeg, {FromInts(d, {2}, {1, 255})})), std::vector<int64_t>({255, 1}));
  }
}

TEST_P(NonFloatTest, Not) {
  const DType d = GetParam();
  if (d == kBool) {
    EXPECT_EQ(Ints(EvalOp(Op::kNot, {FromInts(d, {2}, {0, 1})})), std::vector<int64_t>({1, 0}));
    return;
  }
  const std::vector<int64_t> xs = IntValues(d);
  std::vector<int64_t> want;
  for (int64_t v : xs) want.push_back(Wrap(d, ~v));
  EXPECT_EQ(Ints(EvalOp(Op::kNot, {FromInts(d, {static_cast<int64_t>(xs.size())}, xs)})), want);
  if (d == kU8) {
    EXPECT_EQ(Ints(EvalOp(Op::kNot, {FromInts(d, {2}, {0, 5})})), std::vector<int64_t>({255, 250}));
  } else {
    EXPECT_EQ(Ints(EvalOp(Op::kNot, {FromInts(d, {2}, {0, 5})})), std::vector<int64_t>({-1, -6}));
  }
}

TEST_P(AnyDTypeTest, Predicates) {
  const DType d = GetParam();
  HostTensor x;
  std::vector<int64_t> nan, inf, finite;
  if (IsFloat(d)) {
    x = FromDoubles(d, {6}, {1.0, kNaN, kInf, -kInf, 0.0, -kNaN});
    nan = {0, 1, 0, 0, 0, 1};
    inf = {0, 0, 1, 1, 0, 0};
    finite = {1, 0, 0, 0, 1, 0};
  } else {
    x = FromInts(d, {3}, {0, 1, MaxOf(d)});
    nan = inf = {0, 0, 0};
    finite = {1, 1, 1};
  }
  for (auto [op, want] :
       {std::pair{Op::kIsNan, nan}, std::pair{Op::kIsInf, inf}, std::pair{Op::kIsFinite, finite}}) {
    const HostTensor r = EvalOp(op, {x});
    EXPECT_EQ(r.dtype(), kBool);
    EXPECT_EQ(Ints(r), want) << OpName(op);
  }
}

// ---- Binary ----------------------------------------------------------------------------------

// All pairs of `vals` as two flat tensors.
std::pair<HostTensor, HostTensor> IntPairs(DType d, const std::vector<int64_t>& vals) {
  std::vector<int64_t> a, b;
  for (int64_t x : vals) {
    for (int64_t y : vals) {
      a.push_back(x);
      b.push_back(y);
    }
  }
  const int64_t n = static_cast<int64_t>(a.size());
  return {FromInts(d, {n}, a), FromInts(d, {n}, b)};
}
std::pair<HostTensor, HostTensor> FloatPairs(DType d, const std::vector<double>& vals) {
  std::vector<double> a, b;
  for (double x : vals) {
    for (double y : vals) {
      a.push_back(x);
      b.push_back(y);
    }
  }
  const int64_t n = static_cast<int64_t>(a.size());
  return {FromDoubles(d, {n}, a), FromDoubles(d, {n}, b)};
}

TEST_P(AnyDTypeTest, AddSubMulMaxMin) {
  const DType d = GetParam();
  if (d == kBool) {
    const HostTensor a = FromInts(d, {4}, {0, 0, 1, 1});
    const HostTensor b = FromInts(d, {4}, {0, 1, 0, 1});
    EXPECT_EQ(Ints(EvalOp(Op::kAdd, {a, b})), std::vector<int64_t>({0, 1, 1, 1}));  // or
    EXPECT_EQ(Ints(EvalOp(Op::kMul, {a, b})), std::vector<int64_t>({0, 0, 0, 1}));  // and
    EXPECT_EQ(Ints(EvalOp(Op::kMax, {a, b})), std::vector<int64_t>({0, 1, 1, 1}));
    EXPECT_EQ(Ints(EvalOp(Op::kMin, {a, b})), std::vector<int64_t>({0, 0, 0, 1}));
    EXPECT_EQ(EvalOp(Op::kAdd, {a, b}).data_as<uint8_t>()[3], 1);  // stored as 1, not 2
    return;
  }
  if (IsFloat(d)) {
    auto [a, b] = FloatPairs(d, kFloatValues);
    const std::vector<double> x = Doubles(a), y = Doubles(b);
    std::vector<double> add, sub, mul, mx, mn;
    for (size_t i = 0; i < x.size(); ++i) {
      add.push_back(Rounded(d, x[i] + y[i]));
      sub.push_back(Rounded(d, x[i] - y[i]));
      mul.push_back(Rounded(d, x[i] * y[i]));
      const bool nan = std::isnan(x[i]) || std::isnan(y[i]);
      mx.push_back(nan ? kNaN : std::max(x[i], y[i]));
      mn.push_back(nan ? kNaN : std::min(x[i], y[i]));
    }
    EXPECT_TRUE(Close(Doubles(EvalOp(Op::kAdd, {a, b})), add, Rtol(d)));
    EXPECT_TRUE(Close(Doubles(EvalOp(Op::kSub, {a, b})), sub, Rtol(d)));
    EXPECT_TRUE(Close(Doubles(EvalOp(Op::kMul, {a, b})), mul, Rtol(d)));
    EXPECT_TRUE(Close(Doubles(EvalOp(Op::kMax, {a, b})), mx));
    EXPECT_TRUE(Close(Doubles(EvalOp(Op::kMin, {a, b})), mn));
    return;
  }
  auto [a, b] = IntPairs(d, IntValues(d));
  const std::vector<int64_t> x = Ints(a), y = Ints(b);
  std::vector<int64_t> add, sub, mul, mx, mn;
  for (size_t i = 0; i < x.size(); ++i) {
    add.push_back(Wrap(d, WAdd(x[i], y[i])));
    sub.push_back(Wrap(d, WSub(x[i], y[i])));
    mul.push_back(Wrap(d, WMul(x[i], y[i])));
    mx.push_back(std::max(x[i], y[i]));
    mn.push_back(std::min(x[i], y[i]));
  }
  EXPECT_EQ(Ints(EvalOp(Op::kAdd, {a, b})), add);
  EXPECT_EQ(Ints(EvalOp(Op::kSub, {a, b})), sub);
  EXPECT_EQ(Ints(EvalOp(Op::kMul, {a, b})), mul);
  EXPECT_EQ(Ints(EvalOp(Op::kMax, {a, b})), mx);
  EXPECT_EQ(Ints(EvalOp(Op::kMin, {a, b})), mn);
  // Spot checks of wrapping.
  const HostTensor top = FromInts(d, {1}, {MaxOf(d)});
  const HostTensor one = FromInts(d, {1}, {1});
  EXPECT_EQ(Ints(EvalOp(Op::kAdd, {top, one}))[0], MinOf(d));
}

TEST_P(NonBoolTest, FloorDivision) {
  const DType d = GetParam();
  if (IsFloat(d)) {
    const HostTensor a = FromDoubles(d, {7}, {1, -1, 0, 7, -7, -0.0, 1});
    const HostTensor b = FromDoubles(d, {7}, {0, 0, 0, 2, 2, 1, -0.0});
    EXPECT_TRUE(Close(Doubles(EvalOp(Op::kDiv, {a, b})),
                      {kInf, -kInf, kNaN, 3.5, -3.5, -0.0, -kInf}, 0, true));  // IEEE, not floor
    return;
  }
  if (d == kU8) {
    const HostTensor a = FromInts(d, {5}, {7, 255, 5, 0, 200});
    const HostTensor b = FromInts(d, {5}, {3, 16, 0, 7, 1});
    EXPECT_EQ(Ints(EvalOp(Op::kDiv, {a, b})), std::vector<int64_t>({2, 15, 0, 0, 200}));
    return;
  }
  const int64_t mn = MinOf(d), mx = MaxOf(d);
  const HostTensor a = FromInts(d, {11}, {7, -7, 7, -7, 5, 0, -5, mn, mn, mx, -1});
  const HostTensor b = FromInts(d, {11}, {3, 3, -3, -3, 0, 0, 0, -1, 1, -1, 2});
  EXPECT_EQ(Ints(EvalOp(Op::kDiv, {a, b})),
            std::vector<int64_t>({2, -3, -3, 2, 0, 0, 0, mn, mn, -mx, -1}));
}

TEST_P(NonBoolTest, Remainder) {
  const DType d = GetParam();
  if (IsFloat(d)) {
    const HostTensor a =
        FromDoubles(d, {12}, {5.5, -5.5, 5.5, -5.5, 5.0, 3.0, -3.0, 4.0, -4.0, kInf, -0.0, kNaN});
    const HostTensor b =
        FromDoubles(d, {12}, {2.0, 2.0, -2.0, -2.0, 0.0, kInf, kInf, -2.0, 2.0, 2.0, 2.0, 2.0});
    // NumPy: the sign of the divisor, zeros included; x % 0 = NaN; 3 % inf = 3; -3 % inf = inf.
    EXPECT_TRUE(Close(Doubles(EvalOp(Op::kMod, {a, b})),
                      {1.5, 0.5, -0.5, -1.5, kNaN, 3.0, kInf, -0.0, 0.0, kNaN, 0.0, kNaN}, 0,
                      true));
    return;
  }
  if (d == kU8) {
    const HostTensor a = FromInts(d, {4}, {7, 255, 5, 0});
    const HostTensor b = FromInts(d, {4}, {3, 16, 0, 7});
    EXPECT_EQ(Ints(EvalOp(Op::kMod, {a, b})), std::vector<int64_t>({1, 15, 0, 0}));
    return;
  }
  const int64_t mn = MinOf(d), mx = MaxOf(d);
  const HostTensor a = FromInts(d, {11}, {7, -7, 7, -7, 5, 0, -5, mn, mn, mx, -1});
  const HostTensor b = FromInts(d, {11}, {3, 3, -3, -3, 0, 0, 0, -1, 1, -1, 2});
  EXPECT_EQ(Ints(EvalOp(Op::kMod, {a, b})),
            std::vector<int64_t>({1, 2, -2, -1, 0, 0, 0, 0, 0, 0, 1}));
}

TEST_P(NonBoolTest, Power) {
  const DType d = GetParam();
  if (IsFloat(d)) {
    const HostTensor a = FromDoubles(d, {8}, {2.0, -8.0, 0.0, 2.0, -2.0, kNaN, 1.0, -0.0});
    const HostTensor b = FromDoubles(d, {8}, {0.5, 1.0 / 3.0, -1.0, -1.0, 3.0, 0.0, kNaN, -1.0});
    const std::vector<double> y = Doubles(b);
    EXPECT_TRUE(Close(Doubles(EvalOp(Op::kPow, {a, b})),
                      {Rounded(d, std::pow(2.0, y[0])), kNaN, kInf, 0.5, -8.0, 1.0, 1.0, -kInf},
                      Rtol(d)));
    return;
  }
  if (d == kU8) {
    const HostTensor a = FromInts(d, {6}, {2, 3, 3, 0, 255, 0});
    const HostTensor b = FromInts(d, {6}, {8, 5, 6, 0, 2, 5});
    EXPECT_EQ(Ints(EvalOp(Op::kPow, {a, b})), std::vector<int64_t>({0, 243, 217, 1, 1, 0}));
    return;
  }
  const int64_t bits = Bits(d);
  const HostTensor a = FromInts(d, {15}, {2, -2, 0, 2, 1, -1, -1, 0, 3, -3, 5, 2, 2, -1, 7});
  const HostTensor b =
      FromInts(d, {15}, {6, 3, 0, -1, -5, -3, -2, -1, 0, 2, -2, bits - 1, bits, MaxOf(d), 1});
  // A negative exponent gives 1 for base 1, +-1 for base -1 and 0 otherwise.
  EXPECT_EQ(Ints(EvalOp(Op::kPow, {a, b})),
            std::vector<int64_t>({64, -8, 1, 0, 1, -1, 1, 0, 1, 9, 0, MinOf(d), 0, -1, 7}));
  if (d == kI64) {
    EXPECT_EQ(Ints(EvalOp(Op::kPow, {FromInts(d, {1}, {3}), FromInts(d, {1}, {40})}))[0],
              -6289078614652622815);  // numpy: np.int64(3) ** 40
  }
}

TEST_P(FloatTest, Atan2) {
  const DType d = GetParam();
  const HostTensor y = FromDoubles(d, {7}, {1.0, 0.0, -0.0, 1.0, kNaN, 0.0, -0.0});
  const HostTensor x = FromDoubles(d, {7}, {1.0, -1.0, -1.0, 0.0, 1.0, 0.0, 0.0});
  const double pi = std::numbers::pi;
  EXPECT_TRUE(Close(
      Doubles(EvalOp(Op::kAtan2, {y, x})),
      {Rounded(d, pi / 4), Rounded(d, pi), Rounded(d, -pi), Rounded(d, pi / 2), kNaN, 0.0, -0.0},
      Rtol(d), true));
}

TEST_P(NonFloatTest, BitwiseAndLogical) {
  const DType d = GetParam();
  HostTensor a, b;
  if (d == kBool) {
    a = FromInts(d, {4}, {0, 0, 1, 1});
    b = FromInts(d, {4}, {0, 1, 0, 1});
  } else {
    a = FromInts(d, {5}, {12, -1, 0, 5, MinOf(d)});
    b = FromInts(d, {5}, {10, 5, 7, -6, MaxOf(d)});
  }
  const std::vector<int64_t> x = Ints(a), y = Ints(b);
  std::vector<int64_t> band, bor, bxor;
  for (size_t i = 0; i < x.size(); ++i) {
    band.push_back(Wrap(d, x[i] & y[i]));
    bor.push_back(Wrap(d, x[i] | y[i]));
    bxor.push_back(Wrap(d, x[i] ^ y[i]));
  }
  EXPECT_EQ(Ints(EvalOp(Op::kAnd, {a, b})), band);
  EXPECT_EQ(Ints(EvalOp(Op::kOr, {a, b})), bor);
  EXPECT_EQ(Ints(EvalOp(Op::kXor, {a, b})), bxor);
  if (d == kBool) {
    EXPECT_EQ(bxor, std::vector<int64_t>({0, 1, 1, 0}));
  } else {
    EXPECT_EQ(band[0], 8);
    EXPECT_EQ(bor[0], 14);
    EXPECT_EQ(bxor[0], 6);
  }
}

TEST_P(AnyDTypeTest, Comparisons) {
  const DType d = GetParam();
  HostTensor a, b;
  if (d == kBool) {
    a = FromInts(d, {4}, {0, 1, 1, 0});
    b = FromInts(d, {4}, {1, 1, 0, 0});
  } else if (IsFloat(d)) {
    a = FromDoubles(d, {7}, {1, 2, 3, kNaN, 1, kNaN, -0.0});
    b = FromDoubles(d, {7}, {2, 2, 1, 1, kNaN, kNaN, 0.0});
  } else {
    a = FromInts(d, {5}, {1, 2, 3, MinOf(d), MaxOf(d)});
    b = FromInts(d, {5}, {2, 2, 1, MaxOf(d), MaxOf(d) - 1});
  }
  const std::vector<double> x = Doubles(a), y = Doubles(b);
  const std::vector<int64_t> xi = Ints(a), yi = Ints(b);
  struct Cmp {
    Op op;
    bool (*f)(double, double);
    bool (*fi)(int64_t, int64_t);
  };
  const Cmp cmps[] = {
      {Op::kEq, [](double p, double q) { return p == q; },
       [](int64_t p, int64_t q) { return p == q; }},
      {Op::kNe, [](double p, double q) { return p != q; },
       [](int64_t p, int64_t q) { return p != q; }},
      {Op::kLt, [](double p, double q) { return p < q; },
       [](int64_t p, int64_t q) { return p < q; }},
      {Op::kLe, [](double p, double q) { return p <= q; },
       [](int64_t p, int64_t q) { return p <= q; }},
      {Op::kGt, [](double p, double q) { return p > q; },
       [](int64_t p, int64_t q) { return p > q; }},
      {Op::kGe, [](double p, double q) { return p >= q; },
       [](int64_t p, int64_t q) { return p >= q; }},
  };
  for (const Cmp& c : cmps) {
    std::vector<int64_t> want;
    for (size_t i = 0; i < x.size(); ++i) {
      want.push_back(IsFloat(d) ? c.f(x[i], y[i]) : c.fi(xi[i], yi[i]));
    }
    const HostTensor r = EvalOp(c.op, {a, b});
    EXPECT_EQ(r.dtype(), kBool);
    EXPECT_EQ(Ints(r), want) << OpName(c.op);
  }
  if (IsFloat(d)) {
    // NaN compares unequal to everything, itself included; -0.0 == 0.0.
    EXPECT_EQ(Ints(EvalOp(Op::kEq, {a, b})), std::vector<int64_t>({0, 1, 0, 0, 0, 0, 1}));
    EXPECT_EQ(Ints(EvalOp(Op::kNe, {a, b})), std::vector<int64_t>({1, 0, 1, 1, 1, 1, 0}));
  }
}

TEST(InterpreterCompareTest, LargeInt64AndUnsignedOrder) {
  const int64_t big = int64_t{1} << 62;
  const HostTensor a = FromInts(kI64, {2}, {big, kI64Max});
  const HostTensor b = FromInts(kI64, {2}, {big + 1, kI64Max - 1});
  // Not distinguishable in double: the comparison must be done on integers.
  EXPECT_EQ(Ints(EvalOp(Op::kLt, {a, b})), std::vector<int64_t>({1, 0}));
  EXPECT_EQ(Ints(EvalOp(Op::kEq, {a, b})), std::vector<int64_t>({0, 0}));
  EXPECT_EQ(Ints(EvalOp(Op::kGt, {FromInts(kU8, {1}, {200}), FromInts(kU8, {1}, {100})})),
            std::vector<int64_t>({1}));
}

TEST_P(AnyDTypeTest, Select) {
  const DType d = GetParam();
  const HostTensor c = FromInts(kBool, {2, 2}, {1, 0, 0, 1});
  const HostTensor x = PatternTensor(d, {2, 2});
  HostTensor y = FromInts(d, {2, 2}, {1, 1, 1, 1});
  if (d != kBool) y = FromInts(d, {2, 2}, {7, 8, 9, 10});
  const HostTensor r = EvalOp(Op::kSelect, {c, x, y});
  EXPECT_EQ(r.type(), x.type());
  const std::vector<int64_t> xi = Ints(x), yi = Ints(y);
  EXPECT_EQ(Ints(r), std::vector<int64_t>({xi[0], yi[1], yi[2], xi[3]}));
}

TEST(InterpreterSelectTest, CopiesFloatBitsExactly) {
  const HostTensor c = FromInts(kBool, {3}, {1, 1, 0});
  const HostTensor x = FromDoubles(kF64, {3}, {-0.0, kNaN, 1.0});
  const HostTensor y = FromDoubles(kF64, {3}, {0.0, 0.0, 5e-324});
  EXPECT_TRUE(Close(Doubles(EvalOp(Op::kSelect, {c, x, y})), {-0.0, kNaN, 5e-324}, 0, true));
}

// ---- Casts -----------------------------------------------------------------------------------

HostTensor Cast(const HostTensor& x, DType to) {
  return EvalOp(Op::kCast, {x}, {}, T(to, x.shape()));
}

TEST_P(AnyDTypeTest, CastToEveryDType) {
  const DType from = GetParam();
  // Values every dtype holds exactly (bool: 0 and 1).
  const std::vector<int64_t> vals =
      from == kBool ? std::vector<int64_t>{0, 1, 1, 0} : std::vector<int64_t>{0, 1, 5, 100};
  const HostTensor x = FromInts(from, {2, 2}, vals);
  for (DType to : AllDTypes()) {
    SCOPED_TRACE(absl::StrCat(DTypeName(from), " -> ", DTypeName(to)));
    const HostTensor r = Cast(x, to);
    EXPECT_EQ(r.type(), T(to, {2, 2}));
    std::vector<int64_t> want;
    for (int64_t v : vals) want.push_back(to == kBool ? v != 0 : v);
    EXPECT_EQ(Ints(r), want);
  }
}

TEST(InterpreterCastTest, FloatToIntTruncatesAndSaturates) {
  const std::vector<double> xs = {kNaN,   -kNaN,   kInf,     -kInf, 2.9,   -2.9,   -0.5,   0.0,
                                  -0.0,   127.0,   128.0,    255.5, 256.0, -128.9, -129.0, 300.0,
                                  -300.0, 65504.0, -65504.0, 3e9,   -3e9,  1e30,   -1e30};
  for (DType from : kFloatDTypes) {
    const HostTensor x = FromDoubles(from, {static_cast<int64_t>(xs.size())}, xs);
    const std::vector<double> stored = Doubles(x);
    for (DType to : kIntDTypes) {
      SCOPED_TRACE(absl::StrCat(DTypeName(from), " -> ", DTypeName(to)));
      std::vector<int64_t> want;
      for (double v : stored) want.push_back(RefSaturate(v, to));
      EXPECT_EQ(Ints(Cast(x, to)), want);
    }
  }
}

TEST(InterpreterCastTest, NamedSaturationCases) {
  const HostTensor x = FromDoubles(kF64, {6}, {kNaN, kInf, -kInf, 3e9, -3e9, -2.7});
  EXPECT_EQ(Ints(Cast(x, kI32)),
            std::vector<int64_t>({0, 2147483647, -2147483648LL, 2147483647, -2147483648LL, -2}));
  EXPECT_EQ(Ints(Cast(x, kU8)), std::vector<int64_t>({0, 255, 0, 255, 0, 0}));
  EXPECT_EQ(Ints(Cast(x, kI8)), std::vector<int64_t>({0, 127, -128, 127, -128, -2}));
  const HostTensor big = FromDoubles(
      kF64, {5}, {9.3e18, -9.3e18, 9223372036854775808.0, -9223372036854775808.0, 9.2e18});
  EXPECT_EQ(Ints(Cast(big, kI64)),
            std::vector<int64_t>({kI64Max, kI64Min, kI64Max, kI64Min, 9200000000000000000}));
  EXPECT_EQ(SaturatingFloatToInt(kNaN, kI64), 0);
  EXPECT_EQ(SaturatingFloatToInt(-0.9, kU8), 0);
  EXPECT_EQ(SaturatingFloatToInt(255.9, kU8), 255);
  EXPECT_EQ(SaturatingFloatToInt(2147483647.5, kI32), 2147483647);
  EXPECT_EQ(SaturatingFloatToInt(-2147483648.5, kI32), -2147483648LL);
  EXPECT_EQ(SaturatingFloatToInt(0.5, kBool), 1);
}

TEST(InterpreterCastTest, ToBool) {
  const HostTensor f = FromDoubles(kF32, {6}, {kNaN, 0.0, -0.0, 0.1, -kInf, 1e-45});
  EXPECT_EQ(Ints(Cast(f, kBool)), std::vector<int64_t>({1, 0, 0, 1, 1, 1}));
  const HostTensor i = FromInts(kI64, {5}, {0, 5, -1, 256, kI64Min});
  EXPECT_EQ(Ints(Cast(i, kBool)), std::vector<int64_t>({0, 1, 1, 1, 1}));  // not wrapped
  EXPECT_EQ(Cast(i, kBool).data_as<uint8_t>()[3], 1);
  const HostTensor h = FromDoubles(kF16, {2}, {0.0, 1e-7});  // 1e-7 is a float16 subnormal
  EXPECT_EQ(Ints(Cast(h, kBool)), std::vector<int64_t>({0, 1}));
}

TEST(InterpreterCastTest, IntToIntWraps) {
  const HostTensor x = FromInts(kI64, {6}, {300, -1, (int64_t{1} << 32) + 5, 200, -129, kI64Min});
  EXPECT_EQ(Ints(Cast(x, kI8)), std::vector<int64_t>({44, -1, 5, -56, 127, 0}));
  EXPECT_EQ(Ints(Cast(x, kU8)), std::vector<int64_t>({44, 255, 5, 200, 127, 0}));
  EXPECT_EQ(Ints(Cast(x, kI32)), std::vector<int64_t>({300, -1, 5, 200, -129, 0}));
  EXPECT_EQ(Ints(Cast(FromInts(kU8, {2}, {200, 255}), kI8)), std::vector<int64_t>({-56, -1}));
  EXPECT_EQ(Ints(Cast(FromInts(kU8, {1}, {255}), kI64)), std::vector<int64_t>({255}));
  EXPECT_EQ(Ints(Cast(FromInts(kI8, {1}, {-1}), kI64)), std::vector<int64_t>({-1}));
  EXPECT_EQ(Ints(Cast(FromInts(kI8, {1}, {-1}), kU8)), std::vector<int64_t>({255}));
  EXPECT_EQ(Ints(Cast(FromInts(kI32, {1}, {-1}), kU8)), std::vector<int64_t>({255}));
  EXPECT_EQ(Ints(Cast(FromInts(kBool, {2}, {0, 1}), kI32)), std::vector<int64_t>({0, 1}));
  EXPECT_TRUE(Close(Doubles(Cast(FromInts(kBool, {2}, {0, 1}), kF32)), {0.0, 1.0}));
}

TEST(InterpreterCastTest, Float64ToNarrowFloatsRoundOnce) {
  const HostTensor x = FromDoubles(kF64, {9},
                                   {1.0 + 0x1p-11 + 0x1p-40, 65519.99, 65520.0, 1e-8,
                                    0x1p-25 * 1.0000001, 0.1, -0.0, kNaN, 1.0 + 0x1p-11});
  const std::vector<uint16_t> h = Bits16(Cast(x, kF16));
  // numpy: np.float64(v).astype(np.float16).view(np.uint16)
  const std::vector<uint16_t> want = {0x3c01, 0x7bff, 0x7c00, 0x0000, 0x0001,
                                      0x2e66, 0x8000, 0,      0x3c00};
  for (size_t i = 0; i < want.size(); ++i) {
    if (i == 7) {
      EXPECT_TRUE(std::isnan(float16::ToFloat(h[i])));
    } else {
      EXPECT_EQ(h[i], want[i]) << "element " << i << ": 0x" << std::hex << h[i];
    }
  }
  const HostTensor y = FromDoubles(kF64, {3}, {1.0 + 0x1p-8 + 0x1p-40, 1.0 + 0x1p-8, 0.1});
  EXPECT_EQ(Bits16(Cast(y, kBF16)), std::vector<uint16_t>({0x3f81, 0x3f80, 0x3dcd}));
  const HostTensor z = FromDoubles(kF64, {2}, {1.0 + 0x1p-24 + 0x1p-52, 1.0 + 0x1p-24});
  EXPECT_TRUE(Close(Doubles(Cast(z, kF32)), {1.0 + 0x1p-23, 1.0}));
  // float32 -> float16 ties to even.
  const HostTensor w = FromDoubles(kF32, {2}, {1.0 + 0x1p-11, 1.0 + 3 * 0x1p-11});
  EXPECT_EQ(Bits16(Cast(w, kF16)), std::vector<uint16_t>({0x3c00, 0x3c02}));
  // Widening is exact.
  const HostTensor v = FromDoubles(kF16, {2}, {65504.0, 0x1p-24});
  EXPECT_TRUE(Close(Doubles(Cast(v, kF64)), {65504.0, 0x1p-24}));
}

TEST(InterpreterCastTest, IntToFloatRoundsToNearestEven) {
  const HostTensor x = FromInts(kI64, {5}, {65519, 65520, 2049, 2051, -70000});
  EXPECT_EQ(Bits16(Cast(x, kF16)), std::vector<uint16_t>({0x7bff, 0x7c00, 0x6800, 0x6802, 0xfc00}));
  const HostTensor y =
      FromInts(kI64, {2}, {(int64_t{1} << 24) + 1, (int64_t{1} << 62) + (int64_t{1} << 38) + 1});
  EXPECT_TRUE(Close(Doubles(Cast(y, kF32)),
                    {16777216.0, 0x1p62 + 0x1p39}));  // tie to even; just above a tie
  EXPECT_EQ(Bits16(Cast(FromInts(kI32, {2}, {257, 259}), kBF16)),
            std::vector<uint16_t>({0x4380, 0x4382}));  // 257 -> 256, 259 -> 260
}

// int64 -> bfloat16 must round once: 2^62 + 2^54 + 1 lies just above the midpoint between the
// bfloat16 values 2^62 and 2^62 + 2^55, so it rounds up (bits 0x5e81). Going through double
// first rounds it onto the midpoint, and ties-to-even then gives 2^62 (0x5e80).
TEST(InterpreterCastTest, Int64ToBFloat16RoundsOnce) {
  const HostTensor x = FromInts(
      kI64, {2},
      {(int64_t{1} << 62) + (int64_t{1} << 54) + 1, (int64_t{1} << 62) + (int64_t{1} << 54)});
  EXPECT_EQ(Bits16(Cast(x, kBF16)), std::vector<uint16_t>({0x5e81, 0x5e80}));
}

// ---- Reductions ------------------------------------------------------------------------------

// Values of a [2,3] test matrix that fit every dtype.
std::vector<int64_t> Matrix23(DType d) {
  if (d == kBool) return {1, 0, 1, 1, 1, 1};
  if (d == kU8) return {1, 2, 3, 0, 5, 1};
  return {1, -2, 3, 0, 5, -1};
}

// Reference reduction of an int/bool [2,3] matrix over `axes` (a subset of {0, 1}).
std::vector<int64_t> RefReduce(Op op, DType d, const std::vector<int64_t>& m,
                               const std::vector<int64_t>& axes) {
  const bool r0 = std::find(axes.begin(), axes.end(), 0) != axes.end();
  const bool r1 = std::find(axes.begin(), axes.end(), 1) != axes.end();
  const int n0 = r0 ? 1 : 2, n1 = r1 ? 1 : 3;
  std::vector<int64_t> out;
  for (int i = 0; i < n0; ++i) {
    for (int j = 0; j < n1; ++j) {
      bool first = true;
      int64_t acc = 0;
      for (int a = 0; a < 2; ++a) {
        for (int b = 0; b < 3; ++b) {
          if ((!r0 && a != i) || (!r1 && b != j)) continue;
          const int64_t x = m[a * 3 + b];
          if (first) {
            acc = x;
            first = false;
            continue;
          }
          switch (op) {
            case Op::kReduceSum:
              acc = d == kBool ? (acc | x) : Wrap(d, WAdd(acc, x));
              break;
            case Op::kReduceProd:
              acc = d == kBool ? (acc & x) : Wrap(d, WMul(acc, x));
              break;
            case Op::kReduceMax:
              acc = std::max(acc, x);
              break;
            default:
              acc = std::min(acc, x);
              break;
          }
        }
      }
      out.push_back(acc);
    }
  }
  return out;
}

TEST_P(AnyDTypeTest, Reductions) {
  const DType d = GetParam();
  const std::vector<int64_t> m = Matrix23(d);
  const HostTensor x = FromInts(d, {2, 3}, m);
  for (Op op : {Op::kReduceSum, Op::kReduceProd, Op::kReduceMax, Op::kReduceMin}) {
    for (const std::vector<int64_t>& axes :
         std::vector<std::vector<int64_t>>{{}, {0}, {1}, {0, 1}}) {
      SCOPED_TRACE(absl::StrCat(OpName(op), " axes ",
                                axes.size() == 2 ? "[0,1]"
                                : axes.empty()   ? "[]"
                                                 : (axes[0] ? "[1]" : "[0]")));
      const HostTensor r = EvalOp(op, {x}, Axes(axes));
      EXPECT_EQ(r.dtype(), d);
      EXPECT_EQ(Ints(r), RefReduce(op, d, m, axes));
    }
  }
}

TEST_P(AnyDTypeTest, EmptyReductionsGiveIdentity) {
  const DType d = GetParam();
  const HostTensor x(T(d, {2, 0}));
  EXPECT_EQ(Ints(EvalOp(Op::kReduceSum, {x}, Axes({1}))), std::vector<int64_t>({0, 0}));
  EXPECT_EQ(Ints(EvalOp(Op::kReduceProd, {x}, Axes({1}))), std::vector<int64_t>({1, 1}));
  EXPECT_EQ(Ints(EvalOp(Op::kReduceSum, {x}, Axes({0, 1}))), std::vector<int64_t>({0}));
  EXPECT_EQ(EvalOp(Op::kReduceSum, {x}, Axes({0})).num_elements(), 0);
  EXPECT_EQ(EvalOp(Op::kReduceMax, {x}, Axes({0})).shape(), Shape({0}));
}

TEST(InterpreterScanTest, RunningValuesAlongEitherAxis) {
  const HostTensor x = FromDoubles(kF64, {2, 3}, {1, 2, 3, 4, -5, 6});
  EXPECT_EQ(Doubles(EvalOp(Op::kScanSum, {x}, Axis(1))), std::vector<double>({1, 3, 6, 4, -1, 5}));
  EXPECT_EQ(Doubles(EvalOp(Op::kScanSum, {x}, Axis(0))), std::vector<double>({1, 2, 3, 5, -3, 9}));
  EXPECT_EQ(Doubles(EvalOp(Op::kScanProd, {x}, Axis(1))),
            std::vector<double>({1, 2, 6, 4, -20, -120}));
  EXPECT_EQ(Doubles(EvalOp(Op::kScanMax, {x}, Axis(1))), std::vector<double>({1, 2, 3, 4, 4, 6}));
  EXPECT_EQ(Doubles(EvalOp(Op::kScanMin, {x}, Axis(0))), std::vector<double>({1, 2, 3, 1, -5, 3}));
  // NaN propagates through max and min from where it appears.
  const HostTensor nan = FromDoubles(kF32, {4}, {1, kNaN, 3, 0});
  const std::vector<double> m = Doubles(EvalOp(Op::kScanMax, {nan}, Axis(0)));
  EXPECT_EQ(m[0], 1);
  for (int i = 1; i < 4; ++i) EXPECT_TRUE(std::isnan(m[i])) << i;
}

TEST(InterpreterScanTest, IntegersWrapAndBoolIsOrAnd) {
  EXPECT_EQ(Ints(EvalOp(Op::kScanSum, {FromInts(kI8, {3}, {100, 100, 100})}, Axis(0))),
            std::vector<int64_t>({100, -56, 44}));
  EXPECT_EQ(Ints(EvalOp(Op::kScanProd, {FromInts(kU8, {3}, {16, 16, 3})}, Axis(0))),
            std::vector<int64_t>({16, 0, 0}));
  EXPECT_EQ(Ints(EvalOp(Op::kScanMax, {FromInts(kU8, {3}, {200, 7, 255})}, Axis(0))),
            std::vector<int64_t>({200, 200, 255}));
  const HostTensor b = FromInts(kBool, {4}, {0, 1, 0, 1});
  EXPECT_EQ(Ints(EvalOp(Op::kScanSum, {b}, Axis(0))), std::vector<int64_t>({0, 1, 1, 1}));
  EXPECT_EQ(Ints(EvalOp(Op::kScanProd, {b}, Axis(0))), std::vector<int64_t>({0, 0, 0, 0}));
  EXPECT_EQ(Ints(EvalOp(Op::kScanMin, {FromInts(kBool, {2}, {1, 0})}, Axis(0))),
            std::vector<int64_t>({1, 0}));
}

// The carry form: chunks of ceil(n / m), each started from its carry; trailing chunks may be
// empty, and an empty axis gives an empty result.
TEST(InterpreterScanTest, CarriesStartEachChunk) {
  const HostTensor x = FromInts(kI32, {7}, {1, 1, 1, 1, 1, 1, 1});
  EXPECT_EQ(Ints(EvalOp(Op::kScanSum, {x, FromInts(kI32, {3}, {10, 20, 30})}, Axis(0))),
            std::vector<int64_t>({11, 12, 13, 21, 22, 23, 31}));
  EXPECT_EQ(Ints(EvalOp(Op::kScanMax, {x, FromInts(kI32, {3}, {0, 5, -1})}, Axis(0))),
            std::vector<int64_t>({1, 1, 1, 5, 5, 5, 1}));
  // Four chunks of two over 7: the last chunk holds one element.
  const HostTensor y = FromDoubles(kF32, {2, 7}, {1, 2, 3, 4, 5, 6, 7, 1, 1, 1, 1, 1, 1, 1});
  EXPECT_EQ(Doubles(EvalOp(Op::kScanProd, {y, FromDoubles(kF32, {2, 4}, {1, 1, 1, 1, 2, 2, 2, 2})},
                           Axis(1))),
            std::vector<double>({1, 2, 3, 12, 5, 30, 7, 2, 2, 2, 2, 2, 2, 2}));
  // Five chunks of one over three elements: two trailing chunks are empty.
  EXPECT_EQ(Ints(EvalOp(Op::kScanSum,
                        {FromInts(kI64, {3}, {1, 2, 3}), FromInts(kI64, {5}, {7, 8, 9, 10, 11})},
                        Axis(0))),
            std::vector<int64_t>({8, 10, 12}));
  EXPECT_EQ(EvalOp(Op::kScanSum, {HostTensor(T(kF32, {2, 0}))}, Axis(1)).num_elements(), 0);
}

TEST(InterpreterReduceTest, IntegerSumsWrap) {
  EXPECT_EQ(Ints(EvalOp(Op::kReduceSum, {FromInts(kI8, {2}, {100, 100})}, Axes({0}))),
            std::vector<int64_t>({-56}));
  EXPECT_EQ(Ints(EvalOp(Op::kReduceSum, {FromInts(kU8, {2}, {200, 100})}, Axes({0}))),
            std::vector<int64_t>({44}));
  EXPECT_EQ(Ints(EvalOp(Op::kReduceProd, {FromInts(kI8, {2}, {16, 16})}, Axes({0}))),
            std::vector<int64_t>({0}));
  EXPECT_EQ(Ints(EvalOp(Op::kReduceSum, {FromInts(kI64, {2}, {kI64Max, 1})}, Axes({0}))),
            std::vector<int64_t>({kI64Min}));
  EXPECT_EQ(Ints(EvalOp(Op::kReduceSum, {FromInts(kBool, {3}, {1, 1, 1})}, Axes({0}))),
            std::vector<int64_t>({1}));
}

TEST(InterpreterReduceTest, FloatSumsAccumulateInFloat64) {
  // In float32 arithmetic 1e8 + 1 == 1e8, so a float32 accumulator would give 0.
  EXPECT_TRUE(Close(
      Doubles(EvalOp(Op::kReduceSum, {FromDoubles(kF32, {3}, {1e8, 1, -1e8})}, Axes({0}))), {1.0}));
  // In float16 arithmetic 2048 + 1 == 2048.
  EXPECT_TRUE(
      Close(Doubles(EvalOp(Op::kReduceSum, {FromDoubles(kF16, {3}, {2048, 1, 1})}, Axes({0}))),
            {2050.0}));
  EXPECT_TRUE(Close(
      Doubles(EvalOp(Op::kReduceSum, {FromDoubles(kBF16, {3}, {256, 1, 1})}, Axes({0}))), {258.0}));
  EXPECT_TRUE(Close(
      Doubles(EvalOp(Op::kReduceProd, {FromDoubles(kF32, {3}, {1e30, 1e30, 1e-30})}, Axes({0}))),
      {1e30}, 1e-7));
}

TEST_P(FloatTest, ReductionsPropagateNaN) {
  const DType d = GetParam();
  const HostTensor x = FromDoubles(d, {4, 3}, {1, kNaN, 3, kNaN, 1, 2, 1, 2, kNaN, 1, 2, 3});
  EXPECT_TRUE(Close(Doubles(EvalOp(Op::kReduceMax, {x}, Axes({1}))), {kNaN, kNaN, kNaN, 3.0}));
  EXPECT_TRUE(Close(Doubles(EvalOp(Op::kReduceMin, {x}, Axes({1}))), {kNaN, kNaN, kNaN, 1.0}));
  EXPECT_TRUE(Close(Doubles(EvalOp(Op::kReduceSum, {x}, Axes({1}))), {kNaN, kNaN, kNaN, 6.0}));
  EXPECT_TRUE(Close(Doubles(EvalOp(Op::kReduceMax, {x}, Axes({0}))), {kNaN, kNaN, kNaN}));
  const HostTensor inf = FromDoubles(d, {3}, {-kInf, -kInf, -kInf});
  EXPECT_TRUE(Close(Doubles(EvalOp(Op::kReduceMax, {inf}, Axes({0}))), {-kInf}));
  EXPECT_TRUE(Close(
      Doubles(EvalOp(Op::kReduceSum, {FromDoubles(d, {2}, {kInf, -kInf})}, Axes({0}))), {kNaN}));
}

TEST(InterpreterReduceTest, ThreeDimensionalAxes) {
  const HostTensor x = PatternTensor(kI64, {2, 3, 4});
  // Sum over axes 0 and 2: out[j] = sum_{i,k} (12 i + 4 j + k) = 2*4*4j + (4*12 + 2*6) = 32j + 60.
  EXPECT_EQ(Ints(EvalOp(Op::kReduceSum, {x}, Axes({0, 2}))), std::vector<int64_t>({60, 92, 124}));
  const HostTensor mx = EvalOp(Op::kReduceMax, {x}, Axes({1}));
  EXPECT_EQ(mx.shape(), Shape({2, 4}));
  EXPECT_EQ(Ints(mx), std::vector<int64_t>({8, 9, 10, 11, 20, 21, 22, 23}));
  EXPECT_EQ(Ints(EvalOp(Op::kReduceMin, {x}, Axes({0, 1, 2}))), std::vector<int64_t>({0}));
}

// Reference argmax/argmin over a [2,3] matrix: first index of the extreme value.
std::vector<int64_t> RefArg(bool is_max, const std::vector<int64_t>& m, int axis) {
  std::vector<int64_t> out;
  const int outer = axis == 0 ? 3 : 2, len = axis == 0 ? 2 : 3;
  for (int o = 0; o < outer; ++o) {
    int best = 0;
    for (int k = 1; k < len; ++k) {
      const int64_t x = axis == 0 ? m[k * 3 + o] : m[o * 3 + k];
      const int64_t y = axis == 0 ? m[best * 3 + o] : m[o * 3 + best];
      if (is_max ? x > y : x < y) best = k;
    }
    out.push_back(best);
  }
  return out;
}

TEST_P(AnyDTypeTest, ArgMaxArgMin) {
  const DType d = GetParam();
  const std::vector<int64_t> m =
      d == kBool ? std::vector<int64_t>{0, 1, 1, 1, 0, 1} : std::vector<int64_t>{3, 1, 3, 0, 2, 2};
  const HostTensor x = FromInts(d, {2, 3}, m);
  for (int axis : {0, 1}) {
    const HostTensor amax = EvalOp(Op::kArgMax, {x}, Axis(axis));
    EXPECT_EQ(amax.dtype(), kI64);
    EXPECT_EQ(Ints(amax), RefArg(true, m, axis)) << "axis " << axis;
    EXPECT_EQ(Ints(EvalOp(Op::kArgMin, {x}, Axis(axis))), RefArg(false, m, axis))
        << "axis " << axis;
  }
  if (d != kBool) {  // ties go to the first
    EXPECT_EQ(Ints(EvalOp(Op::kArgMax, {x}, Axis(1))), std::vector<int64_t>({0, 1}));
    EXPECT_EQ(Ints(EvalOp(Op::kArgMin, {x}, Axis(1))), std::vector<int64_t>({1, 0}));
  }
}

TEST_P(FloatTest, ArgMaxArgMinFirstNaNWins) {
  const DType d = GetParam();
  const HostTensor x = FromDoubles(d, {4, 4},
                                   {1, kNaN, 3, kNaN,   // first NaN at 1
                                    kNaN, 5, kNaN, 0,   // NaN first
                                    -kInf, 2, 2, kInf,  // no NaN
                                    2, 1, 1, kNaN});    // NaN last
  EXPECT_EQ(Ints(EvalOp(Op::kArgMax, {x}, Axis(1))), std::vector<int64_t>({1, 0, 3, 3}));
  EXPECT_EQ(Ints(EvalOp(Op::kArgMin, {x}, Axis(1))), std::vector<int64_t>({1, 0, 0, 3}));
  // Along axis 0: column 0 has a NaN at row 1, column 3 at row 0.
  EXPECT_EQ(Ints(EvalOp(Op::kArgMax, {x}, Axis(0))), std::vector<int64_t>({1, 0, 1, 0}));
  EXPECT_EQ(Ints(EvalOp(Op::kArgMin, {x}, Axis(0))), std::vector<int64_t>({1, 0, 1, 0}));
}

// ---- Views -----------------------------------------------------------------------------------

TEST_P(AnyDTypeTest, Reshape) {
  const DType d = GetParam();
  const HostTensor x = PatternTensor(d, {2, 3});
  const HostTensor r = EvalOp(Op::kReshape, {x}, {}, T(d, {3, 1, 2}));
  EXPECT_EQ(r.shape(), Shape({3, 1, 2}));
  EXPECT_EQ(Ints(r), Ints(x));
}

TEST_P(AnyDTypeTest, Permute) {
  const DType d = GetParam();
  const HostTensor x = PatternTensor(d, {2, 3, 4});
  Attrs a;
  a.perm = {2, 0, 1};
  const HostTensor r = EvalOp(Op::kPermute, {x}, a);
  ASSERT_EQ(r.shape(), Shape({4, 2, 3}));
  std::vector<int64_t> want;
  for (int k = 0; k < 4; ++k) {
    for (int i = 0; i < 2; ++i) {
      for (int j = 0; j < 3; ++j) want.push_back(Pattern(d, i * 12 + j * 4 + k));  // x[i,j,k]
    }
  }
  EXPECT_EQ(Ints(r), want);
}

TEST_P(AnyDTypeTest, Broadcast) {
  const DType d = GetParam();
  const HostTensor x = PatternTensor(d, {3, 1});
  const HostTensor r = EvalOp(Op::kBroadcast, {x}, {}, T(d, {2, 3, 4}));
  std::vector<int64_t> want;
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j < 3; ++j) {
      for (int k = 0; k < 4; ++k) want.push_back(Pattern(d, j));
    }
  }
  EXPECT_EQ(Ints(r), want);
  const HostTensor s = FromInts(d, {}, {1});
  EXPECT_EQ(Ints(EvalOp(Op::kBroadcast, {s}, {}, T(d, {2, 2}))), std::vector<int64_t>(4, 1));
  EXPECT_EQ(EvalOp(Op::kBroadcast, {x}, {}, T(d, {0, 3, 5})).num_elements(), 0);
}

TEST_P(AnyDTypeTest, SliceWithNegativeStep) {
  const DType d = GetParam();
  const HostTensor x = PatternTensor(d, {5, 4});
  Attrs a;
  a.starts = {4, 1};
  a.steps = {-2, 2};
  const HostTensor r = EvalOp(Op::kSlice, {x}, a, T(d, {3, 2}));
  std::vector<int64_t> want;
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 2; ++j) want.push_back(Pattern(d, (4 - 2 * i) * 4 + (1 + 2 * j)));
  }
  EXPECT_EQ(Ints(r), want);
  a.starts = {3, 3};
  a.steps = {-1, -3};  // rows 3,2,1,0 reversed; columns 3,0
  const HostTensor rev = EvalOp(Op::kSlice, {x}, a, T(d, {4, 2}));
  want.clear();
  for (int i = 3; i >= 0; --i) {
    for (int j : {3, 0}) want.push_back(Pattern(d, i * 4 + j));
  }
  EXPECT_EQ(Ints(rev), want);
}

TEST_P(AnyDTypeTest, Pad) {
  const DType d = GetParam();
  const HostTensor x = PatternTensor(d, {2, 3});
  Attrs a;
  a.low = {1, 0};
  a.high = {0, 2};
  const int64_t pad_value = d == kBool ? 1 : 9;
  a.value = IsFloat(d) ? Scalar::Float(9.0) : Scalar::Int(pad_value);
  const HostTensor r = EvalOp(Op::kPad, {x}, a);
  ASSERT_EQ(r.shape(), Shape({3, 5}));
  const int64_t p = pad_value;
  const std::vector<int64_t> want = {p,
                                     p,
                                     p,
                                     p,
                                     p,
                                     Pattern(d, 0),
                                     Pattern(d, 1),
                                     Pattern(d, 2),
                                     p,
                                     p,
                                     Pattern(d, 3),
                                     Pattern(d, 4),
                                     Pattern(d, 5),
                                     p,
                                     p};
  EXPECT_EQ(Ints(r), want);
}

TEST(InterpreterPadTest, FloatPadValueKeepsItsBits) {
  Attrs a;
  a.low = {1};
  a.high = {1};
  a.value = Scalar::Float(-0.0);
  const HostTensor r = EvalOp(Op::kPad, {FromDoubles(kF32, {1}, {2.0})}, a);
  EXPECT_TRUE(Close(Doubles(r), {-0.0, 2.0, -0.0}, 0, true));
  a.value = Scalar::Float(kNaN);
  EXPECT_TRUE(
      Close(Doubles(EvalOp(Op::kPad, {FromDoubles(kF16, {1}, {2.0})}, a)), {kNaN, 2.0, kNaN}));
  // Padding an empty axis gives only padding.
  a.value = Scalar::Float(0.5);
  a.low = {2};
  a.high = {1};
  EXPECT_TRUE(Close(Doubles(EvalOp(Op::kPad, {HostTensor(T(kF64, {0}))}, a)), {0.5, 0.5, 0.5}));
}

TEST_P(AnyDTypeTest, Flip) {
  const DType d = GetParam();
  const HostTensor x = PatternTensor(d, {2, 3});
  auto P = [&](int64_t i) { return Pattern(d, i); };
  EXPECT_EQ(Ints(EvalOp(Op::kFlip, {x}, Axes({1}))),
            std::vector<int64_t>({P(2), P(1), P(0), P(5), P(4), P(3)}));
  EXPECT_EQ(Ints(EvalOp(Op::kFlip, {x}, Axes({0}))),
            std::vector<int64_t>({P(3), P(4), P(5), P(0), P(1), P(2)}));
  EXPECT_EQ(Ints(EvalOp(Op::kFlip, {x}, Axes({0, 1}))),
            std::vector<int64_t>({P(5), P(4), P(3), P(2), P(1), P(0)}));
  EXPECT_EQ(Ints(EvalOp(Op::kFlip, {x}, Axes({}))), Ints(x));
}

// ---- Data movement ---------------------------------------------------------------------------

TEST_P(AnyDTypeTest, Concat) {
  const DType d = GetParam();
  const HostTensor a = PatternTensor(d, {2, 1});
  const HostTensor empty(T(d, {2, 0}));
  const HostTensor b = FromInts(d, {2, 3}, {1, 1, 0, 0, 1, 1});
  const HostTensor r = EvalOp(Op::kConcat, {a, empty, b, a}, Axis(1));
  ASSERT_EQ(r.shape(), Shape({2, 5}));
  const std::vector<int64_t> ai = Ints(a), bi = Ints(b);
  EXPECT_EQ(Ints(r), std::vector<int64_t>({ai[0], bi[0], bi[1], bi[2], ai[0],  //
                                           ai[1], bi[3], bi[4], bi[5], ai[1]}));
  const HostTensor rows = EvalOp(Op::kConcat, {b, b}, Axis(0));
  ASSERT_EQ(rows.shape(), Shape({4, 3}));
  std::vector<int64_t> want = bi;
  want.insert(want.end(), bi.begin(), bi.end());
  EXPECT_EQ(Ints(rows), want);
}

TEST_P(AnyDTypeTest, GatherWithNegativeIndices) {
  const DType d = GetParam();
  const HostTensor data = PatternTensor(d, {3, 4});
  auto P = [&](int64_t i) { return Pattern(d, i); };
  for (DType idx_type : {kI8, kU8, kI32, kI64}) {
    SCOPED_TRACE(DTypeName(idx_type));
    const HostTensor rows = idx_type == kU8 ? FromInts(idx_type, {4}, {2, 2, 0, 1})
                                            : FromInts(idx_type, {4}, {2, -1, 0, -3});
    const HostTensor r = EvalOp(Op::kGather, {data, rows}, Axis(0));
    ASSERT_EQ(r.shape(), Shape({4, 4}));
    const std::vector<int64_t> src_rows =
        idx_type == kU8 ? std::vector<int64_t>{2, 2, 0, 1} : std::vector<int64_t>{2, 2, 0, 0};
    std::vector<int64_t> want;
    for (int64_t row : src_rows) {
      for (int c = 0; c < 4; ++c) want.push_back(P(row * 4 + c));
    }
    EXPECT_EQ(Ints(r), want);
  }
  // Along axis 1 with 2-D indices: result [3, 2, 2].
  const HostTensor idx = FromInts(kI32, {2, 2}, {1, -1, 0, 3});
  const HostTensor r = EvalOp(Op::kGather, {data, idx}, Axis(1));
  ASSERT_EQ(r.shape(), Shape({3, 2, 2}));
  std::vector<int64_t> want;
  for (int row = 0; row < 3; ++row) {
    for (int c : {1, 3, 0, 3}) want.push_back(P(row * 4 + c));
  }
  EXPECT_EQ(Ints(r), want);
  // 0-d index removes the axis.
  const HostTensor one = EvalOp(Op::kGather, {data, FromInts(kI64, {}, {-2})}, Axis(0));
  EXPECT_EQ(one.shape(), Shape({4}));
  EXPECT_EQ(Ints(one), std::vector<int64_t>({P(4), P(5), P(6), P(7)}));
}

TEST(InterpreterGatherTest, OutOfRangeIndexIsAnInvalidArgument) {
  const HostTensor data = PatternTensor(kF32, {3, 2});
  for (int64_t bad : {int64_t{3}, int64_t{-4}, kI64Max, kI64Min}) {
    SCOPED_TRACE(bad);
    const absl::StatusOr<HostTensor> r =
        TryEvalOp(Op::kGather, {data, FromInts(kI64, {3}, {0, bad, 1})}, Axis(0));
    EXPECT_TRUE(HasError(r, absl::StatusCode::kInvalidArgument, "gather"));
    EXPECT_TRUE(HasError(r, absl::StatusCode::kInvalidArgument,
                         absl::StrCat("index ", bad, " is out of bounds for axis 0 with size 3")));
  }
  // u8 indices are never negative: 200 is out of range, not -56.
  EXPECT_TRUE(HasError(TryEvalOp(Op::kGather, {data, FromInts(kU8, {1}, {200})}, Axis(0)),
                       absl::StatusCode::kInvalidArgument, "index 200 is out of bounds"));
  // Gathering from an empty axis: every index is out of range.
  EXPECT_TRUE(HasError(
      TryEvalOp(Op::kGather, {HostTensor(T(kF32, {0})), FromInts(kI64, {1}, {0})}, Axis(0)),
      absl::StatusCode::kInvalidArgument, "gather"));
  // No indices: nothing to check.
  const absl::StatusOr<HostTensor> none =
      TryEvalOp(Op::kGather, {data, HostTensor(T(kI64, {0}))}, Axis(0));
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_EQ(none->shape(), Shape({0, 2}));
}

TEST(InterpreterGatherTest, ErrorNamesNodeAndCallSite) {
  Graph g("g");
  Node* data = g.AddInput(T(kF32, {2}));
  Node* idx = g.AddInput(T(kI64, {1}));
  const SourceLoc loc{InternFileName("user/model.cc"), 42, 7};
  g.AddOutput(g.AddNode(Op::kGather, {data, idx}, Axis(0), std::nullopt, loc).value());
  const absl::StatusOr<std::vector<HostTensor>> r =
      Interpret(g, {PatternTensor(kF32, {2}), FromInts(kI64, {1}, {2})});
  EXPECT_TRUE(HasError(r.status(), absl::StatusCode::kInvalidArgument,
                       "gather: index 2 is out of bounds for axis 0 with size 2"));
  EXPECT_TRUE(HasError(r.status(), absl::StatusCode::kInvalidArgument, "user/model.cc:42:7"));
  EXPECT_TRUE(HasError(r.status(), absl::StatusCode::kInvalidArgument, "%2"));
}

// ---- Leaves ----------------------------------------------------------------------------------

HostTensor EvalLeaf(Op op, Attrs attrs, TensorType type) {
  return EvalOp(op, {}, std::move(attrs), std::move(type));
}

TEST_P(NonBoolTest, Iota) {
  const DType d = GetParam();
  EXPECT_EQ(Ints(EvalLeaf(Op::kIota, Axis(0), T(d, {2, 3}))),
            std::vector<int64_t>({0, 0, 0, 1, 1, 1}));
  EXPECT_EQ(Ints(EvalLeaf(Op::kIota, Axis(1), T(d, {2, 3}))),
            std::vector<int64_t>({0, 1, 2, 0, 1, 2}));
  EXPECT_EQ(EvalLeaf(Op::kIota, Axis(0), T(d, {0})).num_elements(), 0);
  if (d == kI8) {
    const HostTensor r = EvalLeaf(Op::kIota, Axis(0), T(d, {130}));
    EXPECT_EQ(Ints(r)[128], -128);  // integers wrap
  }
  if (d == kF16) {
    const HostTensor r = EvalLeaf(Op::kIota, Axis(0), T(d, {2052}));
    EXPECT_EQ(Doubles(r)[2049], 2048.0);  // rounded to nearest even
    EXPECT_EQ(Doubles(r)[2051], 2052.0);
  }
}

TEST_P(AnyDTypeTest, Constant) {
  const DType d = GetParam();
  Attrs a;
  a.value = IsFloat(d) ? Scalar::Float(-2.5) : Scalar::Int(d == kBool ? 1 : MinOf(d));
  const HostTensor r = EvalLeaf(Op::kConstant, a, T(d, {2, 2}));
  if (IsFloat(d)) {
    EXPECT_TRUE(Close(Doubles(r), std::vector<double>(4, -2.5)));
  } else {
    EXPECT_EQ(Ints(r), std::vector<int64_t>(4, d == kBool ? 1 : MinOf(d)));
  }
  EXPECT_EQ(EvalLeaf(Op::kConstant, a, T(d, {})).num_elements(), 1);
  EXPECT_EQ(EvalLeaf(Op::kConstant, a, T(d, {3, 0})).num_elements(), 0);
}

TEST(InterpreterConstantTest, FloatConstantsRoundToTheDType) {
  Attrs a;
  a.value = Scalar::Float(0.1);
  EXPECT_EQ(Bits16(EvalLeaf(Op::kConstant, a, T(kF16, {1}))), std::vector<uint16_t>({0x2e66}));
  EXPECT_EQ(Bits16(EvalLeaf(Op::kConstant, a, T(kBF16, {1}))), std::vector<uint16_t>({0x3dcd}));
  EXPECT_EQ(EvalLeaf(Op::kConstant, a, T(kF32, {1})).data_as<float>()[0], 0.1f);
  EXPECT_EQ(EvalLeaf(Op::kConstant, a, T(kF64, {1})).data_as<double>()[0], 0.1);
  a.value = Scalar::Float(-0.0);
  EXPECT_TRUE(std::signbit(Doubles(EvalLeaf(Op::kConstant, a, T(kF16, {1})))[0]));
  a.value = Scalar::Int(kI64Max);
  EXPECT_EQ(Ints(EvalLeaf(Op::kConstant, a, T(kI64, {1})))[0], kI64Max);
}

Attrs RandomAttrs(uint64_t seed, RandomDist dist = RandomDist::kUniform) {
  Attrs a;
  a.seed = seed;
  a.dist = dist;
  return a;
}

TEST_P(FloatTest, RandomUniformIsDeterministicAndInUnitInterval) {
  const DType d = GetParam();
  const int64_t n = 4096;
  const std::vector<double> a = Doubles(EvalLeaf(Op::kRandom, RandomAttrs(7), T(d, {n})));
  const std::vector<double> b = Doubles(EvalLeaf(Op::kRandom, RandomAttrs(7), T(d, {n})));
  const std::vector<double> c = Doubles(EvalLeaf(Op::kRandom, RandomAttrs(8), T(d, {n})));
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  double sum = 0;
  for (double v : a) {
    ASSERT_GE(v, 0.0);
    ASSERT_LT(v, 1.0);
    sum += v;
  }
  EXPECT_NEAR(sum / n, 0.5, 0.03);
  // Element n depends only on (seed, n): a different shape draws the same prefix.
  const std::vector<double> small = Doubles(EvalLeaf(Op::kRandom, RandomAttrs(7), T(d, {4, 8})));
  EXPECT_EQ(small, std::vector<double>(a.begin(), a.begin() + 32));
  // The value is the documented counter-based draw.
  for (int64_t i = 0; i < 16; ++i) {
    EXPECT_EQ(a[i], UniformFromBits(RandomBits(7, i), UniformBits(d))) << i;
  }
}

TEST_P(FloatTest, RandomUniformNeverRoundsUpToOne) {
  const DType d = GetParam();
  const int64_t n = int64_t{1} << 16;
  const HostTensor r = EvalLeaf(Op::kRandom, RandomAttrs(12345), T(d, {n}));
  double mx = 0;
  for (double v : Doubles(r)) mx = std::max(mx, v);
  EXPECT_LT(mx, 1.0);
  if (d == kF16) {
    EXPECT_EQ(mx, 1.0 - 0x1p-11);  // 65536 draws of 11 bits reach the top value
  } else if (d == kBF16) {
    EXPECT_EQ(mx, 1.0 - 0x1p-8);
  }
}

TEST(InterpreterRandomTest, Float64UsesFullMantissa) {
  const int64_t n = 10000;
  const std::vector<double> a =
      Doubles(EvalLeaf(Op::kRandom, RandomAttrs(18446744073709551615ull), T(kF64, {n})));
  EXPECT_EQ(std::set<double>(a.begin(), a.end()).size(), static_cast<size_t>(n));
  int below_2_24 = 0;  // values not on a float32 grid: the low mantissa bits are used
  for (double v : a) below_2_24 += static_cast<double>(static_cast<float>(v)) != v;
  EXPECT_GT(below_2_24, n / 2);
}

TEST(InterpreterRandomTest, NormalMoments) {
  const int64_t n = 20000;
  const std::vector<double> a =
      Doubles(EvalLeaf(Op::kRandom, RandomAttrs(3, RandomDist::kNormal), T(kF64, {n})));
  double sum = 0, sq = 0;
  for (double v : a) {
    ASSERT_TRUE(std::isfinite(v));
    sum += v;
    sq += v * v;
  }
  const double mean = sum / n;
  EXPECT_NEAR(mean, 0.0, 0.05);
  EXPECT_NEAR(sq / n - mean * mean, 1.0, 0.05);
  // The interpreter and this call may be compiled differently (log1p/cos through libm): equal to
  // within a few ulp, not necessarily bit for bit. Uniform draws are integer math and exact.
  EXPECT_DOUBLE_EQ(a[5], NormalAt(3, 5));
  const std::vector<double> f16 =
      Doubles(EvalLeaf(Op::kRandom, RandomAttrs(3, RandomDist::kNormal), T(kF16, {8})));
  for (int i = 0; i < 8; ++i) EXPECT_NEAR(f16[i], a[i], 4e-3 * std::fabs(a[i]) + 1e-7) << i;
}

// ---- Matmul ----------------------------------------------------------------------------------

TEST_P(AnyDTypeTest, MatmulWithBatchDims) {
  const DType d = GetParam();
  // a: [2,2,3], b: [2,3,2] with values 0..3 (bool: 0/1).
  std::vector<int64_t> av, bv;
  for (int i = 0; i < 12; ++i) {
    av.push_back(d == kBool ? (i * 7 % 3 == 0) : i % 4);
    bv.push_back(d == kBool ? (i % 5 == 1) : (i * 3) % 4);
  }
  const HostTensor a = FromInts(d, {2, 2, 3}, av);
  const HostTensor b = FromInts(d, {2, 3, 2}, bv);
  std::vector<int64_t> want;
  for (int batch = 0; batch < 2; ++batch) {
    for (int i = 0; i < 2; ++i) {
      for (int j = 0; j < 2; ++j) {
        int64_t acc = 0;
        for (int k = 0; k < 3; ++k) acc += av[batch * 6 + i * 3 + k] * bv[batch * 6 + k * 2 + j];
        want.push_back(d == kBool ? acc != 0 : acc);
      }
    }
  }
  const HostTensor r = EvalOp(Op::kMatmul, {a, b});
  ASSERT_EQ(r.shape(), Shape({2, 2, 2}));
  EXPECT_EQ(Ints(r), want);
}

TEST(InterpreterMatmulTest, IntegersWrapAndBoolIsOrOfAnds) {
  const HostTensor a = FromInts(kI8, {1, 2}, {100, 100});
  const HostTensor b = FromInts(kI8, {2, 1}, {1, 1});
  EXPECT_EQ(Ints(EvalOp(Op::kMatmul, {a, b})), std::vector<int64_t>({-56}));
  const HostTensor c = FromInts(kI32, {1, 2}, {65536, 65536});
  const HostTensor e = FromInts(kI32, {2, 1}, {32768, 32768});
  EXPECT_EQ(Ints(EvalOp(Op::kMatmul, {c, e})), std::vector<int64_t>({0}));  // 2^32 wraps to 0
  const HostTensor u = FromInts(kU8, {1, 2}, {16, 16});
  EXPECT_EQ(Ints(EvalOp(Op::kMatmul, {u, u.Reshaped({2, 1})})), std::vector<int64_t>({0}));
  // bool: [1,1] . [[1,0],[1,0]] = [1, 0]; sums of 2 stay 1.
  const HostTensor p = FromInts(kBool, {1, 2}, {1, 1});
  const HostTensor q = FromInts(kBool, {2, 2}, {1, 0, 1, 0});
  const HostTensor r = EvalOp(Op::kMatmul, {p, q});
  EXPECT_EQ(Ints(r), std::vector<int64_t>({1, 0}));
  EXPECT_EQ(r.data_as<uint8_t>()[0], 1);
}

TEST(InterpreterMatmulTest, FloatsAccumulateInFloat64) {
  const HostTensor a = FromDoubles(kF32, {1, 3}, {1e8, 1, -1e8});
  const HostTensor b = FromDoubles(kF32, {3, 1}, {1, 1, 1});
  EXPECT_TRUE(Close(Doubles(EvalOp(Op::kMatmul, {a, b})), {1.0}));
  const HostTensor h = FromDoubles(kF16, {1, 3}, {2048, 1, 1});
  const HostTensor o = FromDoubles(kF16, {3, 1}, {1, 1, 1});
  EXPECT_TRUE(Close(Doubles(EvalOp(Op::kMatmul, {h, o})), {2050.0}));
  const HostTensor n = FromDoubles(kF64, {1, 2}, {kNaN, 1});
  EXPECT_TRUE(Close(Doubles(EvalOp(Op::kMatmul, {n, FromDoubles(kF64, {2, 1}, {0, 1})})), {kNaN}));
}

TEST(InterpreterMatmulTest, EmptyContractionGivesZeros) {
  const HostTensor a(T(kF32, {2, 0}));
  const HostTensor b(T(kF32, {0, 3}));
  const HostTensor r = EvalOp(Op::kMatmul, {a, b});
  EXPECT_EQ(r.shape(), Shape({2, 3}));
  EXPECT_EQ(Doubles(r), std::vector<double>(6, 0.0));
  EXPECT_EQ(EvalOp(Op::kMatmul, {HostTensor(T(kI32, {0, 2})), HostTensor(T(kI32, {2, 3}))}).shape(),
            Shape({0, 3}));
}

// ---- Size-0 and 0-d --------------------------------------------------------------------------

TEST_P(AnyDTypeTest, SizeZeroAndZeroD) {
  const DType d = GetParam();
  const HostTensor empty(T(d, {0, 3}));
  EXPECT_EQ(EvalOp(Op::kAdd, {empty, empty}).shape(), Shape({0, 3}));
  EXPECT_EQ(EvalOp(Op::kEq, {empty, empty}).dtype(), kBool);
  EXPECT_EQ(EvalOp(Op::kCast, {empty}, {}, T(kF16, {0, 3})).num_elements(), 0);
  Attrs perm;
  perm.perm = {1, 0};
  EXPECT_EQ(EvalOp(Op::kPermute, {empty}, perm).shape(), Shape({3, 0}));
  EXPECT_EQ(EvalOp(Op::kConcat, {empty, empty}, Axis(0)).shape(), Shape({0, 3}));

  const HostTensor s = FromInts(d, {}, {1});
  const HostTensor sum = EvalOp(Op::kAdd, {s, s});
  EXPECT_EQ(sum.shape(), Shape({}));
  EXPECT_EQ(Ints(sum), std::vector<int64_t>({d == kBool ? 1 : 2}));
  EXPECT_EQ(Ints(EvalOp(Op::kReduceSum, {s}, Axes({}))), std::vector<int64_t>({1}));
  EXPECT_EQ(Ints(EvalOp(Op::kReshape, {s}, {}, T(d, {1, 1}))), std::vector<int64_t>({1}));
  EXPECT_EQ(Ints(EvalOp(Op::kSelect, {FromInts(kBool, {}, {1}), s, s})), std::vector<int64_t>({1}));
  EXPECT_EQ(Ints(EvalOp(Op::kArgMax, {FromInts(d, {1}, {1})}, Axis(0))), std::vector<int64_t>({0}));
}

// ---- Whole graphs ----------------------------------------------------------------------------

TEST(InterpretGraphTest, StatsCountOnlyNeededNodes) {
  Graph g("g");
  Node* x = g.AddInput(T(kF32, {3}));
  Node* y = g.AddInput(T(kF32, {3}));  // unused
  Node* a = g.AddNode(Op::kNeg, {x}, {}).value();
  g.AddNode(Op::kExp, {x}, {}).value();     // unused
  g.AddNode(Op::kAdd, {x, y}, {}).value();  // unused
  Node* c = g.AddNode(Op::kMul, {a, a}, {}).value();
  Attrs k;
  k.value = Scalar::Float(2.0);
  g.AddNode(Op::kConstant, {}, k, T(kF32, {3})).value();                   // unused
  g.AddNode(Op::kGather, {x, g.AddInput(T(kI64, {1}))}, Axis(0)).value();  // unused, would fail
  g.AddOutput(c);
  g.AddOutput(a);
  const HostTensor xt = FromDoubles(kF32, {3}, {1, -2, 3});
  const HostTensor yt = FromDoubles(kF32, {3}, {0, 0, 0});
  const HostTensor bad_index = FromInts(kI64, {1}, {99});
  InterpretStats stats;
  const absl::StatusOr<std::vector<HostTensor>> r = Interpret(g, {xt, yt, bad_index}, &stats);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(stats.nodes_evaluated, 2);  // neg and mul; inputs are bound, not evaluated
  ASSERT_EQ(r->size(), 2u);
  EXPECT_TRUE(Close(Doubles((*r)[0]), {1, 4, 9}));
  EXPECT_TRUE(Close(Doubles((*r)[1]), {-1, 2, -3}));
  // Inputs are not modified.
  EXPECT_TRUE(Close(Doubles(xt), {1, -2, 3}));

  Graph only_input("i");
  Node* z = only_input.AddInput(T(kF32, {3}));
  only_input.AddOutput(z);
  only_input.AddOutput(z);
  InterpretStats none;
  const absl::StatusOr<std::vector<HostTensor>> ri = Interpret(only_input, {xt}, &none);
  ASSERT_TRUE(ri.ok());
  EXPECT_EQ(none.nodes_evaluated, 0);
  ASSERT_EQ(ri->size(), 2u);
  EXPECT_TRUE(Close(Doubles((*ri)[1]), {1, -2, 3}));
  EXPECT_TRUE(Interpret(only_input, {xt}).ok());  // stats are optional
}

TEST(InterpretGraphTest, DiamondAndLongChainEvaluateEachNodeOnce) {
  Graph g("g");
  Node* x = g.AddInput(T(kI64, {2}));
  Node* cur = x;
  for (int i = 0; i < 50; ++i) cur = g.AddNode(Op::kAdd, {cur, x}, {}).value();
  Node* left = g.AddNode(Op::kNeg, {cur}, {}).value();
  Node* right = g.AddNode(Op::kAbs, {cur}, {}).value();
  g.AddOutput(g.AddNode(Op::kSub, {left, right}, {}).value());
  g.AddOutput(cur);
  InterpretStats stats;
  const absl::StatusOr<std::vector<HostTensor>> r =
      Interpret(g, {FromInts(kI64, {2}, {1, -1})}, &stats);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(stats.nodes_evaluated, 53);
  EXPECT_EQ(Ints((*r)[0]), std::vector<int64_t>({-102, 0}));
  EXPECT_EQ(Ints((*r)[1]), std::vector<int64_t>({51, -51}));
}

TEST(InterpretGraphTest, InputBindingErrors) {
  Graph g("g");
  Node* x = g.AddInput(T(kF32, {2}));
  Node* y = g.AddInput(T(kF32, {2}));
  g.AddOutput(g.AddNode(Op::kAdd, {x, y}, {}).value());
  const HostTensor ok = FromDoubles(kF32, {2}, {1, 2});
  EXPECT_TRUE(HasError(Interpret(g, {ok, FromDoubles(kF64, {2}, {1, 2})}).status(),
                       absl::StatusCode::kInvalidArgument,
                       "bound buffer has type f64[2], expected f32[2]"));
  EXPECT_TRUE(HasError(Interpret(g, {ok, FromDoubles(kF32, {3}, {1, 2, 3})}).status(),
                       absl::StatusCode::kInvalidArgument, "expected f32[2]"));
  EXPECT_TRUE(HasError(Interpret(g, {ok}).status(), absl::StatusCode::kInvalidArgument,
                       "no buffer bound for input 1"));
  const absl::StatusOr<std::vector<HostTensor>> r = Interpret(g, {ok, ok});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(Close(Doubles((*r)[0]), {2, 4}));
}

TEST(InterpretGraphTest, EmptyGraph) {
  Graph g("empty");
  const absl::StatusOr<std::vector<HostTensor>> r = Interpret(g, {});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
}

// ---- Element access --------------------------------------------------------------------------

TEST(ElementAccessTest, StoreRoundsAndWraps) {
  HostTensor h(T(kF16, {3}));
  StoreDouble(h, 0, 65520.0);
  StoreDouble(h, 1, 1.0 + 0x1p-11 + 0x1p-40);
  StoreInt(h, 2, 2049);
  EXPECT_EQ(Bits16(h), std::vector<uint16_t>({0x7c00, 0x3c01, 0x6800}));
  HostTensor i(T(kI8, {3}));
  StoreInt(i, 0, 200);
  StoreDouble(i, 1, 200.0);  // doubles saturate
  StoreDouble(i, 2, kNaN);
  EXPECT_EQ(Ints(i), std::vector<int64_t>({-56, 127, 0}));
  HostTensor b(T(kBool, {2}));
  StoreInt(b, 0, 2);
  StoreDouble(b, 1, kNaN);
  EXPECT_EQ(b.data_as<uint8_t>()[0], 1);
  EXPECT_EQ(b.data_as<uint8_t>()[1], 1);
  HostTensor f(T(kF32, {1}));
  StoreInt(f, 0, (int64_t{1} << 24) + 1);
  EXPECT_EQ(f.data_as<float>()[0], 16777216.0f);
  EXPECT_EQ(LoadAsInt(FromDoubles(kF64, {1}, {-2.9}), 0), -2);
  EXPECT_EQ(LoadAsDouble(FromInts(kU8, {1}, {255}), 0), 255.0);
}

}  // namespace
}  // namespace ndjit::ir

namespace ndjit::ir {
namespace {

TEST(SaturatingFloatToIntTest, NaNCastsToTrueAndZero) {
  EXPECT_EQ(SaturatingFloatToInt(std::nan(""), DType::kBool), 1);
  EXPECT_EQ(SaturatingFloatToInt(std::nan(""), DType::kInt32), 0);
  EXPECT_EQ(SaturatingFloatToInt(-0.0, DType::kBool), 0);
}

}  // namespace
}  // namespace ndjit::ir

namespace ndjit::ir {
namespace {

// Evaluates one elementwise op on float64 scalars through a one-node graph.
double EvalScalarF64(Op op, std::vector<double> args) {
  Graph g("one");
  std::vector<Node*> operands;
  std::vector<HostTensor> inputs;
  for (double a : args) {
    HostTensor t(TensorType{DType::kFloat64, {}});
    t.data_as<double>()[0] = a;
    inputs.push_back(t);
    operands.push_back(g.AddInput(TensorType{DType::kFloat64, {}}));
  }
  auto node = g.AddNode(op, operands, {});
  EXPECT_TRUE(node.ok()) << node.status();
  g.AddOutput(*node);
  auto out = Interpret(g, inputs);
  EXPECT_TRUE(out.ok()) << out.status();
  return (*out)[0].data_as<double>()[0];
}

TEST(InterpreterCatalogTest, Log2Log10Exp2AreExactOnPowers) {
  for (int e = -20; e <= 20; ++e) {
    EXPECT_EQ(EvalScalarF64(Op::kLog2, {std::ldexp(1.0, e)}), e);
    EXPECT_EQ(EvalScalarF64(Op::kExp2, {static_cast<double>(e)}), std::ldexp(1.0, e));
  }
  for (int e = 0; e <= 15; ++e) EXPECT_EQ(EvalScalarF64(Op::kLog10, {std::pow(10.0, e)}), e);
  EXPECT_EQ(EvalScalarF64(Op::kLog2, {0.0}), -INFINITY);
  EXPECT_TRUE(std::isnan(EvalScalarF64(Op::kLog10, {-1.0})));
}

TEST(InterpreterCatalogTest, HypotDoesNotOverflowAndInfBeatsNaN) {
  EXPECT_EQ(EvalScalarF64(Op::kHypot, {3e300, 4e300}), 5e300);
  EXPECT_EQ(EvalScalarF64(Op::kHypot, {INFINITY, NAN}), INFINITY);
  EXPECT_EQ(EvalScalarF64(Op::kHypot, {-3.0, 4.0}), 5.0);
}

TEST(InterpreterCatalogTest, FloatFloorDivideFollowsNumPy) {
  // Values from numpy.floor_divide (float64).
  EXPECT_EQ(EvalScalarF64(Op::kFloorDiv, {7.0, 2.0}), 3.0);
  EXPECT_EQ(EvalScalarF64(Op::kFloorDiv, {-7.0, 2.0}), -4.0);
  EXPECT_EQ(EvalScalarF64(Op::kFloorDiv, {7.0, -2.0}), -4.0);
  EXPECT_EQ(EvalScalarF64(Op::kFloorDiv, {-7.0, -2.0}), 3.0);
  EXPECT_EQ(EvalScalarF64(Op::kFloorDiv, {1.0, 0.1}), 9.0);  // fmod-based, as NumPy: not 10
  EXPECT_EQ(EvalScalarF64(Op::kFloorDiv, {1.0, 0.0}), INFINITY);
  EXPECT_EQ(EvalScalarF64(Op::kFloorDiv, {-1.0, 0.0}), -INFINITY);
  EXPECT_TRUE(std::isnan(EvalScalarF64(Op::kFloorDiv, {0.0, 0.0})));
  EXPECT_TRUE(std::isnan(EvalScalarF64(Op::kFloorDiv, {NAN, 2.0})));
  const double neg_zero = EvalScalarF64(Op::kFloorDiv, {-0.0, 5.0});
  EXPECT_EQ(neg_zero, 0.0);
  EXPECT_TRUE(std::signbit(neg_zero));
  const double pos_zero = EvalScalarF64(Op::kFloorDiv, {1.0, 5.0});
  EXPECT_FALSE(std::signbit(pos_zero));
}

TEST(InterpreterCatalogTest, IntegerFloorDivideIsDiv) {
  Graph g("int");
  Node* a = g.AddInput(TensorType{DType::kInt32, {4}});
  Node* b = g.AddInput(TensorType{DType::kInt32, {4}});
  g.AddOutput(*g.AddNode(Op::kFloorDiv, {a, b}, {}));
  HostTensor x(TensorType{DType::kInt32, {4}}), y(TensorType{DType::kInt32, {4}});
  const int32_t xs[] = {7, -7, 7, 5}, ys[] = {2, 2, -2, 0};
  for (int i = 0; i < 4; ++i) {
    x.data_as<int32_t>()[i] = xs[i];
    y.data_as<int32_t>()[i] = ys[i];
  }
  auto out = Interpret(g, {x, y});
  ASSERT_TRUE(out.ok());
  const int32_t* r = (*out)[0].data_as<int32_t>();
  EXPECT_EQ(r[0], 3);
  EXPECT_EQ(r[1], -4);
  EXPECT_EQ(r[2], -4);
  EXPECT_EQ(r[3], 0);
}

}  // namespace
}  // namespace ndjit::ir
