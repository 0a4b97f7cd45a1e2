// Tests of the pipeline: verify-each, honest-change check, disable, bisect, printing, dumps,
// flags, registry.
#include "passes/pipeline.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

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

TEST(PipelineTest, DefaultPipelineRunsEveryPassInOrder) {
  auto g = Parse();
  Pipeline p = DefaultPipeline();
  ASSERT_TRUE(p.Run(*g).ok());
  std::vector<std::string> ran;
  for (const PassRun& r : p.runs()) ran.push_back(r.name);
  EXPECT_EQ(ran, (std::vector<std::string>{"fold-constants", "simplify", "cse",
                                           "canonicalize-views", "dce"}));
  std::vector<std::string_view> names = DefaultPassNames();
  EXPECT_EQ(std::vector<std::string>(names.begin(), names.end()), ran);
  EXPECT_TRUE(p.runs()[2].changed);  // cse
  EXPECT_TRUE(p.runs()[4].changed);  // dce
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
  disable.disable = {"cse", "simplify"};
  Pipeline p = DefaultPipeline(disable);
  ASSERT_TRUE(p.Run(*g).ok());
  ASSERT_EQ(p.runs().size(), 3u);
  EXPECT_EQ(p.runs()[2].name, "dce");

  auto g2 = Parse();
  PipelineOptions bisect;
  bisect.bisect_limit = 3;
  Pipeline q = DefaultPipeline(bisect);
  ASSERT_TRUE(q.Run(*g2).ok());
  ASSERT_EQ(q.runs().size(), 3u);
  EXPECT_EQ(q.runs()[2].name, "cse");
  EXPECT_NE(ir::PrintGraph(*g2).find("log"), std::string::npos);  // dce did not run
}

TEST(PipelineTest, PrintBeforeAndAfterOneOrAll) {
  auto g = Parse();
  std::vector<std::string> printed;
  PipelineOptions options;
  options.print_after = "dce";
  options.print_before = "cse";
  options.print_sink = [&](const std::string& s) { printed.push_back(s); };
  Pipeline p = DefaultPipeline(options);
  ASSERT_TRUE(p.Run(*g).ok());
  ASSERT_EQ(printed.size(), 2u);
  EXPECT_EQ(printed[0].rfind("// before pass cse\ngraph @g {", 0), 0u) << printed[0];
  EXPECT_EQ(printed[1].rfind("// after pass dce\ngraph @g {", 0), 0u) << printed[1];

  auto g2 = Parse();
  printed.clear();
  options.print_after.clear();
  options.print_before.clear();
  options.print_after_all = true;
  Pipeline all = DefaultPipeline(options);
  ASSERT_TRUE(all.Run(*g2).ok());
  EXPECT_EQ(printed.size(), 5u);

  // --print-changed alone prints after every pass that changed the graph.
  PipelineOptions changed_only;
  changed_only.print_changed = true;
  changed_only.print_sink = [&](const std::string& s) { printed.push_back(s); };
  printed.clear();
  Pipeline alone = DefaultPipeline(changed_only);
  ASSERT_TRUE(alone.Run(*Parse()).ok());
  ASSERT_EQ(printed.size(), 2u);
  EXPECT_EQ(printed[0].rfind("// after pass cse\n", 0), 0u);

  // Only after the passes that changed the graph: cse and dce.
  auto g3 = Parse();
  printed.clear();
  options.print_changed = true;
  Pipeline changed = DefaultPipeline(options);
  ASSERT_TRUE(changed.Run(*g3).ok());
  ASSERT_EQ(printed.size(), 2u);
  EXPECT_EQ(printed[0].rfind("// after pass cse\n", 0), 0u);
  EXPECT_EQ(printed[1].rfind("// after pass dce\n", 0), 0u);

  auto g4 = Parse();
  printed.clear();
  PipelineOptions before_all;
  before_all.print_before_all = true;
  before_all.time_passes = true;
  before_all.print_sink = [&](const std::string& s) { printed.push_back(s); };
  Pipeline timed = DefaultPipeline(before_all);
  ASSERT_TRUE(timed.Run(*g4).ok());
  ASSERT_EQ(printed.size(), 10u);  // before each pass, then its time
  EXPECT_EQ(printed[1].rfind("// pass fold-constants ", 0), 0u) << printed[1];
  EXPECT_NE(printed[1].find(" ms  no change"), std::string::npos) << printed[1];
}

TEST(PipelineTest, DumpDirectoryGetsEveryIntermediateGraph) {
  const std::string dir = ::testing::TempDir() + "/pipeline_dump";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  PipelineOptions options;
  options.dump_dir = dir;
  options.dump_prefix = "0007.";
  auto g = Parse();
  Pipeline p = DefaultPipeline(options);
  ASSERT_TRUE(p.Run(*g).ok());
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"0007.00.input.ir", "0007.01.fold-constants.ir",
                                             "0007.02.simplify.ir", "0007.03.cse.ir",
                                             "0007.04.canonicalize-views.ir", "0007.05.dce.ir"}));
  std::ifstream last(dir + "/0007.05.dce.ir");
  std::stringstream text;
  text << last.rdbuf();
  EXPECT_EQ(text.str(), ir::PrintGraph(*g));
  std::filesystem::remove_all(dir);

  // A dump that cannot be written is a warning; the passes still run.
  options.dump_dir = dir + "/missing/deeper";
  std::vector<std::string> printed;
  options.print_sink = [&](const std::string& s) { printed.push_back(s); };
  Pipeline broken = DefaultPipeline(options);
  auto g2 = Parse();
  ASSERT_TRUE(broken.Run(*g2).ok());
  EXPECT_EQ(broken.runs().size(), 5u);
  ASSERT_EQ(printed.size(), 6u);
  EXPECT_EQ(printed[0],
            "// warning: cannot write the dump file " + dir + "/missing/deeper/0007.00.input.ir\n");
}

TEST(PipelineTest, FlagsSetEveryOption) {
  PipelineOptions o;
  ASSERT_TRUE(ApplyPipelineFlags("  --print-before=cse --print-before-all --print-after=dce "
                                 "--print-after-all --print-changed --time-passes "
                                 "--disable=simplify,cse --bisect-limit=4 --verify-each=0 "
                                 "--check-unchanged=1 --dump-dir=/tmp/x --reorder-kernels=0 "
                                 "--reuse-buffers=0 --in-place=0  ",
                                 &o)
                  .ok());
  EXPECT_EQ(o.print_before, "cse");
  EXPECT_TRUE(o.print_before_all);
  EXPECT_EQ(o.print_after, "dce");
  EXPECT_TRUE(o.print_after_all);
  EXPECT_TRUE(o.print_changed);
  EXPECT_TRUE(o.time_passes);
  EXPECT_EQ(o.disable, (std::vector<std::string>{"simplify", "cse"}));
  EXPECT_EQ(o.bisect_limit, 4);
  EXPECT_FALSE(o.verify_each);
  EXPECT_TRUE(o.check_unchanged);
  EXPECT_EQ(o.dump_dir, "/tmp/x");
  EXPECT_FALSE(o.schedule.reorder);
  EXPECT_FALSE(o.schedule.reuse_buffers);
  EXPECT_FALSE(o.schedule.in_place);
  EXPECT_TRUE(ApplyPipelineFlags("", &o).ok());
}

TEST(PipelineTest, BadFlagsAreErrorsThatSayWhatIsAccepted) {
  const struct {
    const char* flags;
    const char* message;
  } cases[] = {
      {"--frobnicate", "unknown flag --frobnicate; known flags: --print-before=PASS"},
      {"print-after-all", "\"print-after-all\": expected a flag of the form --name"},
      {"--disable=cse,fold", "--disable: unknown pass 'fold'; known passes: canonicalize-views"},
      {"--print-after=nope", "--print-after: unknown pass 'nope'"},
      {"--bisect-limit=x", "--bisect-limit=x: expected a non-negative integer"},
      {"--bisect-limit=-1", "--bisect-limit=-1: expected a non-negative integer"},
      {"--verify-each=yes", "--verify-each=yes: expected 0 or 1"},
      {"--dump-dir=", "--dump-dir: expected a directory"},
      {"--in-place=2", "--in-place=2: expected 0 or 1"},
  };
  for (const auto& c : cases) {
    PipelineOptions o;
    const absl::Status s = ApplyPipelineFlags(c.flags, &o);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.flags;
    EXPECT_NE(s.message().find(c.message), absl::string_view::npos) << c.flags << ": " << s;
  }
}

// The flag table is the one list of flags: the unknown-flag message lists every entry, each
// entry parses, and the README's switch list names each one.
TEST(PipelineTest, FlagTableFeedsTheHelpAndTheReadme) {
  const std::vector<std::string_view> usages = PipelineFlagUsages();
  ASSERT_FALSE(usages.empty());
  PipelineOptions o;
  const absl::Status unknown = ApplyPipelineFlags("--frobnicate", &o);
  std::ifstream readme_file(std::filesystem::path(NDJIT_TEST_DATA_DIR) / ".." / ".." / "README.md");
  ASSERT_TRUE(readme_file.good());
  std::stringstream readme;
  readme << readme_file.rdbuf();
  const std::string flags_row = [&] {
    std::string line;
    std::istringstream in(readme.str());
    while (std::getline(in, line)) {
      if (line.rfind("| `NDJIT_FLAGS=", 0) == 0) return line;
    }
    return std::string();
  }();
  ASSERT_FALSE(flags_row.empty()) << "README has no NDJIT_FLAGS row in its switch table";
  for (std::string_view usage : usages) {
    EXPECT_NE(std::string(unknown.message()).find(usage), std::string::npos) << usage;
    // The README escapes the table's '|' as "\|".
    std::string in_readme;
    for (char c : usage) {
      if (c == '|') in_readme += '\\';
      in_readme += c;
    }
    EXPECT_NE(flags_row.find("`" + in_readme + "`"), std::string::npos)
        << usage << " is missing from README's NDJIT_FLAGS row";
    // Each flag parses as its usage writes it (with a pass and a number for the placeholders).
    std::string example(usage);
    for (const auto& [from, to] :
         std::vector<std::pair<std::string, std::string>>{{"PASS[,PASS]", "cse,dce"},
                                                          {"=PASS", "=cse"},
                                                          {"=N", "=3"},
                                                          {"=DIR", "=/tmp"},
                                                          {"=0|1", "=0"},
                                                          {"=ndjit|glibc", "=glibc"}}) {
      if (const size_t at = example.find(from); at != std::string::npos) {
        example.replace(at, from.size(), to);
      }
    }
    PipelineOptions parsed;
    EXPECT_TRUE(ApplyPipelineFlags(example, &parsed).ok()) << example;
  }
  // A value outside a flag's set is an error that names the flag and the choices.
  PipelineOptions parsed;
  const absl::Status bad = ApplyPipelineFlags("--vector-math=fast", &parsed);
  EXPECT_EQ(bad.message(), "--vector-math=fast: expected ndjit or glibc");
  EXPECT_TRUE(ApplyPipelineFlags("--vector-math=glibc", &parsed).ok());
  EXPECT_TRUE(parsed.glibc_math);
  EXPECT_TRUE(ApplyPipelineFlags("--vector-math=ndjit --streaming-stores=0", &parsed).ok());
  EXPECT_FALSE(parsed.glibc_math);
  EXPECT_FALSE(parsed.streaming_stores);
  EXPECT_TRUE(parsed.huge_pages);
  EXPECT_TRUE(ApplyPipelineFlags("--huge-pages=0", &parsed).ok());
  EXPECT_FALSE(parsed.huge_pages);
  EXPECT_TRUE(parsed.prefetch);
  EXPECT_TRUE(ApplyPipelineFlags("--prefetch=0", &parsed).ok());
  EXPECT_FALSE(parsed.prefetch);
}

TEST(PipelineTest, RegistryIsSortedAndCreatesEveryPass) {
  const std::vector<std::string_view> names = RegisteredPasses();
  EXPECT_EQ(names,
            (std::vector<std::string_view>{"canonicalize-views", "cse", "dce", "fold-constants",
                                           "simplify", "split-reductions"}));
  for (std::string_view name : names) {
    auto pass = CreatePass(name);
    ASSERT_TRUE(pass.ok());
    EXPECT_EQ((*pass)->name(), name);
  }
  auto unknown = CreatePass("fold");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(
      unknown.status().message().find("unknown pass 'fold'; known passes: canonicalize-views, "
                                      "cse, dce, fold-constants, simplify, "
                                      "split-reductions"),
      absl::string_view::npos);
}

}  // namespace
}  // namespace ndjit::passes
