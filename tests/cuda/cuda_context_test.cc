// Contexts with a test driver (tests/cuda/fake_cuda_driver.cc, loaded through NDJIT_CUDA_DRIVER
// before anything else runs): two devices that cannot run anything. Arrays can be placed on
// gpu(0); the context rules and the errors are checked without a GPU.
#include <cstdlib>
#include <string>

#include "gtest/gtest.h"
#include "ndjit/ndjit.h"
#include "runtime/cuda/cuda_backend.h"

namespace ndjit {
namespace {

const bool kUseTestDriver = [] {
  setenv("NDJIT_CUDA_DRIVER", NDJIT_FAKE_CUDA_DRIVER, 1);
  return true;
}();

std::string Message(const std::exception& e) { return e.what(); }

TEST(CudaContextTest, DevicesAndIndices) {
  ASSERT_TRUE(kUseTestDriver);
  EXPECT_EQ(num_gpus(), 2);
  EXPECT_EQ(gpu(1).str(), "gpu(1)");
  EXPECT_TRUE(gpu(0).is_gpu());
  EXPECT_EQ(gpu(0).device_type(), Context::DeviceType::kGPU);
  EXPECT_EQ(cpu().str(), "cpu(0)");
  EXPECT_NE(cpu(), gpu(0));
  try {
    gpu(2);
    FAIL() << "gpu(2) should throw";
  } catch (const ValueError& e) {
    EXPECT_EQ(Message(e), "gpu(2): there are 2 CUDA devices, gpu(0) to gpu(1)");
  }
  EXPECT_THROW(gpu(-1), ValueError);
  try {
    cpu(1);
    FAIL() << "cpu(1) should throw";
  } catch (const ValueError& e) {
    EXPECT_NE(Message(e).find("ndjit has one CPU context, cpu(0)"), std::string::npos);
  }
}

TEST(CudaContextTest, ArraysKnowTheirContextAndResultsInheritIt) {
  NDArray a = nd::ones({2, 3}, DType::kFloat32, gpu(0));
  EXPECT_EQ(a.context(), gpu(0));
  NDArray b = nd::exp(a) * a + 1.0f;
  EXPECT_EQ(b.context(), gpu(0));
  NDArray c = nd::zeros({2, 3});
  EXPECT_EQ(c.context(), cpu());
  EXPECT_EQ(c.as_in_context(gpu(1)).context(), gpu(1));
  EXPECT_EQ(a.copyto(cpu()).context(), cpu());
  // as_in_context on the same context is the array itself; copyto always copies.
  NDArray same = c.as_in_context(cpu());
  same += 1.0f;
  EXPECT_EQ(c.asnumpy().data<float>()[0], 1.0f);
  EXPECT_EQ(nd::full({2}, 3.0, DType::kFloat64, gpu(1)).context(), gpu(1));
}

TEST(CudaContextTest, MixingContextsIsAnErrorNamingBoth) {
  NDArray g = nd::ones({2, 3}, DType::kFloat32, gpu(0));
  NDArray h = nd::array(std::vector<float>(6, 1.0f), {2, 3});  // host data: on cpu(0)
  // Arrays built only from constants can be computed anywhere, so they mix with any context.
  EXPECT_EQ((g + nd::ones({2, 3})).context(), gpu(0));
  try {
    NDArray bad = g + h;
    FAIL() << "mixed contexts should throw";
  } catch (const ValueError& e) {
    const std::string m = Message(e);
    EXPECT_NE(m.find("operands are on different contexts, gpu(0) and cpu(0)"), std::string::npos)
        << m;
    EXPECT_NE(m.find("copyto(ctx) or as_in_context(ctx)"), std::string::npos) << m;
    EXPECT_NE(m.find("cuda_context_test.cc"), std::string::npos) << m;  // the user's line
  }
  NDArray g1 = nd::ones({2, 3}, DType::kFloat32, gpu(1));
  EXPECT_THROW(g + g1, ValueError);
  // Moving one operand first is fine.
  EXPECT_EQ((g + h.as_in_context(gpu(0))).context(), gpu(0));
  // copyto(dst) between contexts moves the values to dst's context.
  NDArray dst = nd::zeros({2, 3});
  g.copyto(dst);
  EXPECT_EQ(dst.context(), cpu());
}

TEST(CudaContextTest, ADeviceThatCannotRunReportsTheDriversError) {
  NDArray g = nd::ones({4}, DType::kFloat32, gpu(0)) * 2.0f;
  const Stats before = stats();
  try {
    g.asnumpy();
    FAIL() << "the test device cannot run kernels";
  } catch (const Error& e) {
    const std::string m = Message(e);
    EXPECT_NE(m.find("CUDA_ERROR_NOT_SUPPORTED"), std::string::npos) << m;
  }
  // Nothing ran on the host instead.
  EXPECT_EQ(runtime::cuda::GetDeviceCounters().launches, 0);
  const Stats after = stats();
  EXPECT_EQ(after.kernels_launched, before.kernels_launched);
  EXPECT_EQ(after.kernels_compiled, before.kernels_compiled);
  // A copy between the two devices is two tasks, one per device: the error is the driver's.
  NDArray h = nd::array(std::vector<float>{1, 2, 3}, {3});
  NDArray on1 = h.as_in_context(gpu(0)).as_in_context(gpu(1));
  try {
    on1.asnumpy();
    FAIL() << "the test device cannot run kernels";
  } catch (const Error& e) {
    EXPECT_NE(Message(e).find("CUDA_ERROR_NOT_SUPPORTED"), std::string::npos) << Message(e);
  }
  // Host work flushed together with failing device work is computed on the host.
  NDArray cpu_side = nd::array(std::vector<float>{1, 2}, {2}) * 3.0f;
  NDArray gpu_side = nd::ones({2}, DType::kFloat32, gpu(0)) * 3.0f;
  try {
    waitall();
  } catch (const Error&) {
    // the gpu work's error
  }
  EXPECT_EQ(cpu_side.asnumpy().data<float>()[1], 6.0f);
  EXPECT_THROW(gpu_side.asnumpy(), Error);
  // The host is unaffected.
  EXPECT_EQ(nd::ones({2}).asnumpy().data<float>()[1], 1.0f);
}

// A long chain of copies between contexts becomes one task per crossing, submitted without
// recursing once per crossing (a deep chain must not exhaust the stack).
TEST(CudaContextTest, ALongChainOfCopiesBetweenContexts) {
  NDArray x = nd::array(std::vector<float>{1, 2}, {2});
  for (int i = 0; i < 3000; ++i) x = x.copyto(gpu(i % 2)) * 2.0f;
  EXPECT_EQ(x.context(), gpu(1));
  NDArray back = x.copyto(cpu());
  EXPECT_THROW(back.asnumpy(), Error);  // the test device cannot run; the host copy fails too
  EXPECT_THROW(waitall(), Error);       // the crossings' own errors, reported once
  NDArray fine = nd::array(std::vector<float>{1, 2}, {2}) + 1.0f;
  EXPECT_EQ(fine.asnumpy().data<float>()[1], 3.0f);
}

TEST(CudaContextTest, ViewsGradientsAndCopiesKeepTheirContext) {
  NDArray g = nd::ones({2, 3}, DType::kFloat32, gpu(0));
  NDArray v = g.reshape({6});
  EXPECT_EQ(v.context(), gpu(0));
  EXPECT_EQ((v + g.reshape({6})).context(), gpu(0));
  // A write through a view keeps the variable on its context.
  v += 1.0f;
  EXPECT_EQ(g.context(), gpu(0));
  EXPECT_EQ(g.detach().context(), gpu(0));
  // Recorded reads of a differentiation variable, and its gradient, stay on its context.
  NDArray w = nd::ones({3}, DType::kFloat32, gpu(0));
  w.attach_grad();
  {
    autograd::Record record;
    NDArray y = nd::sum(w * w);
    EXPECT_EQ(y.context(), gpu(0));
    y.backward();
  }
  EXPECT_EQ(w.grad().context(), gpu(0));
  // Library-made index leaves (take with host indices, pad modes) mix with any context.
  NDArray taken = nd::take(g, nd::array(std::vector<int64_t>{1, 0}, {2}).as_in_context(gpu(0)), 0);
  EXPECT_EQ(taken.context(), gpu(0));
  EXPECT_EQ(nd::pad(g, {{1, 1}, {0, 0}}, nd::PadMode::kEdge).context(), gpu(0));
  // copyto onto a GPU array keeps it there, whatever the source's context.
  NDArray dst = nd::zeros({2, 3}, DType::kFloat32, gpu(0));
  nd::ones({2, 3}).copyto(dst);
  EXPECT_EQ(dst.context(), gpu(0));
  nd::array(std::vector<float>(6, 2.0f), {2, 3}).copyto(dst);
  EXPECT_EQ(dst.context(), gpu(0));
  NDArray host = nd::zeros({2, 3});
  dst.copyto(host);
  EXPECT_EQ(host.context(), cpu());
}

}  // namespace
}  // namespace ndjit
