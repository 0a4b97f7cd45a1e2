// Tests of constant folding: golden cases (each states its rule; negative cases beside the
// positive ones) and a differential test against the interpreter over many ops, dtypes and
// values.
#include "passes/fold_constants.h"

#include <cmath>
#include <limits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "ir/dtype.h"
#include "tests/passes/pass_test_util.h"

namespace ndjit::passes {
namespace {

using ir::Op;
using ir::Scalar;
using testing::ExpectGolden;
using testing::ExpectPassKeepsValues;
using testing::GoldenCase;

// A graph over constants that folds into `%N = constant[value=V]` at the end: input and expected
// share the leading lines.
GoldenCase Folds(std::string rule, std::string leaves, std::string op, std::string folded) {
  return {std::move(rule), absl::StrCat("graph @g {\n", leaves, "\n", op, "\n}"),
          absl::StrCat("graph @g {\n", leaves, "\n", folded, "\n}")};
}
GoldenCase Stays(std::string rule, std::string text) { return {std::move(rule), text, text}; }

TEST(FoldConstantsTest, ElementwiseGolden) {
  const GoldenCase cases[] = {
      Folds("unary of a constant folds; the constant keeps the node's loc",
            "%0 = constant[value=2.0] : f32[3]",
            R"(%1 = neg(%0) : f32[3] loc("a.cc":4:2)
               return %1)",
            R"(%1 = constant[value=-2.0] : f32[3] loc("a.cc":4:2)
               return %1)"),
      Stays("negative: an op with a non-constant operand is not folded",
            R"(graph @g {
                 %0 = input[index=0] : f32[3]
                 %1 = constant[value=1.0] : f32[3]
                 %2 = add(%0, %1) : f32[3]
                 return %2 })"),
      Folds("int8 addition wraps: 127 + 1 == -128",
            "%0 = constant[value=127] : i8[4]\n%1 = constant[value=1] : i8[4]",
            "%2 = add(%0, %1) : i8[4]\nreturn %2", "%2 = constant[value=-128] : i8[4]\nreturn %2"),
      Folds("u8 subtraction wraps: 0 - 1 == 255",
            "%0 = constant[value=0] : u8[2]\n%1 = constant[value=1] : u8[2]",
            "%2 = sub(%0, %1) : u8[2]\nreturn %2", "%2 = constant[value=255] : u8[2]\nreturn %2"),
      Folds("integer division by zero is 0",
            "%0 = constant[value=7] : i32[]\n%1 = constant[value=0] : i32[]",
            "%2 = div(%0, %1) : i32[]\nreturn %2", "%2 = constant[value=0] : i32[]\nreturn %2"),
      Folds("integer division floors: -7 // 2 == -4",
            "%0 = constant[value=-7] : i32[]\n%1 = constant[value=2] : i32[]",
            "%2 = div(%0, %1) : i32[]\nreturn %2", "%2 = constant[value=-4] : i32[]\nreturn %2"),
      Folds("INT_MIN // -1 wraps to INT_MIN",
            "%0 = constant[value=-2147483648] : i32[]\n%1 = constant[value=-1] : i32[]",
            "%2 = div(%0, %1) : i32[]\nreturn %2",
            "%2 = constant[value=-2147483648] : i32[]\nreturn %2"),
      Folds("max with a NaN operand is NaN",
            "%0 = constant[value=nan] : f32[2]\n%1 = constant[value=1.0] : f32[2]",
            "%2 = max(%1, %0) : f32[2]\nreturn %2", "%2 = constant[value=nan] : f32[2]\nreturn %2"),
      Folds("signed zeros: 0.0 * -1.0 == -0.0",
            "%0 = constant[value=0.0] : f64[]\n%1 = constant[value=-1.0] : f64[]",
            "%2 = mul(%0, %1) : f64[]\nreturn %2", "%2 = constant[value=-0.0] : f64[]\nreturn %2"),
      Folds("sqrt(-1) is NaN", "%0 = constant[value=-1.0] : f32[]",
            "%1 = sqrt(%0) : f32[]\nreturn %1", "%1 = constant[value=nan] : f32[]\nreturn %1"),
      Folds("float division by zero is inf",
            "%0 = constant[value=1.0] : f32[]\n%1 = constant[value=-0.0] : f32[]",
            "%2 = div(%0, %1) : f32[]\nreturn %2", "%2 = constant[value=-inf] : f32[]\nreturn %2"),
      Folds("float to int casts saturate", "%0 = constant[value=1e+10] : f32[]",
            "%1 = cast(%0) : i32[]\nreturn %1",
            "%1 = constant[value=2147483647] : i32[]\nreturn %1"),
      Folds("float to int casts send NaN to 0", "%0 = constant[value=nan] : f64[]",
            "%1 = cast(%0) : i8[]\nreturn %1", "%1 = constant[value=0] : i8[]\nreturn %1"),
      Folds("cast to bool is x != 0, so NaN is true", "%0 = constant[value=nan] : f64[]",
            "%1 = cast(%0) : bool[]\nreturn %1", "%1 = constant[value=1] : bool[]\nreturn %1"),
      Folds("float16 results round to nearest even: 2048 + 1 == 2048",
            "%0 = constant[value=2048.0] : f16[]\n%1 = constant[value=1.0] : f16[]",
            "%2 = add(%0, %1) : f16[]\nreturn %2",
            "%2 = constant[value=2048.0] : f16[]\nreturn %2"),
      Folds("float64 to float16 casts round: 1e5 overflows to inf",
            "%0 = constant[value=1e+05] : f64[]", "%1 = cast(%0) : f16[]\nreturn %1",
            "%1 = constant[value=inf] : f16[]\nreturn %1"),
      Folds("bool add is or: true + true == true",
            "%0 = constant[value=1] : bool[2]\n%1 = constant[value=1] : bool[2]",
            "%2 = add(%0, %1) : bool[2]\nreturn %2", "%2 = constant[value=1] : bool[2]\nreturn %2"),
      Folds("comparisons with NaN are false; the result is a bool constant",
            "%0 = constant[value=nan] : f32[2]\n%1 = constant[value=1.0] : f32[2]",
            "%2 = lt(%1, %0) : bool[2]\nreturn %2", "%2 = constant[value=0] : bool[2]\nreturn %2"),
      Folds("select of constants picks by the constant condition",
            "%0 = constant[value=0] : bool[2]\n%1 = constant[value=3] : i64[2]\n"
            "%2 = constant[value=4] : i64[2]",
            "%3 = select(%0, %1, %2) : i64[2]\nreturn %3",
            "%3 = constant[value=4] : i64[2]\nreturn %3"),
      Folds("integer pow with a negative exponent is 0 except for bases 1 and -1",
            "%0 = constant[value=-1] : i64[]\n%1 = constant[value=-3] : i64[]",
            "%2 = pow(%0, %1) : i64[]\nreturn %2", "%2 = constant[value=-1] : i64[]\nreturn %2"),
      {"folding cascades: a node over folded nodes folds too",
       R"(graph @g {
            %0 = constant[value=3] : i32[2]
            %1 = mul(%0, %0) : i32[2]
            %2 = neg(%1) : i32[2]
            return %2 })",
       R"(graph @g {
            %0 = constant[value=3] : i32[2]
            %1 = constant[value=9] : i32[2]
            %2 = constant[value=-9] : i32[2]
            return %2 })"},
      Stays("negative: iota, random and matmul are not folded",
            R"(graph @g {
                 %0 = iota[axis=0] : f32[2,2]
                 %1 = random[dist=uniform, seed=1] : f32[2,2]
                 %2 = constant[value=1.0] : f32[2,2]
                 %3 = matmul(%2, %2) : f32[2,2]
                 return %0, %1, %3 })"),
  };
  for (const GoldenCase& c : cases) ExpectGolden(FoldConstants::kName, c);
}

TEST(FoldConstantsTest, ViewsConcatGatherGolden) {
  const GoldenCase cases[] = {
      Folds("views of a constant are a constant of the new shape",
            "%0 = constant[value=5] : i32[2,3]",
            R"(%1 = reshape(%0) : i32[3,2]
               %2 = permute[perm=[1,0]](%0) : i32[3,2]
               %3 = broadcast(%0) : i32[4,2,3]
               %4 = slice[starts=[1,2], steps=[1,-1]](%0) : i32[1,2]
               %5 = flip[axes=[1]](%0) : i32[2,3]
               return %1, %2, %3, %4, %5)",
            R"(%1 = constant[value=5] : i32[3,2]
               %2 = constant[value=5] : i32[3,2]
               %3 = constant[value=5] : i32[4,2,3]
               %4 = constant[value=5] : i32[1,2]
               %5 = constant[value=5] : i32[2,3]
               return %1, %2, %3, %4, %5)"),
      Folds("pad of a constant with its own value is a constant",
            "%0 = constant[value=1.5] : f32[2]",
            "%1 = pad[high=[1], low=[2], value=1.5](%0) : f32[5]\nreturn %1",
            "%1 = constant[value=1.5] : f32[5]\nreturn %1"),
      Stays("negative: pad with a different value is not a splat",
            R"(graph @g {
                 %0 = constant[value=1.5] : f32[2]
                 %1 = pad[high=[1], low=[2], value=0.0](%0) : f32[5]
                 return %1 })"),
      Stays("negative: pad values compare bitwise, so 0.0 does not match -0.0",
            R"(graph @g {
                 %0 = constant[value=-0.0] : f32[2]
                 %1 = pad[high=[1], low=[0], value=0.0](%0) : f32[3]
                 return %1 })"),
      Folds("pad of an empty constant is all pad value", "%0 = constant[value=7] : i8[0]",
            "%1 = pad[high=[1], low=[1], value=3](%0) : i8[2]\nreturn %1",
            "%1 = constant[value=3] : i8[2]\nreturn %1"),
      Folds("concat of constants with equal values is a constant",
            "%0 = constant[value=2] : i64[2]\n%1 = constant[value=2] : i64[3]",
            "%2 = concat[axis=0](%0, %1, %0) : i64[7]\nreturn %2",
            "%2 = constant[value=2] : i64[7]\nreturn %2"),
      Stays("negative: concat of constants with different values is not a splat",
            R"(graph @g {
                 %0 = constant[value=2] : i64[2]
                 %1 = constant[value=3] : i64[3]
                 %2 = concat[axis=0](%0, %1) : i64[5]
                 return %2 })"),
      Folds("argmax and argmin of a constant are 0, the first index, even for a NaN splat",
            "%0 = constant[value=nan] : f32[2,3]",
            "%1 = argmax[axis=1](%0) : i64[2]\n%2 = argmin[axis=0](%0) : i64[3]\nreturn %1, %2",
            "%1 = constant[value=0] : i64[2]\n%2 = constant[value=0] : i64[3]\nreturn %1, %2"),
      Folds("gather with an in-range constant index (negatives count from the end) folds",
            "%0 = constant[value=4.0] : f32[3,2]\n%1 = constant[value=-3] : i32[5]",
            "%2 = gather[axis=0](%0, %1) : f32[5,2]\nreturn %2",
            "%2 = constant[value=4.0] : f32[5,2]\nreturn %2"),
      Stays("negative: gather with an out-of-range constant index stays a run-time error",
            R"(graph @g {
                 %0 = constant[value=4.0] : f32[3,2]
                 %1 = constant[value=3] : i32[5]
                 %2 = gather[axis=0](%0, %1) : f32[5,2]
                 return %2 })"),
  };
  for (const GoldenCase& c : cases) ExpectGolden(FoldConstants::kName, c);
}

TEST(FoldConstantsTest, ReductionsGolden) {
  const GoldenCase cases[] = {
      Folds("reduce_max and reduce_min of a constant keep its value",
            "%0 = constant[value=-0.0] : f32[2,3]",
            "%1 = reduce_max[axes=[1]](%0) : f32[2]\n%2 = reduce_min[axes=[0,1]](%0) : f32[]\n"
            "return %1, %2",
            "%1 = constant[value=-0.0] : f32[2]\n%2 = constant[value=-0.0] : f32[]\nreturn %1, %2"),
      Folds("integer sum is value * count, wrapping: 100 * 3 == 44 in i8",
            "%0 = constant[value=100] : i8[2,3]",
            "%1 = reduce_sum[axes=[1]](%0) : i8[2]\nreturn %1",
            "%1 = constant[value=44] : i8[2]\nreturn %1"),
      Folds("integer prod is value ** count, wrapping: 3 ** 4 == 81, 2 ** 32 == 0 in i32",
            "%0 = constant[value=3] : i32[4]\n%1 = constant[value=2] : i32[32]",
            "%2 = reduce_prod[axes=[0]](%0) : i32[]\n%3 = reduce_prod[axes=[0]](%1) : i32[]\n"
            "return %2, %3",
            "%2 = constant[value=81] : i32[]\n%3 = constant[value=0] : i32[]\nreturn %2, %3"),
      Folds("bool sum is or and bool prod is and",
            "%0 = constant[value=1] : bool[3]\n%1 = constant[value=0] : bool[3]",
            "%2 = reduce_sum[axes=[0]](%0) : bool[]\n%3 = reduce_prod[axes=[0]](%1) : bool[]\n"
            "return %2, %3",
            "%2 = constant[value=1] : bool[]\n%3 = constant[value=0] : bool[]\nreturn %2, %3"),
      Folds("empty reductions give 0 (sum) and 1 (prod), whatever the value",
            "%0 = constant[value=nan] : f32[0,2]\n%1 = constant[value=5] : i32[2,0]",
            "%2 = reduce_sum[axes=[0]](%0) : f32[2]\n%3 = reduce_prod[axes=[1]](%1) : i32[2]\n"
            "return %2, %3",
            "%2 = constant[value=0.0] : f32[2]\n%3 = constant[value=1] : i32[2]\nreturn %2, %3"),
      Folds("float sum folds when every partial sum is exact: 0.5 * 6 == 3.0",
            "%0 = constant[value=0.5] : f32[2,3]",
            "%1 = reduce_sum[axes=[0,1]](%0) : f32[]\nreturn %1",
            "%1 = constant[value=3.0] : f32[]\nreturn %1"),
      Folds("float sum starts from +0.0: a sum of -0.0 is 0.0",
            "%0 = constant[value=-0.0] : f64[4]",
            "%1 = reduce_sum[axes=[0]](%0) : f64[]\nreturn %1",
            "%1 = constant[value=0.0] : f64[]\nreturn %1"),
      Folds("float sum rounds once to the dtype: 2049 * 1.0 in f16 is 2048",
            "%0 = constant[value=1.0] : f16[2049]",
            "%1 = reduce_sum[axes=[0]](%0) : f16[]\nreturn %1",
            "%1 = constant[value=2048.0] : f16[]\nreturn %1"),
      Stays("negative: a float sum whose partial sums round in float64 is not folded",
            R"(graph @g {
                 %0 = constant[value=0.1] : f64[3]
                 %1 = reduce_sum[axes=[0]](%0) : f64[]
                 return %1 })"),
      Folds("float prod of -1, 0, inf or NaN has a closed form (sign by parity)",
            "%0 = constant[value=-inf] : f32[3]\n%1 = constant[value=-1.0] : f32[4]",
            "%2 = reduce_prod[axes=[0]](%0) : f32[]\n%3 = reduce_prod[axes=[0]](%1) : f32[]\n"
            "return %2, %3",
            "%2 = constant[value=-inf] : f32[]\n%3 = constant[value=1.0] : f32[]\nreturn %2, %3"),
      Stays("negative: other float prods would need the interpreter's loop; not folded",
            R"(graph @g {
                 %0 = constant[value=2.0] : f32[3]
                 %1 = reduce_prod[axes=[0]](%0) : f32[]
                 return %1 })"),
  };
  for (const GoldenCase& c : cases) ExpectGolden(FoldConstants::kName, c);
}

// ---- Differential tests: the interpreter before and after the pass -------------------------

constexpr DType kAllDTypes[] = {DType::kBool,     DType::kInt8,    DType::kUInt8,
                                DType::kInt32,    DType::kInt64,   DType::kFloat16,
                                DType::kBFloat16, DType::kFloat32, DType::kFloat64};

// `v` as the dtype holds it, so that every constant is exactly representable.
Scalar Representable(double v, DType dtype) {
  ir::HostTensor t(ir::TensorType{dtype, {}});
  ir::StoreDouble(t, 0, v);
  return IsFloat(dtype) ? Scalar::Float(ir::LoadAsDouble(t, 0)) : Scalar::Int(ir::LoadAsInt(t, 0));
}

// Zeros of both signs, +-1, a fraction, the integer extremes, NaN and the infinities.
std::vector<Scalar> InterestingValues(DType dtype) {
  std::vector<Scalar> values;
  if (IsFloat(dtype)) {
    const double inf = std::numeric_limits<double>::infinity();
    for (double v : {0.0, -0.0, 1.0, -1.0, 0.1, -2.5, 3.0, 65504.0, 1e-30, inf, -inf,
                     std::numeric_limits<double>::quiet_NaN()}) {
      values.push_back(Representable(v, dtype));
    }
    return values;
  }
  const ir::IntRange range = ir::IntegerRange(dtype);
  for (int64_t v : {int64_t{0}, int64_t{1}, int64_t{-1}, int64_t{2}, int64_t{-7}, int64_t{100},
                    range.lo, range.hi}) {
    if (v >= range.lo && v <= range.hi) values.push_back(Scalar::Int(v));
  }
  return values;
}

absl::StatusOr<ir::Node*> Constant(ir::Graph& g, Scalar value, ir::TensorType type) {
  ir::Attrs attrs;
  attrs.value = value;
  return g.AddNode(Op::kConstant, {}, attrs, std::move(type));
}

// Builds op(constants...) of shape [2]; false when the op does not take these dtypes.
bool BuildElementwise(ir::Graph& g, Op op, absl::Span<const DType> dtypes,
                      absl::Span<const Scalar> values, DType result) {
  std::vector<ir::Node*> operands;
  for (size_t i = 0; i < values.size(); ++i) {
    absl::StatusOr<ir::Node*> c = Constant(g, values[i], ir::TensorType{dtypes[i], {2}});
    if (!c.ok()) return false;
    operands.push_back(*c);
  }
  std::optional<ir::TensorType> type;
  if (ir::GetOpKind(op) == ir::OpKind::kCast) type = ir::TensorType{result, {2}};
  absl::StatusOr<ir::Node*> node = g.AddNode(op, operands, {}, type);
  if (!node.ok()) return false;
  g.AddOutput(*node);
  return true;
}

TEST(FoldConstantsTest, ElementwiseMatchesInterpreter) {
  int folded = 0;
  for (int k = 0; k < ir::kNumOps; ++k) {
    const Op op = static_cast<Op>(k);
    const ir::OpKind kind = ir::GetOpKind(op);
    for (DType dt : kAllDTypes) {
      const std::vector<Scalar> values = InterestingValues(dt);
      for (const Scalar& x : values) {
        auto run = [&](absl::Span<const DType> dtypes, absl::Span<const Scalar> operands,
                       DType result) {
          ir::Graph g;
          if (!BuildElementwise(g, op, dtypes, operands, result)) return;
          SCOPED_TRACE(ir::OpName(op));
          folded += ExpectPassKeepsValues(FoldConstants::kName, g);
        };
        switch (kind) {
          case ir::OpKind::kUnary:
          case ir::OpKind::kUnaryPredicate:
            run({dt}, {x}, dt);
            break;
          case ir::OpKind::kCast:
            for (DType to : kAllDTypes) run({dt}, {x}, to);
            break;
          case ir::OpKind::kBinary:
          case ir::OpKind::kCompare:
            for (const Scalar& y : values) run({dt, dt}, {x, y}, dt);
            break;
          case ir::OpKind::kSelect:
            for (int64_t c : {0, 1})
              run({DType::kBool, dt, dt}, {Scalar::Int(c), x, values[1]}, dt);
            break;
          case ir::OpKind::kLeaf:
          case ir::OpKind::kReduce:
          case ir::OpKind::kArgReduce:
          case ir::OpKind::kScan:
          case ir::OpKind::kView:
          case ir::OpKind::kConcat:
          case ir::OpKind::kGather:
          case ir::OpKind::kMatmul:
            break;
        }
      }
    }
  }
  EXPECT_GT(folded, 15000);  // the checks above are not vacuous
}

// The other kinds, on a fixed graph per dtype and value: views, pad with the same and another
// value, concat, argmax/argmin, reductions over several counts (empty, small, wrapping),
// gathers in and out of range and scans (a running max or min of a splat folds).
TEST(FoldConstantsTest, ShapedOpsMatchInterpreter) {
  constexpr char kTemplate[] = R"(graph @g {
    %0 = constant[value=$V] : $T[2,3]
    %1 = constant[value=$V] : $T[0,3]
    %2 = constant[value=$V] : $T[300]
    %3 = constant[value=1] : i32[2]
    %4 = constant[value=-5] : i8[2]
    %5 = reshape(%0) : $T[3,2]
    %6 = permute[perm=[1,0]](%0) : $T[3,2]
    %7 = broadcast(%0) : $T[2,2,3]
    %8 = slice[starts=[1,2], steps=[1,-2]](%0) : $T[1,2]
    %9 = flip[axes=[0,1]](%0) : $T[2,3]
    %10 = pad[high=[1,0], low=[0,2], value=$V](%0) : $T[3,5]
    %11 = pad[high=[1,0], low=[0,2], value=$W](%0) : $T[3,5]
    %12 = pad[high=[1,0], low=[0,0], value=$W](%1) : $T[1,3]
    %13 = concat[axis=0](%0, %1, %0) : $T[4,3]
    %14 = argmax[axis=1](%0) : i64[2]
    %15 = argmin[axis=0](%0) : i64[3]
    %16 = reduce_max[axes=[0,1]](%0) : $T[]
    %17 = reduce_min[axes=[1]](%0) : $T[2]
    %18 = reduce_sum[axes=[1]](%0) : $T[2]
    %19 = reduce_prod[axes=[0,1]](%0) : $T[]
    %20 = reduce_sum[axes=[0]](%1) : $T[3]
    %21 = reduce_prod[axes=[0]](%1) : $T[3]
    %22 = reduce_sum[axes=[0]](%2) : $T[]
    %23 = reduce_prod[axes=[0]](%2) : $T[]
    %24 = gather[axis=1](%0, %3) : $T[2,2]
    %25 = scan_max[axis=1](%0) : $T[2,3]
    %26 = scan_min[axis=0](%0) : $T[2,3]
    %27 = scan_sum[axis=1](%0) : $T[2,3]
    %28 = scan_max[axis=0](%1) : $T[0,3]
    return %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22,
           %23, %24, %25, %26, %27, %28 })";
  int folded = 0;
  for (DType dt : kAllDTypes) {
    const std::vector<Scalar> values = InterestingValues(dt);
    for (const Scalar& v : values) {
      const std::string text =
          absl::StrReplaceAll(kTemplate, {{"$V", ir::ScalarToString(v)},
                                          {"$W", ir::ScalarToString(values[1])},
                                          {"$T", ir::DTypeShortName(dt)}});
      auto g = ir::ParseGraph(text, "template");
      ASSERT_TRUE(g.ok()) << g.status() << "\n" << text;
      folded += ExpectPassKeepsValues(FoldConstants::kName, **g);
      // An out-of-range gather must stay an error (the check above compares errors too).
      const std::string bad = absl::StrReplaceAll(
          text, {{"%24 = gather[axis=1](%0, %3)", "%24 = gather[axis=1](%0, %4)"}});
      auto g2 = ir::ParseGraph(bad, "template");
      ASSERT_TRUE(g2.ok()) << g2.status();
      ExpectPassKeepsValues(FoldConstants::kName, **g2);
    }
  }
  EXPECT_GT(folded, 80);
}

}  // namespace
}  // namespace ndjit::passes
