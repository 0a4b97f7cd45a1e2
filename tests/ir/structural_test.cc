// Tests of ir/structural.cc: structural hash and equality ignore locations and names only.
#include "ir/structural.h"

#include <functional>
#include <limits>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "ir/parser.h"
#include "ir_test_util.h"

namespace ndjit::ir {
namespace {

using testing::T;

// What to vary in the reference graph built by Build().
struct Variant {
  std::string name = "main";
  SourceLoc loc;               // put on every node
  Op binary = Op::kAdd;        // the elementwise op
  bool swap_operands = false;  // binary(y, x) instead of binary(x, y)
  std::vector<int64_t> axes = {1};
  double constant = 2.0;
  DType dtype = kF32;
  bool reverse_outputs = false;
  bool extra_node = false;
  uint64_t seed = 1;
  int64_t input_index_base = 0;  // numbering of the two inputs
};

std::unique_ptr<Graph> Build(const Variant& v) {
  auto g = std::make_unique<Graph>(v.name);
  Attrs i0, i1;
  i0.index = v.input_index_base;
  i1.index = 1 - v.input_index_base;
  Node* x = g->AddNode(Op::kInput, {}, i0, T(v.dtype, {2, 3}), v.loc).value();
  Node* y = g->AddNode(Op::kInput, {}, i1, T(v.dtype, {2, 3}), v.loc).value();
  Attrs c;
  c.value = Scalar::Float(v.constant);
  Node* k = g->AddNode(Op::kConstant, {}, c, T(v.dtype, {2, 3}), v.loc).value();
  Node* b =
      g->AddNode(v.binary, v.swap_operands ? std::vector<Node*>{y, x} : std::vector<Node*>{x, y},
                 {}, std::nullopt, v.loc)
          .value();
  Node* m = g->AddNode(Op::kMul, {b, k}, {}, std::nullopt, v.loc).value();
  Attrs r;
  r.axes = v.axes;
  Node* s = g->AddNode(Op::kReduceSum, {m}, r, std::nullopt, v.loc).value();
  Attrs rnd;
  rnd.seed = v.seed;
  Node* u = g->AddNode(Op::kRandom, {}, rnd, T(v.dtype, {2}), v.loc).value();
  if (v.extra_node) g->AddNode(Op::kNeg, {u}, {}).value();
  if (v.reverse_outputs) {
    g->SetOutputs({u, s});
  } else {
    g->SetOutputs({s, u});
  }
  return g;
}

::testing::AssertionResult Same(const Graph& a, const Graph& b) {
  if (!StructurallyEqual(a, b)) return ::testing::AssertionFailure() << "not equal";
  if (!StructurallyEqual(b, a)) return ::testing::AssertionFailure() << "not symmetric";
  if (StructuralHash(a) != StructuralHash(b)) {
    return ::testing::AssertionFailure() << "equal graphs hash differently";
  }
  return ::testing::AssertionSuccess();
}

TEST(StructuralTest, EqualToItselfAndToARebuild) {
  const auto a = Build({});
  const auto b = Build({});
  EXPECT_TRUE(Same(*a, *a));
  EXPECT_TRUE(Same(*a, *b));
}

TEST(StructuralTest, IgnoresLocationsAndNames) {
  Variant v;
  v.name = "other_name";
  v.loc = SourceLoc{InternFileName("somewhere/else.cc"), 12, 34};
  EXPECT_TRUE(Same(*Build({}), *Build(v)));
  Variant w = v;
  w.loc = SourceLoc{InternFileName("third.cc"), 1, 1};
  EXPECT_TRUE(Same(*Build(v), *Build(w)));
}

TEST(StructuralTest, ParsedEqualsBuilt) {
  const auto built = Build({});
  absl::StatusOr<std::unique_ptr<Graph>> parsed = ParseGraph(
      "// the same graph, with locations, another name and other value numbers\n"
      "graph @parsed {\n"
      "  %10 = input[index=0] : f32[2,3] loc(\"p.cc\":1:1)\n"
      "  %11 = input[index=1] : f32[2,3]\n"
      "  %12 = constant[value=2] : f32[2,3]\n"
      "  %13 = add(%10, %11) : f32[2,3] loc(\"p.cc\":2:1)\n"
      "  %14 = mul(%13, %12) : f32[2,3]\n"
      "  %15 = reduce_sum[axes=[1]](%14) : f32[2]\n"
      "  %16 = random[seed=1, dist=uniform] : f32[2]\n"
      "  return %15, %16\n"
      "}\n");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(Same(*built, **parsed));
}

TEST(StructuralTest, DifferencesMakeGraphsUnequal) {
  std::vector<std::pair<std::string, Variant>> variants;
  auto add = [&](std::string what, std::function<void(Variant&)> change) {
    Variant v;
    change(v);
    variants.emplace_back(std::move(what), v);
  };
  add("op", [](Variant& v) { v.binary = Op::kSub; });
  add("wiring", [](Variant& v) { v.swap_operands = true; });
  add("axes attr", [](Variant& v) { v.axes = {0}; });
  add("constant value", [](Variant& v) { v.constant = 3.0; });
  add("seed attr", [](Variant& v) { v.seed = 2; });
  add("dtype", [](Variant& v) { v.dtype = DType::kFloat64; });
  add("output order", [](Variant& v) { v.reverse_outputs = true; });
  add("extra node", [](Variant& v) { v.extra_node = true; });
  add("input indices", [](Variant& v) { v.input_index_base = 1; });
  const auto base = Build({});
  std::set<size_t> hashes = {StructuralHash(*base)};
  for (const auto& [what, v] : variants) {
    SCOPED_TRACE(what);
    const auto g = Build(v);
    EXPECT_FALSE(StructurallyEqual(*base, *g));
    EXPECT_FALSE(StructurallyEqual(*g, *base));
    EXPECT_TRUE(Same(*g, *Build(v)));
    hashes.insert(StructuralHash(*g));
  }
  // A hash may collide, but not for most of ten small different graphs.
  EXPECT_GE(hashes.size(), 9u);
}

TEST(StructuralTest, FloatAttributesCompareByBits) {
  Variant pos, neg, nan1, nan2;
  pos.constant = 0.0;
  neg.constant = -0.0;
  nan1.constant = std::numeric_limits<double>::quiet_NaN();
  nan2.constant = -std::numeric_limits<double>::quiet_NaN();
  EXPECT_FALSE(StructurallyEqual(*Build(pos), *Build(neg)));
  EXPECT_NE(StructuralHash(*Build(pos)), StructuralHash(*Build(neg)));
  // Every NaN is the same attribute value.
  EXPECT_TRUE(Same(*Build(nan1), *Build(nan2)));
  EXPECT_TRUE(Same(*Build(nan1), *Build(nan1)));
}

TEST(StructuralTest, FieldsAnOpDoesNotCarryAreIgnored) {
  Graph a("a"), b("b");
  Node* xa = a.AddInput(T(kF32, {4}));
  Node* xb = b.AddInput(T(kF32, {4}));
  Attrs junk;
  junk.axes = {0};
  junk.seed = 99;
  junk.value = Scalar::Float(7.0);
  a.AddOutput(a.AddNode(Op::kExp, {xa}, {}).value());
  b.AddOutput(b.AddNode(Op::kExp, {xb}, junk).value());
  EXPECT_TRUE(Same(a, b));
}

TEST(StructuralTest, DifferentSizesAndOutputCounts) {
  Graph a("a"), b("b"), c("c");
  Node* xa = a.AddInput(T(kF32, {4}));
  Node* xb = b.AddInput(T(kF32, {4}));
  c.AddInput(T(kF32, {4}));
  a.AddOutput(xa);
  b.AddOutput(xb);
  b.AddOutput(xb);
  EXPECT_FALSE(StructurallyEqual(a, b));
  EXPECT_FALSE(StructurallyEqual(a, c));  // no outputs
  Graph e1("e"), e2("f");
  EXPECT_TRUE(Same(e1, e2));
  EXPECT_FALSE(StructurallyEqual(e1, a));
  Graph shape("s");
  shape.AddOutput(shape.AddInput(T(kF32, {5})));
  EXPECT_FALSE(StructurallyEqual(a, shape));
}

}  // namespace
}  // namespace ndjit::ir

namespace ndjit::ir {
namespace {

// Graph::Clone: an equal, independent graph with the same ids, sites, inputs and outputs.
TEST(GraphCloneTest, ACloneIsEqualAndIndependent) {
  Variant v;
  v.loc = SourceLoc{"file.cc", 7, 3};
  std::unique_ptr<Graph> g = Build(v);
  std::unique_ptr<Graph> copy = g->Clone();
  EXPECT_TRUE(StructurallyEqual(*g, *copy));
  EXPECT_EQ(StructuralHash(*g), StructuralHash(*copy));
  ASSERT_EQ(copy->num_nodes(), g->num_nodes());
  EXPECT_EQ(copy->num_inputs(), g->num_inputs());
  EXPECT_EQ(copy->name(), g->name());
  for (int i = 0; i < g->num_nodes(); ++i) {
    EXPECT_EQ(copy->node(i)->id(), i);
    EXPECT_NE(copy->node(i), g->node(i));
    EXPECT_EQ(copy->node(i)->loc().line, 7);
    for (const Node* o : copy->node(i)->operands()) EXPECT_EQ(o, copy->node(o->id()));
  }
  for (size_t i = 0; i < g->outputs().size(); ++i) {
    EXPECT_EQ(copy->outputs()[i], copy->node(g->outputs()[i]->id()));
  }
  // Changing the original leaves the clone as it was.
  g->AddOutput(g->node(0));
  EXPECT_FALSE(StructurallyEqual(*g, *copy));
}

// Graph::AddInferred trusts the given type but not foreign operands.
TEST(GraphCloneTest, AddInferredChecksOperandsOnly) {
  Graph g, other;
  Attrs i0;
  i0.index = 0;
  Node* x = g.AddInferred(Op::kInput, {}, i0, T(kF32, {4})).value();
  EXPECT_EQ(g.num_inputs(), 1);
  Node* y = g.AddInferred(Op::kExp, {x}, {}, T(kF32, {4})).value();
  EXPECT_EQ(y->type(), T(kF32, {4}));
  Node* z = other.AddInput(T(kF32, {4}));
  absl::StatusOr<Node*> bad = g.AddInferred(Op::kExp, {z}, {}, T(kF32, {4}));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("is not a node of graph"), std::string::npos)
      << bad.status();
}

}  // namespace
}  // namespace ndjit::ir
