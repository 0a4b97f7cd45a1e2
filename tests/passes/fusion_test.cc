// Golden tests of fusion planning: IR text in, plan text out. Each case states the rule it
// checks; negative cases (a node that must not be fused) sit next to the positive ones.
#include "passes/fusion.h"

#include "gtest/gtest.h"
#include "ir/parser.h"

namespace ndjit::passes {
namespace {

struct PlanCase {
  std::string rule;
  std::string input;
  std::string expected;  // PrintFusionPlan's text
  FusionOptions options = {};
};

void ExpectPlan(const PlanCase& c) {
  SCOPED_TRACE(c.rule);
  auto g = ir::ParseGraph(c.input, "input");
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(PrintFusionPlan(**g, PlanFusion(**g, c.options)), c.expected);
}

TEST(FusionTest, Golden) {
  FusionOptions unfused;
  unfused.fuse = false;
  FusionOptions shallow;
  shallow.max_inline_depth = 2;
  const PlanCase cases[] = {
      {"an elementwise chain and the views feeding it are one kernel",
       R"(graph @g {
            %0 = input[index=0] : f32[4,3]
            %1 = input[index=1] : f32[3]
            %2 = broadcast(%1) : f32[4,3]
            %3 = permute[perm=[1,0]](%0) : f32[3,4]
            %4 = permute[perm=[1,0]](%3) : f32[4,3]
            %5 = mul(%4, %2) : f32[4,3]
            %6 = exp(%5) : f32[4,3]
            return %6 })",
       "kernel 0 @mul_exp: stores %6; computes %2, %3, %4, %5, %6\n"},
      {"a reduction absorbs its elementwise producers and consumers",
       R"(graph @g {
            %0 = input[index=0] : f32[4,3]
            %1 = mul(%0, %0) : f32[4,3]
            %2 = reduce_sum[axes=[1]](%1) : f32[4]
            %3 = sqrt(%2) : f32[4]
            return %3 })",
       "kernel 0 @mul_reduce_sum_sqrt: stores %3; computes %1, %2, %3\n"},
      {"a reduction over the last axis read back through a broadcast along it makes a row "
       "kernel",
       R"(graph @g {
            %0 = input[index=0] : f32[4,3]
            %1 = reduce_max[axes=[1]](%0) : f32[4]
            %2 = reshape(%1) : f32[4,1]
            %3 = broadcast(%2) : f32[4,3]
            %4 = sub(%0, %3) : f32[4,3]
            return %4 })",
       "kernel 0 @reduce_max_sub (rows): stores %4; computes %1, %2, %3, %4\n"},
      {"softmax is one row kernel: exp(x - max) is recomputed in the sum and the final loop",
       R"(graph @g {
            %0 = input[index=0] : f32[8,16]
            %1 = reduce_max[axes=[1]](%0) : f32[8]
            %2 = reshape(%1) : f32[8,1]
            %3 = broadcast(%2) : f32[8,16]
            %4 = sub(%0, %3) : f32[8,16]
            %5 = exp(%4) : f32[8,16]
            %6 = reduce_sum[axes=[1]](%5) : f32[8]
            %7 = reshape(%6) : f32[8,1]
            %8 = broadcast(%7) : f32[8,16]
            %9 = div(%5, %8) : f32[8,16]
            return %9 })",
       "kernel 0 @reduce_max_sub_exp_reduce_sum_div (rows): stores %9; computes %1, %2, %3, %4, "
       "%5, %6, %7, %8, %9\n"},
      {"negative: a reduction over the first axis broadcast back is stored (it is not a row)",
       R"(graph @g {
            %0 = input[index=0] : f32[4,3]
            %1 = reduce_sum[axes=[0]](%0) : f32[3]
            %2 = broadcast(%1) : f32[4,3]
            %3 = sub(%0, %2) : f32[4,3]
            return %3 })",
       "kernel 0 @reduce_sum: stores %1; computes %1\n"
       "kernel 1 @sub: stores %3; computes %2, %3\n"},
      {"negative: an expensive value used by two kernels is stored once",
       R"(graph @g {
            %0 = input[index=0] : f32[4,3]
            %1 = exp(%0) : f32[4,3]
            %2 = reduce_sum[axes=[1]](%1) : f32[4]
            %3 = neg(%1) : f32[4,3]
            return %2, %3 })",
       "kernel 0 @exp: stores %1; computes %1\n"
       "kernel 1 @reduce_sum: stores %2; computes %2\n"
       "kernel 2 @neg: stores %3; computes %3\n"},
      {"a cheap value used by two kernels is recomputed in each",
       R"(graph @g {
            %0 = input[index=0] : f32[4,3]
            %1 = neg(%0) : f32[4,3]
            %2 = reduce_sum[axes=[1]](%1) : f32[4]
            %3 = abs(%1) : f32[4,3]
            return %2, %3 })",
       "kernel 0 @neg_reduce_sum: stores %2; computes %1, %2\n"
       "kernel 1 @neg_abs: stores %3; computes %1, %3\n"},
      {"negative: an expensive value repeated by a broadcast is stored, not recomputed",
       R"(graph @g {
            %0 = input[index=0] : f32[3]
            %1 = exp(%0) : f32[3]
            %2 = broadcast(%1) : f32[100,3]
            %3 = input[index=1] : f32[100,3]
            %4 = mul(%2, %3) : f32[100,3]
            return %4 })",
       "kernel 0 @exp: stores %1; computes %1\n"
       "kernel 1 @mul: stores %4; computes %2, %4\n"},
      {"matmul with an elementwise epilogue is one kernel",
       R"(graph @g {
            %0 = input[index=0] : f32[4,5]
            %1 = input[index=1] : f32[5,6]
            %2 = matmul(%0, %1) : f32[4,6]
            %3 = input[index=2] : f32[6]
            %4 = broadcast(%3) : f32[4,6]
            %5 = add(%2, %4) : f32[4,6]
            %6 = max(%5, %5) : f32[4,6]
            return %6 })",
       "kernel 0 @matmul_add_max: stores %6; computes %2, %4, %5, %6\n"},
      {"a gather feeding elementwise ops up to the root is fused (every index is evaluated)",
       R"(graph @g {
            %0 = input[index=0] : f32[4]
            %1 = input[index=1] : i64[3]
            %2 = gather[axis=0](%0, %1) : f32[3]
            %3 = exp(%2) : f32[3]
            return %3 })",
       "kernel 0 @gather_exp: stores %3; computes %2, %3\n"},
      {"negative: a gather read through a slice is stored, so its unread indices are checked too",
       R"(graph @g {
            %0 = input[index=0] : f32[4]
            %1 = input[index=1] : i64[3]
            %2 = gather[axis=0](%0, %1) : f32[3]
            %3 = slice[starts=[0], steps=[1]](%2) : f32[1]
            %4 = exp(%3) : f32[1]
            return %4 })",
       "kernel 0 @gather: stores %2; computes %2\n"
       "kernel 1 @exp: stores %4; computes %3, %4\n"},
      {"siblings over the same domain reading the same input are one multi-output kernel",
       R"(graph @g {
            %0 = input[index=0] : f32[4,3]
            %1 = exp(%0) : f32[4,3]
            %2 = reduce_sum[axes=[1]](%0) : f32[4]
            %3 = log(%0) : f32[4,3]
            %4 = reduce_max[axes=[1]](%0) : f32[4]
            return %1, %2, %3, %4 })",
       "kernel 0 @exp_log: stores %1, %3; computes %1, %3\n"
       "kernel 1 @reduce_sum_reduce_max: stores %2, %4; computes %2, %4\n"},
      {"negative: a sibling that needs the other's output is not merged into it",
       R"(graph @g {
            %0 = input[index=0] : f32[4]
            %1 = exp(%0) : f32[4]
            %2 = add(%1, %0) : f32[4]
            return %1, %2 })",
       "kernel 0 @exp: stores %1; computes %1\n"
       "kernel 1 @add: stores %2; computes %2\n"},
      {"fusion off: one kernel per op (the unfused baseline and the retry after a failure)",
       R"(graph @g {
            %0 = input[index=0] : f32[4]
            %1 = exp(%0) : f32[4]
            %2 = neg(%1) : f32[4]
            return %2 })",
       "kernel 0 @exp: stores %1; computes %1\n"
       "kernel 1 @neg: stores %2; computes %2\n",
       unfused},
      {"a chain deeper than the inlining limit is cut into kernels",
       R"(graph @g {
            %0 = input[index=0] : f32[4]
            %1 = exp(%0) : f32[4]
            %2 = neg(%1) : f32[4]
            %3 = abs(%2) : f32[4]
            %4 = exp(%3) : f32[4]
            return %4 })",
       "kernel 0 @exp: stores %1; computes %1\n"
       "kernel 1 @neg_abs_exp: stores %4; computes %2, %3, %4\n",
       shallow},
  };
  for (const PlanCase& c : cases) ExpectPlan(c);
}

}  // namespace
}  // namespace ndjit::passes
