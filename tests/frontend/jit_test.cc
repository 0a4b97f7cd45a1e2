// The CPU JIT through the public API: fusion, the kernel cache, buffers, errors and switches.
// Every assertion is on counters (kernels, buffers, bytes), never on time.
#include <cmath>
#include <cstdint>
#include <vector>

#include "gtest/gtest.h"
#include "ndjit/ndjit.h"
#include "tests/test_util.h"

namespace ndjit {
namespace {

using testing::Values;

// Restores the process-wide switches after each test.
class JitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    set_backend("cpu");
    set_eager(false);
    waitall();
    reset_stats();
  }
  void TearDown() override {
    set_backend("cpu");
    set_eager(false);
  }
};

std::vector<float> Floats(int n, float scale) {
  std::vector<float> v(n);
  for (int i = 0; i < n; ++i) v[i] = scale * static_cast<float>(i % 97) - 3.0f;
  return v;
}

TEST_F(JitTest, ElementwiseChainIsOneKernelWithNoIntermediateBuffers) {
  const int n = 1 << 16;
  NDArray a = nd::array(Floats(n, 0.01f), {n});
  NDArray b = nd::array(Floats(n, 0.02f), {n});
  NDArray c = nd::array(Floats(n, 0.03f), {n});
  waitall();
  reset_stats();
  NDArray y = nd::exp(a) * b + c - 1.0f;
  y.wait_to_read();
  const Stats s = stats();
  EXPECT_EQ(s.kernels_launched, 1);
  EXPECT_EQ(s.buffers_allocated, 1);  // the result only
  EXPECT_EQ(s.bytes_allocated, int64_t{n} * 4);
  const HostArray h = y.asnumpy();
  const std::vector<float> av = Floats(n, 0.01f), bv = Floats(n, 0.02f), cv = Floats(n, 0.03f);
  for (int i = 0; i < n; i += 997) {
    const double want = std::exp(double(av[i])) * bv[i] + cv[i] - 1.0;
    EXPECT_NEAR(h.element_as_double(i), want, 1e-5 * std::max(1.0, std::fabs(want))) << i;
  }
}

TEST_F(JitTest, ViewsFeedingElementwiseOpsAreIndexArithmetic) {
  NDArray x = nd::array(Floats(4 * 6, 0.5f), {4, 6});
  NDArray row = nd::array(Floats(6, 1.0f), {6});
  waitall();
  reset_stats();
  // transpose, a stepped slice, a broadcast row and a pad, all in one loop over the output.
  // (Intermediates are not named: a live handle to one would be stored too.)
  NDArray y = nd::pad(nd::transpose(x).slice({Slice(None, None, 2), Slice(1, None)}) + 1.0f,
                      {{1, 0}, {0, 2}}, nd::PadMode::kConstant, 7.0f) *
              2.0f;
  NDArray z = x + row;  // broadcast
  waitall();
  EXPECT_EQ(stats().kernels_launched, 2);
  EXPECT_EQ(stats().buffers_allocated, 2);
  set_backend("interp");
  NDArray y2 = nd::pad(nd::transpose(x).slice({Slice(None, None, 2), Slice(1, None)}) + 1.0f,
                       {{1, 0}, {0, 2}}, nd::PadMode::kConstant, 7.0f) *
               2.0f;
  EXPECT_EQ(Values(y.asnumpy()), Values(y2.asnumpy()));
  EXPECT_EQ(Values(z.asnumpy()), Values((x + row).asnumpy()));
}

TEST_F(JitTest, ReductionAbsorbsProducersAndEpilogue) {
  NDArray a = nd::array(Floats(1000, 0.01f), {10, 100});
  NDArray b = nd::array(Floats(1000, 0.02f), {10, 100});
  waitall();
  reset_stats();
  // mean((a - b)^2, axis 1) * 3: producers, the reduction and the epilogue in one kernel.
  NDArray m = nd::mean(nd::square(a - b), 1) * 3.0f;
  m.wait_to_read();
  EXPECT_EQ(stats().kernels_launched, 1);
  EXPECT_EQ(stats().buffers_allocated, 1);
}

TEST_F(JitTest, SecondMaterializationWithOtherSizesCompilesNothing) {
  auto run = [](int64_t rows, int64_t cols) {
    NDArray x = nd::random::uniform(-1, 1, {rows, cols}, 7);
    NDArray y = nd::sum(nd::tanh(x) * 2.0f + 1.0f, 1);
    return y.asnumpy();
  };
  run(8, 16);
  const Stats first = stats();
  EXPECT_GT(first.kernels_compiled, 0);
  reset_stats();
  run(33, 1000);
  run(5, 3);
  const Stats later = stats();
  EXPECT_EQ(later.kernels_compiled, 0);
  EXPECT_EQ(later.kernel_cache_hits, 2 * first.kernels_launched);
}

TEST_F(JitTest, RepeatedMaterializationsReusePooledBuffers) {
  const int n = 1 << 18;
  NDArray a = nd::array(Floats(n, 0.01f), {n});
  waitall();
  auto once = [&] {
    NDArray y = a * 2.0f + 1.0f;  // the temporary a * 2 is gone before the read
    y.wait_to_read();
  };
  for (int i = 0; i < 3; ++i) once();  // warm the pool
  reset_stats();
  for (int i = 0; i < 10; ++i) once();
  EXPECT_EQ(stats().buffers_allocated, 10);
  EXPECT_EQ(stats().bytes_fresh, 0);  // every buffer came from the pool
}

// exp(a) is stored (two kernels read it); the reduction runs first, then log reads it for the
// last time, point by point, and writes its result over it: two buffers, not three.
NDArray SumAndLog(const NDArray& a, NDArray* sum) {
  NDArray t = nd::exp(a);
  *sum = nd::sum(t);
  return nd::log(t);
}

TEST_F(JitTest, LastElementwiseReaderWritesInPlace) {
  const int n = 1 << 14;
  NDArray a = nd::array(Floats(n, 0.01f), {n});
  waitall();
  reset_stats();
  NDArray sum;
  NDArray y = SumAndLog(a, &sum);
  waitall();
  EXPECT_EQ(stats().kernels_launched, 3);
  EXPECT_EQ(stats().buffers_allocated, 2);
  EXPECT_EQ(stats().bytes_allocated, int64_t{n} * 4 + 4);
  // The input array is never written over, and the values are the interpreter's.
  const std::vector<float> av = Floats(n, 0.01f);
  EXPECT_EQ(Values(a.asnumpy()), std::vector<double>(av.begin(), av.end()));
  set_backend("interp");
  NDArray sum2;
  NDArray y2 = SumAndLog(a, &sum2);
  const std::vector<double> got = Values(y.asnumpy()), want = Values(y2.asnumpy());
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-6) << i;
  EXPECT_NEAR(sum.asscalar<double>(), sum2.asscalar<double>(), 1e-3);
}

TEST_F(JitTest, GatherIndexOutOfRangeIsAnErrorAtTheAccessor) {
  NDArray data = nd::array(std::vector<float>{1, 2, 3}, {3});
  // Pending indices: the frontend cannot check them, the kernel does.
  NDArray idx = nd::array(std::vector<int32_t>{0, 5, -1}, {3}) * 1;
  NDArray y = nd::take(data, idx) * 2.0f;
  EXPECT_NDJIT_THROWS(y.asnumpy(), ValueError, "index 5 is out of bounds for axis 0 with size 3");
}

TEST_F(JitTest, EveryGatherIndexIsCheckedEvenIfOnlySomeResultsAreRead) {
  NDArray data = nd::array(std::vector<float>{1, 2, 3, 4}, {4});
  NDArray idx = nd::array(std::vector<int64_t>{0, 99}, {2}) * int64_t{1};
  // Only element 0 of the gather is needed, but index 99 must still be reported.
  NDArray y = nd::take(data, idx).slice({Slice(0, 1)}) + 1.0f;
  EXPECT_NDJIT_THROWS(y.asnumpy(), ValueError, "index 99 is out of bounds for axis 0 with size 4");
}

TEST_F(JitTest, GatherErrorNamesTheGatherThatFailed) {
  NDArray small = nd::array(std::vector<float>{1, 2, 3, 4, 5}, {5});
  NDArray big = nd::arange(0, 20, 1, DType::kFloat32);
  NDArray ok = nd::array(std::vector<int64_t>{1, 2}, {2}) * int64_t{1};
  NDArray bad = nd::array(std::vector<int64_t>{3, 25}, {2}) * int64_t{1};  // pending
  const int line = __LINE__ + 1;
  NDArray y = nd::take(small, ok) + nd::take(big, bad);
  EXPECT_NDJIT_THROWS(y.asnumpy(), ValueError,
                      "index 25 is out of bounds for axis 0 with size 20 (node %");
  try {
    y.asnumpy();
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find(testing::ThisFile() + ":" + std::to_string(line)),
              std::string::npos)
        << e.what();
  }
}

TEST_F(JitTest, BackendSwitch) {
  EXPECT_EQ(backend(), "cpu");
  set_backend("interp");
  EXPECT_EQ(backend(), "interp");
  reset_stats();
  (nd::ones({4}) + 1.0f).wait_to_read();
  EXPECT_EQ(stats().kernels_launched, 0);  // the interpreter ran it
  try {
    set_backend("tpu");
    ADD_FAILURE() << "no error";
  } catch (const ValueError& e) {
    EXPECT_STREQ(e.what(), "set_backend: unknown backend \"tpu\": expected cpu or interp");
  }
  // "cuda" names no backend switch: an array's context decides where it runs.
  try {
    set_backend("cuda");
    ADD_FAILURE() << "no error";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("arrays on gpu(i) always run on the CUDA backend"),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(backend(), "interp");  // unchanged by the refused names
  try {
    set_num_threads(0);
    ADD_FAILURE() << "no error";
  } catch (const ValueError& e) {
    EXPECT_STREQ(e.what(), "set_num_threads(0): expected an integer in [1, 1024]");
  }
}

TEST_F(JitTest, EagerModeComputesEachPrimitiveAtOnce) {
  NDArray a = nd::array(Floats(64, 0.1f), {64});
  waitall();
  set_eager(true);
  reset_stats();
  NDArray y = nd::exp(a) * 2.0f + 1.0f;  // exp, (constant), mul, (constant), add
  EXPECT_EQ(stats().materializations, stats().nodes_recorded);
  EXPECT_GE(stats().kernels_launched, 3);
  set_eager(false);
  NDArray z = nd::exp(a) * 2.0f + 1.0f;
  EXPECT_EQ(Values(y.asnumpy()), Values(z.asnumpy()));
}

TEST_F(JitTest, EagerModeThrowsAtTheOpCall) {
  NDArray data = nd::array(std::vector<float>{1, 2, 3}, {3});
  NDArray idx = nd::array(std::vector<int64_t>{3}, {1}) * int64_t{1};
  waitall();
  set_eager(true);
  EXPECT_NDJIT_THROWS(nd::take(data, idx), ValueError, "index 3 is out of bounds");
}

TEST_F(JitTest, ThreadCountDoesNotChangeResults) {
  NDArray x = nd::random::normal(0, 1, {300, 257}, 3);
  waitall();
  set_num_threads(1);
  const std::vector<double> one = Values((nd::softmax(x, 1) + nd::sum(x, 0)).asnumpy());
  set_num_threads(2);
  const std::vector<double> two = Values((nd::softmax(x, 1) + nd::sum(x, 0)).asnumpy());
  EXPECT_EQ(one, two);  // bit for bit
}

}  // namespace
}  // namespace ndjit

namespace ndjit {
namespace {

// A row kernel whose reduction and loop share two or three expensive values, written as users
// write it: a named intermediate in a function, the result read with asnumpy. Each must match
// the interpreter (the CPU JIT once read exp(b) for exp(a) from the one slot of the output row).
TEST_F(JitTest, RowKernelsSharingExpensiveValuesMatchTheInterpreter) {
  using Fn = NDArray (*)(const NDArray&, const NDArray&);
  const std::vector<std::pair<const char*, Fn>> cases = {
      {"x - mean(x), x = exp(a) + exp(b)",
       [](const NDArray& a, const NDArray& b) {
         NDArray x = nd::exp(a) + nd::exp(b);
         return x - nd::mean(x, {1}, true);
       }},
      {"x - mean(x), x = exp(a) * exp(b)",
       [](const NDArray& a, const NDArray& b) {
         NDArray x = nd::exp(a) * nd::exp(b);
         return x - nd::mean(x, {1}, true);
       }},
      {"x - mean(x), x = sqrt(abs(a)) + sqrt(abs(b))",
       [](const NDArray& a, const NDArray& b) {
         NDArray x = nd::sqrt(nd::abs(a)) + nd::sqrt(nd::abs(b));
         return x - nd::mean(x, {1}, true);
       }},
      {"x / max(x), x = tanh(a) + tanh(a / 2) + exp(b)",
       [](const NDArray& a, const NDArray& b) {
         NDArray x = nd::tanh(a) + nd::tanh(a / 2.0f) + nd::exp(b);
         return x / nd::max(x, {1}, true);
       }},
  };
  for (int64_t cols : {3, 8, 17, 64, 300}) {
    for (const auto& [name, f] : cases) {
      SCOPED_TRACE(::testing::Message() << name << ", rows of " << cols);
      NDArray a = nd::random::uniform(-2.0, 2.0, {64, cols}, 1841);
      NDArray b = nd::random::uniform(-2.0, 2.0, {64, cols}, 1843);
      a.wait_to_read();
      b.wait_to_read();
      set_backend("cpu");
      reset_stats();
      const HostArray got = f(a, b).asnumpy();
      EXPECT_EQ(stats().kernels_launched, 1);  // one row kernel computes every shared value
      set_backend("interp");
      const HostArray want = f(a, b).asnumpy();
      set_backend("cpu");
      ASSERT_EQ(got.size(), want.size());
      double worst = 0;
      for (int64_t i = 0; i < want.size(); ++i) {
        const double w = want.element_as_double(i), g = got.element_as_double(i);
        worst = std::max(worst, std::fabs(g - w) / (1 + std::fabs(w)));
      }
      EXPECT_LT(worst, 1e-5);
    }
  }
}

}  // namespace
}  // namespace ndjit
