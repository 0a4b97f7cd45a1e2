// A graph materialized again with the same structure and constant values reuses its optimized
// form (runtime/optimized_graphs.h): counted by Stats::graphs_reused, never timed.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace ndjit {
namespace {

class OptimizedGraphsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    set_backend("cpu");
    waitall();
    reset_stats();
  }
};

NDArray Ramp(int64_t n) {
  NDArray a = nd::arange(0, static_cast<double>(n), 1).astype(DType::kFloat32);
  a.wait_to_read();
  return a;
}

// The same statement in a loop: the optimizer runs for the first two materializations (the
// second keeps a copy) and never again; the values stay right when the inputs change.
TEST_F(OptimizedGraphsTest, ARepeatedStatementSkipsTheOptimizer) {
  NDArray a = Ramp(1024), b = Ramp(1024) * 2.0f, c = Ramp(1024) + 1.0f;
  waitall();
  for (int i = 0; i < 10; ++i) {
    if (i == 1) reset_stats();  // the first iteration compiles the two kernels
    const std::vector<float> y = ((a * b + c) * 1.5f).asnumpy().to_vector<float>();
    for (int k = 0; k < 1024; k += 101) {
      const float x = static_cast<float>(k) + static_cast<float>(i);
      ASSERT_EQ(y[k], (x * (2.0f * x) + (x + 1.0f)) * 1.5f) << i << " " << k;
    }
    a += 1.0f;
    b = (a * 2.0f).copy();
    c = (a + 1.0f).copy();
    waitall();
  }
  // Each iteration materializes the statement once and the updates once (waitall); both graphs
  // were seen twice by the end of the second iteration.
  EXPECT_EQ(stats().graphs_reused, 2 * 9 - 2);
  EXPECT_EQ(stats().kernels_compiled, 0);
}

// A float scalar that changes every iteration changes the recorded graph's values: the
// optimizer runs each time (folding may combine values), while the compiled plan and kernel
// are shared (no compile after the first).
TEST_F(OptimizedGraphsTest, ChangingValuesRunTheOptimizerButCompileNothing) {
  const NDArray x = Ramp(1000);
  reset_stats();
  for (int i = 0; i < 20; ++i) {
    const float s = 0.5f + 0.01f * static_cast<float>(i);
    const std::vector<float> y = (x * s * 2.0f + 1.0f).asnumpy().to_vector<float>();
    for (int k = 0; k < 1000; k += 97) ASSERT_EQ(y[k], k * s * 2.0f + 1.0f) << i << " " << k;
  }
  EXPECT_EQ(stats().graphs_reused, 0);
  EXPECT_LE(stats().kernels_compiled, 1);
}

// An error from a reused graph names the user's lines, not those of the statement the graph was
// first optimized for: the work is redone on the user's own graph.
int gather_take_line = 0;
NDArray Gather(const NDArray& data, int64_t index) {
  NDArray idx = nd::array(std::vector<int64_t>{0, index}, {2}) * int64_t{1};
  gather_take_line = __LINE__ + 1;
  return nd::take(data, idx);
}

TEST_F(OptimizedGraphsTest, AnErrorFromAReusedGraphNamesTheUsersLine) {
  const NDArray data = nd::array(std::vector<float>{5, 6}, {2});
  data.wait_to_read();
  for (int i = 0; i < 3; ++i) Gather(data, 1).wait_to_read();  // kept
  reset_stats();
  EXPECT_EQ(Gather(data, 1).asnumpy().to_vector<float>(), (std::vector<float>{5, 6}));
  EXPECT_EQ(stats().graphs_reused, 1);
  // The same graph recorded here, with an index out of range.
  NDArray idx = nd::array(std::vector<int64_t>{0, 7}, {2}) * int64_t{1};
  const int take_line = __LINE__ + 1;
  NDArray bad = nd::take(data, idx);
  try {
    bad.wait_to_read();
    ADD_FAILURE() << "no error";
  } catch (const ValueError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("index 7 is out of bounds for axis 0 with size 2"), std::string::npos)
        << what;
    EXPECT_NE(what.find(testing::ThisFile() + ":" + std::to_string(take_line)), std::string::npos)
        << what;
    EXPECT_EQ(what.find(testing::ThisFile() + ":" + std::to_string(gather_take_line)),
              std::string::npos)
        << what;
  }
}

}  // namespace
}  // namespace ndjit

namespace ndjit {
namespace {

// What makes the optimizer's run observable turns the reuse off: dumps write every pass's graph
// for every materialization, and disabling a pass gives graphs their own entries.
TEST_F(OptimizedGraphsTest, DumpsAndPassFlagsAreHonoured) {
  const NDArray x = Ramp(64);
  auto run = [&] { return (x * 3.0f + 2.0f).asnumpy().to_vector<float>(); };
  for (int i = 0; i < 3; ++i) run();
  reset_stats();
  run();
  EXPECT_EQ(stats().graphs_reused, 1);

  const std::string dir = ::testing::TempDir() + "/optimized_graphs_dump";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  set_dump_dir(dir);
  reset_stats();
  run();
  run();
  set_dump_dir("");
  EXPECT_EQ(stats().graphs_reused, 0);
  int inputs = 0;
  for (const auto& f : std::filesystem::directory_iterator(dir)) {
    inputs += f.path().filename().string().find(".input.ir") != std::string::npos;
  }
  EXPECT_EQ(inputs, 2);

  set_flags("--disable=cse");
  reset_stats();
  for (int i = 0; i < 3; ++i) {
    const std::vector<float> y = run();
    EXPECT_EQ(y[5], 17.0f);
  }
  EXPECT_EQ(stats().graphs_reused, 1);  // its own entry: seen, kept, then reused
  set_flags("");
}

}  // namespace
}  // namespace ndjit
