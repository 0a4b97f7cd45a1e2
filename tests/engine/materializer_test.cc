// Tests of lazy values and materialization: what gets computed, what is kept, what is released.
#include "runtime/materializer.h"

#include <thread>

#include "gtest/gtest.h"
#include "ir/interpreter.h"
#include "ir/parser.h"
#include "ir/printer.h"
#include "runtime/config.h"

namespace ndjit::runtime {
namespace {

using ir::Op;
using ir::TensorType;

const TensorType kF32x4{DType::kFloat32, {4}};

ValuePtr Leaf(float v) {
  ir::HostTensor t(kF32x4);
  for (int i = 0; i < 4; ++i) t.data_as<float>()[i] = v + i;
  return Value::Realized(std::move(t), {});
}

ValuePtr Unary(Op op, const ValuePtr& x) {
  return Materializer::Get().Record(op, x->type(), {x}, {}, {}, Device::Cpu());
}

ValuePtr Binary(Op op, const ValuePtr& x, const ValuePtr& y) {
  return Materializer::Get().Record(op, x->type(), {x, y}, {}, {}, Device::Cpu());
}

float First(const ValuePtr& v) {
  absl::StatusOr<ir::HostTensor> t = Materializer::Get().Read(v);
  EXPECT_TRUE(t.ok()) << t.status();
  return t->data_as<float>()[0];
}

class MaterializerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Work an earlier test handed to the engine must not count here.
    Materializer::Get().Drain();
    Materializer::Get().ResetCounters();
  }
  int64_t Evaluated() { return Materializer::Get().counters().nodes_evaluated; }
};

TEST_F(MaterializerTest, RecordingComputesNothing) {
  ValuePtr a = Leaf(1);
  ValuePtr b = Unary(Op::kExp, a);
  ValuePtr c = Binary(Op::kAdd, b, a);
  EXPECT_EQ(Materializer::Get().counters().values_recorded, 2);
  EXPECT_EQ(Evaluated(), 0);
  EXPECT_FALSE(Materializer::Get().IsRealized(c));
}

TEST_F(MaterializerTest, ReadComputesOnlyWhatTheValueNeeds) {
  ValuePtr a = Leaf(1);
  ValuePtr b = Unary(Op::kExp, a);
  ValuePtr c = Binary(Op::kMul, b, b);
  ValuePtr unrelated = Unary(Op::kLog, a);
  EXPECT_FLOAT_EQ(First(c), std::exp(1.0f) * std::exp(1.0f));
  EXPECT_EQ(Evaluated(), 2);  // exp and mul; not log
  EXPECT_FALSE(Materializer::Get().IsRealized(unrelated));
}

TEST_F(MaterializerTest, AnExpensiveValueHeldByAHandleIsComputedOnce) {
  ValuePtr a = Leaf(1);
  ir::Attrs all;
  all.axes = {0};
  // Held here, like a user's NDArray: a reduction is stored where it is computed.
  ValuePtr b = Materializer::Get().Record(Op::kReduceSum, TensorType{DType::kFloat32, {}}, {a}, all,
                                          {}, Device::Cpu());
  ValuePtr c = Unary(Op::kNeg, b);
  EXPECT_FLOAT_EQ(First(c), -10.0f);
  EXPECT_EQ(Evaluated(), 2);
  EXPECT_TRUE(Materializer::Get().IsRealized(b));
  EXPECT_FLOAT_EQ(First(b), 10.0f);
  ValuePtr d = Unary(Op::kAbs, b);
  EXPECT_FLOAT_EQ(First(d), 10.0f);
  EXPECT_EQ(Evaluated(), 3);  // b was not computed again
}

TEST_F(MaterializerTest, ACheapValueHeldByAHandleIsComputedAgainWhenRead) {
  ValuePtr a = Leaf(1);
  ValuePtr b = Unary(Op::kExp, a);  // held, but cheap to compute again: not stored
  ValuePtr c = Unary(Op::kNeg, b);
  EXPECT_FLOAT_EQ(First(c), -std::exp(1.0f));
  EXPECT_EQ(Evaluated(), 2);
  EXPECT_FALSE(Materializer::Get().IsRealized(b));
  EXPECT_FLOAT_EQ(First(b), std::exp(1.0f));  // computed from `a`, which it kept alive
  EXPECT_EQ(Evaluated(), 3);
  EXPECT_TRUE(Materializer::Get().IsRealized(b));  // read: stored now
}

TEST_F(MaterializerTest, UnheldIntermediatesAreReleasedAfterMaterialization) {
  ValuePtr a = Leaf(1);
  std::weak_ptr<Value> weak_mid;
  ValuePtr c;
  {
    ValuePtr mid = Unary(Op::kExp, a);
    weak_mid = mid;
    c = Unary(Op::kNeg, mid);
  }
  EXPECT_FALSE(weak_mid.expired());  // the pending c keeps its operand alive
  First(c);
  EXPECT_TRUE(weak_mid.expired());  // c dropped its operands once computed
}

TEST_F(MaterializerTest, DestroyingAMillionLongPendingChainDoesNotOverflowTheStack) {
  const int64_t max_nodes = Materializer::Get().max_pending_nodes();
  const int64_t max_bytes = Materializer::Get().max_pending_bytes();
  Materializer::Get().SetLimits(0, 0);  // the whole chain stays pending
  ValuePtr x = Leaf(0);
  for (int i = 0; i < 1000000; ++i) x = Unary(Op::kNeg, x);
  x.reset();  // would recurse a million frames deep without the iterative destructor
  Materializer::Get().SetLimits(max_nodes, max_bytes);
  EXPECT_EQ(Materializer::Get().pending_nodes(), 0);
  EXPECT_EQ(Materializer::Get().counters().materializations, 0);
}

TEST_F(MaterializerTest, MaterializesALongChainIteratively) {
  const int64_t max_nodes = Materializer::Get().max_pending_nodes();
  const int64_t max_bytes = Materializer::Get().max_pending_bytes();
  Materializer::Get().SetLimits(0, 0);               // one graph, no automatic flush on the way
  ASSERT_TRUE(SetFlags("--disable=simplify").ok());  // which would cancel the negs in pairs
  ValuePtr x = Leaf(1);
  for (int i = 0; i < 20000; ++i) x = Unary(Op::kNeg, x);
  EXPECT_FLOAT_EQ(First(x), 1.0f);
  ASSERT_TRUE(SetFlags("").ok());
  Materializer::Get().SetLimits(max_nodes, max_bytes);
  EXPECT_EQ(Evaluated(), 20000);
  EXPECT_EQ(Materializer::Get().counters().materializations, 1);
}

TEST_F(MaterializerTest, WaitAllComputesEveryHeldValueAndOnlyThose) {
  ValuePtr a = Leaf(1);
  ValuePtr b = Unary(Op::kExp, Unary(Op::kNeg, a));  // the neg is held only by b
  ValuePtr c = Unary(Op::kAbs, a);
  ASSERT_TRUE(Materializer::Get().WaitAll().ok());
  EXPECT_TRUE(Materializer::Get().IsRealized(b));
  EXPECT_TRUE(Materializer::Get().IsRealized(c));
  EXPECT_EQ(Evaluated(), 3);
  ASSERT_TRUE(Materializer::Get().WaitAll().ok());
  EXPECT_EQ(Evaluated(), 3);  // nothing left to do
}

TEST_F(MaterializerTest, PendingGraphRoundTripsAndShowsRealizedValuesAsInputs) {
  ValuePtr a = Leaf(1);
  ValuePtr b = Unary(Op::kExp, a);
  ValuePtr c = Binary(Op::kAdd, b, a);
  const std::string text = ir::PrintGraph(*Materializer::Get().PendingGraph({c}));
  EXPECT_EQ(text,
            "graph @main {\n"
            "  %0 = input[index=0] : f32[4]\n"
            "  %1 = exp(%0) : f32[4]\n"
            "  %2 = add(%1, %0) : f32[4]\n"
            "  return %2\n"
            "}\n");
  auto parsed = ir::ParseGraph(text);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(ir::PrintGraph(**parsed), text);
  EXPECT_EQ(Evaluated(), 0);
}

TEST_F(MaterializerTest, RunTimeErrorsReachTheAccessor) {
  ir::HostTensor idx(TensorType{DType::kInt64, {1}});
  idx.data_as<int64_t>()[0] = 7;
  ValuePtr indices = Value::Realized(idx, {});
  ir::Attrs attrs;
  attrs.axis = 0;
  ValuePtr g = Materializer::Get().Record(Op::kGather, TensorType{DType::kFloat32, {1}},
                                          {Leaf(0), indices}, attrs, {}, Device::Cpu());
  absl::StatusOr<ir::HostTensor> t = Materializer::Get().Read(g);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("index 7 is out of bounds"), absl::string_view::npos);
}

TEST_F(MaterializerTest, HandlesMayBeUsedFromSeveralThreads) {
  ValuePtr shared = Unary(Op::kExp, Leaf(0));
  std::vector<std::thread> threads;
  std::vector<float> results(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      ValuePtr x = shared;
      for (int i = 0; i < 200; ++i) x = Binary(Op::kAdd, x, shared);
      results[t] = First(x);
    });
  }
  for (std::thread& th : threads) th.join();
  for (float r : results) EXPECT_FLOAT_EQ(r, 201.0f);
}

}  // namespace
}  // namespace ndjit::runtime
