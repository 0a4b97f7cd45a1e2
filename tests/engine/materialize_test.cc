// Tests that accessors compute exactly what the requested arrays need, once, at the NDArray level.
#include <thread>

#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace ndjit {
namespace {

namespace nd = ndjit::nd;

class MaterializeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    waitall();  // nothing pending from earlier tests
    reset_stats();
  }
};

TEST_F(MaterializeTest, OpsReturnWithoutComputing) {
  NDArray a = nd::array<float>({1, 2, 3}, {3});
  NDArray b = nd::exp(a) * 2.0f + a;
  EXPECT_EQ(stats().nodes_evaluated, 0);
  EXPECT_EQ(stats().materializations, 0);
  EXPECT_FALSE(b.is_computed());
  EXPECT_EQ(b.shape(), (std::vector<int64_t>{3}));  // shape and dtype are known at once
  EXPECT_EQ(b.dtype(), DType::kFloat32);
}

TEST_F(MaterializeTest, AnAccessorComputesOnlyTheNodesItsArrayNeeds) {
  NDArray a = nd::array<float>({1, 2, 3}, {3});
  NDArray used = nd::exp(a) + a;           // exp, add
  NDArray unused = nd::log(a) * a - 1.0f;  // log, constant, mul, constant, sub
  testing::ExpectPendingRoundTrip({used, unused});
  used.wait_to_read();
  EXPECT_EQ(stats().nodes_evaluated, 2);
  EXPECT_TRUE(used.is_computed());
  EXPECT_FALSE(unused.is_computed());
}

TEST_F(MaterializeTest, AnExpensiveNodeSharedBySeveralArraysIsComputedOnce) {
  NDArray a = nd::array<float>({1, 2, 3}, {3});
  NDArray shared = nd::sum(a);  // held: stored by the first accessor that computes it
  NDArray x = shared + 1.0f;    // constant, add
  NDArray y = shared * 2.0f;    // constant, mul
  EXPECT_EQ(x.asscalar<float>(), 7.0f);
  EXPECT_EQ(stats().nodes_evaluated, 3);  // sum, constant, add
  EXPECT_EQ(y.asscalar<float>(), 12.0f);
  EXPECT_EQ(stats().nodes_evaluated, 5);  // constant, mul: the sum is not computed again
  shared.asnumpy();
  EXPECT_EQ(stats().nodes_evaluated, 5);
}

TEST_F(MaterializeTest, ACheapNodeSharedBySeveralArraysIsComputedWhereItIsRead) {
  NDArray a = nd::array<float>({1, 2, 3}, {3});
  NDArray shared = nd::exp(a);  // held, cheap: each reader computes it inline
  NDArray x = shared + 1.0f;
  NDArray y = shared * 2.0f;
  x.asnumpy();
  EXPECT_EQ(stats().nodes_evaluated, 3);  // exp, constant, add
  EXPECT_EQ(stats().kernels_launched, 1);
  y.asnumpy();
  EXPECT_EQ(stats().nodes_evaluated, 6);  // exp again, constant, mul
  EXPECT_EQ(stats().kernels_launched, 2);
  EXPECT_FALSE(shared.is_computed());
}

TEST_F(MaterializeTest, DuplicatedWorkInARecordedProgramIsComputedOnce) {
  NDArray a = nd::array<float>({1, 2, 3}, {3});
  // Written twice by the user: two exp nodes, two constants 2.0f, two multiplies.
  NDArray y = nd::exp(a) * 2.0f + nd::exp(a) * 2.0f;
  EXPECT_EQ(stats().nodes_recorded, 7);
  const std::vector<float> v = y.asnumpy().to_vector<float>();
  EXPECT_EQ(stats().nodes_evaluated, 4);  // cse leaves exp, constant, mul, add
  EXPECT_FLOAT_EQ(v[0], 4 * std::exp(1.0f));
}

TEST_F(MaterializeTest, ReadingTwiceComputesOnce) {
  NDArray c = nd::sum(nd::arange(0, 100));
  EXPECT_EQ(c.asscalar<int64_t>(), 4950);
  const int64_t after_first = stats().nodes_evaluated;
  EXPECT_EQ(c.asscalar<int64_t>(), 4950);
  EXPECT_EQ(stats().nodes_evaluated, after_first);
  EXPECT_EQ(stats().materializations, 1);
}

TEST_F(MaterializeTest, WaitallComputesEveryLiveArray) {
  NDArray a = nd::ones({4});
  NDArray b = a + 1.0f;
  NDArray c = b * 3.0f;
  waitall();
  EXPECT_TRUE(b.is_computed());
  EXPECT_TRUE(c.is_computed());
  const Stats s = stats();
  waitall();
  EXPECT_EQ(stats().nodes_evaluated, s.nodes_evaluated);
  EXPECT_EQ(c.asnumpy().to_vector<float>(), (std::vector<float>{6, 6, 6, 6}));
}

TEST_F(MaterializeTest, HandlesAliasAndCopyIsIndependent) {
  NDArray a = nd::array<int32_t>({1, 2}, {2});
  NDArray alias = a;
  NDArray independent = a.copy();
  EXPECT_EQ(alias.value(), a.value());
  EXPECT_NE(independent.value(), a.value());
  EXPECT_EQ(independent.asnumpy().to_vector<int32_t>(), (std::vector<int32_t>{1, 2}));
}

TEST_F(MaterializeTest, DestroyingHandlesWhilePendingIsSafe) {
  NDArray keep;
  {
    NDArray a = nd::ones({8});
    NDArray b = nd::exp(a);
    keep = b * b;
  }  // a and b are gone; keep's graph still holds what it needs
  EXPECT_TRUE(testing::AllClose(testing::Values(keep.asnumpy()),
                                std::vector<double>(8, std::exp(2.0)), 1e-6));
  const int64_t max_nodes = max_pending_nodes(), max_bytes = max_pending_bytes();
  set_flush_limits(0, 0);  // no automatic flush: the whole chain stays pending
  NDArray chain = nd::ones({2});
  for (int i = 0; i < 100000; ++i) chain = chain * 1.0f;
  chain = NDArray();  // a 200,000-node pending graph dropped without computing it
  EXPECT_EQ(stats().pending_nodes, 0);
  set_flush_limits(max_nodes, max_bytes);
  // Only the constant, exp and mul behind `keep` were collected, and they fold to one constant.
  EXPECT_EQ(stats().nodes_before_passes, 3);
  EXPECT_EQ(stats().nodes_evaluated, 1);
}

TEST_F(MaterializeTest, ArraysCanBeBuiltAndReadFromSeveralThreads) {
  NDArray base = nd::arange(0, 64).astype(DType::kFloat32);
  std::vector<std::thread> threads;
  std::vector<double> sums(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      NDArray x = base;
      for (int i = 0; i <= t; ++i) x = x + 1.0f;
      sums[t] = nd::sum(x).asscalar<double>();
    });
  }
  for (std::thread& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(sums[t], 2016.0 + 64.0 * (t + 1));
}

}  // namespace
}  // namespace ndjit
