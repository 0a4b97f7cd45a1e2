// The CUDA pieces that need no GPU (NVRTC compiling for sm_80 and sm_90, the driver's failure
// modes), and a device round trip that runs where a GPU is present and skips cleanly elsewhere.
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "codegen/cuda/nvrtc.h"
#include "gtest/gtest.h"
#include "runtime/cuda/driver.h"

namespace ndjit {
namespace {

namespace cg = codegen::cuda;
using runtime::cuda::Driver;

// A hand-written grid-stride kernel with 64-bit indexing (the renderer's own kernels are in
// cuda_source_test.cc and cuda_emulation_test.cc).
constexpr char kSaxpy[] = R"(
extern "C" __global__ void saxpy(float a, const float* __restrict__ x, float* __restrict__ y,
                                 long long n) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n;
       i += (long long)blockDim.x * gridDim.x) {
    y[i] = a * x[i] + y[i];
  }
}
)";

bool HaveNvrtc() {
  absl::StatusOr<std::string> v = cg::NvrtcVersion();
  if (!v.ok()) std::printf("NVRTC unavailable: %s\n", std::string(v.status().message()).c_str());
  return v.ok();
}

TEST(NvrtcTest, CompilesToCubinForSm80AndSm90) {
  if (!HaveNvrtc()) GTEST_SKIP() << "skipped: NVRTC not found";
  for (int sm : {80, 90}) {
    SCOPED_TRACE(sm);
    absl::StatusOr<cg::CudaImage> image =
        cg::Compile(kSaxpy, "saxpy.cu", sm, {"--ptxas-options=-v"});
    ASSERT_TRUE(image.ok()) << image.status();
    EXPECT_TRUE(image->cubin);
    EXPECT_EQ(image->target, "sm_" + std::to_string(sm));
    ASSERT_GE(image->image.size(), 4u);
    EXPECT_EQ(image->image.substr(0, 4),
              "\x7f"
              "ELF");  // a CUBIN is an ELF file
    // ptxas's resource usage (registers, spills) is part of the test log.
    EXPECT_NE(image->log.find("registers"), std::string::npos) << image->log;
    std::printf("sm_%d: %s\n", sm, image->log.c_str());
  }
}

TEST(NvrtcTest, ANewerArchitectureGetsPtxOfTheNewestKnownOne) {
  if (!HaveNvrtc()) GTEST_SKIP() << "skipped: NVRTC not found";
  absl::StatusOr<std::vector<int>> archs = cg::SupportedArchs();
  ASSERT_TRUE(archs.ok()) << archs.status();
  ASSERT_FALSE(archs->empty());
  absl::StatusOr<cg::CudaImage> image = cg::Compile(kSaxpy, "saxpy.cu", archs->back() + 1000);
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_FALSE(image->cubin);
  EXPECT_EQ(image->target, "compute_" + std::to_string(archs->back()));
  EXPECT_NE(image->image.find(".entry saxpy"), std::string::npos);
}

TEST(NvrtcTest, ErrorsCarryTheLog) {
  if (!HaveNvrtc()) GTEST_SKIP() << "skipped: NVRTC not found";
  absl::StatusOr<cg::CudaImage> bad =
      cg::Compile("extern \"C\" __global__ void k() { undefined_name = 1; }", "bad.cu", 90);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string message(bad.status().message());
  EXPECT_NE(message.find("NVRTC could not compile bad.cu for sm_90"), std::string::npos) << message;
  EXPECT_NE(message.find("undefined_name"), std::string::npos) << message;
  absl::StatusOr<cg::CudaImage> old = cg::Compile(kSaxpy, "saxpy.cu", 30);
  ASSERT_FALSE(old.ok());
  EXPECT_NE(std::string(old.status().message()).find("sm_30 is older than NVRTC supports"),
            std::string::npos)
      << old.status();
}

TEST(CudaDriverTest, AMissingLibraryIsNoCudaDriver) {
  absl::StatusOr<std::unique_ptr<Driver>> d = Driver::Load("/nonexistent/libcuda.so.1");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(std::string(d.status().message()).find("no CUDA driver found"), std::string::npos)
      << d.status();
}

TEST(CudaDriverTest, TheToolkitsStubLibraryIsNoCudaDriver) {
  const std::string stub = "/usr/local/cuda/lib64/stubs/libcuda.so";
  if (!std::filesystem::exists(stub)) GTEST_SKIP() << "skipped: no toolkit stub at " << stub;
  absl::StatusOr<std::unique_ptr<Driver>> d = Driver::Load(stub);
  ASSERT_FALSE(d.ok());
  const std::string message(d.status().message());
  EXPECT_NE(message.find("no CUDA driver found"), std::string::npos) << message;
  EXPECT_NE(message.find("stub library"), std::string::npos) << message;
}

TEST(CudaDriverTest, RunsAKernelOnTheDeviceWhenThereIsOne) {
  absl::StatusOr<Driver*> driver = Driver::Get();
  if (!driver.ok()) GTEST_SKIP() << "skipped: no CUDA device (" << driver.status().message() << ")";
  ASSERT_TRUE(HaveNvrtc());
  Driver& d = **driver;
  ASSERT_FALSE(d.devices().empty());
  absl::StatusOr<Driver::Device*> bad = d.device(static_cast<int>(d.devices().size()));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(std::string(bad.status().message()).find("does not exist"), std::string::npos);
  absl::StatusOr<Driver::Device*> device = d.device(0);
  ASSERT_TRUE(device.ok()) << device.status();
  const runtime::cuda::DeviceInfo& info = (*device)->info();
  std::printf("device 0: %s, sm_%d, %d SMs, %lld MiB, driver %d\n", info.name.c_str(), info.sm(),
              info.multiprocessors, static_cast<long long>(info.total_memory >> 20), d.version());
  absl::StatusOr<cg::CudaImage> image = cg::Compile(kSaxpy, "saxpy.cu", info.sm());
  ASSERT_TRUE(image.ok()) << image.status();
  absl::StatusOr<void*> kernel = (*device)->LoadKernel(image->image, "saxpy");
  ASSERT_TRUE(kernel.ok()) << kernel.status();
  const long long n = (1 << 20) + 3;  // not a multiple of the block
  std::vector<float> x(n), y(n);
  for (long long i = 0; i < n; ++i) {
    x[i] = static_cast<float>(i % 1000);
    y[i] = 1.0f;
  }
  const size_t bytes = n * sizeof(float);
  absl::StatusOr<uint64_t> dx = (*device)->Allocate(bytes), dy = (*device)->Allocate(bytes);
  ASSERT_TRUE(dx.ok() && dy.ok());
  ASSERT_TRUE((*device)->CopyToDevice(*dx, x.data(), bytes).ok());
  ASSERT_TRUE((*device)->CopyToDevice(*dy, y.data(), bytes).ok());
  float a = 2.0f;
  uint64_t px = *dx, py = *dy;
  long long count = n;
  void* args[] = {&a, &px, &py, &count};
  ASSERT_TRUE((*device)->Launch(*kernel, 4 * info.multiprocessors, 256, args).ok());
  std::vector<float> out(n);
  ASSERT_TRUE((*device)->CopyToHost(out.data(), *dy, bytes).ok());
  long long wrong = 0;
  for (long long i = 0; i < n; ++i) wrong += out[i] != 2.0f * x[i] + 1.0f;
  EXPECT_EQ(wrong, 0);
  EXPECT_TRUE((*device)->Free(*dx).ok());
  EXPECT_TRUE((*device)->Free(*dy).ok());
}

}  // namespace
}  // namespace ndjit
