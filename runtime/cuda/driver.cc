// The CUDA driver through dlopen (see driver.h). cuda.h gives the types and prototypes; no
// symbol of libcuda is linked.
#include "runtime/cuda/driver.h"

#include <cuda.h>
#include <dlfcn.h>

#include <cstdlib>
#include <mutex>

#include "absl/strings/str_cat.h"

namespace ndjit::runtime::cuda {

// The entry points, bound by their versioned names (cuda.h maps e.g. cuMemAlloc to
// cuMemAlloc_v2; decltype sees the same mapping).
struct Entry {
  decltype(&cuInit) init = nullptr;
  decltype(&cuDriverGetVersion) driver_version = nullptr;
  decltype(&cuGetErrorName) error_name = nullptr;
  decltype(&cuGetErrorString) error_string = nullptr;
  decltype(&cuDeviceGetCount) device_count = nullptr;
  decltype(&cuDeviceGet) device_get = nullptr;
  decltype(&cuDeviceGetName) device_name = nullptr;
  decltype(&cuDeviceGetAttribute) device_attribute = nullptr;
  decltype(&cuDeviceTotalMem) total_mem = nullptr;
  decltype(&cuDevicePrimaryCtxRetain) primary_retain = nullptr;
  decltype(&cuDevicePrimaryCtxRelease) primary_release = nullptr;
  decltype(&cuCtxSetCurrent) set_current = nullptr;
  decltype(&cuStreamCreate) stream_create = nullptr;
  decltype(&cuStreamDestroy) stream_destroy = nullptr;
  decltype(&cuStreamSynchronize) stream_sync = nullptr;
  decltype(&cuMemAlloc) mem_alloc = nullptr;
  decltype(&cuMemFree) mem_free = nullptr;
  decltype(&cuMemcpyHtoD) htod = nullptr;
  decltype(&cuMemcpyDtoH) dtoh = nullptr;
  decltype(&cuMemcpyHtoDAsync) htod_async = nullptr;
  decltype(&cuMemcpyDtoHAsync) dtoh_async = nullptr;
  decltype(&cuModuleLoadData) module_load = nullptr;
  decltype(&cuModuleUnload) module_unload = nullptr;
  decltype(&cuModuleGetFunction) module_function = nullptr;
  decltype(&cuLaunchKernel) launch = nullptr;
  decltype(&cuFuncGetAttribute) func_attribute = nullptr;
  decltype(&cuOccupancyMaxActiveBlocksPerMultiprocessor) occupancy = nullptr;
};

namespace {

std::string ErrorText(const Entry& fn, CUresult r) {
  const char* name = nullptr;
  const char* text = nullptr;
  if (fn.error_name != nullptr) fn.error_name(r, &name);
  if (fn.error_string != nullptr) fn.error_string(r, &text);
  return absl::StrCat(name != nullptr ? name : "CUDA error", " (", static_cast<int>(r), ")",
                      text != nullptr ? absl::StrCat(": ", text) : std::string());
}

absl::Status Check(const Entry& fn, CUresult r, const char* what) {
  if (r == CUDA_SUCCESS) return absl::OkStatus();
  return absl::InternalError(absl::StrCat(what, " failed: ", ErrorText(fn, r)));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Driver>> Driver::Load(const std::string& path) {
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* e = dlerror();
    return absl::NotFoundError(absl::StrCat("no CUDA driver found (", path,
                                            " could not be loaded: ", e != nullptr ? e : "?", ")"));
  }
  std::unique_ptr<Driver> d(new Driver());
  d->handle_ = handle;
  d->fn_ = std::make_unique<Entry>();
  Entry& fn = *d->fn_;
  std::string missing;
  auto bind = [&](auto& f, const char* symbol) {
    f = reinterpret_cast<std::remove_reference_t<decltype(f)>>(dlsym(handle, symbol));
    if (f == nullptr) absl::StrAppend(&missing, missing.empty() ? "" : ", ", symbol);
  };
  bind(fn.init, "cuInit");
  bind(fn.driver_version, "cuDriverGetVersion");
  bind(fn.error_name, "cuGetErrorName");
  bind(fn.error_string, "cuGetErrorString");
  bind(fn.device_count, "cuDeviceGetCount");
  bind(fn.device_get, "cuDeviceGet");
  bind(fn.device_name, "cuDeviceGetName");
  bind(fn.device_attribute, "cuDeviceGetAttribute");
  bind(fn.total_mem, "cuDeviceTotalMem_v2");
  bind(fn.primary_retain, "cuDevicePrimaryCtxRetain");
  bind(fn.primary_release, "cuDevicePrimaryCtxRelease_v2");
  bind(fn.set_current, "cuCtxSetCurrent");
  bind(fn.stream_create, "cuStreamCreate");
  bind(fn.stream_destroy, "cuStreamDestroy_v2");
  bind(fn.stream_sync, "cuStreamSynchronize");
  bind(fn.mem_alloc, "cuMemAlloc_v2");
  bind(fn.mem_free, "cuMemFree_v2");
  bind(fn.htod, "cuMemcpyHtoD_v2");
  bind(fn.dtoh, "cuMemcpyDtoH_v2");
  bind(fn.htod_async, "cuMemcpyHtoDAsync_v2");
  bind(fn.dtoh_async, "cuMemcpyDtoHAsync_v2");
  bind(fn.module_load, "cuModuleLoadData");
  bind(fn.module_unload, "cuModuleUnload");
  bind(fn.module_function, "cuModuleGetFunction");
  bind(fn.launch, "cuLaunchKernel");
  bind(fn.func_attribute, "cuFuncGetAttribute");
  bind(fn.occupancy, "cuOccupancyMaxActiveBlocksPerMultiprocessor");
  if (!missing.empty()) {
    return absl::NotFoundError(
        absl::StrCat("no CUDA driver found (", path, " lacks ", missing, ")"));
  }
  const CUresult init = fn.init(0);
  if (init == CUDA_ERROR_STUB_LIBRARY) {
    return absl::NotFoundError(absl::StrCat(
        "no CUDA driver found (", path,
        " is the CUDA toolkit's stub library, CUDA_ERROR_STUB_LIBRARY: install the NVIDIA "
        "driver)"));
  }
  if (init == CUDA_ERROR_NO_DEVICE) return absl::NotFoundError("no CUDA device");
  if (init != CUDA_SUCCESS) {
    return absl::UnavailableError(
        absl::StrCat("the CUDA driver failed to initialize: ", ErrorText(fn, init)));
  }
  if (absl::Status s = Check(fn, fn.driver_version(&d->version_), "cuDriverGetVersion"); !s.ok()) {
    return s;
  }
  int count = 0;
  if (absl::Status s = Check(fn, fn.device_count(&count), "cuDeviceGetCount"); !s.ok()) return s;
  for (int i = 0; i < count; ++i) {
    CUdevice dev = 0;
    if (absl::Status s = Check(fn, fn.device_get(&dev, i), "cuDeviceGet"); !s.ok()) return s;
    DeviceInfo info;
    info.ordinal = i;
    char name[256] = {};
    if (absl::Status s = Check(fn, fn.device_name(name, sizeof(name), dev), "cuDeviceGetName");
        !s.ok()) {
      return s;
    }
    info.name = name;
    auto attribute = [&](CUdevice_attribute a, int* out) {
      return Check(fn, fn.device_attribute(out, a, dev), "cuDeviceGetAttribute");
    };
    if (absl::Status s = attribute(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, &info.major);
        !s.ok()) {
      return s;
    }
    if (absl::Status s = attribute(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, &info.minor);
        !s.ok()) {
      return s;
    }
    if (absl::Status s = attribute(CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, &info.multiprocessors);
        !s.ok()) {
      return s;
    }
    size_t bytes = 0;
    if (absl::Status s = Check(fn, fn.total_mem(&bytes, dev), "cuDeviceTotalMem"); !s.ok()) {
      return s;
    }
    info.total_memory = static_cast<int64_t>(bytes);
    d->devices_.push_back(std::move(info));
  }
  return d;
}

absl::StatusOr<Driver*> Driver::Get() {
  static absl::StatusOr<std::unique_ptr<Driver>>* driver = [] {
    const char* path = std::getenv("NDJIT_CUDA_DRIVER");
    return new absl::StatusOr<std::unique_ptr<Driver>>(
        Load(path != nullptr && *path != '\0' ? path : "libcuda.so.1"));
  }();  // never destroyed: device memory may be freed at exit
  if (!driver->ok()) return driver->status();
  return driver->value().get();
}

Driver::~Driver() {
  // Contexts and streams are released; the library stays loaded (other code may hold symbols).
  for (auto& device : opened_) {
    if (device->stream_ != nullptr) fn_->stream_destroy(static_cast<CUstream>(device->stream_));
    CUdevice dev = 0;
    if (fn_->device_get(&dev, device->info_.ordinal) == CUDA_SUCCESS) fn_->primary_release(dev);
  }
}

absl::StatusOr<Driver::Device*> Driver::device(int ordinal) {
  std::lock_guard<std::mutex> lock(mu_);
  if (devices_.empty()) return absl::NotFoundError("no CUDA device");
  if (ordinal < 0 || ordinal >= static_cast<int>(devices_.size())) {
    return absl::InvalidArgumentError(
        absl::StrCat("CUDA device ", ordinal, " does not exist (there are ", devices_.size(), ")"));
  }
  for (auto& d : opened_) {
    if (d->info_.ordinal == ordinal) return d.get();
  }
  std::unique_ptr<Device> d(new Device(fn_.get(), devices_[ordinal]));
  CUdevice dev = 0;
  if (absl::Status s = Check(*fn_, fn_->device_get(&dev, ordinal), "cuDeviceGet"); !s.ok()) {
    return s;
  }
  CUcontext context = nullptr;
  if (absl::Status s = Check(*fn_, fn_->primary_retain(&context, dev), "cuDevicePrimaryCtxRetain");
      !s.ok()) {
    return s;
  }
  d->context_ = context;
  if (absl::Status s = d->MakeCurrent(); !s.ok()) return s;
  CUstream stream = nullptr;
  if (absl::Status s =
          Check(*fn_, fn_->stream_create(&stream, CU_STREAM_NON_BLOCKING), "cuStreamCreate");
      !s.ok()) {
    fn_->primary_release(dev);
    return s;
  }
  d->stream_ = stream;
  opened_.push_back(std::move(d));
  return opened_.back().get();
}

absl::Status Driver::Device::MakeCurrent() {
  return Check(*fn_, fn_->set_current(static_cast<CUcontext>(context_)), "cuCtxSetCurrent");
}

absl::StatusOr<uint64_t> Driver::Device::Allocate(size_t bytes) {
  if (absl::Status s = MakeCurrent(); !s.ok()) return s;
  CUdeviceptr p = 0;
  const CUresult r = fn_->mem_alloc(&p, bytes);
  if (r == CUDA_ERROR_OUT_OF_MEMORY) {
    return absl::ResourceExhaustedError(
        absl::StrCat("out of GPU memory allocating ", bytes, " bytes on device ", info_.ordinal));
  }
  if (absl::Status s = Check(*fn_, r, "cuMemAlloc"); !s.ok()) return s;
  return static_cast<uint64_t>(p);
}

absl::Status Driver::Device::Free(uint64_t pointer) {
  if (absl::Status s = MakeCurrent(); !s.ok()) return s;
  return Check(*fn_, fn_->mem_free(static_cast<CUdeviceptr>(pointer)), "cuMemFree");
}

// Copies are ordered on the device's stream with its kernels (the stream does not synchronize
// with the legacy default stream, so synchronous cuMemcpy calls would race with them).
absl::Status Driver::Device::CopyToDevice(uint64_t dst, const void* src, size_t bytes) {
  if (absl::Status s = MakeCurrent(); !s.ok()) return s;
  return Check(
      *fn_,
      fn_->htod_async(static_cast<CUdeviceptr>(dst), src, bytes, static_cast<CUstream>(stream_)),
      "cuMemcpyHtoDAsync");
}

absl::Status Driver::Device::CopyToHost(void* dst, uint64_t src, size_t bytes) {
  if (absl::Status s = MakeCurrent(); !s.ok()) return s;
  if (absl::Status s = Check(*fn_,
                             fn_->dtoh_async(dst, static_cast<CUdeviceptr>(src), bytes,
                                             static_cast<CUstream>(stream_)),
                             "cuMemcpyDtoHAsync");
      !s.ok()) {
    return s;
  }
  return Synchronize();  // the host reads `dst` next
}

absl::StatusOr<void*> Driver::Device::LoadKernel(const std::string& image,
                                                 const std::string& kernel) {
  absl::StatusOr<std::vector<void*>> f = LoadKernels(image, {kernel});
  if (!f.ok()) return f.status();
  return f->front();
}

absl::StatusOr<std::vector<void*>> Driver::Device::LoadKernels(
    const std::string& image, const std::vector<std::string>& kernels) {
  if (absl::Status s = MakeCurrent(); !s.ok()) return s;
  CUmodule module = nullptr;
  if (absl::Status s = Check(*fn_, fn_->module_load(&module, image.data()), "cuModuleLoadData");
      !s.ok()) {
    return s;
  }
  std::vector<void*> out;
  for (const std::string& kernel : kernels) {
    CUfunction f = nullptr;
    if (absl::Status s =
            Check(*fn_, fn_->module_function(&f, module, kernel.c_str()), "cuModuleGetFunction");
        !s.ok()) {
      fn_->module_unload(module);
      return absl::Status(s.code(), absl::StrCat(s.message(), " (kernel ", kernel, ")"));
    }
    out.push_back(static_cast<void*>(f));
  }
  std::lock_guard<std::mutex> lock(modules_mu_);
  modules_.push_back(module);
  return out;
}

absl::Status Driver::Device::Launch(void* kernel, int64_t grid, int block,
                                    absl::Span<void* const> args, size_t shared_bytes,
                                    int block_y) {
  if (absl::Status s = MakeCurrent(); !s.ok()) return s;
  if (grid <= 0 || grid > 0x7fffffff || block <= 0 || block_y <= 0 || block * block_y > 1024) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad launch shape: grid ", grid, ", block ", block, " x ", block_y));
  }
  return Check(*fn_,
               fn_->launch(static_cast<CUfunction>(kernel), static_cast<unsigned>(grid), 1, 1,
                           static_cast<unsigned>(block), static_cast<unsigned>(block_y), 1,
                           static_cast<unsigned>(shared_bytes), static_cast<CUstream>(stream_),
                           const_cast<void**>(args.data()), nullptr),
               "cuLaunchKernel");
}

absl::StatusOr<int> Driver::Device::MaxThreadsPerBlock(void* kernel) {
  if (absl::Status s = MakeCurrent(); !s.ok()) return s;
  int n = 0;
  if (absl::Status s = Check(*fn_,
                             fn_->func_attribute(&n, CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK,
                                                 static_cast<CUfunction>(kernel)),
                             "cuFuncGetAttribute");
      !s.ok()) {
    return s;
  }
  return n;
}

absl::StatusOr<int> Driver::Device::ActiveBlocksPerMultiprocessor(void* kernel, int threads) {
  if (absl::Status s = MakeCurrent(); !s.ok()) return s;
  int n = 0;
  if (absl::Status s = Check(*fn_, fn_->occupancy(&n, static_cast<CUfunction>(kernel), threads, 0),
                             "cuOccupancyMaxActiveBlocksPerMultiprocessor");
      !s.ok()) {
    return s;
  }
  return n;
}

absl::Status Driver::Device::Synchronize() {
  if (absl::Status s = MakeCurrent(); !s.ok()) return s;
  return Check(*fn_, fn_->stream_sync(static_cast<CUstream>(stream_)), "cuStreamSynchronize");
}

}  // namespace ndjit::runtime::cuda
