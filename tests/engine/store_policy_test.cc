// The store policy (runtime/materializer.h): what a materialization stores is decided by what is
// read, not by what is named. C++ temporaries and named elementwise intermediates cost no kernel
// and no buffer; an expensive named value is stored by the kernel that computes it where that is
// free, never by a kernel of its own; reading an unstored value later computes it then, from the
// values it was recorded from.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace ndjit {
namespace {

namespace nd = ndjit::nd;

class StorePolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    waitall();
    reset_stats();
  }
  void TearDown() override { set_flush_limits(kNodes, kBytes); }
  const int64_t kNodes = max_pending_nodes();
  const int64_t kBytes = max_pending_bytes();
};

NDArray Ramp(int64_t n, float scale) {
  NDArray a = nd::arange(0, n, 1).astype(DType::kFloat32) * scale;
  a.wait_to_read();
  return a;
}

TEST_F(StorePolicyTest, ATemporaryOfTheSameStatementCostsNoKernel) {
  const NDArray a = Ramp(1024, 0.5f), b = Ramp(1024, 0.25f), c = Ramp(1024, 2.0f);
  reset_stats();
  const std::vector<float> y = (a * b + c).asnumpy().to_vector<float>();  // `a * b` is alive
  EXPECT_EQ(stats().kernels_launched, 1);
  EXPECT_EQ(stats().buffers_allocated, 1);
  for (int i = 0; i < 1024; i += 97) EXPECT_EQ(y[i], (0.5f * i) * (0.25f * i) + 2.0f * i) << i;
}

TEST_F(StorePolicyTest, NamedElementwiseIntermediatesAreOneKernel) {
  const NDArray a = Ramp(4096, 0.001f), b = Ramp(4096, 0.002f), c = Ramp(4096, -0.003f);
  reset_stats();
  auto t = a * b;
  auto u = t + c;
  auto v = nd::exp(u) * 0.5f;
  const std::vector<float> got = v.asnumpy().to_vector<float>();
  EXPECT_EQ(stats().kernels_launched, 1);
  EXPECT_EQ(stats().buffers_allocated, 1);
  EXPECT_FALSE(t.is_computed());
  EXPECT_FALSE(u.is_computed());
  // Read later, an intermediate is computed then, from the values it was recorded from.
  const std::vector<float> tv = t.asnumpy().to_vector<float>();
  const std::vector<float> uv = u.asnumpy().to_vector<float>();
  for (int i = 0; i < 4096; i += 211) {
    const float ti = (0.001f * i) * (0.002f * i);
    EXPECT_EQ(tv[i], ti) << i;
    EXPECT_EQ(uv[i], ti + -0.003f * i) << i;
    EXPECT_NEAR(got[i], std::exp(ti + -0.003f * i) * 0.5f, 1e-6 * got[i]) << i;
  }
}

TEST_F(StorePolicyTest, InPlaceWritesAfterRecordingDoNotChangeAnUnstoredValue) {
  NDArray a = nd::array<float>({1, 2, 3}, {3});
  NDArray t = a * 10.0f;  // named, not stored by the read below
  (t + 1.0f).asnumpy();
  EXPECT_FALSE(t.is_computed());
  a += 5.0f;                              // `t` was recorded from the old `a`
  a.slice_assign({Slice(0, 1)}, 100.0f);  // and this writes only the new one
  EXPECT_EQ(t.asnumpy().to_vector<float>(), (std::vector<float>{10, 20, 30}));
  EXPECT_EQ(a.asnumpy().to_vector<float>(), (std::vector<float>{100, 7, 8}));
}

TEST_F(StorePolicyTest, AnExpensiveNamedValueIsStoredByTheKernelThatComputesIt) {
  const NDArray x = Ramp(512, 0.01f).reshape({16, 32});
  reset_stats();
  NDArray s = nd::sum(x, 1);  // a reduction: its epilogue's kernel stores it as a second output
  const std::vector<float> y = nd::sqrt(s).asnumpy().to_vector<float>();
  EXPECT_EQ(stats().kernels_launched, 1);
  EXPECT_TRUE(s.is_computed());
  const std::vector<float> sv = s.asnumpy().to_vector<float>();
  EXPECT_EQ(stats().kernels_launched, 1);  // read from its buffer
  for (int r = 0; r < 16; ++r) {
    double want = 0;
    for (int c = 0; c < 32; ++c) want += 0.01f * static_cast<float>(32 * r + c);
    EXPECT_NEAR(sv[r], want, 1e-4 * want) << r;
    EXPECT_FLOAT_EQ(y[r], std::sqrt(sv[r])) << r;
  }
}

TEST_F(StorePolicyTest, AReductionInsideARowKernelIsNotStoredAsAKernelOfItsOwn) {
  const NDArray x = Ramp(512, 0.01f).reshape({16, 32});
  reset_stats();
  NDArray m = nd::max(x, 1, /*keepdims=*/true);  // a temporary in user code, named here
  const std::vector<float> centred = (x - m).asnumpy().to_vector<float>();
  EXPECT_EQ(stats().kernels_launched, 1);  // one row kernel, one pass over x
  EXPECT_FALSE(m.is_computed());
  const std::vector<float> mv = m.asnumpy().to_vector<float>();  // computed now
  EXPECT_GT(stats().kernels_launched, 1);
  EXPECT_TRUE(m.is_computed());
  for (int r = 0; r < 16; ++r) EXPECT_FLOAT_EQ(mv[r], 0.01f * (32 * r + 31)) << r;
  EXPECT_FLOAT_EQ(centred[5], 0.01f * 5 - 0.01f * 31);
}

TEST_F(StorePolicyTest, ExplicitFlushStoresEveryNamedArray) {
  const NDArray a = Ramp(256, 1.0f);
  reset_stats();
  NDArray t = a * 2.0f;
  NDArray u = t + 1.0f;
  flush();  // MXNet's meaning: what the user handed over is computed and stored
  u.wait_to_read();
  EXPECT_TRUE(t.is_computed());
  EXPECT_TRUE(u.is_computed());
}

TEST_F(StorePolicyTest, ALongNamedChainIsStoredEveryFewSteps) {
  // Every step is named (the vector holds it) but none is requested; reading them all later
  // must not compute the whole chain again for each one.
  NDArray x = Ramp(64, 1.0f);
  std::vector<NDArray> steps;
  for (int i = 0; i < 200; ++i) {
    x = x * 0.5f + 1.0f;
    steps.push_back(x);
  }
  steps.back().wait_to_read();
  reset_stats();
  for (const NDArray& s : steps) s.wait_to_read();
  // Each read recomputes at most the short unstored stretch behind it.
  EXPECT_LE(stats().nodes_evaluated, 200 * 2 * 34);
  float want = 7.0f;
  for (int i = 0; i < 200; ++i) want = want * 0.5f + 1.0f;
  EXPECT_FLOAT_EQ(steps.back().asnumpy().to_vector<float>()[7], want);
}

TEST_F(StorePolicyTest, ByteLimitCountsOnlyWhatWouldBeStored) {
  // Elementwise values over an iota are never stored unless read: 2^26 int64 elements (512 MB
  // per temporary) pass a 64 MB byte limit without a flush and reduce in one fused kernel.
  set_flush_limits(kNodes, int64_t{64} << 20);
  const int64_t n = int64_t{1} << 26;
  reset_stats();
  const int64_t count =
      nd::sum(((nd::arange(0, n, 1) % 7) == 3).astype(DType::kInt64)).asscalar<int64_t>();
  EXPECT_EQ(count, n / 7 + (n % 7 > 3 ? 1 : 0));
  EXPECT_EQ(stats().flushes_byte_limit, 0);
  EXPECT_LT(stats().bytes_allocated, int64_t{1} << 20);
}

TEST_F(StorePolicyTest, NodeLimitFlushesStoreNoFusedIntermediate) {
  set_flush_limits(16, kBytes);
  const NDArray a = Ramp(1 << 16, 0.001f);
  reset_stats();
  NDArray y = a;
  for (int i = 0; i < 10; ++i) y = nd::exp(y * -0.5f) - 0.5f;  // 40 nodes: flushes at the limit
  const std::vector<float> got = y.asnumpy().to_vector<float>();
  EXPECT_GE(stats().flushes_node_limit, 1);
  // Whatever the limit flushes stored, it is far less than one buffer per step.
  EXPECT_LE(stats().buffers_allocated, 3);
  std::vector<float> ref = a.asnumpy().to_vector<float>();
  for (float& v : ref) {
    for (int i = 0; i < 10; ++i) v = std::exp(v * -0.5f) - 0.5f;
  }
  for (int i = 0; i < (1 << 16); i += 4099) EXPECT_NEAR(got[i], ref[i], 1e-5f) << i;
}

// A large test (about 10 s on 2 cores): runs only with NDJIT_LARGE_TESTS=1 (see README,
// "Two commands").
TEST(StorePolicyLargeTest, AnIotaReductionOverTwoToTheThirtyOnePlus4099ElementsStoresNothing) {
  const char* large = std::getenv("NDJIT_LARGE_TESTS");
  if (large == nullptr || std::string(large) != "1") {
    GTEST_SKIP() << "a large test: set NDJIT_LARGE_TESTS=1 to run it";
  }
  waitall();
  reset_stats();
  const int64_t n = (int64_t{1} << 31) + 4099;
  const int64_t count =
      nd::sum(((nd::arange(0, n, 1) % 7) == 3).astype(DType::kInt64)).asscalar<int64_t>();
  EXPECT_EQ(count, n / 7 + (n % 7 > 3 ? 1 : 0));
  EXPECT_EQ(stats().flushes_byte_limit, 0);
  EXPECT_EQ(stats().flushes_node_limit, 0);
  EXPECT_LT(stats().bytes_allocated, int64_t{1} << 20);
}

}  // namespace
}  // namespace ndjit
