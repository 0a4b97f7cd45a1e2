// Why kernels were compiled, as a user sees it: ndjit::profiler::compiles(), NDJIT_LOG=compiles
// and the warning for a line that keeps compiling (runtime/compile_log.h). The unfused retry is
// in tests/runtime/compile_log_test.cc (it needs the executor's failure injection).
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "ndjit/ndjit.h"
#include "runtime/compile_log.h"
#include "tests/test_util.h"

namespace ndjit {
namespace {

using testing::ThisFile;

class CompileReasons : public ::testing::Test {
 protected:
  void SetUp() override {
    waitall();
    runtime::ForgetCompileHistoryForTesting();
    // Compiles, not loads from a cache warm from another run.
    cache_was_on_ = cache_enabled();
    set_cache(false);
  }
  void TearDown() override {
    runtime::SetLogCompiles(false);
    set_cache(cache_was_on_);
  }
  bool cache_was_on_ = false;
};

// How many times `needle` occurs in `text`.
int Count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

TEST_F(CompileReasons, NewStructureThenNewDTypeThenNewLayout) {
  auto f = [](const NDArray& x) { return nd::reciprocal(nd::ceil(x) + 3.0f); };
  const int line = __LINE__ - 1;
  f(nd::array(std::vector<float>{1, 2, 3, 4})).asnumpy();
  f(nd::array(std::vector<double>{1, 2, 3, 4})).asnumpy();
  f(nd::array(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3})).asnumpy();
  // The same again: nothing compiled.
  f(nd::array(std::vector<float>{5, 6, 7, 8})).asnumpy();
  const std::vector<profiler::Compile> c = profiler::compiles();
  ASSERT_EQ(c.size(), 3u);
  for (const profiler::Compile& r : c) {
    EXPECT_EQ(r.backend, "cpu");
    EXPECT_EQ(r.kernel, c[0].kernel);
    EXPECT_FALSE(r.loaded);
    EXPECT_GT(r.seconds, 0);
    EXPECT_TRUE(absl::EndsWith(r.site.substr(0, r.site.rfind(':')),
                               absl::StrCat("/", ThisFile(), ":", line)))
        << r.site;
  }
  EXPECT_EQ(c[0].reason, "new-structure");
  EXPECT_EQ(c[0].detail, "");
  EXPECT_EQ(c[1].reason, "new-dtype");
  EXPECT_EQ(c[1].detail, "f32 -> f64");
  EXPECT_EQ(c[2].reason, "new-layout");
  EXPECT_EQ(c[2].detail, "rank or layout: params 1 -> 2, vars 1 -> 2") << c[2].detail;
}

TEST_F(CompileReasons, ALoopThatChangesAnIntegerConstantWarnsOnce) {
  NDArray counts = nd::array(std::vector<int32_t>{1, 2, 3, 4, 5, 6, 7, 8});
  ::testing::internal::CaptureStderr();
  int line = 0;
  // From 2: `counts * 1` is `counts`, no kernel.
  for (int32_t k = 2; k <= 13; ++k) {
    // An integer scalar is part of the kernel's code: each k compiles a kernel.
    line = __LINE__ + 1;
    const HostArray shifted = (counts * k).asnumpy();
    EXPECT_EQ(shifted.data<int32_t>()[7], 8 * k);
  }
  const std::string said = ::testing::internal::GetCapturedStderr();
  const std::vector<profiler::Compile> c = profiler::compiles();
  ASSERT_EQ(c.size(), 12u);
  EXPECT_EQ(c[0].reason, "new-structure");
  for (size_t i = 1; i < c.size(); ++i) {
    EXPECT_EQ(c[i].reason, "constant") << i;
    EXPECT_EQ(c[i].detail, "const " + std::to_string(i + 1) + " -> " + std::to_string(i + 2));
  }
  const std::string site = absl::StrCat("/", ThisFile(), ":", line) + ":";
  EXPECT_EQ(Count(said, "ndjit: warning:"), 1) << said;
  EXPECT_EQ(Count(said, site), 1) << said;
  EXPECT_NE(said.find(" needed 9 distinct cpu kernels; what kept changing: new-structure 1, "
                      "constant 8 (last: const 9 -> 10). An integer or boolean value that "
                      "changes there is compiled into each kernel"),
            std::string::npos)
      << said;
  // The summary counts them by reason and names the line.
  const std::string summary = profiler::summary();
  EXPECT_NE(summary.find("compiles: 12 (0 of them loaded from the disk cache): 11 constant, 1 "
                         "new-structure"),
            std::string::npos)
      << summary;
  const size_t top = summary.find("  12 kernels for /");
  ASSERT_NE(top, std::string::npos) << summary;
  EXPECT_NE(summary.substr(top, summary.find('\n', top) - top).find(site + ""), std::string::npos)
      << summary;
}

// Every unseeded random call draws a new seed; seeds are kernel parameters, so a loop of them
// compiles one kernel, and each call still draws other numbers.
TEST_F(CompileReasons, AnUnseededRandomCallInALoopCompilesOnce) {
  std::vector<float> firsts;
  for (int i = 0; i < 4; ++i) {
    firsts.push_back(nd::exp(nd::random::uniform(0, 1, {16})).asnumpy().data<float>()[0]);
  }
  const std::vector<profiler::Compile> c = profiler::compiles();
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].reason, "new-structure");
  for (size_t i = 1; i < firsts.size(); ++i) EXPECT_NE(firsts[i], firsts[i - 1]);
}

TEST_F(CompileReasons, AFloatScalarThatChangesCompilesOnce) {
  NDArray x = nd::array(std::vector<float>{1, 2, 3});
  ::testing::internal::CaptureStderr();
  for (int i = 0; i < 12; ++i) (x * (0.5f + static_cast<float>(i))).asnumpy();
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
  EXPECT_EQ(profiler::compiles().size(), 1u);
}

TEST_F(CompileReasons, LogCompilesPrintsOneLinePerCompile) {
  runtime::SetLogCompiles(true);
  NDArray x = nd::array(std::vector<float>{1, 2, 3});
  ::testing::internal::CaptureStderr();
  const int line = __LINE__ + 1;
  nd::sqrt(nd::abs(x) + 2.0f).asnumpy();
  nd::sqrt(nd::abs(x) + 2.0f).asnumpy();
  const std::string said = ::testing::internal::GetCapturedStderr();
  const std::string expect =
      "ndjit: compiled cpu kernel @" + profiler::compiles()[0].kernel + " at ";
  EXPECT_EQ(said.rfind(expect, 0), 0u) << said;
  EXPECT_NE(said.find(absl::StrCat("/", ThisFile(), ":", line) + ":"), std::string::npos) << said;
  EXPECT_NE(said.find(" ms: new-structure\n"), std::string::npos) << said;
  EXPECT_EQ(Count(said, "\n"), 1) << said;
}

TEST_F(CompileReasons, TheTraceShowsEachCompileWithItsReason) {
  const std::string path = ::testing::TempDir() + "/compile_reasons_trace.json";
  profiler::start_trace(path);
  nd::exp(nd::floor(nd::array(std::vector<float>{1.5f, 2.5f}))).asnumpy();
  profiler::stop_trace();
  std::ifstream in(path);
  const std::string trace((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(trace.find("\"name\":\"compile cpu @" + profiler::compiles()[0].kernel + "\""),
            std::string::npos)
      << trace;
  EXPECT_NE(trace.find("\"reason\":\"new-structure\""), std::string::npos) << trace;
  std::remove(path.c_str());
}

}  // namespace
}  // namespace ndjit
