// Kernels are generic in values and sizes: a program that changes only a float scalar or an
// array's length compiles nothing new (counted, never timed).
#include <cmath>
#include <cstdint>
#include <vector>

#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace ndjit {
namespace {

namespace nd = ndjit::nd;

class GenericKernelsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    waitall();
    reset_stats();
  }
};

NDArray Ramp(int64_t n, DType dtype = DType::kFloat32) {
  NDArray a = (nd::arange(0, n, 1).astype(DType::kFloat64) * 0.25).astype(dtype);
  a.wait_to_read();
  return a;
}

TEST_F(GenericKernelsTest, AScalarThatChangesInALoopCompilesOnce) {
  const NDArray x = Ramp(1000);
  reset_stats();
  for (int i = 0; i < 50; ++i) {
    const float s = 0.01f * static_cast<float>(i) + 0.5f;  // never 0 or 1: no simplification
    const std::vector<float> y = (x * s + 1.0f).asnumpy().to_vector<float>();
    if (i == 0) {
      EXPECT_LE(stats().kernels_compiled, 1);
      reset_stats();
    }
    for (int k = 0; k < 1000; k += 111) ASSERT_EQ(y[k], 0.25f * k * s + 1.0f) << i << " " << k;
  }
  EXPECT_EQ(stats().kernels_compiled, 0);
  EXPECT_EQ(stats().kernels_launched, 49);
}

// A random array drawn in a loop (each unseeded call draws a new seed, as a dropout mask in a
// training step would) runs one compiled kernel: seeds are kernel parameters. The numbers are
// the seed's: the same seed gives the same bits, on the JIT as in the interpreter.
TEST_F(GenericKernelsTest, RandomCallsInALoopCompileOnceAndDrawTheirSeedsNumbers) {
  std::vector<std::vector<float>> draws;
  for (int i = 0; i < 10; ++i) {
    draws.push_back((nd::random::uniform(-1, 1, {257}) * 2.0f).asnumpy().to_vector<float>());
    if (i == 0) {
      EXPECT_EQ(stats().kernels_compiled, 1);
      reset_stats();
    }
  }
  EXPECT_EQ(stats().kernels_compiled, 0);
  for (size_t i = 1; i < draws.size(); ++i) EXPECT_NE(draws[i], draws[i - 1]) << i;
  for (uint64_t seed : {uint64_t{7}, uint64_t{1} << 63, ~uint64_t{0}}) {
    SCOPED_TRACE(seed);
    const std::vector<float> jit =
        (nd::random::normal(0, 1, {33, 5}, seed) + 0.5f).asnumpy().to_vector<float>();
    set_backend("interp");
    const std::vector<float> interp =
        (nd::random::normal(0, 1, {33, 5}, seed) + 0.5f).asnumpy().to_vector<float>();
    set_backend("cpu");
    EXPECT_EQ(jit, interp);
  }
  EXPECT_EQ(stats().kernels_compiled, 1);  // normal's kernel, once for the three seeds
}

TEST_F(GenericKernelsTest, ALearningRateScheduleCompilesNothingAfterTheFirstStep) {
  NDArray w = Ramp(256 * 256).reshape({256, 256});
  const NDArray g = (Ramp(256 * 256) * 0.001f).reshape({256, 256});
  g.wait_to_read();
  std::vector<float> want = w.asnumpy().to_vector<float>();
  const std::vector<float> gv = g.asnumpy().to_vector<float>();
  reset_stats();
  for (int step = 0; step < 20; ++step) {
    const float lr = 0.1f / static_cast<float>(1 + step);
    w -= g * lr;
    w.wait_to_read();
    if (step == 0) reset_stats();
    for (size_t k = 0; k < want.size(); ++k) want[k] -= gv[k] * lr;
  }
  EXPECT_EQ(stats().kernels_compiled, 0);
  const std::vector<float> got = w.asnumpy().to_vector<float>();
  for (size_t k = 0; k < got.size(); k += 997) EXPECT_EQ(got[k], want[k]) << k;
}

TEST_F(GenericKernelsTest, ValueParametersKeepEachDtypesRounding) {
  // The same expression in every float dtype, with scalars that round differently in each.
  for (DType dt : {DType::kFloat16, DType::kBFloat16, DType::kFloat32, DType::kFloat64}) {
    SCOPED_TRACE(DTypeName(dt));
    const NDArray x = Ramp(64, dt);
    for (double s : {0.1, 1.0 / 3.0, 1e-3, 2.5e4}) {
      const NDArray y = x * s - s;
      const HostArray got = y.asnumpy();
      set_backend("interp");
      const HostArray want = (x * s - s).asnumpy();
      set_backend("cpu");
      ASSERT_EQ(got.nbytes(), want.nbytes());
      EXPECT_EQ(std::memcmp(got.raw_data(), want.raw_data(), got.nbytes()), 0) << s;
    }
  }
}

TEST_F(GenericKernelsTest, FullAndFillValuesAreParameters) {
  const NDArray x = Ramp(512);
  reset_stats();
  for (int i = 0; i < 5; ++i) {
    const float v = 1.5f + static_cast<float>(i);
    const NDArray f = nd::full({512}, v, DType::kFloat32);
    EXPECT_EQ((x + f).asnumpy().to_vector<float>()[3], 0.75f + v);
    if (i == 0) reset_stats();
  }
  EXPECT_EQ(stats().kernels_compiled, 0);
}

TEST_F(GenericKernelsTest, IntegerScalarsStaySpecialised) {
  // Documented: integer and bool constants are code (division and remainder by them compile to
  // multiplies), so each new divisor compiles; the results are exact either way.
  const NDArray n = nd::arange(0, 1000, 1);
  for (int64_t d : {3, 7, 10}) {
    const std::vector<int64_t> r = (n % d).asnumpy().to_vector<int64_t>();
    for (int64_t k = 0; k < 1000; k += 37) ASSERT_EQ(r[k], k % d) << d;
  }
}

TEST_F(GenericKernelsTest, TwentyLengthsCompileOneKernel) {
  // An empty array included: it runs no kernel, so it compiles none.
  std::vector<NDArray> xs;
  for (int64_t n : {0,   2,   3,   5,   8,   13,   21,   34,    55,     89,
                    144, 233, 377, 610, 987, 1597, 4096, 65537, 999999, 1 << 20}) {
    xs.push_back(Ramp(n));
  }
  reset_stats();
  for (const NDArray& x : xs) {
    const std::vector<float> y = (nd::tanh(x * 0.5f) + x).asnumpy().to_vector<float>();
    ASSERT_EQ(y.size(), static_cast<size_t>(x.size()));
    if (!y.empty()) {
      const float last = 0.25f * static_cast<float>(y.size() - 1);
      ASSERT_NEAR(y.back(), std::tanh(0.5f * last) + last, 1e-6 * (1 + last)) << y.size();
    }
  }
  EXPECT_EQ(stats().kernels_compiled, 1);
}

TEST_F(GenericKernelsTest, ADimOfOneIsStructureAndCompilesOncePerStructure) {
  // Documented (README, "Kernel IR"): a dim of 1 is a constant of the kernel, not a parameter.
  for (int64_t rows : {1, 2}) {
    const NDArray a = Ramp(rows * 3).reshape({rows, 3});
    (nd::tanh(a) * 2.0f + 1.0f).asnumpy();
  }
  reset_stats();
  for (int64_t rows : {1, 2, 7}) {
    const NDArray a = Ramp(rows * 3).reshape({rows, 3});
    const std::vector<float> y = (nd::tanh(a) * 2.0f + 1.0f).asnumpy().to_vector<float>();
    EXPECT_FLOAT_EQ(y[2], std::tanh(0.5f) * 2.0f + 1.0f);
  }
  EXPECT_EQ(stats().kernels_compiled, 0);
}

}  // namespace
}  // namespace ndjit
