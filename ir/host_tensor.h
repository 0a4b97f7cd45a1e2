// A dense, row-major array in host memory: what the interpreter reads and writes.
//
// Copies share storage (a HostTensor is a handle); Clone() makes an independent copy. Storage is
// zero-initialized and aligned to 64 bytes.
#ifndef NDJIT_IR_HOST_TENSOR_H_
#define NDJIT_IR_HOST_TENSOR_H_

#include <cstddef>
#include <memory>

#include "ir/shape.h"

namespace ndjit::ir {

class HostTensor {
 public:
  HostTensor() = default;
  // Zero-filled tensor of the given (valid) type.
  explicit HostTensor(TensorType type);
  // A tensor over existing storage of at least size_bytes() bytes (64-byte aligned, contents
  // as they are): how pooled buffers are handed out.
  HostTensor(TensorType type, std::shared_ptr<std::byte> storage);

  const TensorType& type() const { return type_; }
  DType dtype() const { return type_.dtype; }
  const Shape& shape() const { return type_.shape; }
  int64_t num_elements() const { return num_elements_; }
  size_t size_bytes() const { return static_cast<size_t>(num_elements_) * DTypeSize(dtype()); }
  // The shared storage (a tensor of another type may be laid over it: in-place kernels).
  const std::shared_ptr<std::byte>& storage() const { return storage_; }
  void* data() { return storage_.get(); }
  const void* data() const { return storage_.get(); }
  template <typename T>
  T* data_as() {
    return static_cast<T*>(data());
  }
  template <typename T>
  const T* data_as() const {
    return static_cast<const T*>(data());
  }
  // Same type, same bytes (no copy of storage).
  HostTensor Reshaped(Shape shape) const;
  HostTensor Clone() const;

 private:
  TensorType type_;
  int64_t num_elements_ = 0;
  std::shared_ptr<std::byte> storage_;
};

}  // namespace ndjit::ir

#endif  // NDJIT_IR_HOST_TENSOR_H_
