// The CUDA driver, loaded at run time (dlopen of libcuda.so.1): device discovery, a context and a
// stream per device, device memory, modules and kernel launches.
//
// Builds and tests never need a GPU. Without one the driver explains why: "no CUDA driver found"
// (libcuda.so.1 cannot be loaded, or it is the CUDA toolkit's stub library, whose cuInit returns
// CUDA_ERROR_STUB_LIBRARY) or "no CUDA device" (the driver sees none). cuda_backend.h runs
// kernels on it for the engine.
#ifndef NDJIT_RUNTIME_CUDA_DRIVER_H_
#define NDJIT_RUNTIME_CUDA_DRIVER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace ndjit::runtime::cuda {

struct DeviceInfo {
  int ordinal = 0;
  std::string name;
  int major = 0, minor = 0;  // compute capability
  int multiprocessors = 0;
  int64_t total_memory = 0;  // bytes
  int sm() const { return major * 10 + minor; }
};

struct Entry;  // the driver's entry points (driver.cc)

class Driver {
 public:
  // The process's driver: libcuda.so.1 from the loader path, or the file named by
  // NDJIT_CUDA_DRIVER. Loaded and initialized once; the error says why there is no GPU.
  static absl::StatusOr<Driver*> Get();
  // A driver loaded from `path` (for tests of the failure modes).
  static absl::StatusOr<std::unique_ptr<Driver>> Load(const std::string& path);
  ~Driver();

  int version() const { return version_; }  // e.g. 13000
  const std::vector<DeviceInfo>& devices() const { return devices_; }

  // A device's primary context and its stream, made current on the calling thread. Errors for
  // an index out of range name the number of devices.
  class Device;
  absl::StatusOr<Device*> device(int ordinal);

 private:
  Driver() = default;
  std::unique_ptr<Entry> fn_;
  void* handle_ = nullptr;
  int version_ = 0;
  std::vector<DeviceInfo> devices_;
  std::mutex mu_;  // guards opened_
  std::vector<std::unique_ptr<Device>> opened_;
};

// Device memory, modules and launches on one device (all calls make its context current).
class Driver::Device {
 public:
  const DeviceInfo& info() const { return info_; }
  absl::StatusOr<uint64_t> Allocate(size_t bytes);
  absl::Status Free(uint64_t pointer);
  absl::Status CopyToDevice(uint64_t dst, const void* src, size_t bytes);
  absl::Status CopyToHost(void* dst, uint64_t src, size_t bytes);
  // Loads a CUBIN or PTX image and returns the named kernel(s) (the module stays loaded).
  absl::StatusOr<void*> LoadKernel(const std::string& image, const std::string& kernel);
  absl::StatusOr<std::vector<void*>> LoadKernels(const std::string& image,
                                                 const std::vector<std::string>& kernels);
  // Launches grid x (block, block_y) threads on the device's stream. `args` point at each kernel
  // argument's value.
  absl::Status Launch(void* kernel, int64_t grid, int block, absl::Span<void* const> args,
                      size_t shared_bytes = 0, int block_y = 1);
  // Occupancy: the largest block the kernel can run with (its registers decide), and how many
  // blocks of `threads` threads fit on one multiprocessor.
  absl::StatusOr<int> MaxThreadsPerBlock(void* kernel);
  absl::StatusOr<int> ActiveBlocksPerMultiprocessor(void* kernel, int threads);
  absl::Status Synchronize();

 private:
  friend class Driver;
  Device(const Entry* fn, DeviceInfo info) : fn_(fn), info_(std::move(info)) {}
  absl::Status MakeCurrent();
  const Entry* fn_;
  DeviceInfo info_;
  void* context_ = nullptr;
  void* stream_ = nullptr;
  std::mutex modules_mu_;
  std::vector<void*> modules_;
};

}  // namespace ndjit::runtime::cuda

#endif  // NDJIT_RUNTIME_CUDA_DRIVER_H_
