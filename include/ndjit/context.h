// Where arrays live and their kernels run: MXNet's Context.
//
//   ndjit::Context c = ndjit::gpu(0);           // throws without a GPU (see gpu())
//   auto a = nd::zeros({3, 4}, DType::kFloat32, ndjit::gpu(0));
//   auto b = a.copyto(ndjit::cpu());            // a copy on the host
//   a.context().str()                           // "gpu(0)"
//
// Every array has a context; an op's result has its operands' context, and an op whose operands
// are on different contexts is a ValueError naming both (copy one with copyto(ctx) or
// as_in_context(ctx)). Arrays built only from constants (scalars, zeros/ones/full/arange without
// a context, random draws) are computed wherever they are used: they mix with any context, and
// their context() is cpu(0). Accessors (asnumpy, asscalar) of a GPU array copy its values to the
// host. Status: kernels of GPU arrays run on the device, but arrays are kept in host memory between
// evaluations (each kernel launch copies its buffers in and out); see README.
#ifndef NDJIT_CONTEXT_H_
#define NDJIT_CONTEXT_H_

#include <string>

namespace ndjit {

class Context {
 public:
  enum class DeviceType { kCPU = 1, kGPU = 2 };  // MXNet's device type codes
  Context() = default;                           // cpu(0)
  DeviceType device_type() const { return type_; }
  int device_id() const { return id_; }
  bool is_gpu() const { return type_ == DeviceType::kGPU; }
  std::string str() const;  // "cpu(0)", "gpu(1)"
  friend bool operator==(const Context& a, const Context& b) {
    return a.type_ == b.type_ && a.id_ == b.id_;
  }
  friend bool operator!=(const Context& a, const Context& b) { return !(a == b); }

 private:
  friend Context cpu(int);
  friend Context gpu(int);
  Context(DeviceType type, int id) : type_(type), id_(id) {}
  DeviceType type_ = DeviceType::kCPU;
  int id_ = 0;
};

// The host. ndjit has one CPU context: cpu(i) for i != 0 is a ValueError.
Context cpu(int device_id = 0);
// GPU `device_id`, checked at once: without a usable GPU it throws NotSupportedError saying why
// ("no CUDA driver found: ...", including the toolkit's stub library, "no CUDA device", "this
// build of ndjit has no CUDA backend"), and ValueError for an index out of range.
Context gpu(int device_id = 0);
// The number of GPUs the CUDA driver sees: 0 without a driver or a device (never throws).
int num_gpus();

}  // namespace ndjit

#endif  // NDJIT_CONTEXT_H_
