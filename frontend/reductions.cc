// Reductions: sum, mean, max, min, argmax (NumPy semantics for axes, keepdims and dtypes).
#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "frontend/builder.h"
#include "ir/reduce.h"
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

namespace {
NDArray Sum(const char* api, const NDArray& x, const Axes& axes, bool keepdims,
            const SourceLocation& site) {
  const ValuePtr& v = ValueOf(x, api, site);
  const std::vector<int64_t> ax = NormalizeAxes(api, x, axes, site);
  ValuePtr in = frontend::CastTo(v, SumDType(v->type().dtype), site);
  return frontend::Wrap(Reduce(ir::Op::kReduceSum, in, ax, keepdims, site));
}
}  // namespace

NDArray sum(const NDArray& x, Axes axes, bool keepdims, SourceLocation site) {
  return Sum("sum", x, axes, keepdims, site);
}

NDArray mean(const NDArray& x, Axes axes, bool keepdims, SourceLocation site) {
  const ValuePtr& v = ValueOf(x, "mean", site);
  const std::vector<int64_t> ax = NormalizeAxes("mean", x, axes, site);
  const DType in_dtype = v->type().dtype;
  // Integers and bool average in float64; float16/bfloat16 accumulate in float32 (NumPy).
  const DType result = IsFloat(in_dtype) ? in_dtype : DType::kFloat64;
  const DType compute = ir::AccumulatorDType(result);
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

namespace {
NDArray ArgReduce(const char* api, ir::Op op, const NDArray& x, std::optional<int64_t> axis,
                  bool keepdims, const SourceLocation& site) {
  const ValuePtr& v = ValueOf(x, api, site);
  auto fail_empty = [&] {
    Fail<ValueError>(api, absl::StrCat("attempt to get ", api, " of an empty sequence"),
                     {Describe(x)}, site);
  };
  ir::Attrs attrs;
  if (!axis) {
    if (x.size() == 0) fail_empty();
    // Over the flattened array; keepdims gives an all-ones shape of the input's rank.
    ValuePtr flat = frontend::ReshapeTo(v, {x.size()}, site);
    attrs.axis = 0;
    ValuePtr r = frontend::Record(op, {flat}, attrs, std::nullopt, site);
    if (keepdims) r = frontend::ReshapeTo(r, ir::Shape(x.ndim(), 1), site);
    return frontend::Wrap(r);
  }
  const int64_t a = frontend::NormalizeAxis(*axis, x.ndim(), api, x, site);
  if (x.shape()[a] == 0) fail_empty();  // other axes may be empty: the result is empty too
  attrs.axis = a;
  ValuePtr r = frontend::Record(op, {v}, attrs, std::nullopt, site);
  if (keepdims) r = frontend::ReshapeTo(r, KeptShape(x.shape(), {a}, true), site);
  return frontend::Wrap(r);
}
}  // namespace

NDArray argmax(const NDArray& x, std::optional<int64_t> axis, bool keepdims, SourceLocation site) {
  return ArgReduce("argmax", ir::Op::kArgMax, x, axis, keepdims, site);
}

NDArray argmin(const NDArray& x, std::optional<int64_t> axis, bool keepdims, SourceLocation site) {
  return ArgReduce("argmin", ir::Op::kArgMin, x, axis, keepdims, site);
}

NDArray prod(const NDArray& x, Axes axes, bool keepdims, SourceLocation site) {
  const ValuePtr& v = ValueOf(x, "prod", site);
  const std::vector<int64_t> ax = NormalizeAxes("prod", x, axes, site);
  ValuePtr in = frontend::CastTo(v, SumDType(v->type().dtype), site);
  return frontend::Wrap(Reduce(ir::Op::kReduceProd, in, ax, keepdims, site));
}

NDArray any(const NDArray& x, Axes axes, bool keepdims, SourceLocation site) {
  // Sum on bool is logical or, and an empty one is false.
  const ValuePtr& v = ValueOf(x, "any", site);
  const std::vector<int64_t> ax = NormalizeAxes("any", x, axes, site);
  ValuePtr b = frontend::CastTo(v, DType::kBool, site);
  return frontend::Wrap(Reduce(ir::Op::kReduceSum, b, ax, keepdims, site));
}

NDArray all(const NDArray& x, Axes axes, bool keepdims, SourceLocation site) {
  // Product on bool is logical and, and an empty one is true.
  const ValuePtr& v = ValueOf(x, "all", site);
  const std::vector<int64_t> ax = NormalizeAxes("all", x, axes, site);
  ValuePtr b = frontend::CastTo(v, DType::kBool, site);
  return frontend::Wrap(Reduce(ir::Op::kReduceProd, b, ax, keepdims, site));
}

namespace {
NDArray Var(const char* api, const NDArray& x, const Axes& axes, int64_t ddof, bool keepdims,
            const SourceLocation& site) {
  const ValuePtr& v = ValueOf(x, api, site);
  const std::vector<int64_t> ax = NormalizeAxes(api, x, axes, site);
  if (ddof < 0) Fail<ValueError>(api, "ddof must be non-negative", {Describe(x)}, site);
  const DType in_dtype = v->type().dtype;
  const DType result = IsFloat(in_dtype) ? in_dtype : DType::kFloat64;
  const DType compute = ir::AccumulatorDType(result);
  int64_t count = 1;
  for (int64_t a : ax) count *= x.shape()[a];
  // numpy.var: mean of squared deviations from the mean, divided by max(count - ddof, 0).
  ValuePtr in = frontend::CastTo(v, compute, site);
  ValuePtr total = Reduce(ir::Op::kReduceSum, in, ax, /*keepdims=*/true, site);
  ValuePtr mean = frontend::Record(
      ir::Op::kDiv,
      {total,
       frontend::Constant(ir::Scalar::Float(static_cast<double>(count)), total->type(), site)},
      {}, std::nullopt, site);
  ValuePtr dev =
      frontend::Record(ir::Op::kSub, {in, frontend::BroadcastTo(mean, in->type().shape, site)}, {},
                       std::nullopt, site);
  ValuePtr sq = frontend::Record(ir::Op::kMul, {dev, dev}, {}, std::nullopt, site);
  ValuePtr ss = Reduce(ir::Op::kReduceSum, sq, ax, keepdims, site);
  const double denom = static_cast<double>(std::max<int64_t>(count - ddof, 0));
  ValuePtr r = frontend::Record(
      ir::Op::kDiv, {ss, frontend::Constant(ir::Scalar::Float(denom), ss->type(), site)}, {},
      std::nullopt, site);
  return frontend::Wrap(frontend::CastTo(r, result, site));
}

}  // namespace

NDArray var(const NDArray& x, Axes axes, int64_t ddof, bool keepdims, SourceLocation site) {
  return Var("var", x, axes, ddof, keepdims, site);
}

NDArray std(const NDArray& x, Axes axes, int64_t ddof, bool keepdims, SourceLocation site) {
  NDArray v = Var("std", x, axes, ddof, keepdims, site);
  return frontend::Wrap(frontend::Record(ir::Op::kSqrt, {v.value()}, {}, std::nullopt, site));
}

NDArray nansum(const NDArray& x, Axes axes, bool keepdims, SourceLocation site) {
  const ValuePtr& v = ValueOf(x, "nansum", site);
  if (!IsFloat(v->type().dtype)) return Sum("nansum", x, axes, keepdims, site);
  // NaNs count as zero.
  ValuePtr nan = frontend::Record(ir::Op::kIsNan, {v}, {}, std::nullopt, site);
  ValuePtr zero = frontend::Constant(ir::Scalar::Float(0.0), v->type(), site);
  ValuePtr clean = frontend::Record(ir::Op::kSelect, {nan, zero, v}, {}, std::nullopt, site);
  return Sum("nansum", frontend::Wrap(clean), axes, keepdims, site);
}

namespace {
// nanmax/nanmin: NaNs replaced by the identity of the reduction (-inf / +inf); a slice of only
// NaNs gives NaN (NumPy also warns).
NDArray NanMaxMin(const char* api, ir::Op op, const NDArray& x, const Axes& axes, bool keepdims,
                  const SourceLocation& site) {
  const ValuePtr& v = ValueOf(x, api, site);
  if (!IsFloat(v->type().dtype)) return MaxMin(api, op, x, axes, keepdims, site);
  const std::vector<int64_t> ax = NormalizeAxes(api, x, axes, site);
  for (int64_t a : ax) {
    if (x.shape()[a] == 0) {
      Fail<ValueError>(
          api,
          absl::StrCat("zero-size array to reduction operation ", api, " which has no identity"),
          {Describe(x)}, site);
    }
  }
  const double identity = op == ir::Op::kReduceMax ? -INFINITY : INFINITY;
  ValuePtr nan = frontend::Record(ir::Op::kIsNan, {v}, {}, std::nullopt, site);
  ValuePtr fill = frontend::Constant(ir::Scalar::Float(identity), v->type(), site);
  ValuePtr clean = frontend::Record(ir::Op::kSelect, {nan, fill, v}, {}, std::nullopt, site);
  ValuePtr m = Reduce(op, clean, ax, keepdims, site);
  ValuePtr all_nan = Reduce(ir::Op::kReduceProd, nan, ax, keepdims, site);
  ValuePtr nans = frontend::Constant(ir::Scalar::Float(NAN), m->type(), site);
  return frontend::Wrap(
      frontend::Record(ir::Op::kSelect, {all_nan, nans, m}, {}, std::nullopt, site));
}

// A running sum or product accumulates integers and bool in int64 (numpy.cumsum); a running max
// or min keeps the dtype (numpy.maximum.accumulate).
NDArray CumOp(const char* api, ir::Op op, const NDArray& x, std::optional<int64_t> axis,
              const SourceLocation& site) {
  const ValuePtr& v = ValueOf(x, api, site);
  const bool widen = op == ir::Op::kScanSum || op == ir::Op::kScanProd;
  ValuePtr in = widen ? frontend::CastTo(v, SumDType(v->type().dtype), site) : v;
  ir::Attrs attrs;
  if (!axis) {
    in = frontend::ReshapeTo(in, {x.size()}, site);  // numpy: axis=None scans the flat array
  } else {
    attrs.axis = frontend::NormalizeAxis(*axis, x.ndim(), api, x, site);
  }
  return frontend::Wrap(frontend::Record(op, {in}, std::move(attrs), std::nullopt, site));
}
}  // namespace

NDArray nanmax(const NDArray& x, Axes axes, bool keepdims, SourceLocation site) {
  return NanMaxMin("nanmax", ir::Op::kReduceMax, x, axes, keepdims, site);
}

NDArray nanmin(const NDArray& x, Axes axes, bool keepdims, SourceLocation site) {
  return NanMaxMin("nanmin", ir::Op::kReduceMin, x, axes, keepdims, site);
}

NDArray cumsum(const NDArray& x, std::optional<int64_t> axis, SourceLocation site) {
  return CumOp("cumsum", ir::Op::kScanSum, x, axis, site);
}

NDArray cumprod(const NDArray& x, std::optional<int64_t> axis, SourceLocation site) {
  return CumOp("cumprod", ir::Op::kScanProd, x, axis, site);
}

NDArray cummax(const NDArray& x, std::optional<int64_t> axis, SourceLocation site) {
  return CumOp("cummax", ir::Op::kScanMax, x, axis, site);
}

NDArray cummin(const NDArray& x, std::optional<int64_t> axis, SourceLocation site) {
  return CumOp("cummin", ir::Op::kScanMin, x, axis, site);
}

}  // namespace ndjit::nd
