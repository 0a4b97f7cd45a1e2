// Frontend helpers: recording, lowering, errors.
#include "frontend/builder.h"

#include <algorithm>
#include <cmath>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "frontend/autograd.h"
#include "ir/elements.h"
#include "ir/infer.h"
#include "ir/interpreter.h"
#include "ir/status_macros.h"
#include "runtime/config.h"
#include "runtime/materializer.h"

namespace ndjit::frontend {

std::string Describe(const ValuePtr& v) {
  return absl::StrCat(DTypeName(v->type().dtype), " ", ir::ShapeToNumpyString(v->type().shape));
}

std::string Describe(const NDArray& a) {
  if (a.is_none()) return "<empty NDArray>";
  return Describe(a.value());
}

std::string FormatError(const char* api, const std::string& detail,
                        const std::vector<std::string>& operands, const ir::SourceLoc& site) {
  std::string msg = absl::StrCat(api, ": ", detail);
  if (!operands.empty()) absl::StrAppend(&msg, " [operands: ", absl::StrJoin(operands, ", "), "]");
  absl::StrAppend(&msg, " at ", site.ToString());
  return msg;
}

std::string FormatError(const char* api, const std::string& detail,
                        const std::vector<std::string>& operands, const SourceLocation& site) {
  return FormatError(api, detail, operands, ir::SourceLoc::From(site));
}

void ThrowStatus(const char* api, const absl::Status& status, const SourceLocation& site) {
  ThrowStatus(api, status, ir::SourceLoc::From(site));
}

void ThrowStatus(const char* api, const absl::Status& status, const ir::SourceLoc& site) {
  const std::string msg = FormatError(api, std::string(status.message()), {}, site);
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      throw ValueError(msg);
    case absl::StatusCode::kUnimplemented:
      throw NotSupportedError(msg);
    case absl::StatusCode::kInternal:
      throw InternalError(msg);
    default:
      throw Error(msg);
  }
}

ValuePtr ValueOf(const NDArray& a, const char* api, const SourceLocation& site) {
  if (a.is_none()) Fail<ValueError>(api, "the NDArray is empty (default-constructed)", {}, site);
  return a.value();
}

NDArray Wrap(ValuePtr v) { return NDArray(std::move(v)); }

ValuePtr Record(ir::Op op, std::vector<ValuePtr> operands, ir::Attrs attrs,
                std::optional<ir::TensorType> type, const SourceLocation& site) {
  return RecordAt(op, std::move(operands), std::move(attrs), std::move(type),
                  ir::SourceLoc::From(site));
}

ValuePtr RecordAt(ir::Op op, std::vector<ValuePtr> operands, ir::Attrs attrs,
                  std::optional<ir::TensorType> type, const ir::SourceLoc& loc,
                  std::optional<runtime::Device> device) {
  if (!device.has_value()) {
    // Nodes without operands (constants, scalars, iota, random) can be computed anywhere; so can
    // nodes computed only from them. The others take their operands' one device.
    device = runtime::Device::Any();
    for (const ValuePtr& v : operands) {
      if (v->device().is_any() || v->device() == *device) continue;
      if (device->is_any()) {
        device = v->device();
        continue;
      }
      std::vector<std::string> described;
      for (const ValuePtr& o : operands) described.push_back(Describe(o));
      Fail<ValueError>(
          ir::OpName(op),
          absl::StrCat("operands are on different contexts, ", device->Name(), " and ",
                       v->device().Name(), "; move one with copyto(ctx) or as_in_context(ctx)"),
          described, loc);
    }
  }
  absl::InlinedVector<const ir::TensorType*, 4> types;
  for (const ValuePtr& v : operands) types.push_back(&v->type());
  absl::StatusOr<ir::TensorType> result = ir::InferType(op, types, attrs, type);
  if (!result.ok()) {
    std::vector<std::string> described;
    for (const ValuePtr& v : operands) described.push_back(Describe(v));
    Fail<InternalError>(
        ir::OpName(op),
        absl::StrCat("ndjit built an invalid node (please report): ", result.status().message()),
        described, loc);
  }
  // Autograd needs the operands after they move into the value.
  std::vector<ValuePtr> tracked;
  if (autograd::Recording() && autograd::AnyTracked(operands)) tracked = operands;
  ValuePtr v = runtime::Materializer::Get().Record(op, std::move(*result), std::move(operands),
                                                   std::move(attrs), loc, *device);
  if (!tracked.empty()) autograd::Annotate(v, std::move(tracked));
  if (runtime::EagerMode()) {
    // Eager mode: compute now, so errors surface at the op call (MXNet's NaiveEngine).
    runtime::Caller caller{"eager", loc};
    caller.reason = runtime::FlushReason::kEager;
    const absl::Status s = runtime::Materializer::Get().Materialize({v}, /*force=*/true, caller);
    if (!s.ok()) ThrowStatus(ir::OpName(op), s, loc);
  }
  return v;
}

ValuePtr CastTo(const ValuePtr& v, DType dtype, const ir::SourceLoc& loc) {
  if (v->type().dtype == dtype) return v;
  return RecordAt(ir::Op::kCast, {v}, {}, ir::TensorType{dtype, v->type().shape}, loc);
}

ValuePtr BroadcastTo(const ValuePtr& v, const ir::Shape& shape, const ir::SourceLoc& loc) {
  if (v->type().shape == shape) return v;
  return RecordAt(ir::Op::kBroadcast, {v}, {}, ir::TensorType{v->type().dtype, shape}, loc);
}

ValuePtr ReshapeTo(const ValuePtr& v, const ir::Shape& shape, const ir::SourceLoc& loc) {
  if (v->type().shape == shape) return v;
  return RecordAt(ir::Op::kReshape, {v}, {}, ir::TensorType{v->type().dtype, shape}, loc);
}

ValuePtr Constant(const ir::Scalar& value, ir::TensorType type, const ir::SourceLoc& loc) {
  ir::Attrs attrs;
  attrs.value = value;
  return RecordAt(ir::Op::kConstant, {}, std::move(attrs), std::move(type), loc);
}

ir::Scalar ScalarForDType(const Scalar& s, DType dtype) {
  switch (dtype) {
    case DType::kFloat16:
    case DType::kBFloat16:
    case DType::kFloat32:
    case DType::kFloat64:
      // One rounding from the scalar's own value (an integer is not rounded to double first).
      return ir::Scalar::Float(s.is_float() ? ir::RoundToFloatDType(s.as_double(), dtype)
                                            : ir::RoundToFloatDType(s.as_int(), dtype));
    case DType::kBool:
      return ir::Scalar::Int(s.as_double() != 0.0 ? 1 : 0);
    case DType::kInt8:
    case DType::kUInt8:
    case DType::kInt32:
    case DType::kInt64:
      break;
  }
  // Integers: a float truncates and saturates, an integer wraps, both exactly as `cast` does.
  if (s.is_float()) return ir::Scalar::Int(ir::SaturatingFloatToInt(s.as_double(), dtype));
  const int64_t v = s.as_int();
  switch (dtype) {
    case DType::kInt8:
      return ir::Scalar::Int(static_cast<int8_t>(v));
    case DType::kUInt8:
      return ir::Scalar::Int(static_cast<uint8_t>(v));
    case DType::kInt32:
      return ir::Scalar::Int(static_cast<int32_t>(v));
    default:
      return ir::Scalar::Int(v);
  }
}

bool IntScalarFits(const Scalar& s, DType d) {
  if (s.kind() != Scalar::Kind::kInt) return true;
  if (!IsInteger(d)) return true;
  const ir::IntRange range = ir::IntegerRange(d);
  return s.as_int() >= range.lo && s.as_int() <= range.hi;
}

std::optional<ir::Shape> BroadcastShapes(const ir::Shape& a, const ir::Shape& b) {
  const size_t rank = std::max(a.size(), b.size());
  ir::Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    const int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1) return std::nullopt;
    out[i] = da == 1 ? db : da;
  }
  return out;
}

int64_t NormalizeAxis(int64_t axis, int64_t ndim, const char* api, const NDArray& a,
                      const SourceLocation& site) {
  if (axis < -ndim || axis >= ndim) {
    Fail<ShapeError>(api,
                     absl::StrCat("axis ", axis, " is out of bounds for array of dimension ", ndim),
                     {Describe(a)}, site);
  }
  return axis < 0 ? axis + ndim : axis;
}

DType FloatFor(DType d) {
  if (IsFloat(d)) return d;
  return ir::PromoteTypes(d, DType::kFloat16);
}

void CheckShape(const char* api, const ir::Shape& shape, const std::vector<std::string>& operands,
                const SourceLocation& site) {
  absl::StatusOr<int64_t> n = ir::CheckedNumElements(shape);
  if (n.ok()) return;
  if (n.status().code() == absl::StatusCode::kOutOfRange) {
    Fail<ShapeError>(api, std::string(n.status().message()), operands, site);
  }
  Fail<ValueError>(api, std::string(n.status().message()), operands, site);
}

SliceRange NormalizeSlice(const Slice& s, int64_t n) {
  SliceRange r;
  r.step = s.step;
  // Negative values count from the end; out-of-range values clip to the ends the step allows.
  auto resolve = [n](std::optional<int64_t> i, int64_t dflt, int64_t lo, int64_t hi) {
    if (!i) return dflt;
    const int64_t j = *i < 0 ? *i + n : *i;
    return std::clamp<int64_t>(j, lo, hi);
  };
  if (s.step > 0) {
    r.start = resolve(s.start, 0, 0, n);
    const int64_t stop = resolve(s.stop, n, 0, n);
    r.length = stop > r.start ? (stop - r.start - 1) / s.step + 1 : 0;
  } else {
    r.start = resolve(s.start, n - 1, -1, n - 1);
    const int64_t stop = resolve(s.stop, -1, -1, n - 1);
    r.length = stop < r.start ? (r.start - stop - 1) / (-s.step) + 1 : 0;
  }
  return r;
}

void CheckDType(const char* api, DType dtype, const SourceLocation& site) {
  if (static_cast<unsigned>(dtype) >= static_cast<unsigned>(kNumDTypes)) {
    Fail<DTypeError>(api, absl::StrCat("invalid dtype value ", static_cast<unsigned>(dtype)), {},
                     site);
  }
}

ir::ScalarKind KindOf(const Scalar& s) {
  switch (s.kind()) {
    case Scalar::Kind::kBool:
      return ir::ScalarKind::kBool;
    case Scalar::Kind::kInt:
      return ir::ScalarKind::kInt;
    case Scalar::Kind::kFloat:
      return ir::ScalarKind::kFloat;
  }
  return ir::ScalarKind::kFloat;
}

}  // namespace ndjit::frontend
