// Every op finishes: scans, scan chains and wide concatenations at real sizes, with kernels
// bounded by the fusion caps (passes/fusion.h: evaluations per point, buffers and ops per
// kernel). The assertions are on counts (kernels, buffer bytes, kernel sizes) and on values from
// closed forms or the interpreter, never on time.
#include <cmath>
#include <cstdint>
#include <vector>

#include "gtest/gtest.h"
#include "ndjit/ndjit.h"

namespace ndjit {
namespace {

class BoundedKernelsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    set_backend("cpu");
    waitall();
    reset_stats();
  }
  void TearDown() override { set_backend("cpu"); }
};

// The bounds every test below asserts: a kernel of at most a few hundred instructions and at
// most 32 buffers read (plus its outputs).
void ExpectBoundedKernels() {
  const Stats s = stats();
  EXPECT_GT(s.largest_kernel_instrs, 0);
  EXPECT_LE(s.largest_kernel_instrs, 400);
  EXPECT_LE(s.most_kernel_buffers, 33);
}

// A scan is one kernel; a long one with few rows (split-reductions) is two: the chunks' totals,
// and the chunks scanned from their carries (computed from the totals in the same kernel).
constexpr int64_t kSplitScanKernels = 2;

TEST_F(BoundedKernelsTest, CumsumAndCumprodOf2To24Elements) {
  const int64_t n = int64_t{1} << 24;
  std::vector<float> signs(n);
  for (int64_t i = 0; i < n; ++i) signs[i] = i % 2 ? -1.0f : 1.0f;
  NDArray ones = nd::ones({n});
  NDArray alternating = nd::array(signs, {n});
  waitall();
  reset_stats();
  const HostArray sum = nd::cumsum(ones).asnumpy();
  EXPECT_EQ(stats().kernels_launched, kSplitScanKernels);
  // The result, and one float64 total per chunk of 4096.
  EXPECT_EQ(stats().bytes_allocated, n * 4 + (n / 4096) * 8);
  ExpectBoundedKernels();
  const float* s = sum.data<float>();
  int64_t wrong = 0;
  for (int64_t i = 0; i < n; ++i) wrong += s[i] != static_cast<float>(i + 1);
  EXPECT_EQ(wrong, 0);

  reset_stats();
  const HostArray prod = nd::cumprod(alternating).asnumpy();
  EXPECT_EQ(stats().kernels_launched, kSplitScanKernels);
  ExpectBoundedKernels();
  const float* p = prod.data<float>();
  wrong = 0;
  for (int64_t i = 0; i < n; ++i) wrong += p[i] != (((i + 1) / 2) % 2 ? -1.0f : 1.0f);
  EXPECT_EQ(wrong, 0);
}

TEST_F(BoundedKernelsTest, ScansAlongEachAxisOf4096x4096) {
  const int64_t n = 4096;
  NDArray ones = nd::ones({n, n});
  ones.wait_to_read();
  for (int64_t axis : {0, 1}) {
    SCOPED_TRACE(axis);
    reset_stats();
    const HostArray sum = nd::cumsum(ones, axis).asnumpy();
    EXPECT_EQ(stats().kernels_launched, 1);  // 4096 rows: parallel as they are
    EXPECT_EQ(stats().bytes_allocated, n * n * 4);
    ExpectBoundedKernels();
    const float* s = sum.data<float>();
    int64_t wrong = 0;
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        wrong += s[i * n + j] != static_cast<float>((axis == 0 ? i : j) + 1);
      }
    }
    EXPECT_EQ(wrong, 0);

    // cumprod of -1 along the axis: +-1 by the parity of the position.
    reset_stats();
    const HostArray prod = nd::cumprod(-ones, axis).asnumpy();
    // The live temporary -ones is stored by a kernel of its own (today's store policy), then
    // scanned.
    EXPECT_LE(stats().kernels_launched, 2);
    ExpectBoundedKernels();
    const float* p = prod.data<float>();
    wrong = 0;
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < n; ++j) wrong += p[i * n + j] != (((axis == 0 ? i : j) % 2) ? 1 : -1);
    }
    EXPECT_EQ(wrong, 0);
  }
}

// cumsum(cumsum(cumsum(x))) along the rows: the third sum of ones is (j+1)(j+2)(j+3)/6, and
// random float64 data agrees with the interpreter.
TEST_F(BoundedKernelsTest, ScanChainsOfDepthThree) {
  NDArray ones = nd::ones({64, 1000}, DType::kFloat64);
  ones.wait_to_read();
  reset_stats();
  const HostArray c = nd::cumsum(nd::cumsum(nd::cumsum(ones, 1), 1), 1).asnumpy();
  EXPECT_EQ(stats().kernels_launched, 3);  // a scan of a scan reads a stored result
  ExpectBoundedKernels();
  for (int64_t j = 0; j < 1000; ++j) {
    const double want = (j + 1.0) * (j + 2.0) * (j + 3.0) / 6.0;
    ASSERT_EQ(c.element_as_double(63 * 1000 + j), want) << j;
  }

  for (const std::vector<int64_t>& shape : {std::vector<int64_t>{17, 65}, {3, 300}}) {
    NDArray y = nd::random::uniform(-1.0, 1.0, shape, 7).astype(DType::kFloat64);
    y.wait_to_read();
    auto f = [&] { return nd::cumsum(nd::cumsum(nd::cumsum(y * 2.0, 1), 1), 0).asnumpy(); };
    reset_stats();
    const HostArray got = f();
    ExpectBoundedKernels();
    set_backend("interp");
    const HostArray want = f();
    set_backend("cpu");
    for (int64_t i = 0; i < want.size(); ++i) {
      const double w = want.element_as_double(i);
      ASSERT_NEAR(got.element_as_double(i), w, 1e-9 * (1 + std::fabs(w))) << i;
    }
  }
}

TEST_F(BoundedKernelsTest, ConcatenateOf1024Arrays) {
  std::vector<NDArray> parts;
  for (int i = 0; i < 1024; ++i) {
    parts.push_back(nd::array(std::vector<float>(64, static_cast<float>(i)), {64}));
  }
  waitall();
  reset_stats();
  const HostArray c = nd::concatenate(parts).asnumpy();
  // A tree of 8-part concats, stored where a kernel would read more than 32 buffers: 128
  // kernels of 8 parts, 16 of 8, and the root.
  EXPECT_LE(stats().kernels_launched, 1024 / 8 + 1024 / 64 + 2);
  EXPECT_LE(stats().kernels_compiled, 4);  // the 8-part kernels share one structure
  ExpectBoundedKernels();
  ASSERT_EQ(c.size(), 1024 * 64);
  for (int64_t i = 0; i < c.size(); ++i) ASSERT_EQ(c.element_as_double(i), i / 64) << i;
}

}  // namespace
}  // namespace ndjit
