// In-place ops: each rebinds the array's variable to a new node (frontend/handle.h), so readers
// recorded before the write keep the old value and readers after it see the new one.
#include <functional>

#include "absl/strings/str_cat.h"
#include "frontend/builder.h"
#include "frontend/handle.h"
#include "ndjit/nd.h"
#include "ndjit/ndarray.h"

namespace ndjit {

using frontend::Describe;
using frontend::Fail;
using frontend::ValueOf;

namespace {

// NumPy's kinds in "same_kind" order: a cast may go up this order or stay in its kind.
int KindRank(DType d) {
  if (d == DType::kBool) return 0;
  if (d == DType::kUInt8) return 1;
  if (IsInteger(d)) return 2;
  return 3;
}

void CheckSameKind(const char* api, DType from, DType to, const std::vector<std::string>& operands,
                   const SourceLocation& site) {
  if (KindRank(from) <= KindRank(to)) return;
  Fail<DTypeError>(api,
                   absl::StrCat("cannot cast the result from ", DTypeName(from), " to ",
                                DTypeName(to), " with casting rule 'same_kind'"),
                   operands, site);
}

// A snapshot of an operand: an array operand is replaced by a new handle on its current value,
// read before the target's variable is locked (so `a += a` and writes through views read the
// old value and never lock a variable twice).
Operand Snapshot(const Operand& o) {
  if (!o.is_array()) return o;
  return Operand(NDArray(ValueOf(o.array(), "in-place op", o.site())), o.site());
}

// `a = op(a, b)` with NumPy's in-place rules.
void Compound(NDArray& a, const char* api, const Operand& b,
              NDArray (*op)(const Operand&, const Operand&)) {
  const SourceLocation site = b.site();
  ValueOf(a, api, site);  // an empty target is a ValueError naming the op
  const Operand rhs = Snapshot(b);
  const DType dtype = a.dtype();
  const std::vector<int64_t> shape = a.shape();
  a.handle()->Update([&](const runtime::ValuePtr& old) {
    const NDArray result = op(Operand(NDArray(old), site), rhs);
    const std::vector<std::string> operands = {
        Describe(old), rhs.is_array() ? Describe(rhs.array()) : std::string("scalar")};
    if (result.shape() != shape) {
      Fail<ValueError>(
          api,
          absl::StrCat("non-broadcastable output operand with shape ",
                       ir::ShapeToNumpyString(shape), " doesn't match the broadcast shape ",
                       ir::ShapeToNumpyString(result.shape())),
          operands, site);
    }
    CheckSameKind(api, result.dtype(), dtype, operands, site);
    return frontend::CastTo(result.value(), dtype, site);
  });
}

}  // namespace

NDArray& NDArray::operator+=(const Operand& b) {
  Compound(*this, "operator+=", b, &ndjit::operator+);
  return *this;
}
NDArray& NDArray::operator-=(const Operand& b) {
  Compound(*this, "operator-=", b,
           static_cast<NDArray (*)(const Operand&, const Operand&)>(&ndjit::operator-));
  return *this;
}
NDArray& NDArray::operator*=(const Operand& b) {
  Compound(*this, "operator*=", b, &ndjit::operator*);
  return *this;
}
NDArray& NDArray::operator/=(const Operand& b) {
  Compound(*this, "operator/=", b, &ndjit::operator/);
  return *this;
}

NDArray& NDArray::fill(Scalar value, SourceLocation site) {
  ValueOf(*this, "fill", site);
  const ir::TensorType type{dtype(), shape()};
  handle()->Update([&](const runtime::ValuePtr&) {
    return frontend::Constant(frontend::ScalarForDType(value, type.dtype), type, site);
  });
  return *this;
}

NDArray NDArray::copyto(const NDArray& dst, SourceLocation site) const {
  const runtime::ValuePtr src = ValueOf(*this, "copyto", site);
  ValueOf(dst, "copyto", site);
  if (dst.handle() == handle()) return dst;  // onto itself: nothing to do
  const std::vector<std::string> operands = {Describe(src), Describe(dst)};
  const std::optional<ir::Shape> shape = frontend::BroadcastShapes(src->type().shape, dst.shape());
  if (!shape || *shape != dst.shape()) {
    Fail<ValueError>("copyto",
                     absl::StrCat("could not broadcast input array from shape ",
                                  ir::ShapeToNumpyString(src->type().shape), " into shape ",
                                  ir::ShapeToNumpyString(dst.shape())),
                     operands, site);
  }
  CheckSameKind("copyto", src->type().dtype, dst.dtype(), operands, site);
  const ir::TensorType type{dst.dtype(), dst.shape()};
  dst.handle()->Update([&](const runtime::ValuePtr&) {
    runtime::ValuePtr v = frontend::CastTo(src, type.dtype, site);
    v = frontend::BroadcastTo(v, type.shape, site);
    // Always a new node: dst must not share the source's value object (a later in-place op on
    // either rebinds only its own variable, but identity is what tests and users observe).
    if (v == src) v = frontend::Record(ir::Op::kCast, {v}, {}, type, site);
    return v;
  });
  return dst;
}

NDArray& NDArray::slice_assign(std::vector<Slice> slices, const Operand& value,
                               SourceLocation site) {
  ValueOf(*this, "slice_assign", site);
  const int64_t ndim = this->ndim();
  const ir::Shape full = shape();
  const DType dtype = this->dtype();
  if (static_cast<int64_t>(slices.size()) > ndim) {
    Fail<ShapeError>("slice_assign",
                     absl::StrCat("too many indices for array: array is ", ndim,
                                  "-dimensional, but ", slices.size(), " were indexed"),
                     {Describe(*this)}, site);
  }
  // Each axis as a positive-step range: positions first + j * step for j < length, filled by
  // the value's element j (or length - 1 - j where the slice's step is negative).
  struct Range {
    int64_t first, step, length;
    bool reversed;
  };
  std::vector<Range> ranges;
  ir::Shape region;
  for (int64_t d = 0; d < ndim; ++d) {
    const Slice s = d < static_cast<int64_t>(slices.size()) ? slices[d] : Slice();
    if (s.step == 0) {
      Fail<ValueError>("slice_assign", "slice step cannot be zero", {Describe(*this)}, site);
    }
    const frontend::SliceRange r = frontend::NormalizeSlice(s, full[d]);
    Range range{r.start, r.step, r.length, false};
    if (r.step < 0 && r.length > 0) {
      range = Range{r.start + (r.length - 1) * r.step, -r.step, r.length, true};
    }
    ranges.push_back(range);
    region.push_back(r.length);
  }
  const Operand rhs = Snapshot(value);
  if (rhs.is_array()) {
    const std::optional<ir::Shape> b = frontend::BroadcastShapes(rhs.array().shape(), region);
    if (!b || *b != region) {
      Fail<ValueError>("slice_assign",
                       absl::StrCat("could not broadcast input array from shape ",
                                    ir::ShapeToNumpyString(rhs.array().shape()), " into shape ",
                                    ir::ShapeToNumpyString(region)),
                       {Describe(*this), Describe(rhs.array())}, site);
    }
  }
  if (ir::NumElements(region) == 0) return *this;  // nothing is assigned
  // The value in the region's shape and a's dtype (astype's conversion).
  runtime::ValuePtr v;
  if (rhs.is_array()) {
    v = frontend::CastTo(rhs.array().value(), dtype, site);
    v = frontend::BroadcastTo(v, region, site);
  } else {
    v = frontend::Constant(frontend::ScalarForDType(rhs.scalar(), dtype),
                           ir::TensorType{dtype, region}, site);
  }
  runtime::ValuePtr mask =
      frontend::Constant(ir::Scalar::Int(1), ir::TensorType{DType::kBool, region}, site);
  // Spread value and mask over the whole array axis by axis, with views only: flip a reversed
  // axis, interleave step - 1 gaps (reshape to (.., L, 1, ..), pad to (.., L, step, ..), merge,
  // cut the trailing gaps), then pad to the axis's size.
  auto spread = [&](runtime::ValuePtr x, int64_t d, const Range& r, ir::Scalar pad_value) {
    const DType t = x->type().dtype;
    if (r.reversed) {
      ir::Attrs flip;
      flip.axes = {d};
      x = frontend::Record(ir::Op::kFlip, {x}, flip, std::nullopt, site);
    }
    ir::Shape s = x->type().shape;
    if (r.step > 1 && r.length > 1) {
      ir::Shape split = s;
      split.insert(split.begin() + d + 1, 1);
      x = frontend::ReshapeTo(x, split, site);
      ir::Attrs gap;
      gap.low.assign(split.size(), 0);
      gap.high.assign(split.size(), 0);
      gap.high[d + 1] = r.step - 1;
      gap.value = pad_value;
      x = frontend::Record(ir::Op::kPad, {x}, gap, std::nullopt, site);
      ir::Shape merged = s;
      merged[d] = r.length * r.step;
      x = frontend::ReshapeTo(x, merged, site);
      ir::Attrs cut;
      cut.starts.assign(merged.size(), 0);
      cut.steps.assign(merged.size(), 1);
      s[d] = (r.length - 1) * r.step + 1;
      x = frontend::Record(ir::Op::kSlice, {x}, cut, ir::TensorType{t, s}, site);
    }
    const int64_t covered = (r.length - 1) * r.step + 1;
    ir::Attrs place;
    place.low.assign(s.size(), 0);
    place.high.assign(s.size(), 0);
    place.low[d] = r.first;
    place.high[d] = full[d] - r.first - covered;
    place.value = pad_value;
    if (place.low[d] != 0 || place.high[d] != 0) {
      x = frontend::Record(ir::Op::kPad, {x}, place, std::nullopt, site);
    }
    return x;
  };
  for (int64_t d = 0; d < ndim; ++d) {
    const Range& r = ranges[d];
    if (r.length == full[d] && r.step == 1) {
      if (r.reversed) {
        v = spread(v, d, r, frontend::ScalarForDType(Scalar(0), dtype));
      }
      continue;  // the whole axis: the mask is already true along it
    }
    v = spread(v, d, r, frontend::ScalarForDType(Scalar(0), dtype));
    mask = spread(mask, d, r, ir::Scalar::Int(0));
  }
  mask = frontend::BroadcastTo(mask, full, site);
  handle()->Update([&](const runtime::ValuePtr& old) {
    return frontend::Record(ir::Op::kSelect, {mask, v, old}, {}, std::nullopt, site);
  });
  return *this;
}

}  // namespace ndjit
