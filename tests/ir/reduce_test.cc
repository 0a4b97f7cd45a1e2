// The shared reduction rules and the op table's columns.
#include "ir/reduce.h"

#include <cmath>
#include <limits>
#include <set>
#include <vector>

#include "gtest/gtest.h"
#include "ir/dtype.h"
#include "ir/infer.h"
#include "ir_test_util.h"

namespace ndjit::ir {
namespace {

using testing::AllDTypes;
using testing::T;

TEST(AccumulatorDTypeTest, SixteenBitFloatsWidenOthersStay) {
  for (DType d : AllDTypes()) {
    const bool narrow = d == DType::kFloat16 || d == DType::kBFloat16;
    EXPECT_EQ(AccumulatorDType(d), narrow ? DType::kFloat32 : d) << DTypeName(d);
  }
}

TEST(ReduceIdentityTest, IdentitiesPerKindAndDType) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(ReduceIdentity(ReduceKind::kSum, DType::kFloat32), Scalar::Float(0.0));
  EXPECT_EQ(ReduceIdentity(ReduceKind::kSum, DType::kInt8), Scalar::Int(0));
  EXPECT_EQ(ReduceIdentity(ReduceKind::kProd, DType::kFloat64), Scalar::Float(1.0));
  EXPECT_EQ(ReduceIdentity(ReduceKind::kProd, DType::kBool), Scalar::Int(1));
  EXPECT_EQ(ReduceIdentity(ReduceKind::kMax, DType::kFloat16), Scalar::Float(-kInf));
  EXPECT_EQ(ReduceIdentity(ReduceKind::kMin, DType::kBFloat16), Scalar::Float(kInf));
  EXPECT_EQ(ReduceIdentity(ReduceKind::kMax, DType::kBool), Scalar::Int(0));
  EXPECT_EQ(ReduceIdentity(ReduceKind::kMin, DType::kBool), Scalar::Int(1));
  EXPECT_EQ(ReduceIdentity(ReduceKind::kMax, DType::kUInt8), Scalar::Int(0));
  EXPECT_EQ(ReduceIdentity(ReduceKind::kMin, DType::kUInt8), Scalar::Int(255));
  EXPECT_EQ(ReduceIdentity(ReduceKind::kMax, DType::kInt8), Scalar::Int(-128));
  EXPECT_EQ(ReduceIdentity(ReduceKind::kMin, DType::kInt32), Scalar::Int(2147483647));
  EXPECT_EQ(ReduceIdentity(ReduceKind::kMax, DType::kInt64),
            Scalar::Int(std::numeric_limits<int64_t>::min()));
  EXPECT_EQ(ReduceIdentity(ReduceKind::kArgMax, DType::kFloat32), Scalar::Float(0.0));
}

// The identity leaves every value of the dtype unchanged under its combination.
TEST(ReduceIdentityTest, IsNeutralForSampleValues) {
  for (DType d : {DType::kInt8, DType::kUInt8, DType::kInt32, DType::kInt64}) {
    const IntRange r = IntegerRange(d);
    for (int64_t v : {r.lo, r.hi, int64_t{0}, int64_t{1}}) {
      EXPECT_EQ(std::max(ReduceIdentity(ReduceKind::kMax, d).i, v), v) << DTypeName(d);
      EXPECT_EQ(std::min(ReduceIdentity(ReduceKind::kMin, d).i, v), v) << DTypeName(d);
    }
  }
}

TEST(IsRowReductionTest, LastAxisOfTheLoopShapeOnly) {
  Graph g;
  Node* x = g.AddInput(T(DType::kFloat32, {4, 8}));
  Attrs last, first, arg_last;
  last.axes = {1};
  first.axes = {0};
  arg_last.axis = 1;
  Node* row = *g.AddNode(Op::kReduceSum, {x}, last);
  Node* col = *g.AddNode(Op::kReduceMax, {x}, first);
  Node* arg = *g.AddNode(Op::kArgMax, {x}, arg_last);
  Node* neg = *g.AddNode(Op::kNeg, {x}, {});
  const Shape loop{4, 8};
  EXPECT_TRUE(IsRowReduction(*row, loop));
  EXPECT_TRUE(IsRowReduction(*arg, loop));
  EXPECT_FALSE(IsRowReduction(*col, loop));
  EXPECT_FALSE(IsRowReduction(*neg, loop));
  EXPECT_FALSE(IsRowReduction(*row, Shape{2, 16}));  // operand not shaped like the loop
}

// The table's columns as the rest of the compiler sees them.
TEST(OpColumnsTest, CombinationExactlyForReductionsAndScans) {
  for (int i = 0; i < kNumOps; ++i) {
    const Op op = static_cast<Op>(i);
    const OpKind k = GetOpKind(op);
    const bool combines = k == OpKind::kReduce || k == OpKind::kArgReduce || k == OpKind::kScan;
    EXPECT_EQ(OpCombination(op).has_value(), combines) << OpName(op);
  }
  EXPECT_EQ(OpCombination(Op::kScanProd), ReduceKind::kProd);
  EXPECT_EQ(OpCombination(Op::kArgMin), ReduceKind::kArgMin);
}

// The dtype column, pinned op by op (what the hand-written switch of ir/infer.cc accepted), and
// inference's agreement with it.
TEST(OpColumnsTest, DTypeDomainsArePinned) {
  const std::set<Op> no_bool = {Op::kNeg,      Op::kAbs, Op::kSign, Op::kSub, Op::kDiv,
                                Op::kFloorDiv, Op::kMod, Op::kPow,  Op::kIota};
  const std::set<Op> floats = {
      Op::kExp,   Op::kExpm1, Op::kLog,  Op::kLog1p, Op::kLog2,  Op::kLog10, Op::kExp2,
      Op::kHypot, Op::kSqrt,  Op::kSin,  Op::kCos,   Op::kTan,   Op::kAsin,  Op::kAcos,
      Op::kAtan,  Op::kSinh,  Op::kCosh, Op::kTanh,  Op::kAsinh, Op::kAcosh, Op::kAtanh,
      Op::kErf,   Op::kFloor, Op::kCeil, Op::kRound, Op::kTrunc, Op::kAtan2, Op::kRandom};
  const std::set<Op> no_float = {Op::kNot, Op::kAnd, Op::kOr, Op::kXor};
  for (int i = 0; i < kNumOps; ++i) {
    const Op op = static_cast<Op>(i);
    const DTypeDomain expected = no_bool.count(op)    ? DTypeDomain::kNoBool
                                 : floats.count(op)   ? DTypeDomain::kFloat
                                 : no_float.count(op) ? DTypeDomain::kNoFloat
                                                      : DTypeDomain::kAll;
    EXPECT_EQ(OpDTypeDomain(op), expected) << OpName(op);
  }
}

// The cost column, pinned op by op (fusion's hand-written switch).
TEST(OpColumnsTest, RecomputeCostsArePinned) {
  const std::set<Op> free = {Op::kInput, Op::kConstant, Op::kIota};
  const std::set<Op> cheap = {Op::kReshape, Op::kPermute, Op::kBroadcast, Op::kSlice, Op::kFlip,
                              Op::kPad,     Op::kCast,    Op::kNeg,       Op::kAbs,   Op::kNot,
                              Op::kAdd,     Op::kSub,     Op::kMul,       Op::kMax,   Op::kMin,
                              Op::kAnd,     Op::kOr,      Op::kXor,       Op::kEq,    Op::kNe,
                              Op::kLt,      Op::kLe,      Op::kGt,        Op::kGe,    Op::kSelect,
                              Op::kIsNan,   Op::kIsInf,   Op::kIsFinite};
  for (int i = 0; i < kNumOps; ++i) {
    const Op op = static_cast<Op>(i);
    const RecomputeCost expected = free.count(op)    ? RecomputeCost::kFree
                                   : cheap.count(op) ? RecomputeCost::kCheap
                                                     : RecomputeCost::kExpensive;
    EXPECT_EQ(OpRecomputeCost(op), expected) << OpName(op);
  }
}

TEST(OpColumnsTest, DTypeDomainIsWhatInferenceAccepts) {
  for (int i = 0; i < kNumOps; ++i) {
    const Op op = static_cast<Op>(i);
    const OpKind k = GetOpKind(op);
    if (k != OpKind::kUnary && k != OpKind::kBinary) continue;
    for (DType d : AllDTypes()) {
      const TensorType t = T(d, {3});
      std::vector<const TensorType*> operands(OpArity(op), &t);
      const bool inferred = InferType(op, operands, Attrs{}, std::nullopt).ok();
      EXPECT_EQ(inferred, OpAcceptsDType(op, d)) << OpName(op) << " " << DTypeName(d);
    }
  }
  EXPECT_FALSE(OpAcceptsDType(Op::kExp, DType::kInt32));
  EXPECT_FALSE(OpAcceptsDType(Op::kXor, DType::kFloat16));
  EXPECT_FALSE(OpAcceptsDType(Op::kSub, DType::kBool));
  EXPECT_TRUE(OpAcceptsDType(Op::kCast, DType::kBool));
}

TEST(OpColumnsTest, RecomputeCosts) {
  EXPECT_EQ(OpRecomputeCost(Op::kInput), RecomputeCost::kFree);
  EXPECT_EQ(OpRecomputeCost(Op::kBroadcast), RecomputeCost::kCheap);
  EXPECT_EQ(OpRecomputeCost(Op::kAdd), RecomputeCost::kCheap);
  EXPECT_EQ(OpRecomputeCost(Op::kExp), RecomputeCost::kExpensive);
  EXPECT_EQ(OpRecomputeCost(Op::kReduceSum), RecomputeCost::kExpensive);
}

}  // namespace
}  // namespace ndjit::ir
