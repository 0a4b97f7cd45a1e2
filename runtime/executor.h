// Executes a graph with compiled kernels: the compile driver (codegen/compile.h) plans fusion,
// lowers each group to kernel IR and compiles it through this file's kernel cache; the executor
// allocates the outputs from the buffer pool, launches each kernel over its domain on the worker
// threads, and releases intermediate buffers after their last use.
//
// Kernel cache: compiled kernels are keyed by the canonical kernel text plus the code generator's
// identity (codegen::cpu::CodeIdentity: LLVM, target, build), compared in full (hash maps compare
// keys, never hashes alone). Sizes are kernel parameters, so a kernel serves every shape with the
// same structure. A miss looks in the disk cache (runtime/disk_cache.h) before compiling, and a
// compile is stored there.
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
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "codegen/compile.h"
#include "ir/graph.h"
#include "ir/host_tensor.h"
#include "ir/kernel.h"

namespace ndjit::runtime {

// What each counts: executor_counters.def.
struct ExecutorCounters {
#define NDJIT_EXECUTOR_COUNT(field, doc) int64_t field = 0;
#define NDJIT_EXECUTOR_SECONDS(field, doc) double field = 0;
#define NDJIT_EXECUTOR_MAX(field, doc) int64_t field = 0;
#include "runtime/executor_counters.def"
#undef NDJIT_EXECUTOR_COUNT
#undef NDJIT_EXECUTOR_SECONDS
#undef NDJIT_EXECUTOR_MAX
  // The slowest single CPU kernel compile and that kernel's size (kernel IR instructions).
  double slowest_compile_seconds = 0;
  int64_t slowest_compile_instrs = 0;
};

// A kernel backend in place of the CPU JIT: turns a kernel into a runner that computes all points
// of its domain over host buffers (codegen/compile.h). The CUDA backend's CPU emulation
// (tests/cuda/) plugs in here.
using codegen::KernelRunner;
using codegen::LaunchSize;
using KernelBackend = std::function<absl::StatusOr<KernelRunner>(const ir::Kernel& kernel)>;

// The options a graph compiles under (codegen::GraphCompileOptions: fusion, schedule,
// split-reductions, optional outputs; all of them part of the plan cache's key), and how it runs.
struct ExecuteOptions : codegen::GraphCompileOptions {
  // Not comparable as a whole (the base's == would ignore the fields below).
  bool operator==(const ExecuteOptions&) const = delete;
  int num_threads = 1;
  // Fresh buffers of 4 MiB and more are advised as transparent huge pages (buffer_pool.h).
  bool huge_pages = true;
  // Called once the kernels are compiled (or found cached), before they run (for the profiler).
  std::function<void()> on_compiled;
  // Empty: the CPU JIT. Otherwise every kernel goes through `backend`, and a fused kernel it fails
  // on is retried unfused as usual. Plans made with a backend are cached only under a non-empty
  // `backend_key` naming it (its runners are then reused by later runs of the same graph).
  KernelBackend backend;
  std::string backend_key;
  // Set by ExecuteCompiled on the op-by-op rerun after fused kernels failed (the reason its
  // compiles record: runtime/compile_log.h).
  bool unfused_retry = false;
  // ir::StructuralHash(graph, /*parameter_values=*/false) when the caller keeps it for a graph
  // it runs again (the plan cache's key); 0: computed here. Debug builds check it.
  size_t structural_hash = 0;
};

absl::StatusOr<std::vector<ir::HostTensor>> ExecuteCompiled(const ir::Graph& graph,
                                                            absl::Span<const ir::HostTensor> inputs,
                                                            const ExecuteOptions& options);

ExecutorCounters GetExecutorCounters();
void ResetExecutorCounters();

// The graph ExecuteCompiled runs in place of `graph` (codegen::SplitGraph).
absl::StatusOr<std::optional<ir::Graph>> SplitForExecution(const ir::Graph& graph,
                                                           const ExecuteOptions& options);

// What ExecuteCompiled would run for a graph, as text (for dumps and ndjit-inspect): the compile
// driver's codegen::DescribeGraph under the execute options.
using codegen::KernelReport;
using KernelsDescription = codegen::GraphDescription;
struct DescribeOptions {
  ExecuteOptions execute;
  bool llvm_ir = false;
  bool assembly = false;
  bool cuda = false;  // render CUDA C++ (an error in a build without the CUDA backend)
};
absl::StatusOr<KernelsDescription> DescribeKernels(const ir::Graph& graph,
                                                   const DescribeOptions& options);

}  // namespace ndjit::runtime

#endif  // NDJIT_RUNTIME_EXECUTOR_H_
