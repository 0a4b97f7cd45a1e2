// Linear algebra (dot, tensordot, outer, batch_dot) and the NN ops NumPy lacks, with MXNet's
// semantics (softmax, log_softmax, logsumexp, pick, one_hot, dense, softmax_cross_entropy).
//
// All are compositions of matmul, reductions, views and elementwise ops. The row-wise ones
// subtract the row maximum first, so they neither overflow nor lose the small values.
#include <algorithm>
#include <cmath>
#include <numeric>

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

// Operators with the user's call site (an operator written here would record this file).
Operand At(const NDArray& a, const SourceLocation& site) { return Operand(a, site); }
template <typename T>
Operand At(T v, const SourceLocation& site) {
  return Operand(v, site);
}

NDArray AsFloat(const NDArray& x, const char* api, const SourceLocation& site) {
  const ValuePtr& v = ValueOf(x, api, site);
  return frontend::Wrap(frontend::CastTo(v, frontend::FloatFor(v->type().dtype), site));
}

// x - max(x, axis) broadcast back: the shifted logits of the row-wise ops. The results do not
// depend on the shift mathematically, so no gradient flows through the maximum (it would add a
// term that is zero up to rounding, and a reduction, to every backward pass).
NDArray Shifted(const NDArray& x, int64_t axis, const SourceLocation& site) {
  NDArray m = max(x, axis, /*keepdims=*/true, site).detach(site);
  return At(x, site) - At(m.broadcast_to(x.shape(), site), site);
}

}  // namespace

NDArray softmax(const NDArray& x, int64_t axis, SourceLocation site) {
  NDArray f = AsFloat(x, "softmax", site);
  const int64_t a = frontend::NormalizeAxis(axis, f.ndim(), "softmax", x, site);
  if (f.shape()[a] == 0) return f.copy(site);
  NDArray e = exp(Shifted(f, a, site), site);
  return At(e, site) / At(sum(e, a, /*keepdims=*/true, site).broadcast_to(f.shape(), site), site);
}

NDArray log_softmax(const NDArray& x, int64_t axis, SourceLocation site) {
  NDArray f = AsFloat(x, "log_softmax", site);
  const int64_t a = frontend::NormalizeAxis(axis, f.ndim(), "log_softmax", x, site);
  if (f.shape()[a] == 0) return f.copy(site);
  NDArray z = Shifted(f, a, site);
  return At(z, site) -
         At(log(sum(exp(z, site), a, true, site), site).broadcast_to(f.shape(), site), site);
}

NDArray logsumexp(const NDArray& x, Axes axes, bool keepdims, SourceLocation site) {
  NDArray f = AsFloat(x, "logsumexp", site);
  // log(sum(exp(x - m))) + m with m the maximum; an infinite maximum is replaced by 0 so that
  // all -inf rows give -inf and a +inf gives +inf (scipy.special.logsumexp's convention). An
  // empty reduction gives -inf.
  std::vector<int64_t> ax;
  if (axes.all()) {
    ax.resize(f.ndim());
    std::iota(ax.begin(), ax.end(), 0);
  } else {
    for (int64_t a : axes.list()) {
      ax.push_back(frontend::NormalizeAxis(a, f.ndim(), "logsumexp", x, site));
    }
  }
  for (int64_t a : ax) {
    if (f.shape()[a] == 0) {
      return full(sum(f, axes, keepdims, site).shape(), -INFINITY, f.dtype(), site);
    }
  }
  NDArray m = max(f, axes, /*keepdims=*/true, site).detach(site);  // as in Shifted
  NDArray safe = where(At(isfinite(m, site), site), At(m, site), At(0.0, site));
  NDArray s = sum(exp(At(f, site) - At(safe.broadcast_to(f.shape(), site), site), site), axes,
                  /*keepdims=*/true, site);
  NDArray r = At(log(s, site), site) + At(safe, site);
  return keepdims ? r : r.reshape(sum(f, axes, false, site).shape(), site);
}

NDArray pick(const NDArray& data, const NDArray& index, int64_t axis, bool keepdims, PickMode mode,
             SourceLocation site) {
  ValueOf(data, "pick", site);
  ValueOf(index, "pick", site);
  const int64_t a = frontend::NormalizeAxis(axis, data.ndim(), "pick", data, site);
  ir::Shape expected = data.shape();
  expected.erase(expected.begin() + a);
  ir::Shape kept = data.shape();
  kept[a] = 1;
  if (index.shape() != expected && index.shape() != kept) {
    Fail<ShapeError>("pick",
                     absl::StrCat("index shape ", Np(index.shape()), " must be ", Np(expected),
                                  " (the data shape without axis ", a, ")"),
                     {Describe(data), Describe(index)}, site);
  }
  const int64_t n = data.shape()[a];
  if (n == 0) Fail<ValueError>("pick", "cannot pick from an empty axis", {Describe(data)}, site);
  // MXNet's modes: clip clamps into [0, n), wrap takes the index modulo n. Float indices
  // truncate as MXNet's cast does.
  NDArray idx = index.astype(DType::kInt64, site);
  idx = mode == PickMode::kClip ? clip(idx, At(0, site), At(n - 1, site), site)
                                : mod(At(idx, site), At(n, site));
  idx = idx.reshape(kept, site).broadcast_to(data.shape(), site);
  ir::Attrs iota;
  iota.axis = a;
  NDArray positions = frontend::Wrap(
      frontend::Record(ir::Op::kIota, {}, iota, ir::TensorType{DType::kInt64, data.shape()}, site));
  NDArray chosen = where(At(At(positions, site) == At(idx, site), site), At(data, site),
                         At(zeros_like(data, std::nullopt, site), site));
  return sum(chosen, a, keepdims, site).astype(data.dtype(), site);
}

NDArray one_hot(const NDArray& indices, int64_t depth, double on_value, double off_value,
                DType dtype, SourceLocation site) {
  ValueOf(indices, "one_hot", site);
  if (depth < 0)
    Fail<ValueError>("one_hot", "depth must be non-negative", {Describe(indices)}, site);
  // MXNet: indices outside [0, depth) give rows of off_value.
  ir::Shape shape = indices.shape();
  shape.push_back(depth);
  frontend::CheckShape("one_hot", shape, {Describe(indices)}, site);
  ir::Shape expanded = indices.shape();
  expanded.push_back(1);
  NDArray idx =
      indices.astype(DType::kInt64, site).reshape(expanded, site).broadcast_to(shape, site);
  ir::Attrs iota;
  iota.axis = static_cast<int64_t>(shape.size()) - 1;
  NDArray positions = frontend::Wrap(
      frontend::Record(ir::Op::kIota, {}, iota, ir::TensorType{DType::kInt64, shape}, site));
  return where(At(At(positions, site) == At(idx, site), site),
               At(full(shape, on_value, dtype, site), site),
               At(full(shape, off_value, dtype, site), site));
}

NDArray tensordot(const NDArray& a, const NDArray& b, std::vector<int64_t> axes_a,
                  std::vector<int64_t> axes_b, SourceLocation site) {
  ValueOf(a, "tensordot", site);
  ValueOf(b, "tensordot", site);
  const std::vector<std::string> desc = {Describe(a), Describe(b)};
  if (axes_a.size() != axes_b.size()) {
    Fail<ValueError>("tensordot", "shape-mismatch for sum: axes lists differ in length", desc,
                     site);
  }
  for (int64_t& x : axes_a) x = frontend::NormalizeAxis(x, a.ndim(), "tensordot", a, site);
  for (int64_t& x : axes_b) x = frontend::NormalizeAxis(x, b.ndim(), "tensordot", b, site);
  int64_t contracted = 1;
  for (size_t i = 0; i < axes_a.size(); ++i) {
    if (a.shape()[axes_a[i]] != b.shape()[axes_b[i]]) {
      Fail<ShapeError>("tensordot",
                       absl::StrCat("shape-mismatch for sum: axis ", axes_a[i], " of ",
                                    Np(a.shape()), " and axis ", axes_b[i], " of ", Np(b.shape())),
                       desc, site);
    }
    contracted *= a.shape()[axes_a[i]];
  }
  // a -> (free_a, contracted), b -> (contracted, free_b), one matmul, then the free dims.
  std::vector<int64_t> perm_a, perm_b;
  ir::Shape free_a, free_b;
  for (int64_t d = 0; d < a.ndim(); ++d) {
    if (std::find(axes_a.begin(), axes_a.end(), d) == axes_a.end()) {
      perm_a.push_back(d);
      free_a.push_back(a.shape()[d]);
    }
  }
  perm_a.insert(perm_a.end(), axes_a.begin(), axes_a.end());
  perm_b = axes_b;
  for (int64_t d = 0; d < b.ndim(); ++d) {
    if (std::find(axes_b.begin(), axes_b.end(), d) == axes_b.end()) {
      perm_b.push_back(d);
      free_b.push_back(b.shape()[d]);
    }
  }
  const int64_t fa = ir::NumElements(free_a), fb = ir::NumElements(free_b);
  NDArray x = a.transpose(perm_a, site).reshape({fa, contracted}, site);
  NDArray y = b.transpose(perm_b, site).reshape({contracted, fb}, site);
  ir::Shape result = free_a;
  result.insert(result.end(), free_b.begin(), free_b.end());
  return matmul(Operand(x, site), Operand(y, site)).reshape(result, site);
}

NDArray tensordot(const NDArray& a, const NDArray& b, int64_t n, SourceLocation site) {
  ValueOf(a, "tensordot", site);
  ValueOf(b, "tensordot", site);
  if (n < 0 || n > a.ndim() || n > b.ndim()) {
    Fail<ValueError>("tensordot", absl::StrCat("cannot contract ", n, " axes"),
                     {Describe(a), Describe(b)}, site);
  }
  std::vector<int64_t> axes_a, axes_b;
  for (int64_t i = 0; i < n; ++i) {
    axes_a.push_back(a.ndim() - n + i);
    axes_b.push_back(i);
  }
  return tensordot(a, b, axes_a, axes_b, site);
}

NDArray dot(const NDArray& a, const NDArray& b, SourceLocation site) {
  ValueOf(a, "dot", site);
  ValueOf(b, "dot", site);
  // numpy.dot: scalars multiply; otherwise the last axis of a with the second-to-last of b (the
  // only one when b is 1-D).
  if (a.ndim() == 0 || b.ndim() == 0) return At(a, site) * At(b, site);
  return tensordot(a, b, {a.ndim() - 1}, {std::max<int64_t>(b.ndim() - 2, 0)}, site);
}

NDArray outer(const NDArray& a, const NDArray& b, SourceLocation site) {
  ValueOf(a, "outer", site);
  ValueOf(b, "outer", site);
  NDArray x = ravel(a, site), y = ravel(b, site);
  return nd::multiply(x.reshape({x.size(), 1}, site), y.reshape({1, y.size()}, site), site);
}

NDArray batch_dot(const NDArray& a, const NDArray& b, bool transpose_a, bool transpose_b,
                  SourceLocation site) {
  ValueOf(a, "batch_dot", site);
  ValueOf(b, "batch_dot", site);
  const std::vector<std::string> desc = {Describe(a), Describe(b)};
  // MXNet: both at least 3-D with equal ranks and equal (not broadcast) batch dims.
  if (a.ndim() < 3 || a.ndim() != b.ndim()) {
    Fail<ShapeError>("batch_dot", "operands must have the same rank, at least 3", desc, site);
  }
  if (!std::equal(a.shape().begin(), a.shape().end() - 2, b.shape().begin())) {
    Fail<ShapeError>(
        "batch_dot",
        absl::StrCat("batch dimensions differ: ", Np(a.shape()), " and ", Np(b.shape())), desc,
        site);
  }
  NDArray x = transpose_a ? swapaxes(a, -1, -2, site) : a;
  NDArray y = transpose_b ? swapaxes(b, -1, -2, site) : b;
  return matmul(Operand(x, site), Operand(y, site));
}

NDArray dense(const NDArray& x, const NDArray& weight, std::optional<NDArray> bias, bool flatten,
              SourceLocation site) {
  ValueOf(x, "dense", site);
  ValueOf(weight, "dense", site);
  std::vector<std::string> desc = {Describe(x), Describe(weight)};
  if (bias) desc.push_back(Describe(*bias));
  if (weight.ndim() != 2) {
    Fail<ShapeError>("dense", "weight must be 2-D (units, in_units)", desc, site);
  }
  if (x.ndim() < 1 || (flatten && x.ndim() < 2 && x.ndim() != 1)) {
    Fail<ShapeError>("dense", "data must be at least 1-D", desc, site);
  }
  const int64_t units = weight.shape()[0], in_units = weight.shape()[1];
  // MXNet FullyConnected: flatten=true treats data as (batch, prod(rest)); flatten=false acts on
  // the last axis.
  NDArray data = x;
  ir::Shape out_shape;
  if (flatten && x.ndim() >= 2) {
    const int64_t batch = x.shape()[0];
    data = x.reshape({batch, x.size() / std::max<int64_t>(batch, 1)}, site);
    if (batch == 0) data = x.reshape({0, in_units}, site);
    out_shape = {batch, units};
  } else {
    out_shape = x.shape();
    out_shape.back() = units;
  }
  if (data.shape().back() != in_units) {
    Fail<ShapeError>("dense",
                     absl::StrCat("data has ", data.shape().back(), " input features, weight ",
                                  Np(weight.shape()), " expects ", in_units),
                     desc, site);
  }
  NDArray y = matmul(Operand(data, site), Operand(weight.transpose({}, site), site));
  if (bias) {
    ValueOf(*bias, "dense", site);
    if (bias->size() != units || bias->ndim() > 2) {
      Fail<ShapeError>("dense", absl::StrCat("bias must have ", units, " elements"), desc, site);
    }
    y = nd::add(y, bias->reshape({units}, site), site);
  }
  return y.reshape(out_shape, site);
}

NDArray softmax_cross_entropy(const NDArray& logits, const NDArray& labels, SourceLocation site) {
  ValueOf(logits, "softmax_cross_entropy", site);
  ValueOf(labels, "softmax_cross_entropy", site);
  if (logits.ndim() < 1) {
    Fail<ShapeError>("softmax_cross_entropy", "logits must be at least 1-D",
                     {Describe(logits), Describe(labels)}, site);
  }
  // Gluon's SoftmaxCELoss with sparse labels: -pick(log_softmax(logits, -1), label), one loss
  // per sample (labels are clipped into range, as Gluon's pick does).
  NDArray lp = log_softmax(logits, -1, site);
  return negative(pick(lp, labels, -1, false, PickMode::kClip, site), site);
}

}  // namespace ndjit::nd
