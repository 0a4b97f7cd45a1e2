// Differential tests of the CPU JIT against the reference interpreter.
//
// 2,000 seeded random graphs (at most 16 ops each, mixing dtypes, broadcasts, views, reductions,
// concat, gather and matmul; row kernels whose reduction and loop share expensive values; scan
// composites, long shift chains and wide concatenations) run through the fused compiled path and
// through the interpreter. scripts/sweep.sh runs the same generator over 100,000 graphs.
// Integers and bool must be equal; floats computed by ops that round identically on both paths
// (add, mul, div, sqrt, casts, max reductions, ...) must be equal bit for bit (signed zeros
// aside); floats computed by transcendental functions or reassociated sums must agree within a
// per-dtype tolerance scaled to the tensor, with NaN in the same positions. To keep that
// tolerance meaningful, the generator applies discontinuous ops (floor, comparisons, casts to
// integers, mod, argmax, logs and square roots near their domain edge) only to exact values.
//
// A failing graph is shrunk (nodes replaced by inputs, outputs dropped, while it still fails),
// written to the test's output directory, and printed; copy it into
// tests/data/jit_regressions/ and it runs on every test run from then on. With
// NDJIT_TEST_PRINT_GRAPHS=1 every generated graph is printed.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "codegen/cpu/cpu_backend.h"
#include "codegen/lower.h"
#include "gtest/gtest.h"
#include "ir/interpreter.h"
#include "ir/parser.h"
#include "ir/printer.h"
#include "ir/verifier.h"
#include "passes/fusion.h"
#include "runtime/disk_cache.h"
#include "runtime/executor.h"
#include "tests/runtime/differential_corpus.h"

namespace ndjit::runtime {
namespace {

using namespace ::ndjit::runtime::testing;  // NOLINT: the corpus's names, test-only

constexpr int kShards = 8;
constexpr int kGraphsPerShard = 250;  // 2,000 graphs in all
constexpr int kMaxOps = 16;

class RandomGraphs : public ::testing::TestWithParam<int> {};

TEST_P(RandomGraphs, CompiledMatchesInterpreter) {
  const int shard = GetParam();
  ResetExecutorCounters();
  int failures = 0;
  for (int i = 0; i < kGraphsPerShard && failures < 3; ++i) {
    const uint64_t seed = static_cast<uint64_t>(shard) * kGraphsPerShard + i + 1;
    Case c;
    c.graph = std::make_unique<Graph>(absl::StrCat("random", seed));
    Generator(seed, *c.graph, c.specs).Build(kMaxOps);
    ASSERT_TRUE(ir::VerifyGraph(*c.graph).ok()) << ir::PrintGraph(*c.graph);
    if (std::getenv("NDJIT_TEST_PRINT_GRAPHS"))
      std::fprintf(stderr, "%s\n", ir::PrintGraph(*c.graph).c_str());
    const std::string d = Differ(*c.graph, c.specs, seed);
    if (d.empty()) continue;
    ++failures;
    Case small = Shrink(std::move(c), seed);
    const std::string text = RegressionText(small, seed);
    const std::filesystem::path path =
        std::filesystem::path(::testing::TempDir()) / absl::StrCat("jit_regression_", seed, ".ir");
    std::ofstream(path) << text;
    ADD_FAILURE() << "seed " << seed << ": " << Differ(*small.graph, small.specs, seed)
                  << "\nshrunk graph saved to " << path
                  << " (copy it into tests/data/jit_regressions/):\n"
                  << text;
  }
  // The corpus's kernels stay within the fusion caps (passes/fusion.h): at most 32 buffers read
  // and 8 written, and (measured: under 1,000 today) at most 4,096 instructions, index
  // arithmetic included, where the planner caps its estimate at 2,048 ops.
  const ExecutorCounters counters = GetExecutorCounters();
  const passes::FusionOptions caps;
  EXPECT_LE(counters.most_kernel_buffers, caps.max_kernel_buffers + caps.max_kernel_outputs);
  EXPECT_LE(counters.largest_kernel_instrs, 2 * caps.max_kernel_ops);
  std::printf("largest kernel: %lld instructions; most buffers: %lld\n",
              static_cast<long long>(counters.largest_kernel_instrs),
              static_cast<long long>(counters.most_kernel_buffers));
}

INSTANTIATE_TEST_SUITE_P(Shards, RandomGraphs, ::testing::Range(0, kShards));

// Streaming stores (codegen/cpu/cpu_backend.h) are used only for outputs the size of the
// last-level cache, which no random graph has: here every output of an elementwise kernel
// streams. The corpus's rows are short (dims of at most 5), so this checks the split's
// unaligned ends and its kernels' structure more than whole aligned lines, which
// StreamingStores.EveryPointIsStoredAtEveryAlignmentAndRange and
// EveryElementWidthIsStoredAtEveryAlignment cover (tests/codegen/cpu_jit_test.cc).
TEST(StreamingStores, RandomGraphsWithEveryOutputStreamedMatchTheInterpreter) {
  ExecuteOptions options = DefaultOptions();
  options.streaming_store_bytes = 1;
  int failures = 0;
  for (int i = 0; i < kGraphsPerShard && failures < 3; ++i) {
    const uint64_t seed = 900000 + i;
    Case c;
    c.graph = std::make_unique<Graph>(absl::StrCat("streamed", seed));
    Generator(seed, *c.graph, c.specs).Build(kMaxOps);
    const std::string d = Differ(*c.graph, c.specs, seed, options);
    if (d.empty()) continue;
    ++failures;
    ADD_FAILURE() << "seed " << seed << ": " << d << "\n" << ir::PrintGraph(*c.graph);
  }
}

// Every saved regression case runs on every test run.
TEST(JitRegressions, SavedCasesMatchInterpreter) {
  std::string error;
  const std::vector<Case> cases = SavedCases(&error);
  ASSERT_EQ(error, "");
  if (cases.empty()) GTEST_SKIP() << "no saved regression cases";
  for (const Case& c : cases) EXPECT_EQ(Differ(*c.graph, c.specs, c.seed), "") << c.name;
}

}  // namespace
}  // namespace ndjit::runtime

namespace ndjit::runtime {
namespace {

// A fused kernel that fails to compile never aborts the run: the graph runs again unfused.
TEST(UnfusedRetry, FailedFusedKernelsAreRetriedOpByOp) {
  auto g = ir::ParseGraph(R"(graph @g {
      %0 = input[index=0] : f32[64]
      %1 = exp(%0) : f32[64]
      %2 = mul(%1, %0) : f32[64]
      %3 = reduce_sum[axes=[0]](%2) : f32[]
      return %2, %3 })");
  ASSERT_TRUE(g.ok()) << g.status();
  const std::vector<InputSpec> specs = {InputSpec{(*g)->inputs()[0]->type()}};
  const std::vector<HostTensor> inputs = MakeInputs(specs, 5);
  ExecuteOptions options;
  options.fail_fused_kernels_for_testing = true;
  const int64_t retries = GetExecutorCounters().unfused_retries;
  absl::StatusOr<std::vector<HostTensor>> got = ExecuteCompiled(**g, inputs, options);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(GetExecutorCounters().unfused_retries, retries + 1);
  absl::StatusOr<std::vector<HostTensor>> want = ir::Interpret(**g, inputs);
  ASSERT_TRUE(want.ok());
  EXPECT_EQ(Compare((*want)[0], (*got)[0], false), "");
  EXPECT_EQ(Compare((*want)[1], (*got)[1], false), "");
}

}  // namespace
}  // namespace ndjit::runtime

namespace ndjit::runtime {
namespace {

// A 16-bit float constant is rounded once from its double value, as the interpreter does (not
// double -> float -> half, which rounds twice): 1 + 2^-11 + 2^-40 is just above the midpoint.
TEST(Constants, HalfConstantsRoundOnce) {
  for (const char* dtype : {"f16", "bf16"}) {
    SCOPED_TRACE(dtype);
    const std::string value =
        std::string(dtype) == "f16" ? "1.0004882812500009" : "1.00390625000001";
    auto g = ir::ParseGraph(absl::StrCat("graph @g {\n  %0 = constant[value=", value, "] : ", dtype,
                                         "[4]\n  return %0\n}\n"));
    ASSERT_TRUE(g.ok()) << g.status();
    absl::StatusOr<std::vector<HostTensor>> want = ir::Interpret(**g, {});
    absl::StatusOr<std::vector<HostTensor>> got = ExecuteCompiled(**g, {}, ExecuteOptions{});
    ASSERT_TRUE(want.ok() && got.ok());
    EXPECT_EQ(Compare((*want)[0], (*got)[0], /*exact=*/true), "");
  }
}

// Buffers that do not match the graph's inputs are an error, never a read past their end.
TEST(Inputs, MismatchedInputsAreRejected) {
  auto g = ir::ParseGraph(R"(graph @g {
      %0 = input[index=0] : f32[64]
      %1 = exp(%0) : f32[64]
      return %1 })");
  ASSERT_TRUE(g.ok());
  const HostTensor small(TensorType{DType::kFloat32, {8}});
  absl::StatusOr<std::vector<HostTensor>> got = ExecuteCompiled(**g, {small}, ExecuteOptions{});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().message(), "input 0 must be f32[64], got f32[8]");
  got = ExecuteCompiled(**g, {}, ExecuteOptions{});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().message(), "input 0 must be f32[64], got nothing");
}

}  // namespace
}  // namespace ndjit::runtime

namespace ndjit::runtime {
namespace {

// The kernels of a cold plan compile together, on several threads: each distinct kernel text
// once (the two reductions below are the same kernel over different buffers), and every result
// as the interpreter computes it. The integer constant keeps the kernels out of the process's
// cache (integer constants are code), so they are cold.
TEST(ParallelCompile, AColdPlanCompilesEachDistinctKernelOnce) {
  auto g = ir::ParseGraph(R"(graph @g {
      %0 = input[index=0] : f32[64,32]
      %1 = input[index=1] : f32[64,32]
      %2 = constant[value=1234567] : i32[64,32]
      %3 = cast(%0) : i32[64,32]
      %4 = add(%3, %2) : i32[64,32]
      %5 = reduce_sum[axes=[1]](%4) : i32[64]
      %6 = cast(%1) : i32[64,32]
      %7 = add(%6, %2) : i32[64,32]
      %8 = reduce_sum[axes=[1]](%7) : i32[64]
      %9 = permute[perm=[1,0]](%1) : f32[32,64]
      %10 = matmul(%0, %9) : f32[64,64]
      return %5, %8, %10 })");
  ASSERT_TRUE(g.ok()) << g.status();
  std::vector<InputSpec> specs;
  for (const ir::Node* in : (*g)->inputs()) specs.push_back(InputSpec{in->type()});
  const std::vector<HostTensor> inputs = MakeInputs(specs, 11);
  ExecuteOptions options;
  options.num_threads = 4;
  const ExecutorCounters before = GetExecutorCounters();
  absl::StatusOr<std::vector<HostTensor>> got = ExecuteCompiled(**g, inputs, options);
  ASSERT_TRUE(got.ok()) << got.status();
  const ExecutorCounters after = GetExecutorCounters();
  EXPECT_EQ(after.kernels_launched - before.kernels_launched, 3);
  EXPECT_EQ(after.kernels_compiled - before.kernels_compiled, 2);
  absl::StatusOr<std::vector<HostTensor>> want = ir::Interpret(**g, inputs);
  ASSERT_TRUE(want.ok());
  for (size_t i = 0; i < want->size(); ++i) {
    EXPECT_EQ(Compare((*want)[i], (*got)[i], /*exact=*/i != 2), "") << "output " << i;
  }
  // Warm: nothing compiles.
  ASSERT_TRUE(ExecuteCompiled(**g, inputs, options).ok());
  EXPECT_EQ(GetExecutorCounters().kernels_compiled, after.kernels_compiled);
}

// Threads that materialize one graph at once compile each of its kernels once: a kernel another
// thread is compiling is waited for, not compiled again (and stored on disk once).
TEST(ParallelCompile, ConcurrentPlansOfOneGraphCompileEachKernelOnce) {
  const CacheSettings saved = GetCacheSettings();
  const std::string dir = ::testing::TempDir() + "/ndjit_concurrent_plans";
  std::filesystem::remove_all(dir);
  SetCacheDir(dir);
  SetCacheEnabled(true);
  auto g = ir::ParseGraph(R"(graph @g {
      %0 = input[index=0] : f32[64,32]
      %1 = constant[value=918273] : i32[64,32]
      %2 = cast(%0) : i32[64,32]
      %3 = add(%2, %1) : i32[64,32]
      %4 = reduce_max[axes=[1]](%3) : i32[64]
      %5 = permute[perm=[1,0]](%0) : f32[32,64]
      %6 = matmul(%0, %5) : f32[64,64]
      return %4, %6 })");
  ASSERT_TRUE(g.ok()) << g.status();
  const std::vector<HostTensor> inputs = MakeInputs({InputSpec{(*g)->inputs()[0]->type()}}, 3);
  const ExecutorCounters before = GetExecutorCounters();
  ::testing::internal::CaptureStderr();
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      ExecuteOptions options;
      options.num_threads = 2;
      failures += !ExecuteCompiled(**g, inputs, options).ok();
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
  EXPECT_EQ(failures.load(), 0);
  const ExecutorCounters after = GetExecutorCounters();
  EXPECT_EQ(after.kernels_compiled - before.kernels_compiled, 2);
  EXPECT_EQ(ListCacheEntries(dir).size(), 2u);
  SetCacheDir(saved.root);
  SetCacheEnabled(saved.enabled);
  std::filesystem::remove_all(dir);
}

// A kernel that calls a vector math function keeps its vector registers on the stack across the
// call. Those spills must use aligned slots: the caller's stack is only 16-byte aligned, and a
// 32- or 64-byte spill that straddles cache lines made the softmax kernel 25% slower whenever
// the calling thread's stack happened to sit at such an offset (which varies with call depth and
// stack randomization, so the same statement ran at two speeds). The kernel realigns its frame,
// so every vector spill is an aligned move.
TEST(KernelFrames, VectorSpillsAcrossMathCallsAreAligned) {
  if (!codegen::cpu::HasVectorMath())
    GTEST_SKIP() << "no vector math library: no calls to spill around";
  auto g = ir::ParseGraph(R"(graph @g {
      %0 = input[index=0] : f32[64,1024]
      %1 = reduce_max[axes=[1]](%0) : f32[64]
      %2 = reshape(%1) : f32[64,1]
      %3 = broadcast(%2) : f32[64,1024]
      %4 = sub(%0, %3) : f32[64,1024]
      %5 = exp(%4) : f32[64,1024]
      %6 = reduce_sum[axes=[1]](%5) : f32[64]
      %7 = reshape(%6) : f32[64,1]
      %8 = broadcast(%7) : f32[64,1024]
      %9 = div(%5, %8) : f32[64,1024]
      return %9 })");
  ASSERT_TRUE(g.ok()) << g.status();
  DescribeOptions options;
  options.assembly = true;
  // exp through glibc's libmvec: a call (the prelude's own exp is inlined and calls nothing).
  options.execute.glibc_math = true;
  absl::StatusOr<KernelsDescription> d = DescribeKernels(**g, options);
  ASSERT_TRUE(d.ok()) << d.status();
  ASSERT_EQ(d->kernels.size(), 1u);
  const std::string& assembly = d->kernels[0].assembly;
  // A move between a ymm/zmm register and a stack slot, in either direction (AT&T syntax).
  int spills = 0;
  for (absl::string_view line : absl::StrSplit(assembly, '\n')) {
    line = absl::StripLeadingAsciiWhitespace(line);
    if (!absl::StartsWith(line, "vmov") || !absl::StrContains(line, "(%rsp)") ||
        !(absl::StrContains(line, "%ymm") || absl::StrContains(line, "%zmm"))) {
      continue;
    }
    ++spills;
    const absl::string_view mnemonic = line.substr(0, line.find_first_of(" \t"));
    EXPECT_TRUE(mnemonic == "vmovaps" || mnemonic == "vmovapd" ||
                absl::StartsWith(mnemonic, "vmovdqa"))
        << "unaligned vector spill: " << line;
  }
  // The kernel keeps values live across the exp call; if a future change removes every spill,
  // this test no longer checks anything and must find another kernel that spills.
  EXPECT_GT(spills, 0) << assembly;
}

}  // namespace
}  // namespace ndjit::runtime
