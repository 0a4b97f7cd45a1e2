// HostArray: owning host copies of array values, and their text form.
#include "ndjit/host_array.h"

#include <algorithm>
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ir/host_tensor.h"
#include "ir/interpreter.h"
#include "ir/shape.h"

namespace ndjit {

namespace {

std::shared_ptr<std::byte> NewBytes(size_t n) {
  return std::shared_ptr<std::byte>(new std::byte[std::max<size_t>(n, 1)](),
                                    std::default_delete<std::byte[]>());
}

}  // namespace

HostArray::HostArray(DType dtype, std::vector<int64_t> shape)
    : dtype_(dtype), shape_(std::move(shape)) {
  absl::StatusOr<int64_t> n = ir::CheckedNumElements(shape_);
  if (!n.ok()) throw ShapeError(absl::StrCat("HostArray: ", n.status().message()));
  size_ = *n;
  nbytes_ = static_cast<size_t>(size_) * DTypeSize(dtype_);
  storage_ = NewBytes(nbytes_);  // zero-filled
}

HostArray::HostArray(DType dtype, std::vector<int64_t> shape, std::shared_ptr<std::byte> storage)
    : dtype_(dtype), shape_(std::move(shape)), storage_(std::move(storage)) {
  size_ = ir::NumElements(shape_);
  nbytes_ = static_cast<size_t>(size_) * DTypeSize(dtype_);
}

HostArray::HostArray(const HostArray& other)
    : dtype_(other.dtype_),
      shape_(other.shape_),
      size_(other.size_),
      nbytes_(other.nbytes_),
      storage_(other.storage_) {
  if (other.exclusive_) {  // someone may write through a pointer into other's bytes
    storage_ = NewBytes(nbytes_);
    if (nbytes_ > 0) std::memcpy(storage_.get(), other.storage_.get(), nbytes_);
  }
}

HostArray& HostArray::operator=(const HostArray& other) {
  if (this != &other) *this = HostArray(other);
  return *this;
}

std::byte* HostArray::MutableBytes() {
  if (storage_ != nullptr && storage_.use_count() > 1) {
    std::shared_ptr<std::byte> own = NewBytes(nbytes_);
    if (nbytes_ > 0) std::memcpy(own.get(), storage_.get(), nbytes_);
    storage_ = std::move(own);
  }
  exclusive_ = true;
  return storage_.get();
}

void HostArray::CheckType(DType requested) const {
  if (requested != dtype_) {
    throw DTypeError(absl::StrCat("HostArray::data<T>: the array holds ", DTypeName(dtype_),
                                  ", requested ", DTypeName(requested)));
  }
}

double HostArray::element_as_double(int64_t i) const {
  if (i < 0 || i >= size_) {
    throw ValueError(
        absl::StrCat("HostArray::element_as_double: index ", i, " out of range for size ", size_));
  }
  return ir::ElementAsDouble(dtype_, storage_.get(), i);
}

namespace {

std::string FormatElement(const HostArray& a, int64_t i) {
  switch (a.dtype()) {
    case DType::kBool:
      return a.data<bool>()[i] ? "True" : "False";
    case DType::kInt64:
      return absl::StrCat(a.data<int64_t>()[i]);
    case DType::kInt8:
    case DType::kUInt8:
    case DType::kInt32:
      return absl::StrCat(static_cast<int64_t>(a.element_as_double(i)));
    default:
      return absl::StrFormat("%.6g", a.element_as_double(i));
  }
}

void Format(const HostArray& a, size_t dim, int64_t offset, int indent, std::string* out) {
  if (dim == a.shape().size()) {
    absl::StrAppend(out, FormatElement(a, offset));
    return;
  }
  int64_t stride = 1;
  for (size_t d = dim + 1; d < a.shape().size(); ++d) stride *= a.shape()[d];
  out->push_back('[');
  for (int64_t i = 0; i < a.shape()[dim]; ++i) {
    if (i > 0) {
      out->push_back(',');
      if (dim + 1 == a.shape().size()) {
        out->push_back(' ');
      } else {
        out->push_back('\n');
        out->append(indent + 1, ' ');
      }
    }
    Format(a, dim + 1, offset + i * stride, indent + 1, out);
  }
  out->push_back(']');
}

}  // namespace

std::string HostArray::ToString() const {
  std::string out;
  Format(*this, 0, 0, 0, &out);
  return out;
}

}  // namespace ndjit
