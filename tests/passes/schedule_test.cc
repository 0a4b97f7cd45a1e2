// Tests of kernel scheduling and buffer planning: the order, the slots, in-place kernels and the
// planned peak against program order.
#include "passes/schedule.h"

#include <string>

#include "gtest/gtest.h"
#include "ir/parser.h"
#include "passes/fusion.h"

namespace ndjit::passes {
namespace {

std::unique_ptr<ir::Graph> Parse(const std::string& text) {
  auto g = ir::ParseGraph(text, "test");
  EXPECT_TRUE(g.ok()) << g.status();
  return g.ok() ? *std::move(g) : nullptr;
}

// Three expensive values, each read by two kernels: program order computes all three before
// their readers; the schedule interleaves them and reuses one buffer.
constexpr char kBranches[] = R"(graph @branches {
  %0 = input[index=0] : f32[256,256]
  %1 = input[index=1] : f32[256,256]
  %2 = input[index=2] : f32[256,256]
  %3 = exp(%0) : f32[256,256]
  %4 = exp(%1) : f32[256,256]
  %5 = exp(%2) : f32[256,256]
  %6 = reduce_sum[axes=[0]](%3) : f32[256]
  %7 = reduce_sum[axes=[0]](%4) : f32[256]
  %8 = reduce_sum[axes=[0]](%5) : f32[256]
  %9 = reduce_max[axes=[1]](%3) : f32[256]
  %10 = reduce_max[axes=[1]](%4) : f32[256]
  %11 = reduce_max[axes=[1]](%5) : f32[256]
  return %6, %7, %8, %9, %10, %11
})";

TEST(ScheduleTest, LowersPeakBytesAgainstProgramOrder) {
  auto g = Parse(kBranches);
  ASSERT_NE(g, nullptr);
  const FusionPlan plan = PlanFusion(*g);
  ASSERT_EQ(plan.groups.size(), 6u);
  const Schedule program = ScheduleKernels(*g, plan, {.reorder = false});
  const Schedule scheduled = ScheduleKernels(*g, plan);
  constexpr int64_t kBig = 256 * 256 * 4, kRow = 256 * 4;
  // Program order: the three exp results are live together while the first reduction runs.
  EXPECT_EQ(program.order, (std::vector<int>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(program.peak_bytes, 3 * kBig + 2 * kRow);
  // Scheduled: one exp result at a time, in one reused buffer.
  EXPECT_EQ(scheduled.order, (std::vector<int>{0, 3, 1, 4, 2, 5}));
  EXPECT_EQ(scheduled.peak_bytes, kBig + 6 * kRow);
  EXPECT_EQ(scheduled.planned_bytes, kBig + 6 * kRow);
  EXPECT_EQ(scheduled.slot[3], scheduled.slot[4]);
  EXPECT_EQ(scheduled.slot[4], scheduled.slot[5]);
  EXPECT_LT(scheduled.peak_bytes, program.peak_bytes);
  EXPECT_EQ(
      PrintSchedule(plan, scheduled),
      "schedule: 6 kernels, 7 buffers, peak 268288 bytes live, 268288 bytes planned\n"
      "  0: kernel 0 @exp stores %3 in buffer 0\n"
      "  1: kernel 3 @reduce_sum_reduce_max stores %6 in buffer 1, %9 in buffer 2; frees %3\n"
      "  2: kernel 1 @exp stores %4 in buffer 0\n"
      "  3: kernel 4 @reduce_sum_reduce_max stores %7 in buffer 3, %10 in buffer 4; frees %4\n"
      "  4: kernel 2 @exp stores %5 in buffer 0\n"
      "  5: kernel 5 @reduce_sum_reduce_max stores %8 in buffer 5, %11 in buffer 6; frees %5\n");
}

TEST(ScheduleTest, WithoutReuseEveryValueHasItsOwnBuffer) {
  auto g = Parse(kBranches);
  ASSERT_NE(g, nullptr);
  const FusionPlan plan = PlanFusion(*g);
  const Schedule s = ScheduleKernels(*g, plan, {.reuse_buffers = false});
  EXPECT_EQ(s.slot_bytes.size(), 9u);
  EXPECT_EQ(s.planned_bytes, 3 * 256 * 256 * 4 + 6 * 256 * 4);
}

TEST(ScheduleTest, ReusesOnlyBuffersOfAFittingSize) {
  // The freed f32[1024] buffer is too small for the f32[4096] value and more than twice the
  // f32[256] one: each gets a buffer of its own.
  auto g = Parse(R"(graph @g {
    %0 = input[index=0] : f32[1024]
    %1 = exp(%0) : f32[1024]
    %2 = reduce_sum[axes=[0]](%1) : f32[]
    %3 = reduce_max[axes=[0]](%1) : f32[]
    %4 = broadcast(%2) : f32[4096]
    %5 = exp(%4) : f32[4096]
    %6 = reduce_sum[axes=[0]](%5) : f32[]
    %7 = reduce_max[axes=[0]](%5) : f32[]
    return %3, %6, %7
  })");
  ASSERT_NE(g, nullptr);
  const FusionPlan plan = PlanFusion(*g);
  const Schedule s = ScheduleKernels(*g, plan);
  EXPECT_NE(s.slot[1], s.slot[5]);
}

// exp(x) is stored (two kernels read it); log reads it for the last time, point by point.
constexpr char kInPlace[] = R"(graph @g {
  %0 = input[index=0] : f32[1024]
  %1 = exp(%0) : f32[1024]
  %2 = reduce_sum[axes=[0]](%1) : f32[]
  %3 = log(%1) : f32[1024]
  return %2, %3
})";

TEST(ScheduleTest, ElementwiseLastReaderWritesInPlace) {
  auto g = Parse(kInPlace);
  ASSERT_NE(g, nullptr);
  const FusionPlan plan = PlanFusion(*g);
  ASSERT_EQ(plan.groups.size(), 3u);
  const Schedule s = ScheduleKernels(*g, plan);
  // The reduction runs first (it adds 4 bytes, log would add 4096), so log is the last reader.
  EXPECT_EQ(s.order, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(s.in_place_of[2], 1);
  EXPECT_EQ(s.slot[3], s.slot[1]);
  EXPECT_EQ(s.peak_bytes, 4096 + 4);
  const Schedule off = ScheduleKernels(*g, plan, {.in_place = false});
  EXPECT_EQ(off.in_place_of[2], -1);
  EXPECT_EQ(off.peak_bytes, 2 * 4096 + 4);
}

TEST(ScheduleTest, NoInPlaceThroughAView) {
  // flip reads %1 at mirrored points: writing over it would clobber values still to be read.
  auto g = Parse(R"(graph @g {
    %0 = input[index=0] : f32[1024]
    %1 = exp(%0) : f32[1024]
    %2 = reduce_sum[axes=[0]](%1) : f32[]
    %3 = flip[axes=[0]](%1) : f32[1024]
    %4 = log(%3) : f32[1024]
    return %2, %4
  })");
  ASSERT_NE(g, nullptr);
  const FusionPlan plan = PlanFusion(*g);
  const Schedule s = ScheduleKernels(*g, plan);
  for (int b : s.in_place_of) EXPECT_EQ(b, -1);
}

TEST(ScheduleTest, NoInPlaceOverInputsOutputsOrLiveValues) {
  auto g = Parse(R"(graph @g {
    %0 = input[index=0] : f32[1024]
    %1 = exp(%0) : f32[1024]
    %2 = reduce_sum[axes=[0]](%1) : f32[]
    %3 = log(%1) : f32[1024]
    %4 = sin(%1) : f32[1024]
    return %1, %2, %3
  })");
  ASSERT_NE(g, nullptr);
  const FusionPlan plan = PlanFusion(*g);
  const Schedule s = ScheduleKernels(*g, plan);
  // %0 is the caller's input and %1 an output: neither is ever written over.
  for (int b : s.in_place_of) EXPECT_EQ(b, -1);
}

TEST(ScheduleTest, NoInPlaceAcrossDTypes) {
  auto g = Parse(R"(graph @g {
    %0 = input[index=0] : f32[1024]
    %1 = exp(%0) : f32[1024]
    %2 = reduce_sum[axes=[0]](%1) : f32[]
    %3 = cast(%1) : i32[1024]
    return %2, %3
  })");
  ASSERT_NE(g, nullptr);
  const FusionPlan plan = PlanFusion(*g);
  const Schedule s = ScheduleKernels(*g, plan);
  for (int b : s.in_place_of) EXPECT_EQ(b, -1);
}

// The group that reads %1 last, point by point, but is not a plain single-root elementwise
// kernel: the cases in-place must refuse.
struct Refusal {
  const char* rule;
  const char* graph;
};

TEST(ScheduleTest, NoInPlaceForOtherKindsOfKernels) {
  const Refusal cases[] = {
      {"multi-output kernel (log and sin merged as siblings)", R"(graph @g {
        %0 = input[index=0] : f32[1024]
        %1 = exp(%0) : f32[1024]
        %2 = reduce_sum[axes=[0]](%1) : f32[]
        %3 = log(%1) : f32[1024]
        %4 = sin(%1) : f32[1024]
        return %2, %3, %4 })"},
      {"row kernel (a softmax-like group reads whole rows before it writes)", R"(graph @g {
        %0 = input[index=0] : f32[8,16]
        %1 = exp(%0) : f32[8,16]
        %2 = reduce_sum[axes=[0,1]](%1) : f32[]
        %3 = reduce_max[axes=[1]](%1) : f32[8]
        %4 = reshape(%3) : f32[8,1]
        %5 = broadcast(%4) : f32[8,16]
        %6 = sub(%1, %5) : f32[8,16]
        return %2, %6 })"},
      {"a matmul in the kernel reads rows and columns of the buffer", R"(graph @g {
        %0 = input[index=0] : f32[16,16]
        %1 = exp(%0) : f32[16,16]
        %2 = reduce_sum[axes=[0,1]](%1) : f32[]
        %3 = matmul(%1, %0) : f32[16,16]
        %4 = add(%1, %3) : f32[16,16]
        return %2, %4 })"},
      {"a gather in the kernel reads the buffer at other points", R"(graph @g {
        %0 = input[index=0] : f32[16]
        %1 = input[index=1] : i64[16]
        %2 = exp(%0) : f32[16]
        %3 = reduce_sum[axes=[0]](%2) : f32[]
        %4 = gather[axis=0](%2, %1) : f32[16]
        %5 = add(%2, %4) : f32[16]
        return %3, %5 })"},
  };
  for (const Refusal& c : cases) {
    SCOPED_TRACE(c.rule);
    auto g = Parse(c.graph);
    ASSERT_NE(g, nullptr);
    const FusionPlan plan = PlanFusion(*g);
    const Schedule s = ScheduleKernels(*g, plan);
    // The exp is stored and dies in a kernel that reads it point by point on one path: only
    // the kind of kernel stops in-place.
    const ir::Node* exp = nullptr;
    for (const auto& n : g->nodes()) {
      if (n->op() == ir::Op::kExp) exp = n.get();
    }
    ASSERT_NE(exp, nullptr);
    ASSERT_GE(plan.stored_by[exp->id()], 0);
    for (int b : s.in_place_of) EXPECT_EQ(b, -1);
  }
}

TEST(ScheduleTest, OutputsReuseOnlyBuffersOfTheirExactSize) {
  // %1 (4096 bytes) dies after %2 and %3; the output %5 (2048 bytes) would fit, but an output
  // keeps its memory in the caller's array, so it gets a buffer of its own.
  auto g = Parse(R"(graph @g {
    %0 = input[index=0] : f32[1024]
    %1 = exp(%0) : f32[1024]
    %2 = reduce_sum[axes=[0]](%1) : f32[]
    %3 = reduce_max[axes=[0]](%1) : f32[]
    %4 = input[index=1] : f32[512]
    %5 = sin(%4) : f32[512]
    %6 = broadcast(%2) : f32[512]
    %7 = add(%5, %6) : f32[512]
    return %3, %5, %7
  })");
  ASSERT_NE(g, nullptr);
  const FusionPlan plan = PlanFusion(*g);
  const Schedule s = ScheduleKernels(*g, plan);
  ASSERT_GE(s.slot[1], 0);
  ASSERT_GE(s.slot[5], 0);
  EXPECT_NE(s.slot[5], s.slot[1]);
  EXPECT_EQ(s.slot_bytes[s.slot[5]], 2048);
}

TEST(ScheduleTest, SlotsAreFreedAfterTheirLastUse) {
  auto g = Parse(kBranches);
  ASSERT_NE(g, nullptr);
  const FusionPlan plan = PlanFusion(*g);
  const Schedule s = ScheduleKernels(*g, plan);
  // The exp buffer (slot 0) serves all three exps and is free after the last reduction; the
  // outputs' slots are never freed.
  ASSERT_EQ(s.slots_free_after.size(), 6u);
  for (size_t pos = 0; pos + 1 < 6; ++pos) EXPECT_TRUE(s.slots_free_after[pos].empty()) << pos;
  EXPECT_EQ(s.slots_free_after[5], (std::vector<int>{0}));
}

TEST(ScheduleTest, EveryOrderRespectsDependencies) {
  auto g = Parse(kBranches);
  ASSERT_NE(g, nullptr);
  const FusionPlan plan = PlanFusion(*g, {.fuse = false});
  const Schedule s = ScheduleKernels(*g, plan);
  std::vector<int> position(plan.groups.size(), -1);
  for (size_t i = 0; i < s.order.size(); ++i) position[s.order[i]] = static_cast<int>(i);
  for (size_t gi = 0; gi < plan.groups.size(); ++gi) {
    ASSERT_GE(position[gi], 0) << "kernel " << gi << " never runs";
    for (int b : GroupReads(plan, static_cast<int>(gi))) {
      if (plan.stored_by[b] >= 0) {
        EXPECT_LT(position[plan.stored_by[b]], position[gi]);
      }
    }
  }
}

}  // namespace
}  // namespace ndjit::passes
