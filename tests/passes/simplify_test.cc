// Tests of algebraic simplification: golden cases (each states its rule; negative cases beside
// the positive ones) and a differential test against the interpreter with inputs holding NaN,
// infinities, signed zeros and the integer extremes.
#include "passes/simplify.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "ir/dtype.h"
#include "ir/status_macros.h"
#include "tests/passes/pass_test_util.h"

namespace ndjit::passes {
namespace {

using ir::Op;
using ir::Scalar;
using testing::ExpectGolden;
using testing::ExpectPassKeepsValues;
using testing::GoldenCase;

// `%0 = input : T[4]` and a constant `%1 = c : T[4]`, then `op`; `rewritten` replaces the op's
// lines in the expected graph. $T is replaced by the dtype.
GoldenCase Case(std::string rule, const char* dtype, const char* c, std::string op,
                std::string rewritten) {
  const std::string head = absl::StrCat("graph @g {\n%0 = input[index=0] : $T[4]\n",
                                        "%1 = constant[value=", c, "] : $T[4]\n");
  auto fill = [&](const std::string& body) {
    return absl::StrReplaceAll(absl::StrCat(head, body, "\n}"), {{"$T", dtype}});
  };
  return {std::move(rule), fill(op), fill(rewritten)};
}
GoldenCase Same(std::string rule, const char* dtype, const char* c, std::string op) {
  return Case(std::move(rule), dtype, c, op, op);
}
GoldenCase Stays(std::string rule, std::string text) { return {std::move(rule), text, text}; }

TEST(SimplifyTest, ArithmeticGolden) {
  const std::string kMulR = "%2 = mul(%0, %1) : $T[4]\nreturn %2";
  const GoldenCase cases[] = {
      Case("x * 1 -> x (floats)", "f32", "1.0", kMulR, "return %0"),
      Case("1 * x -> x (ints)", "i32", "1", "%2 = mul(%1, %0) : $T[4]\nreturn %2", "return %0"),
      Case("x * 1 -> x (bool: and with true)", "bool", "1", kMulR, "return %0"),
      Same("negative: x * 2 is not x", "f32", "2.0", kMulR),
      {"x * 1 -> x with the 1 broadcast from a scalar constant",
       R"(graph @g {
            %0 = input[index=0] : f32[4]
            %1 = constant[value=1.0] : f32[]
            %2 = broadcast(%1) : f32[4]
            %3 = mul(%0, %2) : f32[4]
            return %3 })",
       R"(graph @g {
            %0 = input[index=0] : f32[4]
            %1 = constant[value=1.0] : f32[]
            %2 = broadcast(%1) : f32[4]
            return %0 })"},
      Case("x * 0 -> 0 (ints; the zero keeps the node's loc)", "u8", "0",
           "%2 = mul(%0, %1) : $T[4] loc(\"a.cc\":2:3)\nreturn %2",
           "%2 = constant[value=0] : $T[4] loc(\"a.cc\":2:3)\nreturn %2"),
      Same("negative: x * 0 (floats) stays: NaN * 0 is NaN, -1 * 0 is -0.0", "f32", "0.0", kMulR),
      Case("x + -0.0 -> x (floats)", "f64", "-0.0", "%2 = add(%0, %1) : $T[4]\nreturn %2",
           "return %0"),
      Same("negative: x + 0.0 (floats) stays: -0.0 + 0.0 is +0.0", "f64", "0.0",
           "%2 = add(%0, %1) : $T[4]\nreturn %2"),
      Case("0 + x -> x (ints)", "i8", "0", "%2 = add(%1, %0) : $T[4]\nreturn %2", "return %0"),
      Case("x - 0.0 -> x (floats)", "f16", "0.0", "%2 = sub(%0, %1) : $T[4]\nreturn %2",
           "return %0"),
      Same("negative: x - -0.0 (floats) stays: -0.0 - -0.0 is +0.0", "f16", "-0.0",
           "%2 = sub(%0, %1) : $T[4]\nreturn %2"),
      Case("x - 0 -> x (ints)", "i64", "0", "%2 = sub(%0, %1) : $T[4]\nreturn %2", "return %0"),
      Case("-0.0 - x -> neg(x) (floats), with the sub's loc", "f32", "-0.0",
           "%2 = sub(%1, %0) : $T[4] loc(\"a.cc\":7:1)\nreturn %2",
           "%2 = neg(%0) : $T[4] loc(\"a.cc\":7:1)\nreturn %2"),
      Same("negative: 0.0 - x (floats) stays: 0.0 - 0.0 is +0.0, neg(0.0) is -0.0", "f32", "0.0",
           "%2 = sub(%1, %0) : $T[4]\nreturn %2"),
      Case("0 - x -> neg(x) (ints, wrapping alike)", "i8", "0",
           "%2 = sub(%1, %0) : $T[4]\nreturn %2", "%2 = neg(%0) : $T[4]\nreturn %2"),
      Case("x / 1 -> x (floats)", "bf16", "1.0", "%2 = div(%0, %1) : $T[4]\nreturn %2",
           "return %0"),
      Case("x // 1 -> x (ints: div and floordiv)", "i32", "1",
           "%2 = div(%0, %1) : $T[4]\n%3 = floordiv(%0, %1) : $T[4]\nreturn %2, %3",
           "return %0, %0"),
      Same("negative: floordiv(x, 1) (floats) stays: 2.5 // 1 is 2.0", "f32", "1.0",
           "%2 = floordiv(%0, %1) : $T[4]\nreturn %2"),
      Same("negative: 1 / x is not x", "f32", "1.0", "%2 = div(%1, %0) : $T[4]\nreturn %2"),
      Case("pow(x, 1) -> x", "f32", "1.0", "%2 = pow(%0, %1) : $T[4]\nreturn %2", "return %0"),
      Case("pow(x, 0) -> 1 (C pow: even for NaN)", "f32", "-0.0",
           "%2 = pow(%0, %1) : $T[4]\nreturn %2", "%2 = constant[value=1.0] : $T[4]\nreturn %2"),
      Same("negative: pow(1, x) is not rewritten (no rule; it is 1 but not x)", "f32", "1.0",
           "%2 = pow(%1, %0) : $T[4]\nreturn %2"),
      Case("x & 0 -> 0 (ints)", "i32", "0", "%2 = and(%0, %1) : $T[4]\nreturn %2",
           "%2 = constant[value=0] : $T[4]\nreturn %2"),
      Same("negative: x | 0 is not 0", "i32", "0", "%2 = or(%1, %0) : $T[4]\nreturn %2"),
  };
  for (const GoldenCase& c : cases) ExpectGolden(AlgebraicSimplifier::kName, c);
}

TEST(SimplifyTest, SameOperandAndUnaryGolden) {
  const GoldenCase cases[] = {
      Case("max(x, x), min(x, x) -> x (a NaN x gives NaN either way)", "f32", "0.0",
           "%2 = max(%0, %0) : $T[4]\n%3 = min(%0, %0) : $T[4]\nreturn %2, %3", "return %0, %0"),
      Same("negative: max(x, c) is not x", "f32", "0.0", "%2 = max(%0, %1) : $T[4]\nreturn %2"),
      Case("and(x, x), or(x, x) -> x", "bool", "0",
           "%2 = and(%0, %0) : $T[4]\n%3 = or(%0, %0) : $T[4]\nreturn %2, %3", "return %0, %0"),
      Case("xor(x, x) and x - x -> 0 (ints)", "i8", "0",
           "%2 = xor(%0, %0) : $T[4]\n%3 = sub(%0, %0) : $T[4]\nreturn %2, %3",
           "%2 = constant[value=0] : $T[4]\n%3 = constant[value=0] : $T[4]\nreturn %2, %3"),
      Same("negative: x - x (floats) stays: inf - inf is NaN", "f32", "0.0",
           "%2 = sub(%0, %0) : $T[4]\nreturn %2"),
      Same("negative: x / x stays: 0 / 0 is NaN (ints: 0 // 0 is 0)", "i32", "0",
           "%2 = div(%0, %0) : $T[4]\nreturn %2"),
      {"eq/le/ge(x, x) -> true and ne/lt/gt(x, x) -> false (ints)",
       R"(graph @g {
            %0 = input[index=0] : i32[2]
            %1 = eq(%0, %0) : bool[2]
            %2 = lt(%0, %0) : bool[2]
            return %1, %2 })",
       R"(graph @g {
            %0 = input[index=0] : i32[2]
            %1 = constant[value=1] : bool[2]
            %2 = constant[value=0] : bool[2]
            return %1, %2 })"},
      Same("negative: eq(x, x) (floats) stays: NaN != NaN", "f32", "0.0",
           "%2 = eq(%0, %0) : bool[4]\nreturn %2"),
      {"select(c, x, x) -> x",
       R"(graph @g {
            %0 = input[index=0] : bool[2]
            %1 = input[index=1] : f32[2]
            %2 = select(%0, %1, %1) : f32[2]
            return %2 })",
       R"(graph @g {
            %0 = input[index=0] : bool[2]
            %1 = input[index=1] : f32[2]
            return %1 })"},
      Case("neg(neg(x)) -> x (ints wrap: neg(neg(-128)) == -128)", "i8", "0",
           "%2 = neg(%0) : $T[4]\n%3 = neg(%2) : $T[4]\nreturn %3",
           "%2 = neg(%0) : $T[4]\nreturn %0"),
      Case("not(not(x)) -> x", "u8", "0", "%2 = not(%0) : $T[4]\n%3 = not(%2) : $T[4]\nreturn %3",
           "%2 = not(%0) : $T[4]\nreturn %0"),
      Case("abs(abs(x)) -> abs(x)", "f32", "0.0",
           "%2 = abs(%0) : $T[4]\n%3 = abs(%2) : $T[4]\nreturn %3",
           "%2 = abs(%0) : $T[4]\nreturn %2"),
      Case("abs(neg(x)) -> abs(x) (signed), a new abs with the outer abs's loc", "i32", "0",
           "%2 = neg(%0) : $T[4]\n%3 = abs(%2) : $T[4] loc(\"a.cc\":9:9)\nreturn %3",
           "%2 = neg(%0) : $T[4]\n%3 = abs(%0) : $T[4] loc(\"a.cc\":9:9)\nreturn %3"),
      Same("negative: abs(neg(x)) on u8 stays: abs(neg(5)) is 251", "u8", "0",
           "%2 = neg(%0) : $T[4]\n%3 = abs(%2) : $T[4]\nreturn %3"),
      Same("negative: exp(log(x)) stays: log(-1) is NaN, and both round", "f32", "0.0",
           "%2 = log(%0) : $T[4]\n%3 = exp(%2) : $T[4]\nreturn %3"),
  };
  for (const GoldenCase& c : cases) ExpectGolden(AlgebraicSimplifier::kName, c);
}

TEST(SimplifyTest, CastGolden) {
  const GoldenCase cases[] = {
      {"cast(cast(x)) -> x through an exact widening (f32 -> f64 -> f32, i8 -> bf16 -> i8)",
       R"(graph @g {
            %0 = input[index=0] : f32[2]
            %1 = input[index=1] : i8[2]
            %2 = cast(%0) : f64[2]
            %3 = cast(%2) : f32[2]
            %4 = cast(%1) : bf16[2]
            %5 = cast(%4) : i8[2]
            return %3, %5 })",
       R"(graph @g {
            %0 = input[index=0] : f32[2]
            %1 = input[index=1] : i8[2]
            %2 = cast(%0) : f64[2]
            %3 = cast(%1) : bf16[2]
            return %0, %1 })"},
      {"cast(cast(x)) -> x for bool: any dtype then != 0",
       R"(graph @g {
            %0 = input[index=0] : bool[2]
            %1 = cast(%0) : f16[2]
            %2 = cast(%1) : bool[2]
            return %2 })",
       R"(graph @g {
            %0 = input[index=0] : bool[2]
            %1 = cast(%0) : f16[2]
            return %0 })"},
      {"a cast to the operand's own dtype -> x",
       R"(graph @g {
            %0 = input[index=0] : i64[2]
            %1 = cast(%0) : i64[2]
            return %1 })",
       R"(graph @g {
            %0 = input[index=0] : i64[2]
            return %0 })"},
      Stays("negative: i32 -> f32 -> i32 loses 2^24 + 1",
            R"(graph @g {
                 %0 = input[index=0] : i32[2]
                 %1 = cast(%0) : f32[2]
                 %2 = cast(%1) : i32[2]
                 return %2 })"),
      Stays("negative: f64 -> f32 -> f64 rounds (a narrowing, not a widening)",
            R"(graph @g {
                 %0 = input[index=0] : f64[2]
                 %1 = cast(%0) : f32[2]
                 %2 = cast(%1) : f64[2]
                 return %2 })"),
      Stays("negative: f16 -> bf16 -> f16 differ in precision and range",
            R"(graph @g {
                 %0 = input[index=0] : f16[2]
                 %1 = cast(%0) : bf16[2]
                 %2 = cast(%1) : f16[2]
                 return %2 })"),
  };
  for (const GoldenCase& c : cases) ExpectGolden(AlgebraicSimplifier::kName, c);
}

// ---- Differential test: the interpreter before and after, inputs holding special values -----

constexpr DType kAllDTypes[] = {DType::kBool,     DType::kInt8,    DType::kUInt8,
                                DType::kInt32,    DType::kInt64,   DType::kFloat16,
                                DType::kBFloat16, DType::kFloat32, DType::kFloat64};

// Zeros of both signs, +-1, fractions, large values, NaN, the infinities and the integer
// extremes, as the dtype holds them.
ir::HostTensor SpecialValues(DType dtype) {
  const double inf = std::numeric_limits<double>::infinity();
  const ir::IntRange range = ir::IntegerRange(dtype);
  std::vector<double> floats = {0.0,     -0.0,      1.0,  -1.0,
                                0.5,     -2.5,      3.0,  1e30,
                                1e-30,   inf,       -inf, std::numeric_limits<double>::quiet_NaN(),
                                65504.0, 16777217.0};
  std::vector<int64_t> ints = {0, 1, -1, 2, 5, -7, 100, range.lo, range.hi, range.lo + 1};
  const int64_t n = IsFloat(dtype) ? floats.size() : ints.size();
  ir::HostTensor t(ir::TensorType{dtype, {n}});
  for (int64_t i = 0; i < n; ++i) {
    if (IsFloat(dtype)) {
      ir::StoreDouble(t, i, floats[i]);
    } else {
      ir::StoreInt(t, i, std::clamp(ints[i], range.lo, range.hi));
    }
  }
  return t;
}

// Checks one graph, built by `build` from the input leaves; skipped when the ops do not take
// the dtypes (build fails).
int Check(
    absl::Span<const DType> input_dtypes,
    const std::function<absl::StatusOr<ir::Node*>(ir::Graph&, std::vector<ir::Node*>&)>& build) {
  ir::Graph g;
  std::vector<ir::Node*> leaves;
  std::vector<ir::HostTensor> inputs;
  for (DType dt : input_dtypes) {
    inputs.push_back(SpecialValues(dt));
    leaves.push_back(g.AddInput(inputs.back().type()));
  }
  absl::StatusOr<ir::Node*> out = build(g, leaves);
  if (!out.ok()) return 0;
  g.AddOutput(*out);
  return ExpectPassKeepsValues(AlgebraicSimplifier::kName, g, inputs) ? 1 : 0;
}

absl::StatusOr<ir::Node*> Const(ir::Graph& g, Scalar value, const ir::TensorType& like,
                                bool scalar_broadcast) {
  ir::Attrs attrs;
  attrs.value = value;
  if (!scalar_broadcast) return g.AddNode(Op::kConstant, {}, attrs, like);
  ASSIGN_OR_RETURN(ir::Node * c,
                   g.AddNode(Op::kConstant, {}, attrs, ir::TensorType{like.dtype, {}}));
  return g.AddNode(Op::kBroadcast, {c}, {}, like);
}

TEST(SimplifyTest, MatchesInterpreterOnSpecialValues) {
  int changed = 0;
  for (DType dt : kAllDTypes) {
    std::vector<Scalar> constants;
    for (double v : {0.0, -0.0, 1.0, -1.0, 2.0}) {
      if (IsFloat(dt)) {
        constants.push_back(Scalar::Float(v));
      } else if (v >= ir::IntegerRange(dt).lo && !std::signbit(v)) {
        constants.push_back(Scalar::Int(static_cast<int64_t>(v)));
      } else if (v == -1.0 && ir::IntegerRange(dt).lo < 0) {
        constants.push_back(Scalar::Int(-1));
      }
    }
    for (int k = 0; k < ir::kNumOps; ++k) {
      const Op op = static_cast<Op>(k);
      const ir::OpKind kind = ir::GetOpKind(op);
      SCOPED_TRACE(ir::OpName(op));
      if (kind == ir::OpKind::kBinary || kind == ir::OpKind::kCompare) {
        // op(x, x), and op(x, c), op(c, x) with c a constant or a broadcast scalar constant.
        changed += Check({dt}, [&](ir::Graph& g, std::vector<ir::Node*>& x) {
          return g.AddNode(op, {x[0], x[0]}, {});
        });
        for (const Scalar& c : constants) {
          for (bool swap : {false, true}) {
            for (bool broadcast : {false, true}) {
              changed += Check(
                  {dt}, [&](ir::Graph& g, std::vector<ir::Node*>& x) -> absl::StatusOr<ir::Node*> {
                    ASSIGN_OR_RETURN(ir::Node * splat, Const(g, c, x[0]->type(), broadcast));
                    return swap ? g.AddNode(op, {splat, x[0]}, {})
                                : g.AddNode(op, {x[0], splat}, {});
                  });
            }
          }
        }
      }
      if (kind != ir::OpKind::kUnary) continue;
      for (int k2 = 0; k2 < ir::kNumOps; ++k2) {  // every unary op of every unary op
        const Op inner = static_cast<Op>(k2);
        if (ir::GetOpKind(inner) != ir::OpKind::kUnary) continue;
        changed +=
            Check({dt}, [&](ir::Graph& g, std::vector<ir::Node*>& x) -> absl::StatusOr<ir::Node*> {
              ASSIGN_OR_RETURN(ir::Node * u, g.AddNode(inner, {x[0]}, {}));
              return g.AddNode(op, {u}, {});
            });
      }
    }
    changed += Check({DType::kBool, dt}, [&](ir::Graph& g, std::vector<ir::Node*>& x) {
      return g.AddNode(Op::kSelect, {x[0], x[1], x[1]}, {});
    });
    for (DType mid : kAllDTypes) {  // every cast(cast(x)), back to x's dtype or not
      for (DType to : kAllDTypes) {
        changed +=
            Check({dt}, [&](ir::Graph& g, std::vector<ir::Node*>& x) -> absl::StatusOr<ir::Node*> {
              ir::TensorType t = x[0]->type();
              t.dtype = mid;
              ASSIGN_OR_RETURN(ir::Node * c, g.AddNode(Op::kCast, {x[0]}, {}, t));
              t.dtype = to;
              return g.AddNode(Op::kCast, {c}, {}, t);
            });
      }
    }
  }
  EXPECT_GT(changed, 400);  // the checks above are not vacuous
}

}  // namespace
}  // namespace ndjit::passes
