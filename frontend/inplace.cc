// In-place ops: each rebinds the array's variable to a new node (frontend/handle.h), so readers
// recorded before the write keep the old value and readers after it see the new one.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "frontend/autograd.h"
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

bool SameKind(DType from, DType to) { return KindRank(from) <= KindRank(to); }

[[noreturn]] void FailCast(const char* api, DType from, DType to,
                           const std::vector<std::string>& operands, const SourceLocation& site) {
  Fail<DTypeError>(api,
                   absl::StrCat("cannot cast the result from ", DTypeName(from), " to ",
                                DTypeName(to), " with casting rule 'same_kind'"),
                   operands, site);
}

// MXNet refuses in-place writes to a differentiation variable while recording: the recorded
// graph would read the values from before the write, and the gradient would be taken with respect
// to them.
void CheckNotRecordedVariable(const NDArray& a, const char* api, const SourceLocation& site) {
  if (frontend::autograd::Recording() && a.handle()->grad_var() != nullptr) {
    Fail<ValueError>(api,
                     "cannot write in place to an array with attach_grad() while autograd is "
                     "recording (the recorded graph would refer to the old values); write it "
                     "outside the Record scope, or inside an autograd::Pause",
                     {Describe(a)}, site);
  }
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
  CheckNotRecordedVariable(a, api, site);
  const Operand rhs = Snapshot(b);
  const DType dtype = a.dtype();
  const std::vector<int64_t> shape = a.shape();
  a.handle()->Update([&](const runtime::ValuePtr& old) {
    const NDArray result = op(Operand(NDArray(old), site), rhs);
    // Described only for an error: this is every in-place op's path.
    const auto operands = [&] {
      return std::vector<std::string>{
          Describe(old), rhs.is_array() ? Describe(rhs.array()) : std::string("scalar")};
    };
    if (result.shape() != shape) {
      Fail<ValueError>(
          api,
          absl::StrCat("non-broadcastable output operand with shape ",
                       ir::ShapeToNumpyString(shape), " doesn't match the broadcast shape ",
                       ir::ShapeToNumpyString(result.shape())),
          operands(), site);
    }
    if (!SameKind(result.dtype(), dtype)) FailCast(api, result.dtype(), dtype, operands(), site);
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
  CheckNotRecordedVariable(*this, "fill", site);
  const ir::TensorType type{dtype(), shape()};
  handle()->Update([&](const runtime::ValuePtr&) {
    return frontend::Constant(frontend::ScalarForDType(value, type.dtype), type, site);
  });
  return *this;
}

NDArray NDArray::copyto(const NDArray& dst, SourceLocation site) const {
  const runtime::ValuePtr src = ValueOf(*this, "copyto", site);
  ValueOf(dst, "copyto", site);
  CheckNotRecordedVariable(dst, "copyto", site);
  if (dst.handle() == handle()) return dst;  // onto itself: nothing to do
  const auto operands = [&] { return std::vector<std::string>{Describe(src), Describe(dst)}; };
  const std::optional<ir::Shape> shape = frontend::BroadcastShapes(src->type().shape, dst.shape());
  if (!shape || *shape != dst.shape()) {
    Fail<ValueError>("copyto",
                     absl::StrCat("could not broadcast input array from shape ",
                                  ir::ShapeToNumpyString(src->type().shape), " into shape ",
                                  ir::ShapeToNumpyString(dst.shape())),
                     operands(), site);
  }
  if (!SameKind(src->type().dtype, dst.dtype())) {
    FailCast("copyto", src->type().dtype, dst.dtype(), operands(), site);
  }
  const ir::TensorType type{dst.dtype(), dst.shape()};
  dst.handle()->Update([&](const runtime::ValuePtr& old) {
    // Across contexts (MXNet's copyto between devices): the values move to dst's context first.
    // (A destination built from constants only is on the host.)
    runtime::ValuePtr moved = src;
    runtime::Device to = old->device();
    if (to.is_any() && !src->device().is_any()) to = runtime::Device::Cpu();
    if (src->device() != to && !src->device().is_any()) {
      moved =
          frontend::RecordAt(ir::Op::kCast, {src}, {}, src->type(), ir::SourceLoc::From(site), to);
    }
    runtime::ValuePtr v = frontend::CastTo(moved, type.dtype, site);
    v = frontend::BroadcastTo(v, type.shape, site);
    // Always a new node: dst must not share the source's value object (a later in-place op on
    // either rebinds only its own variable, but identity is what tests and users observe).
    if (v == src || (!to.is_any() && v->device() != to)) {
      // A new node on dst's context (a constant-only source would otherwise stay anywhere).
      v = frontend::RecordAt(ir::Op::kCast, {v}, {}, type, ir::SourceLoc::From(site), to);
    }
    return v;
  });
  return dst;
}

NDArray& NDArray::slice_assign(std::vector<Slice> slices, const Operand& value,
                               SourceLocation site) {
  ValueOf(*this, "slice_assign", site);
  CheckNotRecordedVariable(*this, "slice_assign", site);
  const Operand rhs = Snapshot(value);
  handle()->Update([&](const runtime::ValuePtr& old) {
    return nd::slice_assign(NDArray(old), std::move(slices), rhs, site).value();
  });
  return *this;
}

}  // namespace ndjit
