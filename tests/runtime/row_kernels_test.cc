// Row kernels whose reduction and loop share expensive values, on the CPU JIT against the
// interpreter (the cases are in tests/runtime/row_kernel_cases.h; the CUDA emulation runs the
// same ones). A row kernel keeps one expensive value per element in its output row between the
// reduction and the loop; when two values shared that one slot, `x - mean(x)` with
// `x = exp(a) + exp(b)` read exp(b) for exp(a) and was silently wrong.
#include "gtest/gtest.h"
#include "passes/fusion.h"
#include "tests/runtime/differential_corpus.h"
#include "tests/runtime/row_kernel_cases.h"

namespace ndjit::runtime {
namespace {

using namespace ::ndjit::runtime::testing;  // NOLINT: the corpus's names, test-only

// Every dtype, one to three expensive values, every row length; `rows` rows.
void ExpectRowCasesMatch(RowFamily family, RowForm form, int64_t rows = 5) {
  int checked = 0;
  for (const std::string& dt : RowDTypes()) {
    for (int count = 1; count <= 3; ++count) {
      for (int64_t cols : RowLengths()) {
        absl::StatusOr<Case> c = RowCase(family, count, form, dt, rows, cols, 1000 + cols);
        ASSERT_TRUE(c.ok()) << c.status();
        EXPECT_EQ(Differ(*c->graph, c->specs, c->seed), "") << c->name;
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 4 * 3 * static_cast<int>(RowLengths().size()));
}

TEST(RowKernelSharedValues, ExpAddMinusMean) {
  ExpectRowCasesMatch(RowFamily::kExpAdd, RowForm::kSubMean);
}
TEST(RowKernelSharedValues, ExpMulMinusMean) {
  ExpectRowCasesMatch(RowFamily::kExpMul, RowForm::kSubMean);
}
TEST(RowKernelSharedValues, SqrtAbsAddMinusMean) {
  ExpectRowCasesMatch(RowFamily::kSqrtAbsAdd, RowForm::kSubMean);
}
TEST(RowKernelSharedValues, TanhExpOverMax) {
  ExpectRowCasesMatch(RowFamily::kTanhExp, RowForm::kDivMax);
}
// The division form for every family, and the subtraction form for the last.
TEST(RowKernelSharedValues, EveryFamilyOverMax) {
  for (RowFamily f : {RowFamily::kExpAdd, RowFamily::kExpMul, RowFamily::kSqrtAbsAdd}) {
    SCOPED_TRACE(RowFamilyName(f));
    ExpectRowCasesMatch(f, RowForm::kDivMax);
  }
}
TEST(RowKernelSharedValues, TanhExpMinusMean) {
  ExpectRowCasesMatch(RowFamily::kTanhExp, RowForm::kSubMean);
}
// The forms that were right before the fix stay right.
TEST(RowKernelSharedValues, SoftmaxSumOnlyAndStoredX) {
  for (RowForm form : {RowForm::kSoftmax, RowForm::kSumOnly, RowForm::kStoredX}) {
    SCOPED_TRACE(RowFormName(form));
    ExpectRowCasesMatch(RowFamily::kExpAdd, form, 3);
  }
}

// The cases are the shape they claim: one row kernel that computes every expensive value, so
// that the reduction and the loop share them (and not a plan that stores x).
TEST(RowKernelSharedValues, CasesFuseIntoOneRowKernel) {
  for (int count = 1; count <= 3; ++count) {
    absl::StatusOr<Case> c = RowCase(RowFamily::kExpAdd, count, RowForm::kSubMean, "f32", 4, 8, 1);
    ASSERT_TRUE(c.ok()) << c.status();
    const passes::FusionPlan plan = passes::PlanFusion(*c->graph);
    ASSERT_EQ(plan.groups.size(), 1u) << passes::PrintFusionPlan(*c->graph, plan);
    EXPECT_TRUE(plan.groups[0].row_kernel);
    int exps = 0;
    for (const ir::Node* m : plan.groups[0].members) exps += m->op() == ir::Op::kExp;
    EXPECT_EQ(exps, count);
  }
}

}  // namespace
}  // namespace ndjit::runtime
