// Lowering of one fusion group to kernel IR.
//
// The group's roots define the domain (their common shape); every member is emitted as scalar
// code at the index its consumer asks for. Views rewrite the index (reshape: linearize and
// delinearize; permute: reorder; broadcast: zero the repeated dims; slice: start + i * step;
// flip: n - 1 - i; pad: shift, with a mask selecting the pad value); reductions and matmul open a
// reduce block over their reduced dims; gather loads the index operand first and checks its
// range at run time. Stored values (graph inputs and other kernels' roots) are loads.
//
// Every dim larger than one becomes a size parameter (equal sizes share one), so the kernel text
// does not depend on the sizes and one compiled kernel serves every shape with the same
// structure; dims of 0 and 1 are structural and stay constants.
#ifndef NDJIT_CODEGEN_LOWER_H_
#define NDJIT_CODEGEN_LOWER_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "ir/graph.h"
#include "ir/kernel.h"
#include "passes/fusion.h"

namespace ndjit::codegen {

struct LoweredKernel {
  ir::Kernel kernel;
  std::vector<int64_t> params;  // value of each size parameter
  // The leaf bound to each value parameter, a float constant or a random leaf (their values are
  // passed at every launch, after the size parameters: ir::ValueParameterBitsOf).
  std::vector<const ir::Node*> values;
  std::vector<const ir::Node*> buffers;  // the node bound to each kernel buffer
  std::vector<int64_t> domain;           // extents of the parallel domain
  int64_t points = 0;                    // domain points
  int64_t work = 0;                      // estimated scalar iterations (points x reduce box)
  // Elements of the largest array the kernel indexes (a stored buffer or a fused intermediate,
  // say a broadcast it reshapes): a bound on every index it computes.
  int64_t max_elements = 0;
};

struct LowerOptions {
  // A node whose buffer the group's single root overwrites (the schedule's in-place choice,
  // schedule.h): the kernel loads it and stores the root through one buffer, bound to this
  // node, so that the code addresses both through the same pointer.
  const ir::Node* in_place_of = nullptr;
  // Roots of at least this many bytes are marked as streamed outputs (ir::KBuffer::stream):
  // written once and too large for the caches to keep for the next reader. 0: none. Only
  // elementwise kernels (no row loop, no scan) mark them, and one with an expensive op only with
  // `prefetch`; they store each root at the flat index of its domain point.
  int64_t streaming_store_bytes = 0;
  // ir::Kernel::glibc_math: exp, expm1, log, tanh and erf through glibc (CPU kernels only).
  bool glibc_math = false;
  // ir::Kernel::prefetch (`--prefetch`; CPU kernels only).
  bool prefetch = true;
};

absl::StatusOr<LoweredKernel> LowerGroup(const ir::Graph& graph, const passes::FusionPlan& plan,
                                         int group, const LowerOptions& options = {});

}  // namespace ndjit::codegen

#endif  // NDJIT_CODEGEN_LOWER_H_
