// Host tensor storage.
#include "ir/host_tensor.h"

#include <cstdlib>
#include <cstring>
#include <new>

namespace ndjit::ir {

HostTensor::HostTensor(TensorType type) : type_(std::move(type)) {
  num_elements_ = NumElements(type_.shape);
  // Always allocate at least one cache line so data() is never null.
  const size_t bytes = (size_bytes() + 63) / 64 * 64 + 64;
  void* p = std::aligned_alloc(64, bytes);
  if (p == nullptr) throw std::bad_alloc();
  std::memset(p, 0, bytes);
  storage_ =
      std::shared_ptr<std::byte>(static_cast<std::byte*>(p), [](std::byte* q) { std::free(q); });
}

HostTensor::HostTensor(TensorType type, std::shared_ptr<std::byte> storage)
    : type_(std::move(type)), storage_(std::move(storage)) {
  num_elements_ = NumElements(type_.shape);
}

HostTensor HostTensor::Reshaped(Shape shape) const {
  HostTensor t = *this;
  t.type_.shape = std::move(shape);
  return t;
}

HostTensor HostTensor::Clone() const {
  HostTensor t(type_);
  if (size_bytes() > 0) std::memcpy(t.data(), data(), size_bytes());
  return t;
}

}  // namespace ndjit::ir
