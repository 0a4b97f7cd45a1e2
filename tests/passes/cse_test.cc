// Golden tests of common-subexpression elimination: each case states the rule it checks.
#include "passes/cse.h"

#include "tests/passes/pass_test_util.h"

namespace ndjit::passes {
namespace {

using testing::ExpectGolden;
using testing::GoldenCase;

TEST(CseTest, Golden) {
  const GoldenCase cases[] = {
      {"identical ops on the same operand merge; the first one survives",
       R"(graph @g {
            %0 = input[index=0] : f32[4]
            %1 = exp(%0) : f32[4] loc("a.cc":1:1)
            %2 = exp(%0) : f32[4] loc("a.cc":2:1)
            %3 = add(%1, %2) : f32[4]
            return %3 })",
       R"(graph @g {
            %0 = input[index=0] : f32[4]
            %1 = exp(%0) : f32[4] loc("a.cc":1:1)
            %2 = add(%1, %1) : f32[4]
            return %2 })"},
      {"merging cascades: users of merged nodes become identical and merge too",
       R"(graph @g {
            %0 = input[index=0] : f32[4]
            %1 = neg(%0) : f32[4]
            %2 = neg(%0) : f32[4]
            %3 = exp(%1) : f32[4]
            %4 = exp(%2) : f32[4]
            return %3, %4 })",
       R"(graph @g {
            %0 = input[index=0] : f32[4]
            %1 = neg(%0) : f32[4]
            %2 = exp(%1) : f32[4]
            return %2, %2 })"},
      {"equal constants merge (a constant is a pure function of its value and type)",
       R"(graph @g {
            %0 = constant[value=2.0] : f32[3]
            %1 = constant[value=2.0] : f32[3]
            %2 = mul(%0, %1) : f32[3]
            return %2 })",
       R"(graph @g {
            %0 = constant[value=2.0] : f32[3]
            %1 = mul(%0, %0) : f32[3]
            return %1 })"},
      {"random nodes with the same seed merge: counter-based draws are a pure function",
       R"(graph @g {
            %0 = random[dist=uniform, seed=7] : f32[3]
            %1 = random[dist=uniform, seed=7] : f32[3]
            %2 = sub(%0, %1) : f32[3]
            return %2 })",
       R"(graph @g {
            %0 = random[dist=uniform, seed=7] : f32[3]
            %1 = sub(%0, %0) : f32[3]
            return %1 })"},
      {"negative: different attributes do not merge",
       R"(graph @g {
            %0 = input[index=0] : f32[2,3]
            %1 = reduce_sum[axes=[0]](%0) : f32[3]
            %2 = reduce_sum[axes=[1]](%0) : f32[2]
            return %1, %2 })",
       R"(graph @g {
            %0 = input[index=0] : f32[2,3]
            %1 = reduce_sum[axes=[0]](%0) : f32[3]
            %2 = reduce_sum[axes=[1]](%0) : f32[2]
            return %1, %2 })"},
      {"negative: different result types do not merge (casts to different dtypes)",
       R"(graph @g {
            %0 = input[index=0] : i32[2]
            %1 = cast(%0) : f32[2]
            %2 = cast(%0) : f64[2]
            return %1, %2 })",
       R"(graph @g {
            %0 = input[index=0] : i32[2]
            %1 = cast(%0) : f32[2]
            %2 = cast(%0) : f64[2]
            return %1, %2 })"},
      {"negative: operand order matters (sub is not commutative; no reordering is assumed)",
       R"(graph @g {
            %0 = input[index=0] : f32[2]
            %1 = input[index=1] : f32[2]
            %2 = sub(%0, %1) : f32[2]
            %3 = sub(%1, %0) : f32[2]
            return %2, %3 })",
       R"(graph @g {
            %0 = input[index=0] : f32[2]
            %1 = input[index=1] : f32[2]
            %2 = sub(%0, %1) : f32[2]
            %3 = sub(%1, %0) : f32[2]
            return %2, %3 })"},
      {"negative: distinct inputs are never merged, even with equal types",
       R"(graph @g {
            %0 = input[index=0] : f32[2]
            %1 = input[index=1] : f32[2]
            %2 = add(%0, %1) : f32[2]
            return %2 })",
       R"(graph @g {
            %0 = input[index=0] : f32[2]
            %1 = input[index=1] : f32[2]
            %2 = add(%0, %1) : f32[2]
            return %2 })"},
  };
  for (const GoldenCase& c : cases) ExpectGolden(CommonSubexpressionElimination::kName, c);
}

}  // namespace
}  // namespace ndjit::passes
