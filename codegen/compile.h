// The compile driver: the one sequence that turns an optimized graph into kernels.
//
//   graph ─ split-reductions ─▶ graph' ─ PlanFusion ─▶ groups ─ ScheduleKernels ─▶ order, slots
//         ─ LowerGroup ─▶ kernel IR ─ KernelCompiler (CPU JIT, CUDA, emulation) ─▶ CompiledPlan
//
// The executor (runtime/executor.cc) runs these steps and caches their result; DescribeGraph runs
// the same steps for dumps and ndjit-inspect and stops at text. Nothing else sequences them, so a
// reader of passes/ and then of codegen/ finds the caller here.
//
// Split-reductions is a step of its own (SplitGraph) because the executor looks its plan cache up
// by the graph that step gives: the plan's node ids refer to it.
#ifndef NDJIT_CODEGEN_COMPILE_H_
#define NDJIT_CODEGEN_COMPILE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "codegen/cpu/cpu_backend.h"
#include "codegen/lower.h"
#include "ir/graph.h"
#include "ir/kernel.h"
#include "passes/fusion.h"
#include "passes/schedule.h"

namespace ndjit::codegen {

struct GraphCompileOptions {
  passes::FusionOptions fusion;
  passes::ScheduleOptions schedule;
  bool split_reductions = true;  // passes/split_reductions.h
  // LowerOptions::streaming_store_bytes: outputs at least this large are streamed (0: none).
  // The CPU backend's default is cpu::StreamingStoreBytes(); other backends pass 0.
  int64_t streaming_store_bytes = 0;
  // LowerOptions::glibc_math (`--vector-math=glibc`); CPU kernels only.
  bool glibc_math = false;
  // LowerOptions::prefetch (`--prefetch`); CPU kernels only.
  bool prefetch = true;
  // By output index: outputs stored only where that is free (passes::PlanFusion); the run's
  // result holds an empty tensor (no storage) for one that was not stored.
  std::vector<bool> optional_outputs;
  // Testing only: kernels that fuse more than one op fail to compile (the executor's unfused
  // retry is tested with it).
  bool fail_fused_kernels_for_testing = false;

  bool operator==(const GraphCompileOptions&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const GraphCompileOptions& o) {
    return H::combine(std::move(h), o.fusion, o.schedule, o.split_reductions,
                      o.streaming_store_bytes, o.glibc_math, o.prefetch, o.optional_outputs,
                      o.fail_fused_kernels_for_testing);
  }
};

// Step 1: the graph with its large reductions and scans split into a parallel first stage
// (passes/split_reductions.h), or nullopt when nothing is split (or the option is off).
absl::StatusOr<std::optional<ir::Graph>> SplitGraph(const ir::Graph& graph,
                                                    const GraphCompileOptions& options);

// What a compile got to, whether or not it succeeded: the sizes of the kernels it lowered (the
// executor's counters keep the largest, so a fused kernel too big to compile still shows), and
// whether a kernel failed to lower or compile. Any other error is a broken invariant of the
// driver, which the executor does not retry.
struct CompileAttempt {
  int64_t largest_kernel_instrs = 0;  // kernel IR instructions
  int64_t most_kernel_buffers = 0;
  bool kernel_failed = false;
};

// Steps 2-4 on the graph step 1 gave: the fusion plan, the schedule, and every kernel lowered to
// kernel IR in execution order (kernels[pos] is group schedule.order[pos], written in place where
// the schedule says so).
struct LoweredGraph {
  passes::FusionPlan plan;
  passes::Schedule schedule;
  std::vector<LoweredKernel> kernels;
};
absl::StatusOr<LoweredGraph> LowerGraph(const ir::Graph& graph, const GraphCompileOptions& options,
                                        CompileAttempt* attempt = nullptr);

// Step 5's backend. A runner computes all points of a kernel's domain over host buffers (buffers,
// params and `status` as for the CPU kernels); the CUDA backend's CPU emulation is one.
struct LaunchSize {
  int64_t points = 0;        // domain points
  int64_t work = 0;          // points x reduce box
  int64_t max_elements = 0;  // of the largest array the kernel indexes (buffers, intermediates)
  absl::Span<const int64_t> buffer_bytes;  // the size of each bound buffer
};
// A runner's error (a device failure) ends the run with that error.
using KernelRunner = std::function<absl::Status(void* const* buffers, const int64_t* params,
                                                int64_t* status, const LaunchSize& size)>;
// Compiled code of one kernel: a CPU function, or a runner.
struct KernelCode {
  cpu::KernelFn fn = nullptr;
  KernelRunner runner;
};
class KernelCompiler {
 public:
  virtual ~KernelCompiler() = default;
  // One result per kernel, in order; a backend may compile several at once.
  virtual std::vector<absl::StatusOr<KernelCode>> CompileAll(
      absl::Span<const ir::Kernel* const> kernels) = 0;
};

// A compiled execution plan: everything a run of a graph needs besides its input buffers, in
// node ids of the (split) graph. Graphs that are structurally equal (same ops, types, attributes
// and wiring; values of value parameters aside) have the same plan.
struct CompiledGroup {
  KernelCode code;
  std::string name;             // the fusion group's name
  std::vector<int> members;     // its nodes (for error messages)
  std::vector<int64_t> params;  // the size parameters
  // The constant bound to each value parameter: its value is read from the graph being run
  // (a cached plan serves every graph that differs from its own only in such values).
  std::vector<int> values;
  std::vector<int> buffers;  // node bound to each kernel buffer
  std::vector<int> roots;    // nodes the kernel stores
  std::vector<ir::TensorType> root_types;
  std::vector<int> root_slots;  // the buffer-plan slot of each root
  std::vector<int> release;     // stored nodes whose last reader is this group
  std::vector<int> free_slots;  // slots no later group uses
  int64_t points = 0, work = 0;
  int64_t max_elements = 0;  // of the largest array it indexes (LoweredKernel::max_elements)
  std::vector<int64_t> buffer_bytes;
};
struct CompiledPlan {
  int num_nodes = 0;
  std::vector<std::pair<int, int64_t>> inputs;  // node id, input index
  std::vector<int> outputs;
  std::vector<CompiledGroup> groups;  // in execution order
  std::vector<int64_t> slot_bytes;
};

// Steps 2-5: plans, lowers and compiles `graph` (what SplitGraph gave) through `backend`.
// Kernels with an empty domain are not compiled (they have nothing to run). With
// fail_fused_kernels_for_testing, the first fused kernel in execution order fails before the
// backend is called. `attempt`, when given, says how far it got (see CompileAttempt).
absl::StatusOr<CompiledPlan> CompileGraph(const ir::Graph& graph,
                                          const GraphCompileOptions& options,
                                          KernelCompiler& backend,
                                          CompileAttempt* attempt = nullptr);

// What CompileGraph would build for a graph, as text (for dumps and ndjit-inspect).
struct KernelReport {
  std::string name;       // the fusion group's name
  std::string kernel_ir;  // kernel IR with the call sites of its nodes
  std::string llvm_ir;    // optimized LLVM IR, when asked for
  std::string assembly;   // native assembly, when asked for
  std::string cuda;       // the kernel's CUDA C++ (its entry points), when asked for
};
struct GraphDescription {
  // The graph after split-reductions when that changed it (the plan's node ids refer to it).
  std::string split_graph;
  std::string fusion;                 // passes::PrintFusionPlan
  std::string schedule;               // passes::PrintSchedule
  std::vector<KernelReport> kernels;  // in execution order
  // With DescribeOptions::cuda: every kernel in one self-contained CUDA translation unit
  // (codegen::cuda::StandaloneProgramText), which nvcc compiles as is.
  std::string cuda_program;
};
struct DescribeOptions {
  bool llvm_ir = false;
  bool assembly = false;
  bool cuda = false;  // render CUDA C++ (an error in a build without the CUDA backend)
};
// Steps 1-4, and for `describe`'s choices the CPU compile to text or the CUDA rendering.
absl::StatusOr<GraphDescription> DescribeGraph(const ir::Graph& graph,
                                               const GraphCompileOptions& options,
                                               const DescribeOptions& describe);

}  // namespace ndjit::codegen

#endif  // NDJIT_CODEGEN_COMPILE_H_
