// Executes a graph with compiled kernels: plan fusion, lower each group to kernel IR, find or
// compile its kernel, allocate the outputs from the buffer pool, launch over the domain on the
// worker threads, and release intermediate buffers after their last use.
//
// Kernel cache: compiled kernels are keyed by the canonical kernel text plus the target
// description, compared in full (hash maps compare keys, never hashes alone). Sizes are kernel
// parameters, so a kernel serves every shape with the same structure.
//
// Plan cache: the whole plan of a graph (fusion groups, compiled kernels, size parameters,
// buffer lifetimes) is kept by graph structure (ops, types, attributes and wiring; compared in
// full), so materializing the same computation again skips planning, lowering and the kernel
// cache lookup.
//
// Failure handling: if a fused kernel fails to lower or compile, the graph is executed again
// with fusion off (one kernel per op); only an error of that unfused run reaches the user, with
// the kernel's IR in the message.
#ifndef NDJIT_RUNTIME_EXECUTOR_H_
#define NDJIT_RUNTIME_EXECUTOR_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "ir/graph.h"
#include "ir/host_tensor.h"
#include "passes/fusion.h"

namespace ndjit::runtime {

struct ExecutorCounters {
  int64_t kernels_compiled = 0;
  int64_t kernel_cache_hits = 0;
  int64_t kernels_launched = 0;
  int64_t unfused_retries = 0;    // fused runs that failed and were retried unfused
  int64_t buffers_allocated = 0;  // output and intermediate buffers of kernels
  int64_t bytes_allocated = 0;
  double compile_seconds = 0;
  int64_t plan_cache_hits = 0;  // materializations that reused a whole compiled plan
};

struct ExecuteOptions {
  int num_threads = 1;
  passes::FusionOptions fusion;
  bool split_reductions = true;  // passes/split_reductions.h
  // Testing only: kernels that fuse more than one op fail to compile, which exercises the
  // unfused retry.
  bool fail_fused_kernels_for_testing = false;
};

absl::StatusOr<std::vector<ir::HostTensor>> ExecuteCompiled(const ir::Graph& graph,
                                                            absl::Span<const ir::HostTensor> inputs,
                                                            const ExecuteOptions& options);

ExecutorCounters GetExecutorCounters();
void ResetExecutorCounters();

// The kernels `graph` would run, as kernel IR text with the call sites of their nodes (for dumps
// and tools). With `llvm_ir`, each kernel's optimized LLVM IR follows its kernel IR.
absl::StatusOr<std::string> DescribeKernels(const ir::Graph& graph,
                                            const passes::FusionOptions& fusion, bool llvm_ir);

}  // namespace ndjit::runtime

#endif  // NDJIT_RUNTIME_EXECUTOR_H_
