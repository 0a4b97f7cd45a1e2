// Test helpers of the CUDA backend: the kernels ndjit would run for a graph, rendered to CUDA C++.
#ifndef NDJIT_TESTS_CUDA_CUDA_KERNELS_H_
#define NDJIT_TESTS_CUDA_CUDA_KERNELS_H_

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "codegen/cuda/cuda_source.h"
#include "ir/kernel.h"
#include "runtime/executor.h"
#include "tests/runtime/differential_corpus.h"

namespace ndjit::cuda_testing {

namespace cg = ::ndjit::codegen::cuda;

// Unique kernels (by canonical text) and their renderings, in the order first seen.
struct KernelSet {
  std::vector<ir::Kernel> kernels;
  std::vector<cg::RenderedKernel> rendered;
  absl::flat_hash_map<std::string, int> index;  // canonical text -> position

  // Renders `k` unless already present; its position.
  absl::StatusOr<int> Add(const ir::Kernel& k) {
    std::string key = ir::PrintKernel(k);
    if (auto it = index.find(key); it != index.end()) return it->second;
    const int n = static_cast<int>(kernels.size());
    absl::StatusOr<cg::RenderedKernel> r =
        cg::RenderKernel(k, absl::StrCat(cg::EntryName(k.name), "_k", n));
    if (!r.ok()) return r.status();
    kernels.push_back(k);
    rendered.push_back(*std::move(r));
    index.emplace(std::move(key), n);
    return n;
  }
};

// Adds the kernels ExecuteCompiled runs for `c` (after splitting reductions, fusion, scheduling
// and lowering, exactly as the engine plans them); nothing is computed.
inline absl::Status CollectKernels(const runtime::testing::Case& c, KernelSet* set) {
  absl::Status render_error;
  runtime::ExecuteOptions options;
  options.backend = [&](const ir::Kernel& k) -> absl::StatusOr<runtime::KernelRunner> {
    absl::StatusOr<int> added = set->Add(k);
    if (!added.ok()) {
      if (render_error.ok()) render_error = added.status();
      return added.status();
    }
    return runtime::KernelRunner([](void* const*, const int64_t*, int64_t*,
                                    const runtime::LaunchSize&) { return absl::OkStatus(); });
  };
  const std::vector<ir::HostTensor> inputs = runtime::testing::MakeInputs(c.specs, c.seed);
  absl::StatusOr<std::vector<ir::HostTensor>> run =
      runtime::ExecuteCompiled(*c.graph, inputs, options);
  if (!render_error.ok()) return render_error;
  if (!run.ok()) return run.status();
  return absl::OkStatus();
}

// The CPU corpus's generator without long shift chains, which NVRTC 13 takes minutes to compile
// (see GeneratorProfile::shift_chains).
inline runtime::testing::GeneratorProfile EmulationProfile() {
  runtime::testing::GeneratorProfile profile;
  profile.shift_chains = false;
  return profile;
}

// tests/data/ir/all_ops.ir (every IR op) as a case; its int64 inputs (gather indices) in [0, 2].
inline absl::StatusOr<runtime::testing::Case> AllOpsCase() {
  const std::string path = std::string(NDJIT_TEST_DATA_DIR) + "/ir/all_ops.ir";
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<std::unique_ptr<ir::Graph>> g = ir::ParseGraph(text.str(), path);
  if (!g.ok()) return g.status();
  runtime::testing::Case c;
  c.graph = std::move(*g);
  c.name = "all_ops.ir";
  for (const ir::Node* n : c.graph->inputs()) {
    runtime::testing::InputSpec spec{n->type()};
    if (n->dtype() == DType::kInt64) spec.lo = 0, spec.hi = 2;
    c.specs.push_back(spec);
  }
  return c;
}

// Graphs for the paths random graphs reach rarely: the four-point vector path over aligned rows
// (float32, float16, float64, uint8) and over rows whose start is not aligned (a slice from
// column 1), and a row of 1000 (teams of many warps).
constexpr const char* kDirectedGraphs[] = {
    R"(graph @vec_f32 {
  %0 = input[index=0] : f32[6,16]
  %1 = input[index=1] : f32[16]
  %2 = broadcast(%1) : f32[6,16]
  %3 = mul(%0, %2) : f32[6,16]
  %4 = exp(%3) : f32[6,16]
  return %4, %3
})",
    R"(graph @vec_mixed {
  %0 = input[index=0] : f16[4,8]
  %1 = input[index=1] : f64[4,8]
  %2 = input[index=2] : u8[4,8]
  %3 = cast(%0) : f64[4,8]
  %4 = add(%3, %1) : f64[4,8]
  %5 = cast(%2) : f64[4,8]
  %6 = mul(%4, %5) : f64[4,8]
  %7 = cast(%6) : f16[4,8]
  return %7, %6
})",
    R"(graph @vec_unaligned {
  %0 = input[index=0] : f32[6,17]
  %1 = slice[starts=[0,1], steps=[1,1]](%0) : f32[6,16]
  %2 = neg(%1) : f32[6,16]
  return %2
})",
    R"(graph @long_rows {
  %0 = input[index=0] : f32[3,1000]
  %1 = reduce_sum[axes=[1]](%0) : f32[3]
  %2 = argmax[axis=1](%0) : i64[3]
  return %1, %2
})",
};

// The emulation's corpus: the first `random` seeded graphs of the differential corpus, the saved
// regression cases and the graph with every IR op (tests/data/ir/all_ops.ir).
inline std::vector<runtime::testing::Case> EmulationCorpus(
    int random, std::string* error,
    runtime::testing::GeneratorProfile profile = EmulationProfile()) {
  std::vector<runtime::testing::Case> cases;
  for (int seed = 1; seed <= random; ++seed) {
    cases.push_back(runtime::testing::RandomCase(seed, 16, profile));
  }
  std::vector<runtime::testing::Case> saved = runtime::testing::SavedCases(error);
  for (runtime::testing::Case& c : saved) cases.push_back(std::move(c));
  for (const char* text : kDirectedGraphs) {
    absl::StatusOr<std::unique_ptr<ir::Graph>> g = ir::ParseGraph(text);
    if (!g.ok()) {
      *error = g.status().ToString();
      return cases;
    }
    runtime::testing::Case c;
    c.graph = std::move(*g);
    c.name = c.graph->name();
    for (const ir::Node* n : c.graph->inputs()) c.specs.push_back({n->type()});
    cases.push_back(std::move(c));
  }
  absl::StatusOr<runtime::testing::Case> all = AllOpsCase();
  if (!all.ok()) {
    *error = all.status().ToString();
  } else {
    cases.push_back(*std::move(all));
  }
  return cases;
}

}  // namespace ndjit::cuda_testing

#endif  // NDJIT_TESTS_CUDA_CUDA_KERNELS_H_
