// Tests of the compile driver (codegen/compile.h) with a recording backend: what it hands the
// backend, what a plan holds, how errors come back, and that DescribeGraph describes the same
// kernels CompileGraph builds.
#include "codegen/compile.h"

#include <string>
#include <vector>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "ir/parser.h"

namespace ndjit::codegen {
namespace {

std::unique_ptr<ir::Graph> Parse(const std::string& text) {
  auto g = ir::ParseGraph(text, "test");
  EXPECT_TRUE(g.ok()) << g.status();
  return g.ok() ? *std::move(g) : nullptr;
}

// Records the kernels it is given and answers each with a runner, or with an error for the
// kernel named `fail`.
class RecordingCompiler final : public KernelCompiler {
 public:
  std::vector<absl::StatusOr<KernelCode>> CompileAll(
      absl::Span<const ir::Kernel* const> kernels) override {
    ++calls;
    std::vector<absl::StatusOr<KernelCode>> out;
    for (const ir::Kernel* k : kernels) {
      names.push_back(k->name);
      if (k->name == fail) {
        out.push_back(absl::InternalError("backend refused " + k->name));
        continue;
      }
      KernelCode code;
      code.runner = [](void* const*, const int64_t*, int64_t*, const LaunchSize&) {
        return absl::OkStatus();
      };
      out.push_back(std::move(code));
    }
    if (drop_last && !out.empty()) out.pop_back();
    return out;
  }
  int calls = 0;
  std::vector<std::string> names;
  std::string fail;
  bool drop_last = false;
};

// Several kernels: an exp read by a column sum and by a row maximum.
constexpr char kKernels[] = R"(graph @two {
  %0 = input[index=0] : f32[64,128]
  %1 = exp(%0) : f32[64,128]
  %2 = reduce_sum[axes=[0]](%1) : f32[128]
  %3 = reduce_max[axes=[1]](%1) : f32[64]
  return %2, %3
})";

TEST(CompileGraphTest, HandsEveryKernelToTheBackendInOneCall) {
  auto g = Parse(kKernels);
  ASSERT_NE(g, nullptr);
  RecordingCompiler backend;
  CompileAttempt attempt;
  absl::StatusOr<CompiledPlan> plan = CompileGraph(*g, {}, backend, &attempt);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(backend.calls, 1);
  EXPECT_FALSE(attempt.kernel_failed);
  ASSERT_EQ(plan->groups.size(), backend.names.size());
  for (size_t i = 0; i < plan->groups.size(); ++i) {
    EXPECT_TRUE(plan->groups[i].code.runner) << plan->groups[i].name;
    EXPECT_EQ(plan->groups[i].code.fn, nullptr);
  }
  EXPECT_EQ(plan->num_nodes, g->num_nodes());
  ASSERT_EQ(plan->inputs.size(), 1u);
  EXPECT_EQ(plan->inputs[0], (std::pair<int, int64_t>{0, 0}));
  EXPECT_EQ(plan->outputs, (std::vector<int>{2, 3}));
  EXPECT_GT(attempt.largest_kernel_instrs, 0);
  EXPECT_GE(attempt.most_kernel_buffers, 2);
}

TEST(CompileGraphTest, DescribeGraphDescribesTheSameKernelsInTheSameOrder) {
  auto g = Parse(kKernels);
  ASSERT_NE(g, nullptr);
  RecordingCompiler backend;
  absl::StatusOr<CompiledPlan> plan = CompileGraph(*g, {}, backend);
  ASSERT_TRUE(plan.ok()) << plan.status();
  absl::StatusOr<GraphDescription> d = DescribeGraph(*g, {}, {});
  ASSERT_TRUE(d.ok()) << d.status();
  ASSERT_EQ(d->kernels.size(), plan->groups.size());
  for (size_t i = 0; i < d->kernels.size(); ++i) {
    EXPECT_EQ(d->kernels[i].name, plan->groups[i].name);
    EXPECT_NE(d->kernels[i].kernel_ir.find("kernel @"), std::string::npos);
    EXPECT_TRUE(d->kernels[i].llvm_ir.empty());  // not asked for
  }
  EXPECT_NE(d->fusion.find("kernel 0 @"), std::string::npos) << d->fusion;
  EXPECT_NE(d->schedule.find("schedule:"), std::string::npos) << d->schedule;
  EXPECT_TRUE(d->split_graph.empty());  // nothing large enough to split
}

TEST(CompileGraphTest, EmptyDomainsAreNotCompiled) {
  auto g = Parse(R"(graph @empty {
  %0 = input[index=0] : f32[0,8]
  %1 = exp(%0) : f32[0,8]
  return %1
})");
  ASSERT_NE(g, nullptr);
  RecordingCompiler backend;
  absl::StatusOr<CompiledPlan> plan = CompileGraph(*g, {}, backend);
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->groups.size(), 1u);
  EXPECT_EQ(plan->groups[0].points, 0);
  EXPECT_TRUE(backend.names.empty());
  EXPECT_FALSE(plan->groups[0].code.runner);
}

TEST(CompileGraphTest, ABackendErrorIsTheResult) {
  auto g = Parse(kKernels);
  ASSERT_NE(g, nullptr);
  RecordingCompiler probe;
  ASSERT_TRUE(CompileGraph(*g, {}, probe).ok());
  ASSERT_GE(probe.names.size(), 2u);
  RecordingCompiler backend;
  backend.fail = probe.names.back();
  CompileAttempt attempt;
  absl::StatusOr<CompiledPlan> plan = CompileGraph(*g, {}, backend, &attempt);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().message(), "backend refused " + probe.names.back());
  EXPECT_TRUE(attempt.kernel_failed);           // the executor retries this one unfused
  EXPECT_GT(attempt.largest_kernel_instrs, 0);  // sizes are known though the plan failed
}

TEST(CompileGraphTest, ABackendThatAnswersTooFewKernelsIsAnInternalError) {
  auto g = Parse(kKernels);
  ASSERT_NE(g, nullptr);
  RecordingCompiler probe;
  ASSERT_TRUE(CompileGraph(*g, {}, probe).ok());
  const size_t n = probe.names.size();
  RecordingCompiler backend;
  backend.drop_last = true;
  CompileAttempt attempt;
  absl::StatusOr<CompiledPlan> plan = CompileGraph(*g, {}, backend, &attempt);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kInternal);
  EXPECT_FALSE(attempt.kernel_failed);  // a broken invariant, not a kernel: no unfused retry
  EXPECT_NE(plan.status().message().find(
                absl::StrCat("the backend compiled ", n - 1, " of ", n, " kernels")),
            std::string::npos)
      << plan.status();
}

TEST(CompileGraphTest, InjectedFusedFailureStopsBeforeTheBackend) {
  auto g = Parse(R"(graph @fused {
  %0 = input[index=0] : f32[64]
  %1 = exp(%0) : f32[64]
  %2 = constant[value=1.0] : f32[64]
  %3 = add(%1, %2) : f32[64]
  return %3
})");
  ASSERT_NE(g, nullptr);
  GraphCompileOptions options;
  options.fail_fused_kernels_for_testing = true;
  RecordingCompiler backend;
  CompileAttempt attempt;
  absl::StatusOr<CompiledPlan> plan = CompileGraph(*g, options, backend, &attempt);
  ASSERT_FALSE(plan.ok());
  EXPECT_TRUE(attempt.kernel_failed);
  EXPECT_NE(plan.status().message().find("injected compile failure of kernel @"), std::string::npos)
      << plan.status();
  EXPECT_EQ(backend.calls, 0);
  // Unfused, every kernel holds one op and compiles.
  options.fusion.fuse = false;
  EXPECT_TRUE(CompileGraph(*g, options, backend).ok());
}

// The executor's plan cache compares these options as a whole: each field must count.
TEST(GraphCompileOptionsTest, EveryFieldTakesPartInEquality) {
  const GraphCompileOptions base;
  EXPECT_EQ(base, GraphCompileOptions{});
  GraphCompileOptions o = base;
  o.fusion.fuse = false;
  EXPECT_FALSE(o == base);
  o = base;
  o.schedule.reorder = !base.schedule.reorder;
  EXPECT_FALSE(o == base);
  o = base;
  o.split_reductions = false;
  EXPECT_FALSE(o == base);
  o = base;
  o.optional_outputs = {true};
  EXPECT_FALSE(o == base);
  o = base;
  o.fail_fused_kernels_for_testing = true;
  EXPECT_FALSE(o == base);
  o = base;
  o.streaming_store_bytes = 1 << 20;
  EXPECT_FALSE(o == base);
  o = base;
  o.glibc_math = true;
  EXPECT_FALSE(o == base);
  o = base;
  o.prefetch = false;
  EXPECT_FALSE(o == base);
}

// ... and in the hash the plan cache buckets by.
TEST(GraphCompileOptionsTest, EqualOptionsHashEqualAndEachFieldChangesTheHash) {
  const GraphCompileOptions base;
  EXPECT_EQ(absl::HashOf(base), absl::HashOf(GraphCompileOptions{}));
  std::vector<GraphCompileOptions> changed(10, base);
  changed[0].fusion.fuse = false;
  changed[1].fusion.max_kernel_ops = 100;
  changed[2].schedule.in_place = false;
  changed[3].split_reductions = false;
  changed[4].optional_outputs = {false};
  changed[5].fail_fused_kernels_for_testing = true;
  changed[6].fusion.max_evaluations = 2;
  changed[7].streaming_store_bytes = 1 << 20;
  changed[8].glibc_math = true;
  changed[9].prefetch = false;
  for (size_t i = 0; i < changed.size(); ++i) {
    EXPECT_NE(absl::HashOf(changed[i]), absl::HashOf(base)) << i;
  }
}

TEST(SplitGraphTest, SplitsOnlyWhatIsLargeAndOnlyWhenAsked) {
  auto small = Parse(kKernels);
  ASSERT_NE(small, nullptr);
  absl::StatusOr<std::optional<ir::Graph>> none = SplitGraph(*small, {});
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_FALSE(none->has_value());
  auto big = Parse(R"(graph @big {
  %0 = input[index=0] : f32[16777216]
  %1 = reduce_sum[axes=[0]](%0) : f32[]
  return %1
})");
  ASSERT_NE(big, nullptr);
  absl::StatusOr<std::optional<ir::Graph>> split = SplitGraph(*big, {});
  ASSERT_TRUE(split.ok()) << split.status();
  EXPECT_TRUE(split->has_value());
  GraphCompileOptions off;
  off.split_reductions = false;
  absl::StatusOr<std::optional<ir::Graph>> kept = SplitGraph(*big, off);
  ASSERT_TRUE(kept.ok()) << kept.status();
  EXPECT_FALSE(kept->has_value());
}

}  // namespace
}  // namespace ndjit::codegen
