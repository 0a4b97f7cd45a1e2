// Kernels on a GPU for the engine: the executor's KernelBackend (runtime/executor.h) for one
// device. Each kernel is rendered to CUDA C++ (codegen/cuda/cuda_source.h), compiled by NVRTC for
// the device's architecture through the compile cache (memory and disk), loaded once, and
// launched with a block size from the driver's occupancy calculation.
//
// Placement (partial): arrays live in host memory between evaluations, as every other array
// does; a kernel's launch copies its buffers to the device, runs, and copies its outputs back
// (through a caching device allocator, so device memory is reused across launches). Keeping
// intermediates resident on the device is the next step; DESIGN.md's engine has one buffer per
// value, on the host.
#ifndef NDJIT_RUNTIME_CUDA_CUDA_BACKEND_H_
#define NDJIT_RUNTIME_CUDA_CUDA_BACKEND_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "runtime/executor.h"

namespace ndjit::runtime::cuda {

// The backend for GPU `device` (errors: no driver, no device, an index out of range).
absl::StatusOr<KernelBackend> DeviceBackend(int device);

struct DeviceCounters {
  int64_t launches = 0;
  int64_t allocations = 0;     // cuMemAlloc calls
  int64_t allocator_hits = 0;  // allocations served from the cache
};
DeviceCounters GetDeviceCounters();

}  // namespace ndjit::runtime::cuda

#endif  // NDJIT_RUNTIME_CUDA_CUDA_BACKEND_H_
