// Fusion planning: partitions a graph into kernels.
//
// Every node is either *stored* (its value gets a buffer: graph inputs, graph outputs and the
// roots of kernels) or *inlined* into the kernels that use it, where it becomes scalar code
// evaluated at the index its consumer asks for. Views are index arithmetic, so a chain of
// elementwise ops and the views that feed it is one loop kernel over its output.
//
// Rules, applied from the outputs backwards:
//  * A node used by exactly one kernel is inlined into it, unless inlining would evaluate an
//    expensive node more than once per element: a node reached through an expanding edge (a
//    broadcast that repeats elements, a matmul operand, gather data) is inlined only if cheap.
//  * A node used by several kernels is stored, unless it is cheap (constants, iota, views and a
//    few arithmetic ops over stored values), in which case each kernel recomputes it.
//  * A reduction, argreduce or matmul is inlined only into a kernel that evaluates it once per
//    point of its own result (its consumers are elementwise all the way to the kernel's root):
//    it then absorbs its elementwise producers and consumers (reduce + epilogue in one kernel).
//    Otherwise it is the root of its own kernel.
//  * Row kernels: a reduction over the last axis of a value shaped like the kernel's root
//    [O..., C], read back through a broadcast along C (softmax, layer norm), is inlined too. The
//    kernel then runs over the rows O: per row it computes its reductions (each once), then
//    loops over C to compute and store the root, with the row in cache. Of the expensive values
//    shared by the reductions and the loop (exp(x - max) in softmax), the lowering keeps one per
//    element in the output row between the two; the others are recomputed in the loop.
//  * A node more than `max_inline_depth` inlined ops away from its kernel's root is stored, so
//    a chain of a million ops becomes many kernels of bounded size.
//  * A node its kernel would evaluate at more than `max_evaluations` distinct indices per point
//    (reached through several shifting views) is stored, unless it is a constant or iota, so
//    that no kernel's expression grows exponentially with the depth of a composite.
//  * A kernel that would read more than `max_kernel_buffers` buffers or compute more than
//    `max_kernel_ops` ops is split (see FusionOptions), and so is a sibling merge.
//  * Scans: a scan (scan_sum, ...) is inlined only into a kernel whose single root reads it
//    elementwise, so that its consumers become its epilogue; its elementwise producers are
//    inlined into its loads as anywhere else. Such a kernel loops along the scan's axis and
//    computes everything inside that loop, so it holds no reduction and scans along one axis
//    (in one chunking) only; a scan read through a view, by several kernels or by another scan
//    is stored. A reduction read only as a scan's carry (through elementwise ops) is computed
//    in the scan's kernel once per point, before the loop. Scan kernels are not merged with
//    siblings.
//  * A gather is inlined only where every one of its points is evaluated (elementwise consumers
//    up to the root), so that every index it reads is range-checked.
//  * Siblings: a kernel over the same domain as an earlier one, reading a buffer it also reads
//    and needing nothing computed at or after it, is merged into it as one multi-output kernel
//    (both outputs computed in one pass over the shared inputs).
//  * Kernels run in topological order of their roots.
//
// Example (`a`, `b`, `c` inputs; %3 output):
//   %1 = mul(%a, %b)        inlined into kernel 0
//   %2 = broadcast(%c)      inlined (view)
//   %3 = add(%1, %2)        root of kernel 0: one loop, no intermediate buffer
#ifndef NDJIT_PASSES_FUSION_H_
#define NDJIT_PASSES_FUSION_H_

#include <string>
#include <utility>
#include <vector>

#include "ir/graph.h"

namespace ndjit::passes {

struct FusionOptions {
  // Off: every non-leaf node is its own kernel (the unfused baseline, and what a failed fused
  // kernel falls back to).
  bool fuse = true;
  // Inlined-expression cost up to which a node shared by kernels is recomputed rather than
  // stored (in elementary ops).
  int recompute_cost = 8;
  // Longest chain of inlined nodes in one kernel; a deeper node is stored. Bounds kernel size,
  // compile time and the lowering's recursion on very long op chains.
  int max_inline_depth = 128;
  // Times an inlined node may be evaluated per point of its kernel: the number of distinct index
  // paths from the kernel's root to it (views that shift, pad, flip or permute give new indices;
  // elementwise ops keep theirs, and equal indices are computed once). A node reached through
  // more paths is stored, unless it is a constant or iota. Composites of shifted views
  // (a Hillis-Steele scan: y + shift(y), log2(n) times) would otherwise double their expression
  // at every step.
  int max_evaluations = 4;
  // Caps on one kernel, as the planner estimates it: the buffers it reads, and its scalar ops
  // (each inlined node once per index it is evaluated at). A kernel over either is split: the
  // largest pieces of its expression that fit are stored by kernels of their own. They bound
  // compile time and the size of generated code; a single node with more operands than the
  // buffer cap (a concat in the IR) cannot be split and is kept whole.
  int max_kernel_buffers = 32;
  int max_kernel_ops = 2048;
  // Sibling kernels over the same domain that read a common buffer become one kernel with
  // several outputs (at most this many).
  bool merge_siblings = true;
  int max_kernel_outputs = 8;

  bool operator==(const FusionOptions&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const FusionOptions& o) {
    return H::combine(std::move(h), o.fuse, o.recompute_cost, o.max_inline_depth, o.max_evaluations,
                      o.max_kernel_buffers, o.max_kernel_ops, o.merge_siblings,
                      o.max_kernel_outputs);
  }
};

struct FusionGroup {
  // Nodes the kernel stores, all of the same shape (the kernel's domain).
  std::vector<const ir::Node*> roots;
  // Every node the kernel computes (roots included), in topological order.
  std::vector<const ir::Node*> members;
  std::string name;  // "exp_mul_add": the ops of its members
  // A row kernel (see above): the domain is the roots' shape without its last axis.
  bool row_kernel = false;
  // A scan kernel (see above): a scan it computes. The domain is the roots' shape with the
  // scan's axis replaced by its chunks (one without a carry: a single chunk), and a loop along
  // each chunk carries every scan of the kernel (they share the shape, axis and chunks).
  const ir::Node* scan = nullptr;
};

struct FusionPlan {
  std::vector<FusionGroup> groups;  // in execution order
  // By node id: the group that stores the node, or -1 (inputs, and nodes inlined into kernels).
  std::vector<int> stored_by;
  // By node id: the groups that compute the node inline (or store it).
  std::vector<std::vector<int>> computed_in;
  // Why each stored, non-output node was not inlined (for `ndjit-inspect explain`).
  std::vector<std::string> reason;
};

// `optional_outputs` (by output index; empty: none) marks outputs that are stored only where
// that costs no kernel and no pass of its own (the materializer's expensive named values, see
// runtime/materializer.h): when the rules above inline such a node into one kernel that
// evaluates it at its own points (an elementwise path from the root, the root's shape, not a
// row or scan kernel), it becomes an extra root of that kernel; when they store it anyway, it
// is stored. Otherwise it is only computed inline (stored_by -1), and the executor returns no
// buffer for it. An output that another, required output names too is required.
FusionPlan PlanFusion(const ir::Graph& graph, const FusionOptions& options = {},
                      const std::vector<bool>& optional_outputs = {});

// Whether one element of `op` costs a few instructions given its operands (leaves, views, casts,
// selects, comparisons, add/sub/mul/min/max and the like), so that recomputing it is cheaper than
// storing it. Transcendental functions, division, powers, reductions and gathers are not.
bool IsCheapOp(ir::Op op);

// The plan as text: one line per kernel with its roots and members.
std::string PrintFusionPlan(const ir::Graph& graph, const FusionPlan& plan);

}  // namespace ndjit::passes

#endif  // NDJIT_PASSES_FUSION_H_
