// HostArray: an owning, contiguous, row-major array of values in host memory.
//
// What asnumpy() returns. It behaves as an independent copy of the NDArray it came from (as
// MXNet's asnumpy) and is copied by value, but it copies lazily: asnumpy shares the computed
// array's buffer (which the engine never writes again), and copies of a HostArray share theirs,
// until a mutable accessor (data<T>(), raw_data() on a non-const array) is called while the
// buffer is shared; that call copies it first. Once a mutable pointer has been handed out, the
// array stops sharing: later copies of it are deep, so writes through that pointer reach this
// array only.
#ifndef NDJIT_HOST_ARRAY_H_
#define NDJIT_HOST_ARRAY_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ndjit/dtype.h"
#include "ndjit/error.h"

namespace ndjit {

class HostArray {
 public:
  HostArray() = default;
  // Zero-filled array of the given dtype and shape.
  HostArray(DType dtype, std::vector<int64_t> shape);
  HostArray(const HostArray& other);
  HostArray& operator=(const HostArray& other);
  HostArray(HostArray&&) noexcept = default;
  HostArray& operator=(HostArray&&) noexcept = default;

  DType dtype() const { return dtype_; }
  const std::vector<int64_t>& shape() const { return shape_; }
  int ndim() const { return static_cast<int>(shape_.size()); }
  int64_t size() const { return size_; }
  size_t nbytes() const { return nbytes_; }

  // Typed access; T must be the element type of dtype() (bool, int8_t, uint8_t, int32_t,
  // int64_t, float16, bfloat16, float, double), otherwise DTypeError.
  template <typename T>
  const T* data() const {
    CheckType(DTypeOf<T>::value);
    return reinterpret_cast<const T*>(storage_.get());
  }
  template <typename T>
  T* data() {
    CheckType(DTypeOf<T>::value);
    return reinterpret_cast<T*>(MutableBytes());
  }
  template <typename T>
  std::vector<T> to_vector() const {
    const T* p = data<T>();
    return std::vector<T>(p, p + size_);
  }
  const void* raw_data() const { return storage_.get(); }
  void* raw_data() { return MutableBytes(); }

  // Element i (row-major) converted to double, whatever the dtype; for printing and tests.
  double element_as_double(int64_t i) const;
  // NumPy-like text: "[[1, 2, 3],\n [4, 5, 6]]" with dtype-appropriate formatting.
  std::string ToString() const;

  // ---- .npy files ----
  // Writes the array as a NumPy .npy file, byte-identical to numpy.save: format version 1.0
  // (2.0 if the header exceeds 65535 bytes), C order, little-endian descrs '|b1', '|i1', '|u1',
  // '<i4', '<i8', '<f2', '<f4', '<f8', and '<V2' for bfloat16 (what NumPy writes for
  // ml_dtypes.bfloat16; NumPy reads it back as void 'V2', .view(ml_dtypes.bfloat16) restores it).
  // An unwritable path is a ValueError starting "save_npy: <path>: ".
  void save_npy(const std::string& path) const;
  // Reads a .npy file of format version 1.0, 2.0 or 3.0 holding one of ndjit's dtypes in either
  // byte order (big-endian data are byte-swapped); a '<V2' or '|V2' descr loads as bfloat16, and
  // bool bytes other than 0/1 become 1. A malformed or truncated file, or one with bytes after
  // the data, is a ValueError; a dtype ndjit lacks a DTypeError; Fortran order (unless it lays out
  // the bytes as C order does) a NotSupportedError. Messages start "load_npy: <path>: ".
  static HostArray load_npy(const std::string& path);
  // ---- end .npy files ----

 private:
  friend class NDArray;
  // An array over `storage` (at least nbytes of `dtype` x `shape`), shared until written.
  HostArray(DType dtype, std::vector<int64_t> shape, std::shared_ptr<std::byte> storage);
  void CheckType(DType requested) const;
  // The bytes for writing: copied first if anything else shares them; stops sharing.
  std::byte* MutableBytes();

  DType dtype_ = DType::kFloat32;
  std::vector<int64_t> shape_;
  int64_t size_ = 0;
  size_t nbytes_ = 0;
  std::shared_ptr<std::byte> storage_;
  // A mutable pointer was handed out: copies must not share the storage.
  bool exclusive_ = false;
};

}  // namespace ndjit

#endif  // NDJIT_HOST_ARRAY_H_
