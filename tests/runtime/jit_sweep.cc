// jit_sweep: a long differential campaign of the CPU JIT against the interpreter, outside CI.
//
// Generates random graphs with the corpus's generator (tests/runtime/differential_corpus.h),
// leaning toward row kernels and multi-output kernels by default, runs each through the fused
// compiled path and the interpreter, and shrinks every disagreement to a regression file for
// tests/data/jit_regressions/. Progress goes to stderr every 1,000 graphs; the last line is a
// summary ("N passed, M failed"). Exit status 1 when any graph disagreed.
//
//   jit_sweep --graphs=100000 --first=1 --out=/tmp/sweep     (scripts/sweep.sh runs shards)
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "ir/printer.h"
#include "ir/verifier.h"
#include "passes/fusion.h"
#include "tests/runtime/differential_corpus.h"

ABSL_FLAG(int64_t, graphs, 100000, "how many graphs");
ABSL_FLAG(uint64_t, first, 1, "the first seed (graph k has seed first + k)");
ABSL_FLAG(int, max_ops, 20, "ops per graph, at most");
ABSL_FLAG(int, row_weight, 4,
          "extra weight of the row steps (0: CI's corpus profile; each unit adds two of 19)");
ABSL_FLAG(int, extra_outputs, 4, "outputs besides the last node, at most");
ABSL_FLAG(std::string, out, "", "folder for the shrunk failing graphs (default: the working dir)");
ABSL_FLAG(int, max_failures, 50, "stop after this many failing graphs");
ABSL_FLAG(int, threads, 1, "threads of the compiled kernels (run shards side by side with 1)");

namespace {

using namespace ::ndjit::runtime::testing;  // NOLINT: the corpus's names

int Run() {
  const int64_t graphs = absl::GetFlag(FLAGS_graphs);
  const uint64_t first = absl::GetFlag(FLAGS_first);
  GeneratorProfile profile;
  profile.row_weight = absl::GetFlag(FLAGS_row_weight);
  profile.extra_outputs = absl::GetFlag(FLAGS_extra_outputs);
  const std::filesystem::path out = absl::GetFlag(FLAGS_out).empty()
                                        ? std::filesystem::current_path()
                                        : std::filesystem::path(absl::GetFlag(FLAGS_out));
  std::filesystem::create_directories(out);
  ndjit::runtime::ExecuteOptions options = DefaultOptions();
  options.num_threads = absl::GetFlag(FLAGS_threads);
  const auto start = std::chrono::steady_clock::now();
  int64_t passed = 0, failed = 0, row_graphs = 0, multi_graphs = 0;
  for (int64_t k = 0; k < graphs && failed < absl::GetFlag(FLAGS_max_failures); ++k) {
    const uint64_t seed = first + static_cast<uint64_t>(k);
    Case c;
    c.graph = std::make_unique<Graph>(absl::StrCat("sweep", seed));
    Generator(seed, *c.graph, c.specs, profile).Build(absl::GetFlag(FLAGS_max_ops));
    if (absl::Status v = ndjit::ir::VerifyGraph(*c.graph); !v.ok()) {
      std::fprintf(stderr, "seed %llu: the generator built an invalid graph: %s\n%s\n",
                   static_cast<unsigned long long>(seed), v.ToString().c_str(),
                   ndjit::ir::PrintGraph(*c.graph).c_str());
      return 2;
    }
    // What the graph's kernels look like, planned on the graph as generated (the pipeline may
    // simplify it first): row kernels, multi-output kernels.
    const ndjit::passes::FusionPlan plan = ndjit::passes::PlanFusion(*c.graph);
    bool row = false, multi = false;
    for (const ndjit::passes::FusionGroup& g : plan.groups) {
      row = row || g.row_kernel;
      multi = multi || g.roots.size() > 1;
    }
    row_graphs += row;
    multi_graphs += multi;
    const std::string d = Differ(*c.graph, c.specs, seed, options);
    if (d.empty()) {
      ++passed;
    } else {
      ++failed;
      Case small = Shrink(std::move(c), seed);
      const std::filesystem::path path = out / absl::StrCat("jit_regression_", seed, ".ir");
      std::ofstream(path) << RegressionText(small, seed);
      std::fprintf(stderr, "seed %llu: %s\n  shrunk to %s\n", static_cast<unsigned long long>(seed),
                   Differ(*small.graph, small.specs, seed).c_str(), path.c_str());
    }
    if ((k + 1) % 1000 == 0) {
      const double s =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::fprintf(stderr,
                   "%lld graphs (%lld with row kernels, %lld with multi-output kernels), %lld "
                   "failed, %.0f s (%.0f s compiling)\n",
                   static_cast<long long>(k + 1), static_cast<long long>(row_graphs),
                   static_cast<long long>(multi_graphs), static_cast<long long>(failed), s,
                   ndjit::runtime::GetExecutorCounters().compile_seconds);
    }
  }
  std::printf("seeds %llu..%llu: %lld graphs with row kernels, %lld with multi-output kernels\n",
              static_cast<unsigned long long>(first),
              static_cast<unsigned long long>(first + graphs - 1),
              static_cast<long long>(row_graphs), static_cast<long long>(multi_graphs));
  std::printf("%lld passed, %lld failed\n", static_cast<long long>(passed),
              static_cast<long long>(failed));
  return failed == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "differential sweep of the CPU JIT against the interpreter over random graphs");
  absl::ParseCommandLine(argc, argv);
  return Run();
}
