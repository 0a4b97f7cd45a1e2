// Reductions: sum, mean, max, min, argmax (NumPy semantics for axes, keepdims and dtypes).
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "frontend/builder.h"
#include "ndjit/nd.h"

namespace ndjit::nd {
namespace {

using frontend::Describe;
using frontend::Fail;
using frontend::ValueOf;
using frontend::ValuePtr;

// Sorted, unique, non-negative axes; errors name the op.
std::vector<int64_t> NormalizeAxes(const char* api, const NDArray& x, const Axes& axes,
                                   const SourceLocation& site) {
  const int64_t ndim = x.ndim();
  std::vector<int64_t> out;
  if (axes.all()) {
    for (int64_t i = 0; i < ndim; ++i) out.push_back(i);
    return out;
  }
  for (int64_t a : axes.list()) out.push_back(frontend::NormalizeAxis(a, ndim, api, x, site));
  std::sort(out.begin(), out.end());
  if (std::adjacent_find(out.begin(), out.end()) != out.end()) {
    Fail<ValueError>(
        api, absl::StrCat("duplicate value in 'axis': [", absl::StrJoin(axes.list(), ", "), "]"),
        {Describe(x)}, site);
  }
  return out;
}

ir::Shape KeptShape(const ir::Shape& in, const std::vector<int64_t>& axes, bool keepdims) {
  ir::Shape out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (std::binary_search(axes.begin(), axes.end(), int64_t(i))) {
      if (keepdims) out.push_back(1);
    } else {
      out.push_back(in[i]);
    }
  }
  return out;
}

ValuePtr Reduce(ir::Op op, const ValuePtr& v, const std::vector<int64_t>& axes, bool keepdims,
                const SourceLocation& site) {
  ValuePtr r = v;
  if (!axes.empty()) {
    ir::Attrs attrs;
    attrs.axes = axes;
    r = frontend::Record(op, {v}, std::move(attrs), std::nullopt, site);
  }
  return frontend::ReshapeTo(r, KeptShape(v->type().shape, axes, keepdims), site);
}

// NumPy: sum/prod of bool and of integers narrower than the platform int give int64.
DType SumDType(DType d) { return (d == DType::kBool || IsInteger(d)) ? DType::kInt64 : d; }

NDArray MaxMin(const char* api, ir::Op op, const NDArray& x, const Axes& axes, bool keepdims,
               const SourceLocation& site) {
  const ValuePtr& v = ValueOf(x, api, site);
  const std::vector<int64_t> ax = NormalizeAxes(api, x, axes, site);
  for (int64_t a : ax) {
    if (x.shape()[a] == 0) {
      Fail<ValueError>(
          api,
          absl::StrCat("zero-size array to reduction operation ", api, " which has no identity"),
          {Describe(x)}, site);
    }
  }
  return frontend::Wrap(Reduce(op, v, ax, keepdims, site));
}

}  // namespace

NDArray sum(const NDArray& x, Axes axes, bool keepdims, SourceLocation site) {
  const ValuePtr& v = ValueOf(x, "sum", site);
  const std::vector<int64_t> ax = NormalizeAxes("sum", x, axes, site);
  ValuePtr in = frontend::CastTo(v, SumDType(v->type().dtype), site);
  return frontend::Wrap(Reduce(ir::Op::kReduceSum, in, ax, keepdims, site));
}

NDArray mean(const NDArray& x, Axes axes, bool keepdims, SourceLocation site) {
  const ValuePtr& v = ValueOf(x, "mean", site);
  const std::vector<int64_t> ax = NormalizeAxes("mean", x, axes, site);
  const DType in_dtype = v->type().dtype;
  // Integers and bool average in float64; float16/bfloat16 accumulate in float32 (NumPy).
  const DType result = IsFloat(in_dtype) ? in_dtype : DType::kFloat64;
  const DType compute =
      (result == DType::kFloat16 || result == DType::kBFloat16) ? DType::kFloat32 : result;
  int64_t count = 1;
  for (int64_t a : ax) count *= x.shape()[a];
  ValuePtr s = Reduce(ir::Op::kReduceSum, frontend::CastTo(v, compute, site), ax, keepdims, site);
  // An empty reduction divides 0 by 0: NaN, as NumPy (which also warns).
  ValuePtr n = frontend::Constant(ir::Scalar::Float(static_cast<double>(count)), s->type(), site);
  ValuePtr m = frontend::Record(ir::Op::kDiv, {s, n}, {}, std::nullopt, site);
  return frontend::Wrap(frontend::CastTo(m, result, site));
}

NDArray max(const NDArray& x, Axes axes, bool keepdims, SourceLocation site) {
  return MaxMin("max", ir::Op::kReduceMax, x, axes, keepdims, site);
}

NDArray min(const NDArray& x, Axes axes, bool keepdims, SourceLocation site) {
  return MaxMin("min", ir::Op::kReduceMin, x, axes, keepdims, site);
}

NDArray argmax(const NDArray& x, std::optional<int64_t> axis, bool keepdims, SourceLocation site) {
  const ValuePtr& v = ValueOf(x, "argmax", site);
  auto fail_empty = [&] {
    Fail<ValueError>("argmax", "attempt to get argmax of an empty sequence", {Describe(x)}, site);
  };
  ir::Attrs attrs;
  if (!axis) {
    if (x.size() == 0) fail_empty();
    // Over the flattened array; keepdims gives an all-ones shape of the input's rank.
    ValuePtr flat = frontend::ReshapeTo(v, {x.size()}, site);
    attrs.axis = 0;
    ValuePtr r = frontend::Record(ir::Op::kArgMax, {flat}, attrs, std::nullopt, site);
    if (keepdims) r = frontend::ReshapeTo(r, ir::Shape(x.ndim(), 1), site);
    return frontend::Wrap(r);
  }
  const int64_t a = frontend::NormalizeAxis(*axis, x.ndim(), "argmax", x, site);
  if (x.shape()[a] == 0) fail_empty();  // other axes may be empty: the result is empty too
  attrs.axis = a;
  ValuePtr r = frontend::Record(ir::Op::kArgMax, {v}, attrs, std::nullopt, site);
  if (keepdims) r = frontend::ReshapeTo(r, KeptShape(x.shape(), {a}, true), site);
  return frontend::Wrap(r);
}

}  // namespace ndjit::nd
