// Indexing ops of the catalog: take, take_along_axis, diag, diagonal, tril, triu,
// ravel_multi_index, unravel_index, and slice_assign (the functional form of a[...] = v).
//
// Index maps that depend only on shapes are computed when the op is recorded and enter the graph
// as int64 input buffers; data-dependent indices go through `gather`, whose bounds check turns
// an out-of-range index into an error at the accessor. When the indices are already computed,
// take checks them at once, so the error names the call that was written wrong.
#include <algorithm>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "frontend/builder.h"
#include "ir/interpreter.h"
#include "ndjit/nd.h"
#include "runtime/value.h"

namespace ndjit::nd {
namespace {

using frontend::Describe;
using frontend::Fail;
using frontend::ValueOf;
using frontend::ValuePtr;

Operand At(const NDArray& a, const SourceLocation& site) { return Operand(a, site); }
template <typename T>
Operand At(T v, const SourceLocation& site) {
  return Operand(v, site);
}

ValuePtr IndexLeaf(const std::vector<int64_t>& idx, const ir::Shape& shape,
                   const SourceLocation& site) {
  ir::HostTensor t(ir::TensorType{DType::kInt64, shape});
  std::copy(idx.begin(), idx.end(), t.data_as<int64_t>());
  return runtime::Value::Realized(std::move(t), ir::SourceLoc::From(site), runtime::Device::Any());
}

NDArray Gather(const NDArray& data, const NDArray& indices, int64_t axis,
               const SourceLocation& site) {
  ir::Attrs attrs;
  attrs.axis = axis;
  return frontend::Wrap(frontend::Record(ir::Op::kGather, {data.value(), indices.value()}, attrs,
                                         std::nullopt, site));
}

NDArray IotaArray(const ir::Shape& shape, int64_t axis, const SourceLocation& site) {
  ir::Attrs attrs;
  attrs.axis = axis;
  return frontend::Wrap(
      frontend::Record(ir::Op::kIota, {}, attrs, ir::TensorType{DType::kInt64, shape}, site));
}

void RequireIntegerIndices(const char* api, const NDArray& idx, const SourceLocation& site) {
  if (!IsInteger(idx.dtype())) {
    Fail<DTypeError>(
        api, absl::StrCat("indices must have an integer dtype, got ", DTypeName(idx.dtype())),
        {Describe(idx)}, site);
  }
}

// `flat` where every coordinate was in range, else `total` (which gather rejects), so that an
// out-of-range coordinate becomes an error at the accessor rather than a wrong element.
NDArray Guarded(const NDArray& flat, const NDArray& valid, int64_t total,
                const SourceLocation& site) {
  return where(At(valid, site), At(flat, site), At(total, site));
}

}  // namespace

NDArray take(const NDArray& a, const NDArray& indices, std::optional<int64_t> axis,
             SourceLocation site) {
  ValueOf(a, "take", site);
  ValueOf(indices, "take", site);
  RequireIntegerIndices("take", indices, site);
  NDArray data = axis ? a : ravel(a, site);
  const int64_t ax = axis ? frontend::NormalizeAxis(*axis, a.ndim(), "take", a, site) : 0;
  const int64_t n = data.shape()[ax];
  if (n == 0 && indices.size() > 0) {
    Fail<ValueError>("take", "cannot do a non-empty take from an empty axis",
                     {Describe(a), Describe(indices)}, site);
  }
  if (indices.is_computed()) {
    const HostArray h = indices.asnumpy(site);
    for (int64_t i = 0; i < h.size(); ++i) {
      const double j = h.element_as_double(i);
      if (j < static_cast<double>(-n) || j >= static_cast<double>(n)) {
        Fail<ValueError>("take",
                         absl::StrCat("index ", static_cast<int64_t>(j),
                                      " is out of bounds for axis ", ax, " with size ", n),
                         {Describe(a), Describe(indices)}, site);
      }
    }
  }
  return Gather(data, indices, ax, site);
}

NDArray take_along_axis(const NDArray& arr, const NDArray& indices, int64_t axis,
                        SourceLocation site) {
  ValueOf(arr, "take_along_axis", site);
  ValueOf(indices, "take_along_axis", site);
  RequireIntegerIndices("take_along_axis", indices, site);
  if (indices.ndim() != arr.ndim()) {
    Fail<ShapeError>("take_along_axis", "indices and arr must have the same number of dimensions",
                     {Describe(arr), Describe(indices)}, site);
  }
  const int64_t ax = frontend::NormalizeAxis(axis, arr.ndim(), "take_along_axis", arr, site);
  // The result has the broadcast shape of indices and arr (with arr's axis taken from indices).
  ir::Shape arr_shape = arr.shape();
  arr_shape[ax] = indices.shape()[ax];
  std::optional<ir::Shape> out = frontend::BroadcastShapes(arr_shape, indices.shape());
  if (!out) {
    Fail<ShapeError>("take_along_axis", "shape mismatch: indices and arr could not be broadcast",
                     {Describe(arr), Describe(indices)}, site);
  }
  // Flat index into arr: the iota of every other axis, the (wrapped) index on `axis`.
  const int64_t n = arr.shape()[ax];
  NDArray i = indices.astype(DType::kInt64, site).broadcast_to(*out, site);
  NDArray valid =
      logical_and(At(At(i, site) >= At(-n, site), site), At(At(i, site) < At(n, site), site));
  i = where(At(At(i, site) < At(0, site), site), At(At(i, site) + At(n, site), site), At(i, site));
  const std::vector<int64_t> strides = ir::RowMajorStrides(arr.shape());
  NDArray flat = At(i, site) * At(strides[ax], site);
  for (int64_t d = 0; d < arr.ndim(); ++d) {
    if (d == ax || arr.shape()[d] == 1) continue;
    flat = At(flat, site) + At(At(IotaArray(*out, d, site), site) * At(strides[d], site), site);
  }
  return Gather(ravel(arr, site), Guarded(flat, valid, arr.size(), site), 0, site);
}

NDArray diagonal(const NDArray& a, int64_t offset, int64_t axis1, int64_t axis2,
                 SourceLocation site) {
  ValueOf(a, "diagonal", site);
  if (a.ndim() < 2) {
    Fail<ValueError>("diagonal", "the array must be at least 2-D", {Describe(a)}, site);
  }
  const int64_t a1 = frontend::NormalizeAxis(axis1, a.ndim(), "diagonal", a, site);
  const int64_t a2 = frontend::NormalizeAxis(axis2, a.ndim(), "diagonal", a, site);
  if (a1 == a2)
    Fail<ValueError>("diagonal", "axis1 and axis2 cannot be the same", {Describe(a)}, site);
  // Move the two axes last, flatten them, and gather the diagonal's flat positions.
  NDArray m = moveaxis(a, {a1, a2}, {-2, -1}, site);
  const int64_t rows = m.shape()[m.ndim() - 2], cols = m.shape()[m.ndim() - 1];
  const int64_t r0 = offset >= 0 ? 0 : -offset, c0 = offset >= 0 ? offset : 0;
  const int64_t len = std::max<int64_t>(0, std::min(rows - r0, cols - c0));
  std::vector<int64_t> idx;
  for (int64_t i = 0; i < len; ++i) idx.push_back((r0 + i) * cols + (c0 + i));
  ir::Shape flat_shape(m.shape().begin(), m.shape().end() - 2);
  flat_shape.push_back(rows * cols);
  NDArray flat = m.reshape(flat_shape, site);
  return Gather(flat, frontend::Wrap(IndexLeaf(idx, {len}, site)), flat.ndim() - 1, site);
}

NDArray diag(const NDArray& v, int64_t k, SourceLocation site) {
  ValueOf(v, "diag", site);
  if (v.ndim() == 2) return diagonal(v, k, 0, 1, site);
  if (v.ndim() != 1) Fail<ValueError>("diag", "input must be 1-D or 2-D", {Describe(v)}, site);
  // 1-D: an (n + |k|) square matrix with v on the k-th diagonal.
  const int64_t n = v.shape()[0], size = n + (k >= 0 ? k : -k);
  frontend::CheckShape("diag", {size, size}, {Describe(v)}, site);
  NDArray padded = pad(v, {{0, size - n}}, PadMode::kConstant, 0, site);
  NDArray values = k >= 0 ? padded.reshape({size, 1}, site) : padded.reshape({1, size}, site);
  values = values.broadcast_to({size, size}, site);
  NDArray on =
      At(At(IotaArray({size, size}, 1, site), site) - At(IotaArray({size, size}, 0, site), site),
         site) == At(k, site);
  return where(At(on, site), At(values, site), At(zeros_like(values, std::nullopt, site), site));
}

namespace {
NDArray Triangle(const char* api, const NDArray& m, int64_t k, bool lower,
                 const SourceLocation& site) {
  ValueOf(m, api, site);
  if (m.ndim() < 2) Fail<ValueError>(api, "the array must be at least 2-D", {Describe(m)}, site);
  // numpy.tril/triu act on the last two axes: keep j - i <= k (tril) or j - i >= k (triu).
  NDArray diff = At(IotaArray(m.shape(), m.ndim() - 1, site), site) -
                 At(IotaArray(m.shape(), m.ndim() - 2, site), site);
  NDArray keep = lower ? At(diff, site) <= At(k, site) : At(diff, site) >= At(k, site);
  return where(At(keep, site), At(m, site), At(zeros_like(m, std::nullopt, site), site));
}
}  // namespace

NDArray tril(const NDArray& m, int64_t k, SourceLocation site) {
  return Triangle("tril", m, k, true, site);
}
NDArray triu(const NDArray& m, int64_t k, SourceLocation site) {
  return Triangle("triu", m, k, false, site);
}

NDArray ravel_multi_index(const std::vector<NDArray>& multi_index, std::vector<int64_t> dims,
                          SourceLocation site) {
  if (multi_index.size() != dims.size()) {
    Fail<ValueError>(
        "ravel_multi_index",
        absl::StrCat("parameter multi_index must be a sequence of length ", dims.size()), {}, site);
  }
  if (dims.empty()) Fail<ValueError>("ravel_multi_index", "dims must not be empty", {}, site);
  frontend::CheckShape("ravel_multi_index", dims, {}, site);
  ir::Shape shape;
  for (const NDArray& i : multi_index) {
    ValueOf(i, "ravel_multi_index", site);
    RequireIntegerIndices("ravel_multi_index", i, site);
    std::optional<ir::Shape> s = frontend::BroadcastShapes(shape, i.shape());
    if (!s) {
      Fail<ShapeError>("ravel_multi_index", "the index arrays could not be broadcast together",
                       {Describe(i)}, site);
    }
    shape = *s;
  }
  // numpy's mode='raise': every coordinate must be within its dim.
  const std::vector<int64_t> strides = ir::RowMajorStrides(dims);
  NDArray flat = zeros(shape, DType::kInt64, site);
  NDArray valid = ones(shape, DType::kBool, site);
  for (size_t d = 0; d < dims.size(); ++d) {
    NDArray i = multi_index[d].astype(DType::kInt64, site).broadcast_to(shape, site);
    NDArray in_range = logical_and(At(At(i, site) >= At(0, site), site),
                                   At(At(i, site) < At(dims[d], site), site));
    valid = logical_and(At(valid, site), At(in_range, site));
    flat = At(flat, site) + At(At(i, site) * At(strides[d], site), site);
  }
  const int64_t total = ir::NumElements(dims);
  // Route through a gather over 0..total-1 so that an invalid coordinate is an error.
  NDArray positions = IotaArray({total}, 0, site);
  return Gather(positions, Guarded(flat, valid, total, site), 0, site);
}

NDArray ravel_multi_index(const NDArray& multi_index, std::vector<int64_t> dims,
                          SourceLocation site) {
  ValueOf(multi_index, "ravel_multi_index", site);
  // MXNet's form: one (ndim, N) array, a row per coordinate.
  if (multi_index.ndim() < 1 || multi_index.shape()[0] != static_cast<int64_t>(dims.size())) {
    Fail<ShapeError>("ravel_multi_index",
                     absl::StrCat("the first axis must have one row per dim (", dims.size(), ")"),
                     {Describe(multi_index)}, site);
  }
  std::vector<NDArray> rows;
  for (int64_t d = 0; d < static_cast<int64_t>(dims.size()); ++d) {
    std::vector<Slice> s(multi_index.ndim());
    s[0] = Slice(d, d + 1);
    ir::Shape row_shape(multi_index.shape().begin() + 1, multi_index.shape().end());
    rows.push_back(multi_index.slice(s, site).reshape(row_shape, site));
  }
  return ravel_multi_index(rows, std::move(dims), site);
}

std::vector<NDArray> unravel_index(const NDArray& indices, std::vector<int64_t> shape,
                                   SourceLocation site) {
  ValueOf(indices, "unravel_index", site);
  RequireIntegerIndices("unravel_index", indices, site);
  frontend::CheckShape("unravel_index", shape, {Describe(indices)}, site);
  const int64_t total = ir::NumElements(shape);
  // numpy raises for indices outside [0, size): checked through a gather over 0..size-1.
  NDArray i = indices.astype(DType::kInt64, site);
  NDArray valid =
      logical_and(At(At(i, site) >= At(0, site), site), At(At(i, site) < At(total, site), site));
  NDArray checked = Gather(IotaArray({total}, 0, site), Guarded(i, valid, total, site), 0, site);
  const std::vector<int64_t> strides = ir::RowMajorStrides(shape);
  std::vector<NDArray> out;
  for (size_t d = 0; d < shape.size(); ++d) {
    out.push_back(
        mod(At(floor_divide(At(checked, site), At(strides[d], site)), site), At(shape[d], site)));
  }
  return out;
}

NDArray slice_assign(const NDArray& a, std::vector<Slice> slices, const Operand& value,
                     SourceLocation site) {
  ValueOf(a, "slice_assign", site);
  // The region a[slices] as a view of a's shape: per axis, the slice position of every index of
  // a (or -1 outside the slice).
  NDArray region = a.slice(slices, site);
  if (value.is_array()) {
    ValueOf(value.array(), "slice_assign", site);
    std::optional<ir::Shape> s = frontend::BroadcastShapes(region.shape(), value.array().shape());
    if (!s || *s != region.shape()) {
      Fail<ShapeError>("slice_assign",
                       absl::StrCat("could not broadcast input array from shape ",
                                    ir::ShapeToNumpyString(value.array().shape()), " into shape ",
                                    ir::ShapeToNumpyString(region.shape())),
                       {Describe(a), Describe(value.array())}, site);
    }
  }
  // The value in a's dtype (NumPy casts on assignment) laid over the region's shape.
  NDArray v = value.is_array()
                  ? value.array().astype(a.dtype(), site).broadcast_to(region.shape(), site)
                  : full(region.shape(), value.scalar(), a.dtype(), site);
  if (region.size() == 0) return a.copy(site);
  NDArray mask = ones(a.shape(), DType::kBool, site);
  for (int64_t d = 0; d < a.ndim(); ++d) {
    const int64_t n = a.shape()[d];
    // Position inside the slice of every index of axis d.
    std::vector<int64_t> pos(n, -1);
    const frontend::SliceRange r =
        frontend::NormalizeSlice(d < static_cast<int64_t>(slices.size()) ? slices[d] : Slice(), n);
    for (int64_t j = 0; j < r.length; ++j) pos[r.start + j * r.step] = j;
    std::vector<int64_t> src(n);
    for (int64_t i = 0; i < n; ++i) src[i] = std::max<int64_t>(pos[i], 0);
    v = Gather(v, frontend::Wrap(IndexLeaf(src, {n}, site)), d, site);
    std::vector<int64_t> inside(n);
    for (int64_t i = 0; i < n; ++i) inside[i] = pos[i] >= 0;
    ir::Shape s(a.ndim(), 1);
    s[d] = n;
    NDArray axis_mask = frontend::Wrap(IndexLeaf(inside, s, site)).astype(DType::kBool, site);
    mask = logical_and(At(mask, site), At(axis_mask.broadcast_to(a.shape(), site), site));
  }
  return where(At(mask, site), At(v, site), At(a, site));
}

}  // namespace ndjit::nd
