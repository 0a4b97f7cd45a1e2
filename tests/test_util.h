// Shared helpers of the test suites.
#ifndef NDJIT_TESTS_TEST_UTIL_H_
#define NDJIT_TESTS_TEST_UTIL_H_

#include <cmath>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "ir/parser.h"
#include "ir/printer.h"
#include "ir/verifier.h"
#include "ndjit/ndjit.h"

namespace ndjit::testing {

// The test file's base name, as it appears in error messages ("ops_test.cc").
inline std::string ThisFile(const char* file = __builtin_FILE()) {
  std::string f(file);
  return f.substr(f.rfind('/') + 1);
}

// Asserts print(parse(print(g))) == print(g) and that the graph verifies.
inline void ExpectRoundTrip(const std::string& text) {
  auto parsed = ir::ParseGraph(text, "roundtrip");
  ASSERT_TRUE(parsed.ok()) << parsed.status() << "\n" << text;
  EXPECT_TRUE(ir::VerifyGraph(**parsed).ok());
  EXPECT_EQ(ir::PrintGraph(**parsed), text);
}

// Round trip of the pending graph behind `arrays` (call before materializing them).
inline void ExpectPendingRoundTrip(const std::vector<NDArray>& arrays) {
  ExpectRoundTrip(pending_ir(arrays));
}

// Values of a host array as doubles.
inline std::vector<double> Values(const HostArray& h) {
  std::vector<double> v;
  for (int64_t i = 0; i < h.size(); ++i) v.push_back(h.element_as_double(i));
  return v;
}

// Values of an array (blocks), as doubles.
inline std::vector<double> Doubles(const NDArray& a) { return Values(a.asnumpy()); }

// Elementwise comparison with a relative tolerance; NaN positions must match; infinities must be
// equal.
inline ::testing::AssertionResult AllClose(const std::vector<double>& actual,
                                           const std::vector<double>& expected, double rtol = 1e-6,
                                           double atol = 1e-7) {
  if (actual.size() != expected.size()) {
    return ::testing::AssertionFailure()
           << "size " << actual.size() << " != expected " << expected.size();
  }
  for (size_t i = 0; i < actual.size(); ++i) {
    const double a = actual[i], e = expected[i];
    if (std::isnan(e) || std::isnan(a)) {
      if (std::isnan(e) != std::isnan(a)) {
        return ::testing::AssertionFailure() << "at " << i << ": " << a << " vs " << e;
      }
      continue;
    }
    if (std::isinf(e) || std::isinf(a)) {
      if (a != e) return ::testing::AssertionFailure() << "at " << i << ": " << a << " vs " << e;
      continue;
    }
    if (std::fabs(a - e) > atol + rtol * std::fabs(e)) {
      return ::testing::AssertionFailure() << "at " << i << ": " << a << " vs expected " << e;
    }
  }
  return ::testing::AssertionSuccess();
}

}  // namespace ndjit::testing

// Asserts that `stmt` throws exactly `Exc` (not a subclass) whose message contains `fragment`
// and the file:line of this macro's use (the caller ndjit must name).
#define EXPECT_NDJIT_THROWS(stmt, Exc, fragment)                                                   \
  do {                                                                                             \
    const std::string ndjit_where = ::ndjit::testing::ThisFile() + ":" + std::to_string(__LINE__); \
    try {                                                                                          \
      (void)(stmt);                                                                                \
      ADD_FAILURE() << #stmt << " did not throw";                                                  \
    } catch (const Exc& e) {                                                                       \
      EXPECT_EQ(typeid(e), typeid(Exc)) << e.what();                                               \
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();              \
      EXPECT_NE(std::string(e.what()).find(ndjit_where), std::string::npos) << e.what();           \
    }                                                                                              \
  } while (0)

#endif  // NDJIT_TESTS_TEST_UTIL_H_
