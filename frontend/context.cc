// Contexts: cpu(), gpu(i), num_gpus() and the NDArray methods that move arrays between them.
#include "ndjit/context.h"

#include "absl/strings/str_cat.h"
#include "frontend/builder.h"
#include "ndjit/nd.h"
#include "ndjit/ndarray.h"
#if NDJIT_HAVE_CUDA
#include "runtime/cuda/driver.h"
#endif

namespace ndjit {

using frontend::ValueOf;

std::string Context::str() const {
  return absl::StrCat(type_ == DeviceType::kGPU ? "gpu(" : "cpu(", id_, ")");
}

Context cpu(int device_id) {
  if (device_id != 0) {
    throw ValueError(absl::StrCat("cpu(", device_id,
                                  "): ndjit has one CPU context, cpu(0) (its kernels use every "
                                  "core; NDJIT_NUM_THREADS sets how many)"));
  }
  return Context(Context::DeviceType::kCPU, 0);
}

Context gpu(int device_id) {
#if NDJIT_HAVE_CUDA
  absl::StatusOr<runtime::cuda::Driver*> driver = runtime::cuda::Driver::Get();
  if (!driver.ok()) {
    throw NotSupportedError(absl::StrCat("gpu(", device_id, "): ", driver.status().message()));
  }
  const int count = static_cast<int>((*driver)->devices().size());
  if (count == 0) throw NotSupportedError(absl::StrCat("gpu(", device_id, "): no CUDA device"));
  if (device_id < 0 || device_id >= count) {
    throw ValueError(absl::StrCat("gpu(", device_id, "): there ", count == 1 ? "is " : "are ",
                                  count, " CUDA device", count == 1 ? "" : "s", ", gpu(0) to gpu(",
                                  count - 1, ")"));
  }
  return Context(Context::DeviceType::kGPU, device_id);
#else
  throw NotSupportedError(
      absl::StrCat("gpu(", device_id,
                   "): this build of ndjit has no CUDA backend (configure with NDJIT_CUDA=ON "
                   "and the CUDA toolkit)"));
#endif
}

int num_gpus() {
#if NDJIT_HAVE_CUDA
  absl::StatusOr<runtime::cuda::Driver*> driver = runtime::cuda::Driver::Get();
  return driver.ok() ? static_cast<int>((*driver)->devices().size()) : 0;
#else
  return 0;
#endif
}

Context NDArray::context(SourceLocation site) const {
  const runtime::ValuePtr v = ValueOf(*this, "context", site);
  return v->device().is_gpu() ? gpu(v->device().gpu_index()) : cpu();
}

NDArray NDArray::copyto(const Context& ctx, SourceLocation site) const {
  const runtime::ValuePtr v = ValueOf(*this, "copyto", site);
  const runtime::Device device =
      ctx.is_gpu() ? runtime::Device::Gpu(ctx.device_id()) : runtime::Device::Cpu();
  // An identity cast: a new node, computed on `ctx`.
  return frontend::Wrap(
      frontend::RecordAt(ir::Op::kCast, {v}, {}, v->type(), ir::SourceLoc::From(site), device));
}

NDArray NDArray::as_in_context(const Context& ctx, SourceLocation site) const {
  const runtime::ValuePtr v = ValueOf(*this, "as_in_context", site);
  const runtime::Device device =
      ctx.is_gpu() ? runtime::Device::Gpu(ctx.device_id()) : runtime::Device::Cpu();
  if (v->device().OrCpu() == device) return *this;
  return copyto(ctx, site);
}

namespace nd {

NDArray zeros(Shape shape, DType dtype, const Context& ctx, SourceLocation site) {
  return zeros(std::move(shape), dtype, site).as_in_context(ctx, site);
}
NDArray ones(Shape shape, DType dtype, const Context& ctx, SourceLocation site) {
  return ones(std::move(shape), dtype, site).as_in_context(ctx, site);
}
NDArray full(Shape shape, Scalar value, DType dtype, const Context& ctx, SourceLocation site) {
  return full(std::move(shape), value, dtype, site).as_in_context(ctx, site);
}
NDArray array(const HostArray& host, const Context& ctx, SourceLocation site) {
  return array(host, site).as_in_context(ctx, site);
}

}  // namespace nd
}  // namespace ndjit
