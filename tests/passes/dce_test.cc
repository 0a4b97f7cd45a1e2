// Golden tests of dead-code elimination: each case states the rule it checks.
#include "passes/dce.h"

#include "tests/passes/pass_test_util.h"

namespace ndjit::passes {
namespace {

using testing::ExpectGolden;
using testing::GoldenCase;

TEST(DceTest, Golden) {
  const GoldenCase cases[] = {
      {"a node no output needs is removed, with everything only it needed",
       R"(graph @g {
            %0 = input[index=0] : f32[4]
            %1 = exp(%0) : f32[4]
            %2 = neg(%1) : f32[4]
            %3 = log(%0) : f32[4]
            return %3 })",
       R"(graph @g {
            %0 = input[index=0] : f32[4]
            %1 = log(%0) : f32[4]
            return %1 })"},
      {"unused inputs stay: buffers are bound by input index",
       R"(graph @g {
            %0 = input[index=0] : f32[4]
            %1 = input[index=1] : f32[4]
            %2 = exp(%1) : f32[4]
            return %2 })",
       R"(graph @g {
            %0 = input[index=0] : f32[4]
            %1 = input[index=1] : f32[4]
            %2 = exp(%1) : f32[4]
            return %2 })"},
      {"negative: a graph whose every node is needed is unchanged",
       R"(graph @g {
            %0 = input[index=0] : f32[4]
            %1 = exp(%0) : f32[4]
            %2 = add(%1, %0) : f32[4]
            return %2, %1 })",
       R"(graph @g {
            %0 = input[index=0] : f32[4]
            %1 = exp(%0) : f32[4]
            %2 = add(%1, %0) : f32[4]
            return %2, %1 })"},
      {"a graph without outputs keeps only its inputs",
       R"(graph @g {
            %0 = input[index=0] : f32[4]
            %1 = exp(%0) : f32[4]
            return })",
       R"(graph @g {
            %0 = input[index=0] : f32[4]
            return })"},
  };
  for (const GoldenCase& c : cases) ExpectGolden(DeadCodeElimination::kName, c);
}

}  // namespace
}  // namespace ndjit::passes
