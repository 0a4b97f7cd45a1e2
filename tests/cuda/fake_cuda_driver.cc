// A stand-in for libcuda.so.1 in tests (loaded through NDJIT_CUDA_DRIVER): it reports two
// compute-capability-9.0 devices and fails every call that would use one with
// CUDA_ERROR_NOT_SUPPORTED. It lets the tests create arrays on gpu(0) and check contexts,
// mixed-context errors and how a failing device is reported, on a machine without a GPU.
// Declared with plain C types (CUDA headers stay in codegen/cuda and runtime/cuda).
#include <cstddef>
#include <cstring>

namespace {
constexpr int kSuccess = 0;
constexpr int kInvalidValue = 1;
constexpr int kInvalidDevice = 101;
constexpr int kNotSupported = 801;
constexpr int kDevices = 2;
}  // namespace

extern "C" {
int cuInit(unsigned) { return kSuccess; }
int cuDriverGetVersion(int* v) {
  *v = 13000;
  return kSuccess;
}
int cuGetErrorName(int error, const char** name) {
  *name = error == kNotSupported ? "CUDA_ERROR_NOT_SUPPORTED" : "CUDA_ERROR_FAKE";
  return kSuccess;
}
int cuGetErrorString(int, const char** text) {
  *text = "the test driver has no device to run on";
  return kSuccess;
}
int cuDeviceGetCount(int* count) {
  *count = kDevices;
  return kSuccess;
}
int cuDeviceGet(int* device, int ordinal) {
  if (ordinal < 0 || ordinal >= kDevices) return kInvalidDevice;
  *device = ordinal;
  return kSuccess;
}
int cuDeviceGetName(char* name, int length, int) {
  if (length <= 0) return kInvalidValue;
  std::strncpy(name, "ndjit test device", static_cast<size_t>(length) - 1);
  name[length - 1] = '\0';
  return kSuccess;
}
int cuDeviceGetAttribute(int* value, int attribute, int) {
  switch (attribute) {
    case 75:  // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR
      *value = 9;
      break;
    case 76:  // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR
      *value = 0;
      break;
    case 16:  // CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT
      *value = 132;
      break;
    default:
      *value = 0;
  }
  return kSuccess;
}
int cuDeviceTotalMem_v2(size_t* bytes, int) {
  *bytes = size_t{80} << 30;
  return kSuccess;
}
int cuDevicePrimaryCtxRetain(void**, int) { return kNotSupported; }
int cuDevicePrimaryCtxRelease_v2(int) { return kSuccess; }
int cuCtxSetCurrent(void*) { return kNotSupported; }
int cuStreamCreate(void**, unsigned) { return kNotSupported; }
int cuStreamDestroy_v2(void*) { return kSuccess; }
int cuStreamSynchronize(void*) { return kNotSupported; }
int cuMemAlloc_v2(unsigned long long*, size_t) { return kNotSupported; }
int cuMemFree_v2(unsigned long long) { return kNotSupported; }
int cuMemcpyHtoD_v2(unsigned long long, const void*, size_t) { return kNotSupported; }
int cuMemcpyDtoH_v2(void*, unsigned long long, size_t) { return kNotSupported; }
int cuMemcpyHtoDAsync_v2(unsigned long long, const void*, size_t, void*) { return kNotSupported; }
int cuMemcpyDtoHAsync_v2(void*, unsigned long long, size_t, void*) { return kNotSupported; }
int cuModuleLoadData(void**, const void*) { return kNotSupported; }
int cuModuleUnload(void*) { return kSuccess; }
int cuModuleGetFunction(void**, void*, const char*) { return kNotSupported; }
int cuLaunchKernel(void*, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,
                   void*, void**, void**) {
  return kNotSupported;
}
int cuFuncGetAttribute(int*, int, void*) { return kNotSupported; }
int cuOccupancyMaxActiveBlocksPerMultiprocessor(int*, void*, int, size_t) { return kNotSupported; }
}
