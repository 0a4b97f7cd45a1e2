// Tests of ir/verifier.cc and of the checks Graph::AddNode makes before a node exists.
#include "ir/verifier.h"

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "ir/graph.h"
#include "ir/parser.h"
#include "ir/printer.h"
#include "ir_test_util.h"

namespace ndjit::ir {
namespace {

using testing::HasError;
using testing::T;

Attrs Index(int64_t i) {
  Attrs a;
  a.index = i;
  return a;
}

TEST(VerifierTest, EmptyGraphIsValid) {
  Graph g("empty");
  EXPECT_TRUE(VerifyGraph(g).ok());
}

TEST(VerifierTest, BuiltGraphIsValid) {
  Graph g("ok");
  Node* x = g.AddInput(T(kF32, {2, 3}));
  Node* y = g.AddInput(T(kF32, {2, 3}));
  Node* s = g.AddNode(Op::kAdd, {x, y}, {}).value();
  Attrs axes;
  axes.axes = {1};
  Node* r = g.AddNode(Op::kReduceSum, {s}, axes).value();
  g.AddOutput(r);
  g.AddOutput(x);
  EXPECT_TRUE(VerifyGraph(g).ok()) << VerifyGraph(g);
  EXPECT_EQ(g.num_inputs(), 2);
  ASSERT_EQ(g.inputs().size(), 2u);
  EXPECT_EQ(g.inputs()[0], x);
  EXPECT_EQ(g.inputs()[1], y);
  EXPECT_EQ(x->attrs().index, 0);
  EXPECT_EQ(y->attrs().index, 1);
  EXPECT_EQ(r->id(), 3);
  EXPECT_EQ(r->type(), T(kF32, {2}));
}

TEST(VerifierTest, ParsedGraphIsValid) {
  absl::StatusOr<std::unique_ptr<Graph>> g = ParseGraph(
      "graph @p {\n"
      "  %0 = input[index=1] : f32[2]\n"
      "  %1 = input[index=0] : f32[2]\n"
      "  %2 = sub(%0, %1) : f32[2]\n"
      "  return %2\n"
      "}\n");
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_TRUE(VerifyGraph(**g).ok()) << VerifyGraph(**g);
  // inputs() orders by index, not by position.
  EXPECT_EQ((*g)->inputs()[0], (*g)->node(1));
  EXPECT_EQ((*g)->inputs()[1], (*g)->node(0));
}

TEST(VerifierTest, InputIndexUsedTwice) {
  Graph g("dup");
  Node* a = g.AddNode(Op::kInput, {}, Index(0), T(kF32, {2})).value();
  Node* b = g.AddNode(Op::kInput, {}, Index(0), T(kF32, {2})).value();
  g.AddOutput(g.AddNode(Op::kAdd, {a, b}, {}).value());
  const absl::Status s = VerifyGraph(g);
  EXPECT_TRUE(
      HasError(s, absl::StatusCode::kInternal, "verifier: @dup %1: input index 0 used twice"));
  // The message shows the offending node.
  EXPECT_TRUE(HasError(s, absl::StatusCode::kInternal, "in: %1 = input[index=0] : f32[2]"));
}

TEST(VerifierTest, InputIndexOutOfRange) {
  Graph g("gap");
  g.AddNode(Op::kInput, {}, Index(0), T(kF32, {2})).value();
  g.AddNode(Op::kInput, {}, Index(2), T(kF32, {2})).value();  // index 1 is missing
  EXPECT_TRUE(HasError(VerifyGraph(g), absl::StatusCode::kInternal,
                       "verifier: @gap %1: input index 2 outside [0, 2)"));

  Graph h("one");
  h.AddNode(Op::kInput, {}, Index(5), T(kF32, {})).value();
  EXPECT_TRUE(
      HasError(VerifyGraph(h), absl::StatusCode::kInternal, "input index 5 outside [0, 1)"));
}

TEST(VerifierTest, NegativeInputIndexIsRejectedWhenBuilt) {
  Graph g("neg");
  EXPECT_TRUE(HasError(g.AddNode(Op::kInput, {}, Index(-1), T(kF32, {2})),
                       absl::StatusCode::kInvalidArgument, "input: negative index"));
  EXPECT_EQ(g.num_nodes(), 0);
  EXPECT_EQ(g.num_inputs(), 0);
}

TEST(VerifierTest, OutputFromAnotherGraph) {
  Graph other("other");
  Node* foreign = other.AddInput(T(kF32, {2}));
  Graph g("main");
  g.AddInput(T(kF32, {2}));
  g.AddOutput(foreign);  // same id (0) as g's own input, but not g's node
  EXPECT_TRUE(HasError(VerifyGraph(g), absl::StatusCode::kInternal,
                       "verifier: @main: an output is not a node of the graph"));

  Graph empty("empty");
  empty.AddOutput(foreign);  // id 0 but the graph has no nodes
  EXPECT_TRUE(HasError(VerifyGraph(empty), absl::StatusCode::kInternal,
                       "an output is not a node of the graph"));
  Graph null_out("null");
  null_out.AddOutput(nullptr);
  EXPECT_TRUE(HasError(VerifyGraph(null_out), absl::StatusCode::kInternal,
                       "an output is not a node of the graph"));
}

TEST(AddNodeTest, OperandFromAnotherGraph) {
  Graph other("other");
  Node* foreign = other.AddInput(T(kF32, {2}));
  Graph g("main");
  Node* own = g.AddInput(T(kF32, {2}));
  EXPECT_TRUE(HasError(g.AddNode(Op::kAdd, {own, foreign}, {}), absl::StatusCode::kInternal,
                       "operand of add is not a node of graph @main"));
  EXPECT_TRUE(HasError(g.AddNode(Op::kNeg, {nullptr}, {}), absl::StatusCode::kInternal,
                       "null operand of neg"));
  EXPECT_EQ(g.num_nodes(), 1);
  EXPECT_TRUE(VerifyGraph(g).ok());
}

TEST(AddNodeTest, TypeErrorsLeaveTheGraphUnchanged) {
  Graph g("g");
  Node* x = g.AddInput(T(DType::kInt32, {2}));
  EXPECT_TRUE(HasError(g.AddNode(Op::kExp, {x}, {}), absl::StatusCode::kInvalidArgument,
                       "exp: dtype int32 is not supported"));
  EXPECT_EQ(g.num_nodes(), 1);
  absl::StatusOr<Node*> n = g.AddNode(Op::kNeg, {x}, {});
  ASSERT_TRUE(n.ok());
  EXPECT_EQ((*n)->id(), 1);
  EXPECT_EQ((*n)->operand(0), x);
  EXPECT_TRUE(VerifyGraph(g).ok());
}

TEST(AddNodeTest, NodesKeepTheirLocation) {
  Graph g("g");
  const SourceLoc here = SourceLoc::From(std::source_location::current());
  Node* x = g.AddInput(T(kF32, {}), here);
  EXPECT_TRUE(x->loc().known());
  EXPECT_EQ(x->loc(), here);
  EXPECT_NE(std::string(x->loc().file).find("verifier_test.cc"), std::string::npos);
  EXPECT_FALSE(g.AddInput(T(kF32, {}))->loc().known());
}

TEST(VerifierTest, MovedGraphStillVerifies) {
  Graph g("g");
  Node* x = g.AddInput(T(kF32, {2}));
  g.AddOutput(g.AddNode(Op::kSqrt, {x}, {}).value());
  Graph moved = std::move(g);
  EXPECT_TRUE(VerifyGraph(moved).ok());
  EXPECT_EQ(PrintGraph(moved),
            "graph @g {\n  %0 = input[index=0] : f32[2]\n  %1 = sqrt(%0) : f32[2]\n"
            "  return %1\n}\n");
}

}  // namespace
}  // namespace ndjit::ir
