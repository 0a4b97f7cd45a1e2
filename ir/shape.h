// Shapes and tensor types of the IR.
//
// A shape is a list of non-negative int64 dims; rank 0 (a scalar) and size-0 dims are valid. The
// element count of every shape that reaches a node fits in int64 (checked when the op is built).
#ifndef NDJIT_IR_SHAPE_H_
#define NDJIT_IR_SHAPE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "ndjit/dtype.h"

namespace ndjit::ir {

using Shape = std::vector<int64_t>;

// Element count; an error when a dim is negative or the product overflows int64.
absl::StatusOr<int64_t> CheckedNumElements(absl::Span<const int64_t> dims);
// Element count of a shape already known to be valid.
int64_t NumElements(absl::Span<const int64_t> dims);
// Row-major strides in elements.
std::vector<int64_t> RowMajorStrides(absl::Span<const int64_t> dims);

// "[2,3]" (the IR's form).
std::string ShapeToString(absl::Span<const int64_t> dims);
// "(2, 3)", "(4,)", "()" (NumPy's form, used in user-facing messages).
std::string ShapeToNumpyString(absl::Span<const int64_t> dims);

struct TensorType {
  DType dtype = DType::kFloat32;
  Shape shape;
  bool operator==(const TensorType&) const = default;
};
// "f32[2,3]".
std::string TypeToString(const TensorType& type);
// Bytes of a dense row-major array of this type.
inline int64_t SizeBytes(const TensorType& type) {
  return NumElements(type.shape) * DTypeSize(type.dtype);
}

}  // namespace ndjit::ir

#endif  // NDJIT_IR_SHAPE_H_
