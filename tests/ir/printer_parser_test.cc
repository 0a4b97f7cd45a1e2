// Tests of ir/printer.cc and ir/parser.cc: the canonical text form, round trips and parse errors.
#include <bit>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "ir/parser.h"
#include "ir/printer.h"
#include "ir/structural.h"
#include "ir/verifier.h"
#include "ir_test_util.h"

namespace ndjit::ir {
namespace {

using testing::T;

constexpr DType kF64 = DType::kFloat64;

// Adds nodes and records any failure; later nodes that use a failed one fail too.
class Builder {
 public:
  explicit Builder(std::string name) : g_(std::make_unique<Graph>(std::move(name))) {}

  Node* Add(Op op, std::vector<Node*> operands, Attrs attrs = {},
            std::optional<TensorType> type = std::nullopt, SourceLoc loc = {}) {
    absl::StatusOr<Node*> n =
        g_->AddNode(op, std::move(operands), std::move(attrs), std::move(type), loc);
    if (!n.ok()) {
      ADD_FAILURE() << OpName(op) << ": " << n.status();
      return nullptr;
    }
    return *n;
  }
  Node* Input(TensorType type, SourceLoc loc = {}) { return g_->AddInput(std::move(type), loc); }
  Node* Constant(TensorType type, Scalar value, SourceLoc loc = {}) {
    Attrs a;
    a.value = value;
    return Add(Op::kConstant, {}, a, std::move(type), loc);
  }
  Graph& graph() { return *g_; }
  std::unique_ptr<Graph> Release() { return std::move(g_); }

 private:
  std::unique_ptr<Graph> g_;
};

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

// A file name with a quote and backslashes, as a Windows path might have.
const char* OddFileName() { return InternFileName("C:\\src\\\"odd\".cc"); }

// A graph that uses every op of ops.def at least once, with attributes, awkward float constants
// and locations. It is the source of tests/data/ir/all_ops.ir.
std::unique_ptr<Graph> BuildAllOpsGraph() {
  Builder b("all_ops");
  const SourceLoc model{InternFileName("model.cc"), 10, 3};
  const SourceLoc odd{OddFileName(), 7, 1};
  const SourceLoc col0{InternFileName("dir/sub dir/file.cc"), 4294967295u, 0};
  Node* x = b.Input(T(kF32, {2, 3}), model);
  Node* y = b.Input(T(kF32, {2, 3}));
  Node* xi = b.Input(T(DType::kInt32, {2, 3}), odd);
  Node* xb = b.Input(T(DType::kBool, {2, 3}));
  Node* idx = b.Input(T(DType::kInt64, {4}));

  // Leaves.
  for (double v :
       {0.1, 1e-300, -0.0, std::numeric_limits<double>::infinity(),
        -std::numeric_limits<double>::infinity(), std::numeric_limits<double>::quiet_NaN(), 5e-324,
        1.7976931348623157e308, 2.2250738585072014e-308, 123456789.0, 1e16, -2.5, 1.0 / 3.0}) {
    b.Constant(T(kF64, {}), Scalar::Float(v));
  }
  b.Constant(T(DType::kInt8, {2}), Scalar::Int(-128));
  b.Constant(T(DType::kUInt8, {}), Scalar::Int(255));
  b.Constant(T(DType::kBool, {2, 3}), Scalar::Int(1), col0);
  b.Constant(T(DType::kInt64, {}), Scalar::Int(std::numeric_limits<int64_t>::min()));
  b.Constant(T(DType::kInt64, {}), Scalar::Int(std::numeric_limits<int64_t>::max()));
  b.Constant(T(DType::kInt32, {3}), Scalar::Int(2147483647));
  b.Constant(T(DType::kFloat16, {2}), Scalar::Float(0.5));
  b.Constant(T(DType::kBFloat16, {}), Scalar::Float(-1.5));
  b.Constant(T(kF32, {0}), Scalar::Float(1.0));
  b.Add(Op::kIota, {}, Axis(1), T(kF32, {2, 3}));
  b.Add(Op::kIota, {}, Axis(0), T(DType::kInt64, {4, 2}));
  Attrs rnd;
  rnd.seed = 18446744073709551615ull;
  rnd.dist = RandomDist::kNormal;
  b.Add(Op::kRandom, {}, rnd, T(kF32, {2, 3}));
  rnd.seed = 0;
  rnd.dist = RandomDist::kUniform;
  b.Add(Op::kRandom, {}, rnd, T(DType::kFloat16, {8}));
  rnd.seed = 42;
  b.Add(Op::kRandom, {}, rnd, T(DType::kBFloat16, {}));

  // Elementwise.
  std::vector<Node*> outs;
  for (int i = 0; i < kNumOps; ++i) {
    const Op op = static_cast<Op>(i);
    const OpKind kind = GetOpKind(op);
    if (kind == OpKind::kUnary && op != Op::kNot) outs.push_back(b.Add(op, {x}));
    if (kind == OpKind::kUnaryPredicate) outs.push_back(b.Add(op, {x}));
    if (kind == OpKind::kCompare) outs.push_back(b.Add(op, {x, y}));
    if (kind == OpKind::kBinary) {
      if (op == Op::kAnd || op == Op::kOr || op == Op::kXor) {
        outs.push_back(b.Add(op, {xi, xi}));
      } else {
        outs.push_back(b.Add(op, {x, y}, {}, std::nullopt, model));
      }
    }
  }
  b.Add(Op::kNot, {xi});
  b.Add(Op::kNot, {xb});
  b.Add(Op::kAnd, {xb, xb});
  b.Add(Op::kSelect, {xb, x, y});
  b.Add(Op::kCast, {x}, {}, T(DType::kInt64, {2, 3}));
  b.Add(Op::kCast, {xb}, {}, T(DType::kFloat16, {2, 3}));

  // Reductions.
  outs.push_back(b.Add(Op::kReduceSum, {x}, Axes({0, 1})));
  b.Add(Op::kReduceProd, {xi}, Axes({1}));
  b.Add(Op::kReduceMax, {x}, Axes({0}));
  b.Add(Op::kReduceMin, {x}, Axes({}));
  b.Add(Op::kArgMax, {x}, Axis(1));
  b.Add(Op::kArgMin, {xi}, Axis(0));

  // Views.
  Node* r = b.Add(Op::kReshape, {x}, {}, T(kF32, {3, 2}));
  Attrs perm;
  perm.perm = {1, 0};
  b.Add(Op::kPermute, {x}, perm);
  Node* bc = b.Add(Op::kBroadcast, {x}, {}, T(kF32, {4, 2, 3}));
  Attrs slice;
  slice.starts = {1, 2};
  slice.steps = {-1, -2};
  b.Add(Op::kSlice, {x}, slice, T(kF32, {2, 2}));
  Attrs pad;
  pad.low = {0, 1};
  pad.high = {2, 0};
  pad.value = Scalar::Float(-0.5);
  b.Add(Op::kPad, {x}, pad);
  pad.value = Scalar::Int(-7);
  b.Add(Op::kPad, {xi}, pad);
  b.Add(Op::kFlip, {x}, Axes({0, 1}));

  // Data movement and linear algebra.
  outs.push_back(b.Add(Op::kConcat, {x, y, x}, Axis(0)));
  Node* xi_concat = b.Add(Op::kConcat, {xi}, Axis(1));
  b.Add(Op::kGather, {x, idx}, Axis(1));
  outs.push_back(b.Add(Op::kMatmul, {x, r}));
  Attrs perm3;
  perm3.perm = {0, 2, 1};
  Node* bt = b.Add(Op::kPermute, {bc}, perm3);
  outs.push_back(b.Add(Op::kMatmul, {bc, bt}, {}, std::nullopt, odd));

  // Scans, without and with carries.
  b.Add(Op::kScanSum, {x}, Axis(1));
  b.Add(Op::kScanProd, {xi}, Axis(0));
  b.Add(Op::kScanMax, {x, x}, Axis(1));
  b.Add(Op::kScanMin, {xi, xi_concat}, Axis(0));
  b.graph().SetOutputs({outs[0], outs[3], outs.back(), x, outs[3]});
  return b.Release();
}

std::string GoldenPath() { return std::string(NDJIT_TEST_DATA_DIR) + "/ir/all_ops.ir"; }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(AllOpsGraphTest, CoversEveryOp) {
  std::unique_ptr<Graph> g = BuildAllOpsGraph();
  std::set<Op> used;
  for (const auto& n : g->nodes()) used.insert(n->op());
  for (int i = 0; i < kNumOps; ++i) {
    EXPECT_TRUE(used.contains(static_cast<Op>(i))) << OpName(static_cast<Op>(i));
  }
  EXPECT_TRUE(VerifyGraph(*g).ok()) << VerifyGraph(*g);
}

TEST(AllOpsGraphTest, RoundTrips) {
  std::unique_ptr<Graph> g = BuildAllOpsGraph();
  const std::string text = PrintGraph(*g);
  absl::StatusOr<std::unique_ptr<Graph>> parsed = ParseGraph(text, "all_ops");
  ASSERT_TRUE(parsed.ok()) << parsed.status() << "\n" << text;
  EXPECT_EQ(PrintGraph(**parsed), text);
  EXPECT_TRUE(VerifyGraph(**parsed).ok());
  EXPECT_TRUE(StructurallyEqual(*g, **parsed));
  EXPECT_EQ((*parsed)->name(), "all_ops");
  ASSERT_EQ((*parsed)->num_nodes(), g->num_nodes());
  for (int i = 0; i < g->num_nodes(); ++i) {
    EXPECT_EQ((*parsed)->node(i)->loc(), g->node(i)->loc()) << PrintNode(*g->node(i));
    EXPECT_TRUE(
        (*parsed)->node(i)->attrs().Equals(g->node(i)->attrs(), OpAttrFields(g->node(i)->op())))
        << PrintNode(*g->node(i));
  }
  // Without locations the text still round trips (to itself, without locations).
  const PrintOptions no_locs{.locations = false};
  const std::string bare = PrintGraph(*g, no_locs);
  EXPECT_EQ(bare.find("loc("), std::string::npos);
  absl::StatusOr<std::unique_ptr<Graph>> reparsed = ParseGraph(bare);
  ASSERT_TRUE(reparsed.ok()) << reparsed.status();
  EXPECT_EQ(PrintGraph(**reparsed), bare);
}

// Set NDJIT_UPDATE_GOLDENS=1 to rewrite tests/data/ir/all_ops.ir from BuildAllOpsGraph().
TEST(AllOpsGraphTest, MatchesGoldenFile) {
  std::unique_ptr<Graph> g = BuildAllOpsGraph();
  const std::string text = PrintGraph(*g);
  if (std::getenv("NDJIT_UPDATE_GOLDENS") != nullptr) {
    std::ofstream(GoldenPath(), std::ios::binary) << text;
  }
  const std::string golden = ReadFile(GoldenPath());
  ASSERT_FALSE(golden.empty()) << "missing " << GoldenPath();
  EXPECT_EQ(text, golden);
  absl::StatusOr<std::unique_ptr<Graph>> parsed = ParseGraph(golden, GoldenPath());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(PrintGraph(**parsed), golden);
  EXPECT_TRUE(StructurallyEqual(**parsed, *g));
}

TEST(PrinterTest, CanonicalFloatSpellings) {
  const std::string text = PrintGraph(*BuildAllOpsGraph());
  for (const char* v : {"0.1", "1e-300", "-0.0", "inf", "-inf", "nan", "5e-324",
                        "1.7976931348623157e+308", "2.2250738585072014e-308", "123456789.0",
                        "1e+16", "-2.5", "0.3333333333333333", "0.5", "-1.5", "1.0"}) {
    EXPECT_NE(text.find(absl::StrCat("constant[value=", v, "] : ")), std::string::npos) << v;
  }
  EXPECT_NE(text.find("constant[value=-128] : i8[2]"), std::string::npos);
  EXPECT_NE(text.find("constant[value=-9223372036854775808] : i64[]"), std::string::npos);
  EXPECT_NE(text.find("random[dist=normal, seed=18446744073709551615] : f32[2,3]"),
            std::string::npos);
  EXPECT_NE(text.find("pad[high=[2,0], low=[0,1], value=-0.5](%0) : f32[4,4]"), std::string::npos);
  EXPECT_NE(text.find("slice[starts=[1,2], steps=[-1,-2]](%0) : f32[2,2]"), std::string::npos);
  EXPECT_EQ(ScalarToString(Scalar::Float(2.0)), "2.0");
  EXPECT_EQ(ScalarToString(Scalar::Float(-0.0)), "-0.0");
  EXPECT_EQ(ScalarToString(Scalar::Float(1e100)), "1e+100");
  EXPECT_EQ(ScalarToString(Scalar::Int(-3)), "-3");
}

TEST(PrinterTest, FloatsReadBackBitExact) {
  for (double v : {0.1, 1e-300, -0.0, 0.0, 5e-324, 1.7976931348623157e308, 123456789.0, 1e16,
                   1.0 / 3.0, -std::numeric_limits<double>::infinity(),
                   std::numeric_limits<double>::infinity(), 4.9406564584124654e-324 * 3}) {
    Graph g("f");
    Attrs a;
    a.value = Scalar::Float(v);
    g.AddOutput(g.AddNode(Op::kConstant, {}, a, T(kF64, {})).value());
    absl::StatusOr<std::unique_ptr<Graph>> p = ParseGraph(PrintGraph(g));
    ASSERT_TRUE(p.ok()) << p.status() << " for " << PrintGraph(g);
    const Scalar& s = (*p)->node(0)->attrs().value;
    EXPECT_TRUE(s.is_float());
    EXPECT_EQ(std::bit_cast<uint64_t>(s.f), std::bit_cast<uint64_t>(v)) << PrintGraph(g);
  }
}

TEST(PrinterTest, LocationQuotingAndFormats) {
  Graph g("locs");
  Node* x = g.AddInput(T(kF32, {2}), SourceLoc{OddFileName(), 7, 1});
  g.AddOutput(x);
  const std::string text = PrintGraph(g);
  EXPECT_EQ(text,
            "graph @locs {\n"
            "  %0 = input[index=0] : f32[2] loc(\"C:\\\\src\\\\\\\"odd\\\".cc\":7:1)\n"
            "  return %0\n"
            "}\n");
  absl::StatusOr<std::unique_ptr<Graph>> p = ParseGraph(text);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_STREQ((*p)->node(0)->loc().file, "C:\\src\\\"odd\".cc");
  EXPECT_EQ((*p)->node(0)->loc().line, 7u);
  EXPECT_EQ((*p)->node(0)->loc().column, 1u);
  EXPECT_EQ(PrintGraph(**p), text);
  EXPECT_EQ(PrintNode(*x, {.locations = false}), "%0 = input[index=0] : f32[2]");
  EXPECT_EQ(SourceLoc{}.ToString(), "<unknown>");
  EXPECT_EQ((SourceLoc{"a/b/c.cc", 3, 9}.ToString()), "a/b/c.cc:3:9");
  EXPECT_EQ((SourceLoc{"a/b/c.cc", 3, 9}.ShortString()), "c.cc:3");
  // Interned names share storage.
  EXPECT_EQ(InternFileName("same.cc"), InternFileName(std::string("same.cc")));
}

TEST(PrinterTest, NewlineInAFileNameRoundTrips) {
  Graph g("nl");
  g.AddOutput(g.AddInput(T(kF32, {1}), SourceLoc{InternFileName("two\nlines.cc"), 1, 2}));
  const std::string text = PrintGraph(g);
  EXPECT_NE(text.find("loc(\"two\\nlines.cc\":1:2)"), std::string::npos) << text;
  absl::StatusOr<std::unique_ptr<Graph>> p = ParseGraph(text);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_STREQ((*p)->node(0)->loc().file, "two\nlines.cc");
  EXPECT_EQ(PrintGraph(**p), text);
}

TEST(PrinterTest, PrintAttrsAndNodes) {
  EXPECT_EQ(PrintAttrs(Op::kAdd, Attrs{}), "");
  Attrs a;
  a.axes = {0, 2};
  a.axis = 5;  // not a field of reduce_sum: ignored
  EXPECT_EQ(PrintAttrs(Op::kReduceSum, a), "[axes=[0,2]]");
  EXPECT_EQ(PrintAttrs(Op::kReduceSum, Attrs{}), "[axes=[]]");
  a.seed = 7;
  a.dist = RandomDist::kNormal;
  EXPECT_EQ(PrintAttrs(Op::kRandom, a), "[dist=normal, seed=7]");
  EXPECT_EQ(PrintAttrs(Op::kGather, a), "[axis=5]");
}

TEST(PrinterTest, EmptyGraphRoundTrips) {
  Graph g("empty");
  const std::string text = PrintGraph(g);
  EXPECT_EQ(text, "graph @empty {\n  return\n}\n");
  absl::StatusOr<std::unique_ptr<Graph>> p = ParseGraph(text);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ((*p)->num_nodes(), 0);
  EXPECT_EQ(PrintGraph(**p), text);
}

TEST(ParserTest, NonCanonicalInputPrintsCanonically) {
  const std::string messy = R"(// leading comment
graph   @canon{
  %7 = input [ index = 0 ] : float32 [ 2 , 3 ]   // trailing comment
  %3=constant[value=2]:f32[2,3] loc( "x.cc" : 4 : 5 )
  // a full-line comment
      %1 = random[seed=9, dist=normal] : f32[2,3]
  %10 = mul(%7,%3):f32[2,3]
  %2 = add( %10 , %1 ) : f32[2,3]
  %4 = constant[value=+1.5E1] : float64[]
  %5 = reduce_sum[axes=[ 1 ]](%2) : f32[2]
  %6 = input[index=1] : int8[]
  return %5 , %2
}
// trailing comment after the graph
)";
  const std::string canonical =
      "graph @canon {\n"
      "  %0 = input[index=0] : f32[2,3]\n"
      "  %1 = constant[value=2.0] : f32[2,3] loc(\"x.cc\":4:5)\n"
      "  %2 = random[dist=normal, seed=9] : f32[2,3]\n"
      "  %3 = mul(%0, %1) : f32[2,3]\n"
      "  %4 = add(%3, %2) : f32[2,3]\n"
      "  %5 = constant[value=15.0] : f64[]\n"
      "  %6 = reduce_sum[axes=[1]](%4) : f32[2]\n"
      "  %7 = input[index=1] : i8[]\n"
      "  return %6, %4\n"
      "}\n";
  absl::StatusOr<std::unique_ptr<Graph>> g = ParseGraph(messy, "messy.ir");
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(PrintGraph(**g), canonical);
  EXPECT_TRUE(VerifyGraph(**g).ok());
  EXPECT_EQ((*g)->num_inputs(), 2);
  absl::StatusOr<std::unique_ptr<Graph>> again = ParseGraph(canonical);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(PrintGraph(**again), canonical);
}

TEST(ParserTest, ParseGraphsReadsSeveral) {
  const std::string text =
      "graph @a {\n  %0 = input[index=0] : f32[2]\n  return %0\n}\n"
      "// between\n"
      "graph @b {\n  %0 = iota[axis=0] : i32[3]\n  %1 = neg(%0) : i32[3]\n  return %1\n}\n";
  absl::StatusOr<std::vector<std::unique_ptr<Graph>>> gs = ParseGraphs(text, "two.ir");
  ASSERT_TRUE(gs.ok()) << gs.status();
  ASSERT_EQ(gs->size(), 2u);
  EXPECT_EQ((*gs)[0]->name(), "a");
  EXPECT_EQ((*gs)[1]->name(), "b");
  EXPECT_EQ((*gs)[1]->num_nodes(), 2);
  // Value names are per graph: %0 in @b is not %0 of @a.
  EXPECT_EQ((*gs)[1]->node(1)->operand(0), (*gs)[1]->node(0));
  // ParseGraph takes exactly one.
  EXPECT_TRUE(testing::HasError(ParseGraph(text, "two.ir"), absl::StatusCode::kInvalidArgument,
                                "two.ir:6:1: error: unexpected text after the graph"));
  EXPECT_TRUE(testing::HasError(ParseGraphs("  // nothing\n", "none.ir"),
                                absl::StatusCode::kInvalidArgument,
                                "none.ir:2:1: error: expected 'graph'"));
}

struct BadCase {
  const char* name;
  std::string text;
  std::string prefix;    // "bad.ir:L:C: error: "
  std::string fragment;  // part of the message after the prefix
};

std::string Lines(std::initializer_list<const char*> lines) {
  std::string s;
  for (const char* l : lines) absl::StrAppend(&s, l, "\n");
  return s;
}

// The well-formed base every case below breaks in one place:
//   graph @g {
//     %0 = input[index=0] : f32[2]
//     %1 = neg(%0) : f32[2]
//     return %1
//   }
std::string WithLine2(const char* line2) {
  return Lines({"graph @g {", line2, "  %1 = neg(%0) : f32[2]", "  return %1", "}"});
}
std::string WithLine3(const char* line3) {
  return Lines({"graph @g {", "  %0 = input[index=0] : f32[2]", line3, "  return %1", "}"});
}

// Cases where the parser meets something that is not an identifier (a '}' or the end of the text)
// where a keyword belongs.
std::vector<BadCase> MissingKeywordCases() {
  return {
      {"missing return",
       Lines({"graph @g {", "  %0 = input[index=0] : f32[2]", "  %1 = neg(%0) : f32[2]", "}"}),
       "bad.ir:4:1: error: ", "expected 'return'"},
      {"empty input", "", "bad.ir:1:1: error: ", "expected 'graph'"},
      {"only a comment", "// nothing here\n", "bad.ir:2:1: error: ", "expected 'graph'"},
  };
}

std::vector<BadCase> BadCases() {
  return {
      {"unknown op", WithLine3("  %1 = negate(%0) : f32[2]"),
       "bad.ir:3:8: error: ", "unknown op 'negate'"},
      {"unknown dtype", WithLine2("  %0 = input[index=0] : f33[2]"),
       "bad.ir:2:25: error: ", "unknown dtype 'f33'"},
      {"undefined value", WithLine3("  %1 = neg(%7) : f32[2]"),
       "bad.ir:3:12: error: ", "use of undefined value %7"},
      {"undefined value in return",
       Lines({"graph @g {", "  %0 = input[index=0] : f32[2]", "  return %9", "}"}),
       "bad.ir:3:10: error: ", "use of undefined value %9"},
      {"value defined twice", WithLine3("  %0 = neg(%0) : f32[2]"),
       "bad.ir:3:3: error: ", "value %0 defined twice"},
      {"missing attribute", WithLine2("  %0 = input : f32[2]"),
       "bad.ir:2:8: error: ", "op 'input' is missing attributes: expected index"},
      {"missing attribute in empty list", WithLine2("  %0 = input[] : f32[2]"),
       "bad.ir:2:8: error: ", "op 'input' is missing attributes: expected index"},
      {"missing one of two attributes", WithLine2("  %0 = random[seed=1] : f32[2]"),
       "bad.ir:2:8: error: ", "op 'random' is missing attributes: expected dist, seed"},
      {"unknown attribute", WithLine3("  %1 = neg[axes=[0]](%0) : f32[2]"),
       "bad.ir:3:12: error: ", "op 'neg' has no attribute 'axes'"},
      {"attribute of another op", WithLine2("  %0 = input[index=0, seed=3] : f32[2]"),
       "bad.ir:2:23: error: ", "op 'input' has no attribute 'seed'"},
      {"misspelled attribute", WithLine2("  %0 = input[idx=0] : f32[2]"),
       "bad.ir:2:14: error: ", "op 'input' has no attribute 'idx'"},
      {"duplicate attribute", WithLine2("  %0 = input[index=0, index=1] : f32[2]"),
       "bad.ir:2:23: error: ", "attribute 'index' given twice"},
      {"malformed number", WithLine2("  %0 = input[index=1.2.3] : f32[2]"),
       "bad.ir:2:20: error: ", "malformed number '1.2.3'"},
      {"integer out of range", WithLine2("  %0 = input[index=99999999999999999999] : f32[2]"),
       "bad.ir:2:20: error: ", "integer '99999999999999999999' out of range"},
      {"float for an integer", WithLine2("  %0 = input[index=1.5] : f32[2]"),
       "bad.ir:2:20: error: ", "expected an integer"},
      {"missing number", WithLine2("  %0 = input[index=] : f32[2]"),
       "bad.ir:2:20: error: ", "expected a number"},
      {"float out of range", WithLine2("  %0 = constant[value=1e400] : f32[2]"),
       "bad.ir:2:23: error: ", "malformed number '1e400'"},
      {"declared type differs", WithLine3("  %1 = neg(%0) : f64[2]"),
       "bad.ir:3:8: error: ", "neg: declared type f64[2] differs from inferred type f32[2]"},
      {"operand dtypes differ",
       Lines({"graph @g {", "  %0 = input[index=0] : f32[2]", "  %5 = input[index=1] : i32[2]",
              "  %1 = add(%0, %5) : f32[2]", "  return %1", "}"}),
       "bad.ir:4:8: error: ", "add: operand dtypes differ: f32[2], i32[2]"},
      {"type rule broken", WithLine3("  %1 = reduce_sum[axes=[1]](%0) : f32[]"),
       "bad.ir:3:8: error: ", "reduce_sum: axis 1 out of range for rank 1"},
      {"constant out of range", WithLine2("  %0 = constant[value=128] : i8[2]"),
       "bad.ir:2:8: error: ", "constant: value 128 out of range for int8"},
      {"negative dim", WithLine2("  %0 = input[index=0] : f32[-1]"),
       "bad.ir:2:8: error: ", "input: negative dimension -1 in shape (-1,)"},
      {"too few operands", WithLine3("  %1 = add(%0) : f32[2]"),
       "bad.ir:3:8: error: ", "add: expects 2 operands, got 1"},
      {"too many operands", WithLine3("  %1 = neg(%0, %0) : f32[2]"),
       "bad.ir:3:8: error: ", "neg: expects 1 operand"},
      {"misspelled return",
       Lines({"graph @g {", "  %0 = input[index=0] : f32[2]", "  %1 = neg(%0) : f32[2]",
              "  retrun %1", "}"}),
       "bad.ir:4:3: error: ", "expected 'return'"},
      {"missing closing brace",
       Lines({"graph @g {", "  %0 = input[index=0] : f32[2]", "  return %0"}),
       "bad.ir:4:1: error: ", "expected '}'"},
      {"unterminated string", WithLine2("  %0 = input[index=0] : f32[2] loc(\"a.cc:1:2)"),
       "bad.ir:2:46: error: ", "unterminated string"},
      {"unterminated string at the end", "graph @g {\n  %0 = input[index=0] : f32[2] loc(\"ab",
       "bad.ir:2:39: error: ", "unterminated string"},
      {"location line 0", WithLine2("  %0 = input[index=0] : f32[2] loc(\"a.cc\":0:1)"),
       "bad.ir:2:47: error: ", "location line/column out of range"},
      {"trailing text", WithLine3("  %1 = neg(%0) : f32[2]") + "junk\n",
       "bad.ir:6:1: error: ", "unexpected text after the graph"},
      {"missing type", WithLine3("  %1 = neg(%0)"), "bad.ir:4:3: error: ", "expected ':'"},
      {"missing paren", WithLine3("  %1 = neg(%0 : f32[2]"),
       "bad.ir:3:15: error: ", "expected ')'"},
      {"unknown distribution", WithLine2("  %0 = random[dist=gaussian, seed=1] : f32[2]"),
       "bad.ir:2:20: error: ", "unknown distribution 'gaussian'"},
      {"negative seed", WithLine2("  %0 = random[dist=normal, seed=-1] : f32[2]"),
       "bad.ir:2:33: error: ", "expected an unsigned 64-bit integer"},
      {"seed out of range",
       WithLine2("  %0 = random[dist=normal, seed=18446744073709551616] : f32[2]"),
       "bad.ir:2:33: error: ", "expected an unsigned 64-bit integer"},
      {"not a graph", "grph @g {\n  return\n}\n", "bad.ir:1:1: error: ", "expected 'graph'"},
      {"missing @", "graph g {\n  return\n}\n", "bad.ir:1:7: error: ", "expected '@'"},
  };
}

void ExpectParseErrors(const std::vector<BadCase>& cases) {
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<std::unique_ptr<Graph>> g = ParseGraph(c.text, "bad.ir");
    ASSERT_FALSE(g.ok()) << c.text;
    EXPECT_EQ(g.status().code(), absl::StatusCode::kInvalidArgument);
    const std::string message(g.status().message());
    EXPECT_EQ(message.substr(0, c.prefix.size()), c.prefix) << message << "\n" << c.text;
    EXPECT_NE(message.find(c.fragment), std::string::npos) << message << "\n" << c.text;
  }
}

TEST(ParserTest, MalformedInputs) {
  const std::vector<BadCase> cases = BadCases();
  EXPECT_GE(cases.size(), 15u);
  ExpectParseErrors(cases);
}

// A missing keyword is reported as "expected 'return'" / "expected 'graph'", as it is when a
// different identifier stands there, not as "expected an identifier".
TEST(ParserTest, MissingKeywordNamesTheKeyword) { ExpectParseErrors(MissingKeywordCases()); }

// The well-formed base of the malformed cases parses, so each case fails for its own reason.
TEST(ParserTest, MalformedCasesBaseIsValid) {
  absl::StatusOr<std::unique_ptr<Graph>> g = ParseGraph(WithLine3("  %1 = neg(%0) : f32[2]"));
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(PrintGraph(**g), WithLine3("  %1 = neg(%0) : f32[2]"));
}

TEST(ParserTest, FloatValueWrittenAsIntegerForFloatDType) {
  absl::StatusOr<std::unique_ptr<Graph>> g = ParseGraph(
      "graph @g {\n  %0 = constant[value=-3] : bf16[]\n  %1 = constant[value=1] : bool[]\n"
      "  return %0, %1\n}\n");
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_TRUE((*g)->node(0)->attrs().value.is_float());
  EXPECT_EQ((*g)->node(0)->attrs().value.f, -3.0);
  EXPECT_FALSE((*g)->node(1)->attrs().value.is_float());
  // The other direction is an error: a float is not an integer constant.
  EXPECT_TRUE(testing::HasError(
      ParseGraph("graph @g {\n  %0 = constant[value=1.5] : i32[]\n  return %0\n}\n", "c.ir"),
      absl::StatusCode::kInvalidArgument,
      "c.ir:2:8: error: constant: value 1.5 must be an integer for int32"));
}

}  // namespace
}  // namespace ndjit::ir
