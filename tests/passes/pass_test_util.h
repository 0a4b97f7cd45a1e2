// Golden-test helper for passes: IR text in, IR text out.
#ifndef NDJIT_TESTS_PASSES_PASS_TEST_UTIL_H_
#define NDJIT_TESTS_PASSES_PASS_TEST_UTIL_H_

#include <string>

#include "gtest/gtest.h"
#include "ir/parser.h"
#include "ir/printer.h"
#include "passes/pipeline.h"

namespace ndjit::passes::testing {

// One golden case: the rule it checks, the input, and the expected output (equal to the input
// for negative cases, which must also report "no change").
struct GoldenCase {
  std::string rule;
  std::string input;
  std::string expected;
};

// Runs the named pass alone through a pipeline with verify-each and the honest-change check on,
// then compares the printed result with `expected` (parsed and printed, so spacing is free).
inline void ExpectGolden(std::string_view pass_name, const GoldenCase& c) {
  SCOPED_TRACE(c.rule);
  auto in = ir::ParseGraph(c.input, "input");
  ASSERT_TRUE(in.ok()) << in.status();
  auto expected = ir::ParseGraph(c.expected, "expected");
  ASSERT_TRUE(expected.ok()) << expected.status();
  const bool should_change = ir::PrintGraph(**in) != ir::PrintGraph(**expected);
  auto pass = CreatePass(pass_name);
  ASSERT_TRUE(pass.ok()) << pass.status();
  PipelineOptions options;
  options.verify_each = true;
  options.check_unchanged = true;
  Pipeline pipeline(options);
  pipeline.Add(*std::move(pass));
  ASSERT_TRUE(pipeline.Run(**in).ok());
  ASSERT_EQ(pipeline.runs().size(), 1u);
  EXPECT_EQ(pipeline.runs()[0].changed, should_change);
  EXPECT_EQ(ir::PrintGraph(**in), ir::PrintGraph(**expected));
}

}  // namespace ndjit::passes::testing

#endif  // NDJIT_TESTS_PASSES_PASS_TEST_UTIL_H_
