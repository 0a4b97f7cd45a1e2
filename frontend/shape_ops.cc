// Shape ops (reshape, transpose, broadcast_to, basic slicing) and matmul.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "frontend/builder.h"
#include "ir/dtype.h"
#include "ndjit/nd.h"

namespace ndjit::nd {
namespace {

using frontend::Describe;
using frontend::Fail;
using frontend::ValueOf;
using frontend::ValuePtr;

std::string Np(const ir::Shape& s) { return ir::ShapeToNumpyString(s); }

}  // namespace

NDArray reshape(const NDArray& x, Shape shape, SourceLocation site) {
  const ValuePtr& v = ValueOf(x, "reshape", site);
  int unknown = -1;
  int64_t known = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      if (unknown >= 0) {
        Fail<ValueError>("reshape", "can only specify one unknown dimension", {Describe(x)}, site);
      }
      unknown = static_cast<int>(i);
    } else if (shape[i] < 0) {
      Fail<ValueError>("reshape",
                       absl::StrCat("negative dimension ", shape[i], " in new shape ", Np(shape)),
                       {Describe(x)}, site);
    } else if (__builtin_mul_overflow(known, shape[i], &known)) {
      Fail<ShapeError>("reshape", absl::StrCat("new shape ", Np(shape), " overflows int64"),
                       {Describe(x)}, site);
    }
  }
  if (unknown >= 0) {
    if (known == 0 || x.size() % known != 0) {
      Fail<ShapeError>(
          "reshape",
          absl::StrCat("cannot reshape array of size ", x.size(), " into shape ", Np(shape)),
          {Describe(x)}, site);
    }
    shape[unknown] = x.size() / known;
  } else if (known != x.size()) {
    Fail<ShapeError>(
        "reshape",
        absl::StrCat("cannot reshape array of size ", x.size(), " into shape ", Np(shape)),
        {Describe(x)}, site);
  }
  return frontend::Wrap(
      frontend::Record(ir::Op::kReshape, {v}, {}, ir::TensorType{v->type().dtype, shape}, site));
}

NDArray transpose(const NDArray& x, std::vector<int64_t> axes, SourceLocation site) {
  const ValuePtr& v = ValueOf(x, "transpose", site);
  const int64_t ndim = x.ndim();
  std::vector<int64_t> perm;
  if (axes.empty()) {
    for (int64_t i = ndim - 1; i >= 0; --i) perm.push_back(i);
  } else {
    if (static_cast<int64_t>(axes.size()) != ndim) {
      Fail<ValueError>("transpose",
                       absl::StrCat("axes [", absl::StrJoin(axes, ", "),
                                    "] don't match array of dimension ", ndim),
                       {Describe(x)}, site);
    }
    for (int64_t a : axes) perm.push_back(frontend::NormalizeAxis(a, ndim, "transpose", x, site));
    std::vector<int64_t> sorted = perm;
    std::sort(sorted.begin(), sorted.end());
    if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
      Fail<ValueError>(
          "transpose",
          absl::StrCat("repeated axis in transpose: [", absl::StrJoin(axes, ", "), "]"),
          {Describe(x)}, site);
    }
  }
  ir::Attrs attrs;
  attrs.perm = perm;
  return frontend::Wrap(frontend::Record(ir::Op::kPermute, {v}, attrs, std::nullopt, site));
}

NDArray broadcast_to(const NDArray& x, Shape shape, SourceLocation site) {
  const ValuePtr& v = ValueOf(x, "broadcast_to", site);
  frontend::CheckShape("broadcast_to", shape, {Describe(x)}, site);
  const ir::Shape& from = x.shape();
  bool ok = shape.size() >= from.size();
  for (size_t i = 0; ok && i < from.size(); ++i) {
    const int64_t d = from[from.size() - 1 - i];
    ok = d == 1 || d == shape[shape.size() - 1 - i];
  }
  if (!ok) {
    Fail<ShapeError>(
        "broadcast_to",
        absl::StrCat("cannot broadcast an array of shape ", Np(from), " to shape ", Np(shape)),
        {Describe(x)}, site);
  }
  // Always a new node, so the result is a distinct array even when the shape is unchanged.
  return frontend::Wrap(
      frontend::Record(ir::Op::kBroadcast, {v}, {}, ir::TensorType{v->type().dtype, shape}, site));
}

NDArray slice(const NDArray& x, std::vector<Slice> slices, SourceLocation site) {
  const ValuePtr& v = ValueOf(x, "slice", site);
  const int64_t ndim = x.ndim();
  if (static_cast<int64_t>(slices.size()) > ndim) {
    Fail<ShapeError>("slice",
                     absl::StrCat("too many indices for array: array is ", ndim,
                                  "-dimensional, but ", slices.size(), " were indexed"),
                     {Describe(x)}, site);
  }
  ir::Attrs attrs;
  ir::Shape out;
  for (int64_t d = 0; d < ndim; ++d) {
    const Slice s = d < static_cast<int64_t>(slices.size()) ? slices[d] : Slice();
    const int64_t n = x.shape()[d];
    if (s.step == 0) Fail<ValueError>("slice", "slice step cannot be zero", {Describe(x)}, site);
    const frontend::SliceRange r = frontend::NormalizeSlice(s, n);
    attrs.starts.push_back(r.length > 0 ? r.start : 0);
    attrs.steps.push_back(r.step);
    out.push_back(r.length);
  }
  return frontend::Wrap(
      frontend::Record(ir::Op::kSlice, {v}, attrs, ir::TensorType{v->type().dtype, out}, site));
}

NDArray matmul(const Operand& a, const Operand& b) {
  const SourceLocation& site = a.site();
  if (!a.is_array() || !b.is_array()) {
    Fail<ValueError>("matmul", "both operands must be NDArrays (matmul takes no scalars)", {},
                     site);
  }
  const ValuePtr& va = ValueOf(a.array(), "matmul", site);
  const ValuePtr& vb = ValueOf(b.array(), "matmul", site);
  const std::vector<std::string> desc = {Describe(a.array()), Describe(b.array())};
  ir::Shape sa = va->type().shape, sb = vb->type().shape;
  if (sa.empty() || sb.empty()) {
    Fail<ValueError>("matmul",
                     absl::StrCat("input operand ", sa.empty() ? 0 : 1,
                                  " does not have enough dimensions (matmul needs at least 1-D)"),
                     desc, site);
  }
  const bool a_vec = sa.size() == 1, b_vec = sb.size() == 1;
  if (a_vec) sa.insert(sa.begin(), 1);
  if (b_vec) sb.push_back(1);
  const int64_t m = sa[sa.size() - 2], k = sa.back(), k2 = sb[sb.size() - 2], n = sb.back();
  if (k != k2) {
    Fail<ShapeError>(
        "matmul",
        absl::StrCat("core dimension mismatch: ", Np(va->type().shape), " @ ", Np(vb->type().shape),
                     " (size ", k2, " is different from ", k, ")"),
        desc, site);
  }
  const ir::Shape batch_a(sa.begin(), sa.end() - 2), batch_b(sb.begin(), sb.end() - 2);
  std::optional<ir::Shape> batch = frontend::BroadcastShapes(batch_a, batch_b);
  if (!batch) {
    Fail<ShapeError>("matmul",
                     absl::StrCat("batch dimensions could not be broadcast together: ", Np(batch_a),
                                  " and ", Np(batch_b)),
                     desc, site);
  }
  {
    ir::Shape full = *batch;
    full.insert(full.end(),
                {std::max(m, int64_t{1}), std::max(k, int64_t{1}), std::max(n, int64_t{1})});
    absl::StatusOr<int64_t> count = ir::CheckedNumElements(full);
    if (!count.ok()) Fail<ShapeError>("matmul", std::string(count.status().message()), desc, site);
  }
  const DType dtype = ir::PromoteTypes(va->type().dtype, vb->type().dtype);
  auto prepare = [&](const ValuePtr& v, const ir::Shape& as_matrix, int64_t rows, int64_t cols) {
    ValuePtr r = frontend::ReshapeTo(frontend::CastTo(v, dtype, site), as_matrix, site);
    ir::Shape full = *batch;
    full.push_back(rows);
    full.push_back(cols);
    return frontend::BroadcastTo(r, full, site);
  };
  ValuePtr x = prepare(va, sa, m, k);
  ValuePtr y = prepare(vb, sb, k, n);
  ValuePtr r = frontend::Record(ir::Op::kMatmul, {x, y}, {}, std::nullopt, site);
  ir::Shape result = *batch;
  if (!a_vec) result.push_back(m);
  if (!b_vec) result.push_back(n);
  return frontend::Wrap(frontend::ReshapeTo(r, result, site));
}

}  // namespace ndjit::nd
