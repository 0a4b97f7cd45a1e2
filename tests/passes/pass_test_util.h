// Golden-test helper for passes: IR text in, IR text out.
#ifndef NDJIT_TESTS_PASSES_PASS_TEST_UTIL_H_
#define NDJIT_TESTS_PASSES_PASS_TEST_UTIL_H_

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "ir/elements.h"
#include "ir/interpreter.h"
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

// Bitwise equality of two results (the interpreter's bytes), except that any NaN equals any NaN.
inline ::testing::AssertionResult SameBits(const ir::HostTensor& a, const ir::HostTensor& b) {
  if (a.type() != b.type()) {
    return ::testing::AssertionFailure()
           << "type " << ir::TypeToString(a.type()) << " != " << ir::TypeToString(b.type());
  }
  const int size = DTypeSize(a.dtype());
  for (int64_t i = 0; i < a.num_elements(); ++i) {
    const double x = ir::LoadAsDouble(a, i), y = ir::LoadAsDouble(b, i);
    if (IsFloat(a.dtype()) && std::isnan(x) && std::isnan(y)) continue;
    if (std::memcmp(static_cast<const char*>(a.data()) + i * size,
                    static_cast<const char*>(b.data()) + i * size, size) != 0) {
      return ::testing::AssertionFailure() << "element " << i << ": " << x << " != " << y;
    }
  }
  return ::testing::AssertionSuccess();
}

// Differential check with the interpreter as the oracle: interprets `graph`, runs the named pass
// on it (verify-each and the honest-change check on), interprets the result and expects the same
// outputs bit for bit, or the same run-time error. Returns whether the pass changed the graph.
inline bool ExpectPassKeepsValues(std::string_view pass_name, ir::Graph& graph,
                                  absl::Span<const ir::HostTensor> inputs = {}) {
  const std::string before_text = ir::PrintGraph(graph);
  SCOPED_TRACE(before_text);
  const absl::StatusOr<std::vector<ir::HostTensor>> before = ir::Interpret(graph, inputs);
  auto pass = CreatePass(pass_name);
  EXPECT_TRUE(pass.ok()) << pass.status();
  if (!pass.ok()) return false;
  PipelineOptions options;
  options.verify_each = true;
  options.check_unchanged = true;
  Pipeline pipeline(options);
  pipeline.Add(*std::move(pass));
  const absl::Status run = pipeline.Run(graph);
  EXPECT_TRUE(run.ok()) << run;
  if (!run.ok()) return false;
  const absl::StatusOr<std::vector<ir::HostTensor>> after = ir::Interpret(graph, inputs);
  EXPECT_EQ(before.ok(), after.ok()) << before.status() << " / " << after.status() << "\nafter:\n"
                                     << ir::PrintGraph(graph);
  if (before.ok() && after.ok()) {
    for (size_t i = 0; i < before->size(); ++i) {
      EXPECT_TRUE(SameBits((*after)[i], (*before)[i])) << "output " << i << " after:\n"
                                                       << ir::PrintGraph(graph);
    }
  }
  return pipeline.runs()[0].changed;
}

}  // namespace ndjit::passes::testing

#endif  // NDJIT_TESTS_PASSES_PASS_TEST_UTIL_H_
