// Shape arithmetic and formatting.
#include "ir/shape.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ir/dtype.h"

namespace ndjit::ir {

absl::StatusOr<int64_t> CheckedNumElements(absl::Span<const int64_t> dims) {
  int64_t n = 1;
  bool overflow = false;
  for (int64_t d : dims) {
    if (d < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("negative dimension ", d, " in shape ", ShapeToNumpyString(dims)));
    }
    if (__builtin_mul_overflow(n, d, &n)) overflow = true;
  }
  // A zero dim makes the count 0 even if an earlier partial product overflowed.
  for (int64_t d : dims) {
    if (d == 0) return 0;
  }
  if (overflow) {
    return absl::OutOfRangeError(
        absl::StrCat("the element count of shape ", ShapeToNumpyString(dims), " overflows int64"));
  }
  return n;
}

int64_t NumElements(absl::Span<const int64_t> dims) {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

std::vector<int64_t> RowMajorStrides(absl::Span<const int64_t> dims) {
  std::vector<int64_t> strides(dims.size());
  int64_t s = 1;
  for (size_t i = dims.size(); i-- > 0;) {
    strides[i] = s;
    s *= dims[i];
  }
  return strides;
}

std::string ShapeToString(absl::Span<const int64_t> dims) {
  return absl::StrCat("[", absl::StrJoin(dims, ","), "]");
}

std::string ShapeToNumpyString(absl::Span<const int64_t> dims) {
  if (dims.size() == 1) return absl::StrCat("(", dims[0], ",)");
  return absl::StrCat("(", absl::StrJoin(dims, ", "), ")");
}

std::string TypeToString(const TensorType& type) {
  return absl::StrCat(DTypeShortName(type.dtype), ShapeToString(type.shape));
}

}  // namespace ndjit::ir
