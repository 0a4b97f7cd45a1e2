// Scheduling and buffer planning: the order kernels run in and the memory their results live in.
//
// Runs after fusion (fusion.h) on its plan. Kernels may run in any order that respects their
// data dependencies (a kernel after the kernels that store the buffers it reads). The scheduler
// picks one greedily: among the kernels whose inputs are ready it runs the one that adds the
// fewest live bytes (the bytes of its results minus the buffers it reads for the last time),
// the earliest in program order on a tie. Program order, by contrast, finishes every producer a
// program wrote before its consumers and can hold all their results at once.
//
// The buffer plan then walks that order. Every stored value gets a slot (one allocation): a
// slot freed by a dead value is reused by a later result that fits in it and is at least half
// its size (a graph output only of exactly its size, since the caller's array keeps it), and a
// kernel that reads a dead-after-this-kernel buffer only at the point it writes (an
// elementwise path from that buffer to its single result, same dtype and shape, not a row
// kernel) overwrites it in place. Graph inputs belong to their arrays and are never written;
// graph outputs are never freed.
//
// Example: a program that computes t_i = exp(x_i) (stored: used twice) for i = 1..4 and then
// s_i = sum(t_i * t_i) holds four t buffers at once in program order; the schedule runs t_1, s_1,
// t_2, s_2, ... and reuses one slot for every t.
//
//   program order:   t1 t2 t3 t4 s1 s2 s3 s4      peak: 4 x |t|
//   scheduled:       t1 s1 t2 s2 t3 s3 t4 s4      peak: 1 x |t|, one slot
#ifndef NDJIT_PASSES_SCHEDULE_H_
#define NDJIT_PASSES_SCHEDULE_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "ir/graph.h"
#include "passes/fusion.h"

namespace ndjit::passes {

struct ScheduleOptions {
  // Off: kernels run in program order (the fusion plan's order).
  bool reorder = true;
  // Off: no slot freed by a dead value is given to another (in-place kernels still share).
  bool reuse_buffers = true;
  // Off: no kernel writes over its input.
  bool in_place = true;

  bool operator==(const ScheduleOptions&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const ScheduleOptions& o) {
    return H::combine(std::move(h), o.reorder, o.reuse_buffers, o.in_place);
  }
};

struct Schedule {
  // Group indices of the fusion plan, in execution order.
  std::vector<int> order;
  // By group: the node whose buffer the group's single result overwrites, or -1.
  std::vector<int> in_place_of;
  // By node id: the slot holding the node's value, or -1 (graph inputs, inlined nodes).
  std::vector<int> slot;
  // Size in bytes of each slot.
  std::vector<int64_t> slot_bytes;
  // By position in `order`: stored nodes whose last reader runs at that position (their value
  // is dead afterwards; graph outputs never appear).
  std::vector<std::vector<int>> release_after;
  // By position in `order`: slots no later kernel uses, whose memory can go back after it.
  std::vector<std::vector<int>> slots_free_after;
  // Largest sum of live stored values (inputs excluded) while a kernel runs, and the sum of the
  // slot sizes the plan allocates.
  int64_t peak_bytes = 0;
  int64_t planned_bytes = 0;
};

// Every group of the plan appears once in `order` (the plan's dependencies are acyclic).
Schedule ScheduleKernels(const ir::Graph& graph, const FusionPlan& plan,
                         const ScheduleOptions& options = {});

// The buffers (stored nodes, graph inputs included) group `g` reads, ascending node ids.
std::vector<int> GroupReads(const FusionPlan& plan, int g);

// The schedule as text: one line per kernel in order with its slots, then the totals.
std::string PrintSchedule(const FusionPlan& plan, const Schedule& schedule);

}  // namespace ndjit::passes

#endif  // NDJIT_PASSES_SCHEDULE_H_
