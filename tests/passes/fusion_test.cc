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

TEST(FusionTest, ScanKernels) {
  const PlanCase cases[] = {
      {"a scan absorbs its elementwise producers and consumers: one loop along its axis",
       R"(graph @g {
            %0 = input[index=0] : f32[4,100]
            %1 = exp(%0) : f32[4,100]
            %2 = scan_sum[axis=1](%1) : f32[4,100]
            %3 = mul(%2, %0) : f32[4,100]
            return %3 })",
       "kernel 0 @exp_scan_sum_mul (scan %2): stores %3; computes %1, %2, %3\n"},
      {"two scans along the same axis share one loop; a scan along another axis is stored",
       R"(graph @g {
            %0 = input[index=0] : f32[4,100]
            %1 = scan_prod[axis=0](%0) : f32[4,100]
            %2 = scan_sum[axis=1](%0) : f32[4,100]
            %3 = scan_max[axis=1](%0) : f32[4,100]
            %4 = add(%2, %3) : f32[4,100]
            %5 = add(%4, %1) : f32[4,100]
            return %5 })",
       "kernel 0 @scan_prod (scan %1): stores %1; computes %1\n"
       "kernel 1 @scan_sum_scan_max_add (scan %2): stores %5; computes %2, %3, %4, %5\n"},
      {"negative: a scan of a scan reads it stored (its operand is not read element by element "
       "of its own root)",
       R"(graph @g {
            %0 = input[index=0] : f32[100]
            %1 = scan_sum[axis=0](%0) : f32[100]
            %2 = scan_sum[axis=0](%1) : f32[100]
            return %2 })",
       "kernel 0 @scan_sum (scan %1): stores %1; computes %1\n"
       "kernel 1 @scan_sum (scan %2): stores %2; computes %2\n"},
      {"negative: a scan read through a view is stored; the view's kernel is not a scan",
       R"(graph @g {
            %0 = input[index=0] : f32[100]
            %1 = scan_sum[axis=0](%0) : f32[100]
            %2 = flip[axes=[0]](%1) : f32[100]
            %3 = neg(%2) : f32[100]
            return %3 })",
       "kernel 0 @scan_sum (scan %1): stores %1; computes %1\n"
       "kernel 1 @neg: stores %3; computes %2, %3\n"},
      {"negative: a reduction and a scan do not share a kernel (the reduction would run inside "
       "the scan's loop); the one met first from the root keeps it",
       R"(graph @g {
            %0 = input[index=0] : f32[4,100]
            %1 = input[index=1] : f32[4,100,3]
            %2 = reduce_sum[axes=[2]](%1) : f32[4,100]
            %3 = scan_sum[axis=1](%0) : f32[4,100]
            %4 = add(%2, %3) : f32[4,100]
            return %4 })",
       "kernel 0 @reduce_sum: stores %2; computes %2\n"
       "kernel 1 @scan_sum_add (scan %3): stores %4; computes %3, %4\n"},
      {"a reduction read only as a carry (split-reductions' masked sum of the chunk totals) is "
       "computed in the scan's kernel, once per chunk",
       R"(graph @g {
            %0 = input[index=0] : f32[100]
            %1 = input[index=1] : f64[4]
            %2 = reshape(%1) : f64[1,4]
            %3 = broadcast(%2) : f64[4,4]
            %4 = iota[axis=0] : i64[4,4]
            %5 = iota[axis=1] : i64[4,4]
            %6 = lt(%5, %4) : bool[4,4]
            %7 = constant[value=0.0] : f64[4,4]
            %8 = select(%6, %3, %7) : f64[4,4]
            %9 = reduce_sum[axes=[1]](%8) : f64[4]
            %10 = cast(%9) : f32[4]
            %11 = scan_sum[axis=0](%0, %10) : f32[100]
            return %11 })",
       "kernel 0 @iota_lt_select_reduce_sum_cast_scan_sum (scan %11): stores %11; computes %2, %3, "
       "%4, %5, %6, %7, %8, %9, %10, %11\n"},
      {"the carry form: the carries' views are read once per chunk, before its loop",
       R"(graph @g {
            %0 = input[index=0] : f32[100]
            %1 = input[index=1] : f32[4]
            %2 = flip[axes=[0]](%1) : f32[4]
            %3 = scan_sum[axis=0](%0, %2) : f32[100]
            %4 = neg(%3) : f32[100]
            return %4 })",
       "kernel 0 @scan_sum_neg (scan %3): stores %4; computes %2, %3, %4\n"},
  };
  for (const PlanCase& c : cases) ExpectPlan(c);
}

// y = y + shift(y, 2^k), four times over 16 elements (the scan composite of nd::cumsum): each
// step reads its input at two indices, so the input of step k is needed at 2^(4-k) indices of
// the last step's kernel.
constexpr const char* kScan16 = R"(graph @g {
    %0 = input[index=0] : f32[16]
    %1 = exp(%0) : f32[16]
    %2 = pad[high=[0], low=[1], value=0.0](%1) : f32[17]
    %3 = slice[starts=[0], steps=[1]](%2) : f32[16]
    %4 = add(%1, %3) : f32[16]
    %5 = pad[high=[0], low=[2], value=0.0](%4) : f32[18]
    %6 = slice[starts=[0], steps=[1]](%5) : f32[16]
    %7 = add(%4, %6) : f32[16]
    %8 = pad[high=[0], low=[4], value=0.0](%7) : f32[20]
    %9 = slice[starts=[0], steps=[1]](%8) : f32[16]
    %10 = add(%7, %9) : f32[16]
    %11 = pad[high=[0], low=[8], value=0.0](%10) : f32[24]
    %12 = slice[starts=[0], steps=[1]](%11) : f32[16]
    %13 = add(%10, %12) : f32[16]
    return %13 })";

TEST(FusionTest, EvaluationsPerPointAreBounded) {
  FusionOptions unbounded;
  unbounded.max_evaluations = 1 << 20;
  const PlanCase cases[] = {
      {"a node evaluated at more indices per point than the bound (four) is stored: the scan's "
       "kernels each take two steps, never 2^steps copies of the expression",
       kScan16,
       "kernel 0 @exp_add: stores %4; computes %1, %2, %3, %4\n"
       "kernel 1 @add: stores %13; computes %5, %6, %7, %8, %9, %10, %11, %12, %13\n"},
      {"without the bound the whole scan is one kernel that evaluates exp 16 times per point",
       kScan16,
       "kernel 0 @exp_add: stores %13; computes %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, "
       "%12, %13\n",
       unbounded},
      {"a stencil of three taps stays one kernel (three evaluations of exp per point)",
       R"(graph @g {
            %0 = input[index=0] : f32[10]
            %1 = exp(%0) : f32[10]
            %2 = slice[starts=[0], steps=[1]](%1) : f32[8]
            %3 = slice[starts=[1], steps=[1]](%1) : f32[8]
            %4 = slice[starts=[2], steps=[1]](%1) : f32[8]
            %5 = add(%2, %3) : f32[8]
            %6 = add(%5, %4) : f32[8]
            return %6 })",
       "kernel 0 @exp_add: stores %6; computes %1, %2, %3, %4, %5, %6\n"},
      {"equal indices count once: exp read through two elementwise paths and one slice is "
       "evaluated at two indices",
       R"(graph @g {
            %0 = input[index=0] : f32[8]
            %1 = exp(%0) : f32[8]
            %2 = mul(%1, %1) : f32[8]
            %3 = neg(%1) : f32[8]
            %4 = flip[axes=[0]](%1) : f32[8]
            %5 = add(%2, %3) : f32[8]
            %6 = add(%5, %4) : f32[8]
            return %6 })",
       "kernel 0 @exp_mul_neg_add: stores %6; computes %1, %2, %3, %4, %5, %6\n"},
  };
  for (const PlanCase& c : cases) ExpectPlan(c);
  auto g = ir::ParseGraph(kScan16, "scan");
  ASSERT_TRUE(g.ok()) << g.status();
  const FusionPlan plan = PlanFusion(**g);
  EXPECT_EQ(plan.reason[4],
            "its kernel would evaluate it at 8 indices per point (read through several shifting "
            "views), more than the bound of 4");
}

// Optional outputs (the materializer's expensive named values): stored where the kernel that
// computes them can store them for free, otherwise only computed inline.
TEST(FusionTest, OptionalOutputsAreStoredOnlyWhereFree) {
  struct Case {
    std::string rule;
    std::string input;
    std::vector<bool> optional;
    std::string expected;
    std::vector<int> not_stored;
  };
  const Case cases[] = {
      {"a reduction inlined as its epilogue's operand becomes an extra root of that kernel",
       R"(graph @g {
            %0 = input[index=0] : f32[4,3]
            %1 = reduce_sum[axes=[1]](%0) : f32[4]
            %2 = sqrt(%1) : f32[4]
            return %2, %1 })",
       {false, true},
       "kernel 0 @reduce_sum_sqrt: stores %2, %1; computes %1, %2\n",
       {}},
      {"a row kernel's reduction has another shape: computed inline, not stored",
       R"(graph @g {
            %0 = input[index=0] : f32[4,3]
            %1 = reduce_max[axes=[1]](%0) : f32[4]
            %2 = reshape(%1) : f32[4,1]
            %3 = broadcast(%2) : f32[4,3]
            %4 = sub(%0, %3) : f32[4,3]
            return %4, %1 })",
       {false, true},
       "kernel 0 @reduce_max_sub (rows): stores %4; computes %1, %2, %3, %4\n",
       {1}},
      {"the same output required is a kernel of its own",
       R"(graph @g {
            %0 = input[index=0] : f32[4,3]
            %1 = reduce_sum[axes=[1]](%0) : f32[4]
            %2 = sqrt(%1) : f32[4]
            return %2, %1 })",
       {false, false},
       "kernel 0 @reduce_sum: stores %1; computes %1\nkernel 1 @sqrt: stores %2; computes %2\n",
       {}},
      {"an optional output the rules store anyway (read by two kernels) is stored",
       R"(graph @g {
            %0 = input[index=0] : f32[4,3]
            %1 = exp(%0) : f32[4,3]
            %2 = reduce_sum[axes=[1]](%1) : f32[4]
            %3 = permute[perm=[1,0]](%1) : f32[3,4]
            %4 = reduce_sum[axes=[1]](%3) : f32[3]
            return %2, %4, %1 })",
       {false, false, true},
       "kernel 0 @exp: stores %1; computes %1\n"
       "kernel 1 @reduce_sum: stores %2; computes %2\n"
       "kernel 2 @reduce_sum: stores %4; computes %3, %4\n",
       {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.rule);
    auto g = ir::ParseGraph(c.input, "input");
    ASSERT_TRUE(g.ok()) << g.status();
    const FusionPlan plan = PlanFusion(**g, {}, c.optional);
    EXPECT_EQ(PrintFusionPlan(**g, plan), c.expected);
    for (int id : c.not_stored) EXPECT_EQ(plan.stored_by[id], -1) << "%" << id;
  }
}

TEST(FusionTest, KernelsAreSplitUnderTheirCaps) {
  FusionOptions four_buffers;
  four_buffers.max_kernel_buffers = 4;
  FusionOptions few_ops;
  few_ops.max_kernel_ops = 3;
  const PlanCase cases[] = {
      {"a concat tree reading more buffers than the cap stores its largest pieces that fit",
       R"(graph @g {
            %0 = input[index=0] : f32[2]
            %1 = input[index=1] : f32[2]
            %2 = input[index=2] : f32[2]
            %3 = input[index=3] : f32[2]
            %4 = input[index=4] : f32[2]
            %5 = input[index=5] : f32[2]
            %6 = concat[axis=0](%0, %1, %2) : f32[6]
            %7 = concat[axis=0](%3, %4, %5) : f32[6]
            %8 = concat[axis=0](%6, %7) : f32[12]
            return %8 })",
       "kernel 0 @concat: stores %6; computes %6\n"
       "kernel 1 @concat: stores %7; computes %7\n"
       "kernel 2 @concat: stores %8; computes %8\n",
       four_buffers},
      {"within the cap it stays one kernel",
       R"(graph @g {
            %0 = input[index=0] : f32[2]
            %1 = input[index=1] : f32[2]
            %2 = input[index=2] : f32[2]
            %3 = concat[axis=0](%0, %1) : f32[4]
            %4 = concat[axis=0](%3, %2) : f32[6]
            return %4 })",
       "kernel 0 @concat: stores %4; computes %3, %4\n", four_buffers},
      {"siblings are not merged past the buffer cap",
       R"(graph @g {
            %0 = input[index=0] : f32[4]
            %1 = input[index=1] : f32[4]
            %2 = input[index=2] : f32[4]
            %3 = input[index=3] : f32[4]
            %4 = input[index=4] : f32[4]
            %5 = add(%0, %1) : f32[4]
            %6 = add(%5, %2) : f32[4]
            %7 = mul(%0, %3) : f32[4]
            %8 = mul(%7, %4) : f32[4]
            return %6, %8 })",
       "kernel 0 @add: stores %6; computes %5, %6\n"
       "kernel 1 @mul: stores %8; computes %7, %8\n",
       four_buffers},
      {"an expression over the op cap is split into pieces that fit",
       R"(graph @g {
            %0 = input[index=0] : f32[4]
            %1 = exp(%0) : f32[4]
            %2 = neg(%1) : f32[4]
            %3 = exp(%2) : f32[4]
            %4 = neg(%3) : f32[4]
            %5 = exp(%4) : f32[4]
            return %5 })",
       "kernel 0 @exp_neg_exp: stores %3; computes %1, %2, %3\n"
       "kernel 1 @neg_exp: stores %5; computes %4, %5\n",
       few_ops},
  };
  for (const PlanCase& c : cases) ExpectPlan(c);
}

}  // namespace
}  // namespace ndjit::passes
