// Tests of the pipeline: verify-each, honest-change check, disable, bisect, printing, registry.
#include "passes/pipeline.h"

#include "gtest/gtest.h"
#include "ir/parser.h"
#include "ir/printer.h"

namespace ndjit::passes {
namespace {

constexpr char kGraph[] = R"(graph @g {
  %0 = input[index=0] : f32[4]
  %1 = exp(%0) : f32[4]
  %2 = exp(%0) : f32[4]
  %3 = log(%0) : f32[4]
  %4 = add(%1, %2) : f32[4]
  return %4
})";

std::unique_ptr<ir::Graph> Parse(const char* text = kGraph) {
  auto g = ir::ParseGraph(text);
  EXPECT_TRUE(g.ok()) << g.status();
  return *std::move(g);
}

// A pass that reports "no change" but renames the graph (the name is part of the printed form).
class LyingPass : public Pass {
 public:
  std::string_view name() const override { return "liar"; }
  absl::StatusOr<bool> Run(ir::Graph& graph) override {
    graph.set_name("renamed");
    return false;
  }
};

// A pass that reports a change and produces a graph the verifier rejects.
class BreakingPass : public Pass {
 public:
  std::string_view name() const override { return "breaker"; }
  absl::StatusOr<bool> Run(ir::Graph& graph) override {
    ir::Graph other("other");
    graph.SetOutputs({other.AddInput({DType::kFloat32, {4}})});  // a node of another graph
    keep_ = std::move(other);
    return true;
  }

 private:
  ir::Graph keep_;
};

TEST(PipelineTest, DefaultPipelineRunsCseThenDce) {
  auto g = Parse();
  Pipeline p = DefaultPipeline();
  ASSERT_TRUE(p.Run(*g).ok());
  ASSERT_EQ(p.runs().size(), 2u);
  EXPECT_EQ(p.runs()[0].name, "cse");
  EXPECT_TRUE(p.runs()[0].changed);
  EXPECT_EQ(p.runs()[1].name, "dce");
  EXPECT_TRUE(p.runs()[1].changed);
  EXPECT_EQ(ir::PrintGraph(*g),
            "graph @g {\n"
            "  %0 = input[index=0] : f32[4]\n"
            "  %1 = exp(%0) : f32[4]\n"
            "  %2 = add(%1, %1) : f32[4]\n"
            "  return %2\n"
            "}\n");
}

TEST(PipelineTest, HonestChangeCheckCatchesAPassThatLies) {
  auto g = Parse();
  PipelineOptions options;
  options.check_unchanged = true;
  Pipeline p(options);
  p.Add(std::make_unique<LyingPass>());
  absl::Status s = p.Run(*g);
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_NE(s.message().find("after pass liar: the pass reported no change but changed the graph"),
            absl::string_view::npos)
      << s;
}

TEST(PipelineTest, VerifyEachNamesThePassThatBrokeTheGraph) {
  auto g = Parse();
  Pipeline p;
  p.Add(std::make_unique<BreakingPass>());
  absl::Status s = p.Run(*g);
  EXPECT_NE(s.message().find("after pass breaker: verifier"), absl::string_view::npos) << s;
}

TEST(PipelineTest, DisableAndBisectLimit) {
  auto g = Parse();
  PipelineOptions disable;
  disable.disable = {"cse"};
  Pipeline p = DefaultPipeline(disable);
  ASSERT_TRUE(p.Run(*g).ok());
  ASSERT_EQ(p.runs().size(), 1u);
  EXPECT_EQ(p.runs()[0].name, "dce");

  auto g2 = Parse();
  PipelineOptions bisect;
  bisect.bisect_limit = 1;
  Pipeline q = DefaultPipeline(bisect);
  ASSERT_TRUE(q.Run(*g2).ok());
  ASSERT_EQ(q.runs().size(), 1u);
  EXPECT_EQ(q.runs()[0].name, "cse");
  EXPECT_NE(ir::PrintGraph(*g2).find("log"), std::string::npos);  // dce did not run
}

TEST(PipelineTest, PrintAfterOneOrAll) {
  auto g = Parse();
  std::vector<std::string> printed;
  PipelineOptions options;
  options.print_after = "dce";
  options.print_sink = [&](const std::string& s) { printed.push_back(s); };
  Pipeline p = DefaultPipeline(options);
  ASSERT_TRUE(p.Run(*g).ok());
  ASSERT_EQ(printed.size(), 1u);
  EXPECT_EQ(printed[0].rfind("// after pass dce\ngraph @g {", 0), 0u) << printed[0];

  auto g2 = Parse();
  printed.clear();
  options.print_after.clear();
  options.print_after_all = true;
  Pipeline all = DefaultPipeline(options);
  ASSERT_TRUE(all.Run(*g2).ok());
  EXPECT_EQ(printed.size(), 2u);
}

TEST(PipelineTest, RegistryIsSortedAndCreatesEveryPass) {
  const std::vector<std::string_view> names = RegisteredPasses();
  EXPECT_EQ(names, (std::vector<std::string_view>{"cse", "dce", "fold-constants", "simplify",
                                                  "split-reductions"}));
  for (std::string_view name : names) {
    auto pass = CreatePass(name);
    ASSERT_TRUE(pass.ok());
    EXPECT_EQ((*pass)->name(), name);
  }
  auto unknown = CreatePass("fold");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(unknown.status().message().find("unknown pass 'fold'; known passes: cse, dce, "
                                            "fold-constants, simplify, split-reductions"),
            absl::string_view::npos);
}

}  // namespace
}  // namespace ndjit::passes
