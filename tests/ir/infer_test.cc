// Tests of ir/infer.cc: every type rule of every op, each with a passing and a failing case.
#include "ir/infer.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "ir/dtype.h"
#include "ir_test_util.h"

namespace ndjit::ir {
namespace {

using testing::AllDTypes;
using testing::T;

absl::StatusOr<TensorType> Infer(Op op, std::vector<TensorType> in, Attrs a = {},
                                 std::optional<TensorType> declared = std::nullopt) {
  return InferType(op, in, a, declared);
}

// The rule is broken: InvalidArgument, message "<op>: ..." containing `fragment`.
::testing::AssertionResult Rejects(Op op, const absl::StatusOr<TensorType>& r,
                                   std::string_view fragment) {
  ::testing::AssertionResult res =
      testing::HasError(r.status(), absl::StatusCode::kInvalidArgument, fragment);
  if (!res) return res;
  const std::string message(r.status().message());
  const std::string prefix = std::string(OpName(op)) + ": ";
  if (message.rfind(prefix, 0) != 0) {
    return ::testing::AssertionFailure()
           << "message does not start with '" << prefix << "': " << message;
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult Gives(const absl::StatusOr<TensorType>& r, const TensorType& want) {
  if (!r.ok()) return ::testing::AssertionFailure() << r.status();
  if (*r != want) {
    return ::testing::AssertionFailure()
           << "got " << TypeToString(*r) << ", want " << TypeToString(want);
  }
  return ::testing::AssertionSuccess();
}

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
Attrs Value(Scalar v) {
  Attrs a;
  a.value = v;
  return a;
}

// ---- Generic rules ---------------------------------------------------------------------------

TEST(InferArityTest, OperandCounts) {
  const TensorType x = T(kF32, {2});
  EXPECT_TRUE(Gives(Infer(Op::kAdd, {x, x}), x));
  EXPECT_TRUE(Rejects(Op::kAdd, Infer(Op::kAdd, {x}), "expects 2 operands, got 1"));
  EXPECT_TRUE(Rejects(Op::kAdd, Infer(Op::kAdd, {x, x, x}), "expects 2 operands, got 3"));
  EXPECT_TRUE(Rejects(Op::kNeg, Infer(Op::kNeg, {}), "expects 1 operands, got 0"));
  EXPECT_TRUE(Rejects(Op::kSelect, Infer(Op::kSelect, {x, x}), "expects 3 operands, got 2"));
  EXPECT_TRUE(Rejects(Op::kInput, Infer(Op::kInput, {x}, {}, x), "expects 0 operands, got 1"));
  EXPECT_TRUE(Rejects(Op::kConcat, Infer(Op::kConcat, {}), "expects at least one operand"));
  EXPECT_TRUE(Gives(Infer(Op::kConcat, {x}), x));
  // Every op of the table reports its arity.
  for (int i = 0; i < kNumOps; ++i) {
    const Op op = static_cast<Op>(i);
    const bool variadic = op == Op::kConcat || GetOpKind(op) == OpKind::kScan;
    EXPECT_GE(OpArity(op), variadic ? -1 : 0) << OpName(op);
    EXPECT_EQ(ParseOpName(OpName(op)), op);
  }
  EXPECT_EQ(ParseOpName("nonsense"), std::nullopt);
}

TEST(InferDeclaredTest, DeclaredShapeMustBeValid) {
  EXPECT_TRUE(Gives(Infer(Op::kInput, {}, {}, T(kF32, {0, 3})), T(kF32, {0, 3})));
  EXPECT_TRUE(Rejects(Op::kInput, Infer(Op::kInput, {}, {}, T(kF32, {2, -1})),
                      "negative dimension -1 in shape (2, -1)"));
  const int64_t big = int64_t{1} << 40;
  EXPECT_TRUE(Rejects(Op::kConstant,
                      Infer(Op::kConstant, {}, Value(Scalar::Float(0)), T(kF32, {big, big})),
                      "overflows int64"));
  EXPECT_TRUE(Gives(Infer(Op::kConstant, {}, Value(Scalar::Float(0)), T(kF32, {big, big, 0})),
                    T(kF32, {big, big, 0})));
  const TensorType x = T(kF32, {2, 3});
  EXPECT_TRUE(
      Rejects(Op::kReshape, Infer(Op::kReshape, {x}, {}, T(kF32, {-2, -3})), "negative dimension"));
}

TEST(InferDeclaredTest, DeclaredTypeOfInferredOpsMustMatch) {
  const TensorType x = T(kF32, {2, 3});
  EXPECT_TRUE(Gives(Infer(Op::kAdd, {x, x}, {}, x), x));
  EXPECT_TRUE(Rejects(Op::kAdd, Infer(Op::kAdd, {x, x}, {}, T(kF64, {2, 3})),
                      "declared type f64[2,3] differs from inferred type f32[2,3]"));
  EXPECT_TRUE(Rejects(Op::kNeg, Infer(Op::kNeg, {x}, {}, T(kF32, {3, 2})),
                      "declared type f32[3,2] differs from inferred type f32[2,3]"));
  EXPECT_TRUE(Rejects(Op::kEq, Infer(Op::kEq, {x, x}, {}, x), "differs from inferred type"));
  EXPECT_TRUE(Gives(Infer(Op::kEq, {x, x}, {}, T(kBool, {2, 3})), T(kBool, {2, 3})));
  EXPECT_TRUE(Rejects(Op::kReduceSum, Infer(Op::kReduceSum, {x}, Axes({1}), T(kF32, {3})),
                      "declared type f32[3] differs from inferred type f32[2]"));
  EXPECT_TRUE(Rejects(Op::kArgMax, Infer(Op::kArgMax, {x}, Axis(1), T(kI32, {2})),
                      "differs from inferred type i64[2]"));
}

TEST(InferDeclaredTest, ResultTypeIsDeclared) {
  for (int i = 0; i < kNumOps; ++i) {
    const Op op = static_cast<Op>(i);
    const bool want = op == Op::kInput || op == Op::kConstant || op == Op::kIota ||
                      op == Op::kRandom || op == Op::kCast || op == Op::kReshape ||
                      op == Op::kBroadcast || op == Op::kSlice;
    EXPECT_EQ(ResultTypeIsDeclared(op), want) << OpName(op);
  }
}

// ---- Leaves ----------------------------------------------------------------------------------

TEST(InferLeafTest, NeedResultType) {
  for (Op op : {Op::kInput, Op::kConstant, Op::kIota, Op::kRandom}) {
    EXPECT_TRUE(Rejects(op, Infer(op, {}), "needs a result type")) << OpName(op);
  }
}

TEST(InferLeafTest, Input) {
  for (DType d : AllDTypes()) {
    Attrs a;
    a.index = 3;
    EXPECT_TRUE(Gives(Infer(Op::kInput, {}, a, T(d, {2})), T(d, {2})));
  }
  Attrs a;
  a.index = -1;
  EXPECT_TRUE(Rejects(Op::kInput, Infer(Op::kInput, {}, a, T(kF32, {})), "negative index"));
}

TEST(InferLeafTest, ConstantValueRanges) {
  struct Case {
    DType dtype;
    int64_t lo, hi;
  };
  const Case cases[] = {
      {kBool, 0, 1},
      {kI8, -128, 127},
      {kU8, 0, 255},
      {kI32, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max()},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(DTypeName(c.dtype));
    const TensorType t = T(c.dtype, {2});
    EXPECT_TRUE(Gives(Infer(Op::kConstant, {}, Value(Scalar::Int(c.lo)), t), t));
    EXPECT_TRUE(Gives(Infer(Op::kConstant, {}, Value(Scalar::Int(c.hi)), t), t));
    EXPECT_TRUE(
        Rejects(Op::kConstant, Infer(Op::kConstant, {}, Value(Scalar::Int(c.lo - 1)), t),
                absl::StrCat("value ", c.lo - 1, " out of range for ", DTypeName(c.dtype))));
    EXPECT_TRUE(
        Rejects(Op::kConstant, Infer(Op::kConstant, {}, Value(Scalar::Int(c.hi + 1)), t),
                absl::StrCat("value ", c.hi + 1, " out of range for ", DTypeName(c.dtype))));
    EXPECT_TRUE(Rejects(Op::kConstant, Infer(Op::kConstant, {}, Value(Scalar::Float(1.0)), t),
                        absl::StrCat("value 1.0 must be an integer for ", DTypeName(c.dtype))));
  }
  const TensorType i64 = T(kI64, {});
  for (int64_t v :
       {std::numeric_limits<int64_t>::min(), int64_t{0}, std::numeric_limits<int64_t>::max()}) {
    EXPECT_TRUE(Gives(Infer(Op::kConstant, {}, Value(Scalar::Int(v)), i64), i64));
  }
  EXPECT_TRUE(Rejects(Op::kConstant, Infer(Op::kConstant, {}, Value(Scalar::Float(0.5)), i64),
                      "must be an integer for int64"));
  for (DType d : {kF16, kBF16, kF32, kF64}) {
    const TensorType t = T(d, {3});
    for (double v : {0.5, -0.0, std::numeric_limits<double>::infinity(),
                     std::numeric_limits<double>::quiet_NaN()}) {
      EXPECT_TRUE(Gives(Infer(Op::kConstant, {}, Value(Scalar::Float(v)), t), t));
    }
    EXPECT_TRUE(Rejects(Op::kConstant, Infer(Op::kConstant, {}, Value(Scalar::Int(1)), t),
                        absl::StrCat("value 1 must be a float for ", DTypeName(d))));
  }
}

TEST(InferLeafTest, Iota) {
  for (DType d : AllDTypes()) {
    const absl::StatusOr<TensorType> r = Infer(Op::kIota, {}, Axis(1), T(d, {2, 3}));
    if (d == kBool) {
      EXPECT_TRUE(Rejects(Op::kIota, r, "dtype bool is not supported"));
    } else {
      EXPECT_TRUE(Gives(r, T(d, {2, 3}))) << DTypeName(d);
    }
  }
  EXPECT_TRUE(Rejects(Op::kIota, Infer(Op::kIota, {}, Axis(2), T(kI32, {2, 3})),
                      "axis 2 out of range for rank 2"));
  EXPECT_TRUE(Rejects(Op::kIota, Infer(Op::kIota, {}, Axis(-1), T(kI32, {2, 3})),
                      "axis -1 out of range for rank 2"));
  EXPECT_TRUE(Rejects(Op::kIota, Infer(Op::kIota, {}, Axis(0), T(kI32, {})),
                      "axis 0 out of range for rank 0"));
  EXPECT_TRUE(Gives(Infer(Op::kIota, {}, Axis(0), T(kI64, {0})), T(kI64, {0})));
}

TEST(InferLeafTest, RandomIsFloatOnly) {
  for (DType d : AllDTypes()) {
    Attrs a;
    a.seed = 5;
    a.dist = RandomDist::kNormal;
    const absl::StatusOr<TensorType> r = Infer(Op::kRandom, {}, a, T(d, {4}));
    if (IsFloat(d)) {
      EXPECT_TRUE(Gives(r, T(d, {4})));
    } else {
      EXPECT_TRUE(
          Rejects(Op::kRandom, r, absl::StrCat("dtype ", DTypeName(d), " is not supported")));
    }
  }
}

// ---- Elementwise dtype restrictions ----------------------------------------------------------

enum class Allowed { kAll, kNotBool, kFloatOnly, kNotFloat };

Allowed AllowedFor(Op op) {
  switch (op) {
    case Op::kNeg:
    case Op::kAbs:
    case Op::kSign:
    case Op::kSub:
    case Op::kDiv:
    case Op::kFloorDiv:
    case Op::kMod:
    case Op::kPow:
      return Allowed::kNotBool;
    case Op::kNot:
    case Op::kAnd:
    case Op::kOr:
    case Op::kXor:
      return Allowed::kNotFloat;
    case Op::kAdd:
    case Op::kMul:
    case Op::kMax:
    case Op::kMin:
    case Op::kIsNan:
    case Op::kIsInf:
    case Op::kIsFinite:
      return Allowed::kAll;
    default:
      break;
  }
  const OpKind kind = GetOpKind(op);
  if (kind == OpKind::kCompare) return Allowed::kAll;
  return Allowed::kFloatOnly;  // the transcendental and rounding unary ops, and atan2
}

bool IsAllowed(Allowed a, DType d) {
  switch (a) {
    case Allowed::kAll:
      return true;
    case Allowed::kNotBool:
      return d != kBool;
    case Allowed::kFloatOnly:
      return IsFloat(d);
    case Allowed::kNotFloat:
      return !IsFloat(d);
  }
  return false;
}

TEST(InferElementwiseTest, DTypeRestrictionsOfEveryOp) {
  int checked = 0;
  for (int i = 0; i < kNumOps; ++i) {
    const Op op = static_cast<Op>(i);
    const OpKind kind = GetOpKind(op);
    if (kind != OpKind::kUnary && kind != OpKind::kUnaryPredicate && kind != OpKind::kBinary &&
        kind != OpKind::kCompare) {
      continue;
    }
    for (DType d : AllDTypes()) {
      SCOPED_TRACE(absl::StrCat(OpName(op), " on ", DTypeName(d)));
      const TensorType x = T(d, {2, 3});
      std::vector<TensorType> in(OpArity(op), x);
      const absl::StatusOr<TensorType> r = Infer(op, in);
      const bool bool_result = kind == OpKind::kUnaryPredicate || kind == OpKind::kCompare;
      if (IsAllowed(AllowedFor(op), d)) {
        EXPECT_TRUE(Gives(r, T(bool_result ? kBool : d, {2, 3})));
      } else {
        EXPECT_TRUE(Rejects(op, r, absl::StrCat("dtype ", DTypeName(d), " is not supported")));
      }
      ++checked;
    }
  }
  EXPECT_EQ(checked, 9 * (29 + 3 + 14 + 6));  // unary, predicates, binary, compare
}

TEST(InferElementwiseTest, NamedExamples) {
  EXPECT_TRUE(Rejects(Op::kExp, Infer(Op::kExp, {T(kI32, {2})}), "dtype int32 is not supported"));
  EXPECT_TRUE(Rejects(Op::kSub, Infer(Op::kSub, {T(kBool, {2}), T(kBool, {2})}),
                      "dtype bool is not supported"));
  EXPECT_TRUE(Rejects(Op::kAnd, Infer(Op::kAnd, {T(kF32, {2}), T(kF32, {2})}),
                      "dtype float32 is not supported"));
  EXPECT_TRUE(Gives(Infer(Op::kNot, {T(kBool, {2})}), T(kBool, {2})));
  EXPECT_TRUE(Gives(Infer(Op::kAdd, {T(kBool, {2}), T(kBool, {2})}), T(kBool, {2})));
}

TEST(InferElementwiseTest, BinaryOperandsMustAgree) {
  for (Op op : {Op::kAdd, Op::kMax, Op::kAtan2, Op::kEq, Op::kGe}) {
    SCOPED_TRACE(OpName(op));
    EXPECT_TRUE(Rejects(op, Infer(op, {T(kF32, {2, 3}), T(kF32, {3, 2})}),
                        "operand shapes differ: f32[2,3], f32[3,2]"));
    EXPECT_TRUE(Rejects(op, Infer(op, {T(kF32, {2, 3}), T(kF32, {1, 3})}),
                        "operand shapes differ"));  // no implicit broadcasting
    EXPECT_TRUE(Rejects(op, Infer(op, {T(kF32, {}), T(kF32, {1})}), "operand shapes differ"));
    EXPECT_TRUE(Rejects(op, Infer(op, {T(kF32, {2}), T(kF64, {2})}),
                        "operand dtypes differ: f32[2], f64[2]"));  // no implicit promotion
  }
  EXPECT_TRUE(Gives(Infer(Op::kMul, {T(kF16, {}), T(kF16, {})}), T(kF16, {})));
  EXPECT_TRUE(Gives(Infer(Op::kMul, {T(kF16, {0, 2}), T(kF16, {0, 2})}), T(kF16, {0, 2})));
  EXPECT_TRUE(Gives(Infer(Op::kLt, {T(kU8, {4}), T(kU8, {4})}), T(kBool, {4})));
}

TEST(InferElementwiseTest, Select) {
  const TensorType c = T(kBool, {2, 3});
  for (DType d : AllDTypes()) {
    EXPECT_TRUE(Gives(Infer(Op::kSelect, {c, T(d, {2, 3}), T(d, {2, 3})}), T(d, {2, 3})));
  }
  EXPECT_TRUE(Rejects(Op::kSelect,
                      Infer(Op::kSelect, {T(kI32, {2, 3}), T(kF32, {2, 3}), T(kF32, {2, 3})}),
                      "condition must be bool"));
  EXPECT_TRUE(Rejects(Op::kSelect, Infer(Op::kSelect, {c, T(kF32, {2, 3}), T(kF64, {2, 3})}),
                      "operand dtypes differ: f32[2,3], f64[2,3]"));
  EXPECT_TRUE(Rejects(Op::kSelect,
                      Infer(Op::kSelect, {T(kBool, {3}), T(kF32, {2, 3}), T(kF32, {2, 3})}),
                      "operand shapes differ"));
  EXPECT_TRUE(Rejects(Op::kSelect, Infer(Op::kSelect, {c, T(kF32, {2, 3}), T(kF32, {2, 1})}),
                      "operand shapes differ"));
}

TEST(InferElementwiseTest, Cast) {
  for (DType from : AllDTypes()) {
    for (DType to : AllDTypes()) {
      EXPECT_TRUE(Gives(Infer(Op::kCast, {T(from, {2, 3})}, {}, T(to, {2, 3})), T(to, {2, 3})));
    }
  }
  EXPECT_TRUE(Rejects(Op::kCast, Infer(Op::kCast, {T(kF32, {2})}), "needs a result type"));
  EXPECT_TRUE(Rejects(Op::kCast, Infer(Op::kCast, {T(kF32, {2, 3})}, {}, T(kI32, {6})),
                      "declared type i32[6] differs from inferred type i32[2,3]"));
}

// ---- Reductions ------------------------------------------------------------------------------

TEST(InferScanTest, OperandAndOptionalCarry) {
  const TensorType x = T(kF32, {3, 10});
  for (Op op : {Op::kScanSum, Op::kScanProd, Op::kScanMax, Op::kScanMin}) {
    EXPECT_TRUE(Gives(Infer(op, {x}, Axis(1)), x));
    EXPECT_TRUE(Gives(Infer(op, {x}, Axis(0)), x));
    EXPECT_TRUE(Gives(Infer(op, {x, T(kF32, {3, 4})}, Axis(1)), x));
    EXPECT_TRUE(Gives(Infer(op, {x, T(kF32, {1, 10})}, Axis(0)), x));
    // More chunks than elements: the trailing chunks are empty.
    EXPECT_TRUE(Gives(Infer(op, {x, T(kF32, {3, 12})}, Axis(1)), x));
    EXPECT_TRUE(Rejects(op, Infer(op, {x}, Axis(2)), "axis 2 out of range for rank 2"));
    EXPECT_TRUE(Rejects(op, Infer(op, {x}, Axis(-1)), "axis -1 out of range for rank 2"));
    EXPECT_TRUE(Rejects(op, Infer(op, {x, x, x}, Axis(1)),
                        "expects an operand and an optional carry, got 3 operands"));
    EXPECT_TRUE(Rejects(op, Infer(op, {x, T(kF64, {3, 4})}, Axis(1)), "operand dtypes differ"));
    EXPECT_TRUE(Rejects(op, Infer(op, {x, T(kF32, {3, 0})}, Axis(1)),
                        "carry f32[3,0] must have the operand's shape with one or more chunks "
                        "along axis 1: operand f32[3,10]"));
    EXPECT_TRUE(Rejects(op, Infer(op, {x, T(kF32, {2, 4})}, Axis(1)), "carry f32[2,4]"));
    EXPECT_TRUE(Rejects(op, Infer(op, {x, T(kF32, {4})}, Axis(1)), "carry f32[4]"));
    EXPECT_TRUE(Rejects(op, Infer(op, {T(kF32, {})}, Axis(0)), "axis 0 out of range for rank 0"));
  }
  // Every dtype scans (bool: or / and).
  for (DType dt : AllDTypes()) {
    EXPECT_TRUE(Gives(Infer(Op::kScanSum, {T(dt, {5})}, Axis(0)), T(dt, {5})));
  }
}

TEST(InferReduceTest, ResultShapes) {
  const TensorType x = T(kI8, {2, 3, 4});
  for (Op op : {Op::kReduceSum, Op::kReduceProd, Op::kReduceMax, Op::kReduceMin}) {
    SCOPED_TRACE(OpName(op));
    EXPECT_TRUE(Gives(Infer(op, {x}, Axes({})), x));
    EXPECT_TRUE(Gives(Infer(op, {x}, Axes({1})), T(kI8, {2, 4})));
    EXPECT_TRUE(Gives(Infer(op, {x}, Axes({0, 2})), T(kI8, {3})));
    EXPECT_TRUE(Gives(Infer(op, {x}, Axes({0, 1, 2})), T(kI8, {})));
    EXPECT_TRUE(Gives(Infer(op, {T(kBool, {})}, Axes({})), T(kBool, {})));
  }
}

TEST(InferReduceTest, AxesSortedUniqueInRange) {
  const TensorType x = T(kF32, {2, 3, 4});
  for (Op op : {Op::kReduceSum, Op::kReduceProd, Op::kReduceMax, Op::kReduceMin}) {
    SCOPED_TRACE(OpName(op));
    EXPECT_TRUE(Rejects(op, Infer(op, {x}, Axes({1, 0})), "axes [1,0] not sorted and unique"));
    EXPECT_TRUE(Rejects(op, Infer(op, {x}, Axes({1, 1})), "axes [1,1] not sorted and unique"));
    EXPECT_TRUE(Rejects(op, Infer(op, {x}, Axes({3})), "axis 3 out of range for rank 3"));
    EXPECT_TRUE(Rejects(op, Infer(op, {x}, Axes({-1})), "axis -1 out of range for rank 3"));
    EXPECT_TRUE(Rejects(op, Infer(op, {T(kF32, {})}, Axes({0})), "out of range for rank 0"));
  }
}

TEST(InferReduceTest, EmptyReductionNeedsIdentity) {
  const TensorType x = T(kF32, {2, 0, 3});
  EXPECT_TRUE(Gives(Infer(Op::kReduceSum, {x}, Axes({1})), T(kF32, {2, 3})));
  EXPECT_TRUE(Gives(Infer(Op::kReduceProd, {x}, Axes({0, 1})), T(kF32, {3})));
  for (Op op : {Op::kReduceMax, Op::kReduceMin}) {
    EXPECT_TRUE(Rejects(op, Infer(op, {x}, Axes({1})), "zero-size reduction has no identity"));
    EXPECT_TRUE(Rejects(op, Infer(op, {x}, Axes({0, 1, 2})), "zero-size reduction"));
    // A zero-size axis that is kept needs no identity.
    EXPECT_TRUE(Gives(Infer(op, {x}, Axes({2})), T(kF32, {2, 0})));
    EXPECT_TRUE(Gives(Infer(op, {x}, Axes({})), x));
  }
}

TEST(InferReduceTest, ArgReduce) {
  const TensorType x = T(kF16, {2, 3, 4});
  for (Op op : {Op::kArgMax, Op::kArgMin}) {
    SCOPED_TRACE(OpName(op));
    EXPECT_TRUE(Gives(Infer(op, {x}, Axis(0)), T(kI64, {3, 4})));
    EXPECT_TRUE(Gives(Infer(op, {x}, Axis(2)), T(kI64, {2, 3})));
    EXPECT_TRUE(Gives(Infer(op, {T(kBool, {5})}, Axis(0)), T(kI64, {})));
    EXPECT_TRUE(Rejects(op, Infer(op, {x}, Axis(3)), "axis 3 out of range for rank 3"));
    EXPECT_TRUE(Rejects(op, Infer(op, {x}, Axis(-1)), "axis -1 out of range"));
    EXPECT_TRUE(Rejects(op, Infer(op, {T(kF32, {})}, Axis(0)), "out of range for rank 0"));
    EXPECT_TRUE(Rejects(op, Infer(op, {T(kF32, {2, 0})}, Axis(1)), "empty axis"));
    EXPECT_TRUE(Gives(Infer(op, {T(kF32, {0, 2})}, Axis(1)), T(kI64, {0})));
  }
}

// ---- Views -----------------------------------------------------------------------------------

TEST(InferViewTest, Reshape) {
  const TensorType x = T(kI32, {2, 3});
  EXPECT_TRUE(Gives(Infer(Op::kReshape, {x}, {}, T(kI32, {3, 2})), T(kI32, {3, 2})));
  EXPECT_TRUE(Gives(Infer(Op::kReshape, {x}, {}, T(kI32, {6, 1, 1})), T(kI32, {6, 1, 1})));
  EXPECT_TRUE(Gives(Infer(Op::kReshape, {T(kI32, {1})}, {}, T(kI32, {})), T(kI32, {})));
  EXPECT_TRUE(
      Gives(Infer(Op::kReshape, {T(kI32, {0, 3})}, {}, T(kI32, {3, 0, 7})), T(kI32, {3, 0, 7})));
  EXPECT_TRUE(Rejects(Op::kReshape, Infer(Op::kReshape, {x}), "needs a result type"));
  EXPECT_TRUE(Rejects(Op::kReshape, Infer(Op::kReshape, {x}, {}, T(kI32, {4})),
                      "cannot reshape i32[2,3] to [4]"));
  EXPECT_TRUE(Rejects(Op::kReshape, Infer(Op::kReshape, {x}, {}, T(kF32, {6})),
                      "declared type f32[6] differs from inferred type i32[6]"));
}

TEST(InferViewTest, Permute) {
  const TensorType x = T(kF32, {2, 3, 4});
  Attrs a;
  a.perm = {2, 0, 1};
  EXPECT_TRUE(Gives(Infer(Op::kPermute, {x}, a), T(kF32, {4, 2, 3})));
  a.perm = {};
  EXPECT_TRUE(Gives(Infer(Op::kPermute, {T(kF32, {})}, a), T(kF32, {})));
  for (std::vector<int64_t> bad : std::vector<std::vector<int64_t>>{
           {0, 0, 1}, {0, 1, 3}, {0, 1}, {0, 1, 2, 3}, {-1, 0, 1}, {}}) {
    a.perm = bad;
    SCOPED_TRACE(::testing::PrintToString(bad));
    EXPECT_TRUE(
        Rejects(Op::kPermute, Infer(Op::kPermute, {x}, a), "is not a permutation of rank 3"));
  }
}

TEST(InferViewTest, Broadcast) {
  const TensorType x = T(kU8, {3, 1});
  EXPECT_TRUE(Gives(Infer(Op::kBroadcast, {x}, {}, T(kU8, {3, 5})), T(kU8, {3, 5})));
  EXPECT_TRUE(Gives(Infer(Op::kBroadcast, {x}, {}, T(kU8, {2, 3, 1})), T(kU8, {2, 3, 1})));
  EXPECT_TRUE(Gives(Infer(Op::kBroadcast, {x}, {}, T(kU8, {0, 3, 0})), T(kU8, {0, 3, 0})));
  EXPECT_TRUE(Gives(Infer(Op::kBroadcast, {T(kU8, {})}, {}, T(kU8, {4, 4})), T(kU8, {4, 4})));
  EXPECT_TRUE(Rejects(Op::kBroadcast, Infer(Op::kBroadcast, {x}), "needs a result type"));
  EXPECT_TRUE(Rejects(Op::kBroadcast, Infer(Op::kBroadcast, {x}, {}, T(kU8, {4, 5})),
                      "cannot broadcast u8[3,1] to [4,5]"));
  EXPECT_TRUE(Rejects(Op::kBroadcast, Infer(Op::kBroadcast, {x}, {}, T(kU8, {3})),
                      "cannot broadcast u8[3,1] to [3]"));
  // NumPy aligns on the right: [3] does not broadcast to [3,2].
  EXPECT_TRUE(Rejects(Op::kBroadcast, Infer(Op::kBroadcast, {T(kU8, {3})}, {}, T(kU8, {3, 2})),
                      "cannot broadcast"));
  EXPECT_TRUE(Rejects(Op::kBroadcast, Infer(Op::kBroadcast, {x}, {}, T(kI8, {3, 5})),
                      "differs from inferred type"));
}

TEST(InferViewTest, Slice) {
  const TensorType x = T(kF64, {5, 4});
  Attrs a;
  a.starts = {4, 0};
  a.steps = {-2, 3};
  EXPECT_TRUE(Gives(Infer(Op::kSlice, {x}, a, T(kF64, {3, 2})), T(kF64, {3, 2})));  // 4,2,0; 0,3
  EXPECT_TRUE(Rejects(Op::kSlice, Infer(Op::kSlice, {x}, a), "needs a result type"));
  // Last index read out of range: 4 - 2*3 = -2, and 0 + 3*2 = 6.
  EXPECT_TRUE(Rejects(Op::kSlice, Infer(Op::kSlice, {x}, a, T(kF64, {4, 2})),
                      "axis 0 reads outside [0, 5)"));
  EXPECT_TRUE(Rejects(Op::kSlice, Infer(Op::kSlice, {x}, a, T(kF64, {3, 3})),
                      "axis 1 reads outside [0, 4)"));
  // Start out of range.
  a.starts = {5, 0};
  EXPECT_TRUE(Rejects(Op::kSlice, Infer(Op::kSlice, {x}, a, T(kF64, {1, 1})),
                      "axis 0 reads outside [0, 5)"));
  a.starts = {-1, 0};
  EXPECT_TRUE(
      Rejects(Op::kSlice, Infer(Op::kSlice, {x}, a, T(kF64, {1, 1})), "axis 0 reads outside"));
  // An empty result reads nothing, so any start is fine.
  a.starts = {99, 0};
  EXPECT_TRUE(Gives(Infer(Op::kSlice, {x}, a, T(kF64, {0, 1})), T(kF64, {0, 1})));
  a.starts = {0, 0};
  a.steps = {1, 0};
  EXPECT_TRUE(Rejects(Op::kSlice, Infer(Op::kSlice, {x}, a, T(kF64, {1, 1})), "step 0"));
  a.steps = {1};
  EXPECT_TRUE(Rejects(Op::kSlice, Infer(Op::kSlice, {x}, a, T(kF64, {1, 1})),
                      "starts, steps and result rank must equal the operand rank"));
  a.steps = {1, 1};
  EXPECT_TRUE(
      Rejects(Op::kSlice, Infer(Op::kSlice, {x}, a, T(kF64, {1})), "must equal the operand rank"));
  EXPECT_TRUE(Rejects(Op::kSlice, Infer(Op::kSlice, {x}, a, T(kF32, {1, 1})),
                      "differs from inferred type"));
}

TEST(InferViewTest, Pad) {
  const TensorType x = T(kI32, {2, 3});
  Attrs a;
  a.low = {1, 0};
  a.high = {0, 2};
  a.value = Scalar::Int(-1);
  EXPECT_TRUE(Gives(Infer(Op::kPad, {x}, a), T(kI32, {3, 5})));
  a.low = {0, 0};
  a.high = {0, 0};
  EXPECT_TRUE(Gives(Infer(Op::kPad, {x}, a), x));
  a.low = {-1, 0};
  EXPECT_TRUE(Rejects(Op::kPad, Infer(Op::kPad, {x}, a), "negative padding"));
  a.low = {0, 0};
  a.high = {0, -2};
  EXPECT_TRUE(Rejects(Op::kPad, Infer(Op::kPad, {x}, a), "negative padding"));
  a.high = {0};
  EXPECT_TRUE(
      Rejects(Op::kPad, Infer(Op::kPad, {x}, a), "low and high must have one entry per axis"));
  a.high = {0, 0};
  a.value = Scalar::Float(0.5);
  EXPECT_TRUE(Rejects(Op::kPad, Infer(Op::kPad, {x}, a), "must be an integer for int32"));
  a.value = Scalar::Int(1);
  EXPECT_TRUE(
      Rejects(Op::kPad, Infer(Op::kPad, {T(kF32, {2, 3})}, a), "must be a float for float32"));
  a.value = Scalar::Int(300);
  EXPECT_TRUE(
      Rejects(Op::kPad, Infer(Op::kPad, {T(kU8, {2, 3})}, a), "value 300 out of range for uint8"));
}

TEST(InferViewTest, Flip) {
  const TensorType x = T(kBF16, {2, 3});
  EXPECT_TRUE(Gives(Infer(Op::kFlip, {x}, Axes({0, 1})), x));
  EXPECT_TRUE(Gives(Infer(Op::kFlip, {x}, Axes({})), x));
  EXPECT_TRUE(Rejects(Op::kFlip, Infer(Op::kFlip, {x}, Axes({1, 0})), "not sorted and unique"));
  EXPECT_TRUE(Rejects(Op::kFlip, Infer(Op::kFlip, {x}, Axes({2})), "axis 2 out of range"));
}

// ---- Data movement and matmul ----------------------------------------------------------------

TEST(InferConcatTest, Rules) {
  const TensorType a = T(kF32, {2, 3});
  EXPECT_TRUE(Gives(Infer(Op::kConcat, {a, T(kF32, {2, 5}), a}, Axis(1)), T(kF32, {2, 11})));
  EXPECT_TRUE(Gives(Infer(Op::kConcat, {a, T(kF32, {0, 3})}, Axis(0)), a));
  EXPECT_TRUE(Rejects(Op::kConcat, Infer(Op::kConcat, {a, T(kF64, {2, 3})}, Axis(0)),
                      "operand dtypes differ"));
  EXPECT_TRUE(
      Rejects(Op::kConcat, Infer(Op::kConcat, {a, a}, Axis(2)), "axis 2 out of range for rank 2"));
  EXPECT_TRUE(Rejects(Op::kConcat, Infer(Op::kConcat, {a, T(kF32, {3, 3})}, Axis(1)),
                      "operand shapes do not match: f32[2,3], f32[3,3]"));
  EXPECT_TRUE(Rejects(Op::kConcat, Infer(Op::kConcat, {a, T(kF32, {2, 3, 1})}, Axis(0)),
                      "operand shapes do not match"));
  EXPECT_TRUE(
      Rejects(Op::kConcat, Infer(Op::kConcat, {T(kF32, {})}, Axis(0)), "out of range for rank 0"));
}

TEST(InferGatherTest, Rules) {
  const TensorType data = T(kF32, {5, 6, 7});
  for (DType idx : {kI8, kU8, kI32, kI64}) {
    EXPECT_TRUE(Gives(Infer(Op::kGather, {data, T(idx, {2, 3})}, Axis(1)), T(kF32, {5, 2, 3, 7})));
  }
  EXPECT_TRUE(Gives(Infer(Op::kGather, {data, T(kI64, {})}, Axis(0)), T(kF32, {6, 7})));
  EXPECT_TRUE(Gives(Infer(Op::kGather, {data, T(kI64, {4})}, Axis(2)), T(kF32, {5, 6, 4})));
  for (DType idx : {kBool, kF16, kF32, kF64}) {
    EXPECT_TRUE(Rejects(Op::kGather, Infer(Op::kGather, {data, T(idx, {2})}, Axis(0)),
                        "indices must have an integer dtype"))
        << DTypeName(idx);
  }
  EXPECT_TRUE(Rejects(Op::kGather, Infer(Op::kGather, {data, T(kI64, {2})}, Axis(3)),
                      "axis 3 out of range for rank 3"));
  EXPECT_TRUE(
      Rejects(Op::kGather, Infer(Op::kGather, {data, T(kI64, {2})}, Axis(-1)), "out of range"));
}

TEST(InferMatmulTest, Rules) {
  for (DType d : AllDTypes()) {
    EXPECT_TRUE(Gives(Infer(Op::kMatmul, {T(d, {2, 3}), T(d, {3, 4})}), T(d, {2, 4})));
  }
  EXPECT_TRUE(
      Gives(Infer(Op::kMatmul, {T(kF32, {7, 2, 3}), T(kF32, {7, 3, 4})}), T(kF32, {7, 2, 4})));
  EXPECT_TRUE(Gives(Infer(Op::kMatmul, {T(kF32, {2, 0}), T(kF32, {0, 4})}), T(kF32, {2, 4})));
  EXPECT_TRUE(Rejects(Op::kMatmul, Infer(Op::kMatmul, {T(kF32, {2, 3}), T(kF32, {4, 5})}),
                      "operands f32[2,3], f32[4,5] are not [B...,M,K] x [B...,K,N]"));
  EXPECT_TRUE(Rejects(Op::kMatmul, Infer(Op::kMatmul, {T(kF32, {3}), T(kF32, {3})}),
                      "are not [B...,M,K] x [B...,K,N]"));
  EXPECT_TRUE(Rejects(Op::kMatmul, Infer(Op::kMatmul, {T(kF32, {2, 3}), T(kF32, {1, 3, 4})}),
                      "are not [B...,M,K] x [B...,K,N]"));
  // Batch dims must be identical (no broadcasting).
  EXPECT_TRUE(Rejects(Op::kMatmul, Infer(Op::kMatmul, {T(kF32, {2, 2, 3}), T(kF32, {1, 3, 4})}),
                      "with equal batch dims"));
  EXPECT_TRUE(Rejects(Op::kMatmul, Infer(Op::kMatmul, {T(kF32, {2, 3}), T(kF64, {3, 4})}),
                      "operand dtypes differ"));
}

// ---- Result shapes that cannot exist -----------------------------------------------------------
// shape.h: "The element count of every shape that reaches a node fits in int64 (checked when the
// op is built)". Declared result types are checked; these cases infer the result type from
// operands whose own element counts are fine.

constexpr int64_t kBig = int64_t{1} << 40;

TEST(InferShapeOverflowTest, SliceStepsThatWrapAroundAreRejected) {
  Attrs a;
  a.starts = {0};
  a.steps = {int64_t{1} << 62};  // the 5th index read is 2^64, which wraps to 0 in int64
  EXPECT_TRUE(Rejects(Op::kSlice, Infer(Op::kSlice, {T(kF32, {5})}, a, T(kF32, {5})),
                      "axis 0 reads outside [0, 5)"));
  a.starts = {4};
  a.steps = {-(int64_t{1} << 62)};  // 4 - 2^64 wraps to 4
  EXPECT_TRUE(Rejects(Op::kSlice, Infer(Op::kSlice, {T(kF32, {5})}, a, T(kF32, {5})),
                      "axis 0 reads outside [0, 5)"));
}

TEST(InferShapeOverflowTest, PadBeyondInt64IsRejected) {
  Attrs a;
  a.low = {1};
  a.high = {std::numeric_limits<int64_t>::max()};
  a.value = Scalar::Float(0.0);
  const absl::StatusOr<TensorType> r = Infer(Op::kPad, {T(kF32, {2})}, a);
  EXPECT_TRUE(Rejects(Op::kPad, r, "overflow")) << (r.ok() ? TypeToString(*r) : "");
  a.low = {0, 0};
  a.high = {0, int64_t{1} << 31};  // [2^31, 2^31] -> [2^31, 2^32]: 2^63 elements
  const absl::StatusOr<TensorType> r2 =
      Infer(Op::kPad, {T(kF32, {int64_t{1} << 31, int64_t{1} << 31})}, a);
  EXPECT_TRUE(Rejects(Op::kPad, r2, "overflow")) << (r2.ok() ? TypeToString(*r2) : "");
}

TEST(InferShapeOverflowTest, ConcatBeyondInt64IsRejected) {
  const TensorType x = T(kF32, {int64_t{1} << 62});
  const absl::StatusOr<TensorType> r = Infer(Op::kConcat, {x, x, x}, Axis(0));
  EXPECT_TRUE(Rejects(Op::kConcat, r, "overflow")) << (r.ok() ? TypeToString(*r) : "");
}

TEST(InferShapeOverflowTest, GatherBeyondInt64IsRejected) {
  const absl::StatusOr<TensorType> r =
      Infer(Op::kGather, {T(kF32, {kBig, 2}), T(kI64, {kBig})}, Axis(1));
  EXPECT_TRUE(Rejects(Op::kGather, r, "overflow")) << (r.ok() ? TypeToString(*r) : "");
}

TEST(InferShapeOverflowTest, MatmulBeyondInt64IsRejected) {
  const absl::StatusOr<TensorType> r = Infer(Op::kMatmul, {T(kF32, {kBig, 1}), T(kF32, {1, kBig})});
  EXPECT_TRUE(Rejects(Op::kMatmul, r, "overflow")) << (r.ok() ? TypeToString(*r) : "");
}

}  // namespace
}  // namespace ndjit::ir
