// Internal helpers of the frontend: recording nodes, lowering operands, and raising the public
// exceptions with the op, the operands and the caller's file:line.
#ifndef NDJIT_FRONTEND_BUILDER_H_
#define NDJIT_FRONTEND_BUILDER_H_

#include <initializer_list>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "ir/attrs.h"
#include "ir/dtype.h"
#include "ir/ops.h"
#include "ir/shape.h"
#include "ndjit/ndarray.h"
#include "runtime/value.h"

namespace ndjit::frontend {

using runtime::ValuePtr;

// "float32 (2, 3)".
std::string Describe(const NDArray& a);
std::string Describe(const ValuePtr& v);

// Message: "<api>: <detail> [operands: float32 (2, 3), int32 (3,)] at file:line:col".
std::string FormatError(const char* api, const std::string& detail,
                        const std::vector<std::string>& operands, const SourceLocation& site);

std::string FormatError(const char* api, const std::string& detail,
                        const std::vector<std::string>& operands, const ir::SourceLoc& site);

template <typename E>
[[noreturn]] void Fail(const char* api, const std::string& detail,
                       const std::vector<std::string>& operands, const SourceLocation& site) {
  throw E(FormatError(api, detail, operands, site));
}
template <typename E>
[[noreturn]] void Fail(const char* api, const std::string& detail,
                       const std::vector<std::string>& operands, const ir::SourceLoc& site) {
  throw E(FormatError(api, detail, operands, site));
}

// Converts a Status from the layers below to the matching exception.
[[noreturn]] void ThrowStatus(const char* api, const absl::Status& status,
                              const SourceLocation& site);
[[noreturn]] void ThrowStatus(const char* api, const absl::Status& status,
                              const ir::SourceLoc& site);

// The value behind a handle; an empty handle is a ValueError naming `api`.
ValuePtr ValueOf(const NDArray& a, const char* api, const SourceLocation& site);
NDArray Wrap(ValuePtr v);

// Records a node after checking the IR's type rules (a failure is an internal error: the
// frontend validated the user's request before).
// While autograd records on this thread, a node computed from tracked values is annotated with
// how it was computed (frontend/autograd.h).
ValuePtr Record(ir::Op op, std::vector<ValuePtr> operands, ir::Attrs attrs,
                std::optional<ir::TensorType> type, const SourceLocation& site);
// The same with the call site as the IR keeps it (for nodes recorded on behalf of other nodes,
// such as views and gradients).
// The result is on its operands' device (ValueError when they are on different ones), or on
// `device` when given (copyto(ctx): its one operand may be elsewhere).
ValuePtr RecordAt(ir::Op op, std::vector<ValuePtr> operands, ir::Attrs attrs,
                  std::optional<ir::TensorType> type, const ir::SourceLoc& loc,
                  std::optional<runtime::Device> device = std::nullopt);

// Node builders that return their input when there is nothing to do; each also takes the call
// site as the IR keeps it.
ValuePtr CastTo(const ValuePtr& v, DType dtype, const ir::SourceLoc& loc);
ValuePtr BroadcastTo(const ValuePtr& v, const ir::Shape& shape, const ir::SourceLoc& loc);
ValuePtr ReshapeTo(const ValuePtr& v, const ir::Shape& shape, const ir::SourceLoc& loc);
ValuePtr Constant(const ir::Scalar& value, ir::TensorType type, const ir::SourceLoc& loc);
inline ValuePtr CastTo(const ValuePtr& v, DType dtype, const SourceLocation& site) {
  return CastTo(v, dtype, ir::SourceLoc::From(site));
}
inline ValuePtr BroadcastTo(const ValuePtr& v, const ir::Shape& shape, const SourceLocation& site) {
  return BroadcastTo(v, shape, ir::SourceLoc::From(site));
}
inline ValuePtr ReshapeTo(const ValuePtr& v, const ir::Shape& shape, const SourceLocation& site) {
  return ReshapeTo(v, shape, ir::SourceLoc::From(site));
}
inline ValuePtr Constant(const ir::Scalar& value, ir::TensorType type, const SourceLocation& site) {
  return Constant(value, std::move(type), ir::SourceLoc::From(site));
}

// A double rounded to the dtype (floats) or converted as `cast` does (integers, bool), as the
// exact attribute value of a constant of that dtype.
ir::Scalar ScalarForDType(const Scalar& s, DType dtype);

// Whether an integer scalar fits an integer dtype (NumPy 2 raises OverflowError when a Python
// int does not); true for non-integer scalars and dtypes.
bool IntScalarFits(const Scalar& s, DType dtype);

// NumPy broadcasting of two shapes; nullopt if incompatible.
std::optional<ir::Shape> BroadcastShapes(const ir::Shape& a, const ir::Shape& b);

// Normalizes an axis against `ndim` (negative counts from the end); ShapeError when out of range.
int64_t NormalizeAxis(int64_t axis, int64_t ndim, const char* api, const NDArray& a,
                      const SourceLocation& site);

// The float dtype an integer or bool operand of a float function is computed in (NumPy's rule:
// the smallest float that holds every value).
DType FloatFor(DType d);

ir::ScalarKind KindOf(const Scalar& s);

// Checks a user-given shape: a negative dim is a ValueError, an element count that overflows
// int64 a ShapeError.
void CheckShape(const char* api, const ir::Shape& shape, const std::vector<std::string>& operands,
                const SourceLocation& site);

// One axis of a basic slice resolved against its size as Python's slice.indices does: element j
// of the result is element start + j * step of the axis, for j < length. step must be nonzero.
struct SliceRange {
  int64_t start = 0;
  int64_t step = 1;
  int64_t length = 0;
};
SliceRange NormalizeSlice(const Slice& s, int64_t n);

// The next seed of ndjit's generator (ndjit::random::seed makes the sequence reproducible).
uint64_t NextRandomSeed();

// DTypeError unless `dtype` is one of the enum's values (it may come from an integer cast).
void CheckDType(const char* api, DType dtype, const SourceLocation& site);

}  // namespace ndjit::frontend

#endif  // NDJIT_FRONTEND_BUILDER_H_
