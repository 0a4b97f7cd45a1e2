// The gradient rule of every IR primitive (reverse mode): given g = d head / d y for y = op(x...),
// the contribution to d head / d x_i, built from IR primitives so that it is lazy graph IR like
// the forward computation. The switch has no default: a new op in ops.def does not compile until
// it has a rule here (or says why it has none).
//
// Every frontend function (softmax, mean, dense, pick, ...) is a composition of these
// primitives, so its gradient follows from theirs.
#include <cmath>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "frontend/autograd.h"
#include "frontend/builder.h"
#include "ir/dtype.h"
#include "ir/ops.h"

namespace ndjit::frontend::autograd {
namespace {

using ir::Op;

// Builds gradient nodes at the forward node's call site.
class G {
 public:
  explicit G(const ir::SourceLoc& loc) : loc_(loc) {}

  ValuePtr Un(Op op, const ValuePtr& x) const { return RecordAt(op, {x}, {}, std::nullopt, loc_); }
  ValuePtr Bin(Op op, const ValuePtr& a, const ValuePtr& b) const {
    return RecordAt(op, {a, b}, {}, std::nullopt, loc_);
  }
  ValuePtr Add(const ValuePtr& a, const ValuePtr& b) const { return Bin(Op::kAdd, a, b); }
  ValuePtr Sub(const ValuePtr& a, const ValuePtr& b) const { return Bin(Op::kSub, a, b); }
  ValuePtr Mul(const ValuePtr& a, const ValuePtr& b) const { return Bin(Op::kMul, a, b); }
  ValuePtr Div(const ValuePtr& a, const ValuePtr& b) const { return Bin(Op::kDiv, a, b); }
  ValuePtr Neg(const ValuePtr& a) const { return Un(Op::kNeg, a); }
  // A constant shaped and typed like `like` (rounded to its dtype).
  ValuePtr Const(double value, const ValuePtr& like) const { return Const(value, like->type()); }
  ValuePtr Const(double value, const ir::TensorType& type) const {
    return Constant(ScalarForDType(Scalar(value), type.dtype), type, loc_);
  }
  ValuePtr Select(const ValuePtr& c, const ValuePtr& a, const ValuePtr& b) const {
    return RecordAt(Op::kSelect, {c, a, b}, {}, std::nullopt, loc_);
  }
  // a where `c`, zero elsewhere.
  ValuePtr Where(const ValuePtr& c, const ValuePtr& a) const { return Select(c, a, Const(0, a)); }
  ValuePtr Cast(const ValuePtr& x, DType dtype) const { return CastTo(x, dtype, loc_); }
  ValuePtr Reshape(const ValuePtr& x, const ir::Shape& shape) const {
    return ReshapeTo(x, shape, loc_);
  }
  ValuePtr Broadcast(const ValuePtr& x, const ir::Shape& shape) const {
    return BroadcastTo(x, shape, loc_);
  }
  ValuePtr Permute(const ValuePtr& x, std::vector<int64_t> perm) const {
    ir::Attrs attrs;
    attrs.perm = std::move(perm);
    return RecordAt(Op::kPermute, {x}, std::move(attrs), std::nullopt, loc_);
  }
  ValuePtr Sum(const ValuePtr& x, std::vector<int64_t> axes) const {
    if (axes.empty()) return x;
    ir::Attrs attrs;
    attrs.axes = std::move(axes);
    return RecordAt(Op::kReduceSum, {x}, std::move(attrs), std::nullopt, loc_);
  }
  ValuePtr Reduce(Op op, const ValuePtr& x, std::vector<int64_t> axes) const {
    ir::Attrs attrs;
    attrs.axes = std::move(axes);
    return RecordAt(op, {x}, std::move(attrs), std::nullopt, loc_);
  }
  ValuePtr Slice(const ValuePtr& x, std::vector<int64_t> starts, std::vector<int64_t> steps,
                 const ir::Shape& shape) const {
    ir::Attrs attrs;
    attrs.starts = std::move(starts);
    attrs.steps = std::move(steps);
    return RecordAt(Op::kSlice, {x}, std::move(attrs), ir::TensorType{x->type().dtype, shape},
                    loc_);
  }
  // Zeros before and after each axis.
  ValuePtr Pad(const ValuePtr& x, std::vector<int64_t> low, std::vector<int64_t> high) const {
    ir::Attrs attrs;
    attrs.low = std::move(low);
    attrs.high = std::move(high);
    attrs.value = ScalarForDType(Scalar(0), x->type().dtype);
    return RecordAt(Op::kPad, {x}, std::move(attrs), std::nullopt, loc_);
  }
  ValuePtr Flip(const ValuePtr& x, std::vector<int64_t> axes) const {
    ir::Attrs attrs;
    attrs.axes = std::move(axes);
    return RecordAt(Op::kFlip, {x}, std::move(attrs), std::nullopt, loc_);
  }
  ValuePtr Iota(const ir::TensorType& type, int64_t axis) const {
    ir::Attrs attrs;
    attrs.axis = axis;
    return RecordAt(Op::kIota, {}, std::move(attrs), type, loc_);
  }
  ValuePtr Matmul(const ValuePtr& a, const ValuePtr& b) const { return Bin(Op::kMatmul, a, b); }
  ValuePtr Gather(const ValuePtr& data, const ValuePtr& indices, int64_t axis) const {
    ir::Attrs attrs;
    attrs.axis = axis;
    return RecordAt(Op::kGather, {data, indices}, std::move(attrs), std::nullopt, loc_);
  }
  ValuePtr Scan(Op op, const ValuePtr& x, int64_t axis) const {
    ir::Attrs attrs;
    attrs.axis = axis;
    return RecordAt(op, {x}, std::move(attrs), std::nullopt, loc_);
  }
  // Swaps the last two axes.
  ValuePtr T(const ValuePtr& x) const {
    std::vector<int64_t> perm(x->type().shape.size());
    std::iota(perm.begin(), perm.end(), 0);
    std::swap(perm[perm.size() - 1], perm[perm.size() - 2]);
    return Permute(x, std::move(perm));
  }
  // `r` (the result of reducing x over `axes`) broadcast back to x's shape.
  ValuePtr Unreduce(const ValuePtr& r, const ir::Shape& x_shape,
                    const std::vector<int64_t>& axes) const {
    ir::Shape kept = x_shape;
    for (int64_t a : axes) kept[a] = 1;
    return Broadcast(Reshape(r, kept), x_shape);
  }

 private:
  ir::SourceLoc loc_;
};

bool IsFloatValue(const ValuePtr& v) { return IsFloat(v->type().dtype); }

// The gradient of y = cumprod(x) along `axis`, exact with zeros. d y_k / d x_i (k >= i) is the
// product of every x_j, j <= k, but x_i. Before the first zero of the row (i < z) that is
// y_k / x_i, so dx_i = revcumsum(g * y)_i / x_i (terms at k >= z are zero since y_k is). At the
// first zero, dx_z = sum over k >= z of g_k * y'_k, where y' is cumprod(x) with x_z read as 1.
// After it, every product includes x_z = 0, so dx_i = 0.
ValuePtr ScanProdGradient(const G& b, const ValuePtr& g, const ValuePtr& x, const ValuePtr& y,
                          int64_t axis) {
  auto reverse_cumsum = [&](const ValuePtr& v) {
    return b.Flip(b.Scan(Op::kScanSum, b.Flip(v, {axis}), axis), {axis});
  };
  const ir::TensorType count_type{DType::kInt64, x->type().shape};
  ValuePtr is_zero = b.Bin(Op::kEq, x, b.Const(0, x));
  ValuePtr zeros_so_far = b.Scan(Op::kScanSum, b.Cast(is_zero, DType::kInt64), axis);
  ValuePtr before = b.Bin(Op::kEq, zeros_so_far, b.Const(0, count_type));
  ValuePtr first = b.Bin(Op::kAnd, is_zero, b.Bin(Op::kEq, zeros_so_far, b.Const(1, count_type)));
  ValuePtr from_first = b.Bin(Op::kGe, zeros_so_far, b.Const(1, count_type));
  ValuePtr one = b.Const(1, x);
  ValuePtr before_zero = b.Div(reverse_cumsum(b.Mul(g, y)), b.Select(before, x, one));
  ValuePtr y_skip = b.Scan(Op::kScanProd, b.Select(first, one, x), axis);
  ValuePtr at_zero = reverse_cumsum(b.Where(from_first, b.Mul(g, y_skip)));
  return b.Select(before, before_zero, b.Where(first, at_zero));
}

// The gradient of y = cummax(x) or cummin(x) along `axis`: each g_j goes to the position that
// set the running extreme y_j, the last of equal candidates (PyTorch's cummax indices), or the
// first NaN, which every later y_j is. A position i sets it where x_i == y_i (x_i is at least
// every earlier element) or at the row's first NaN; g_j flows to the last setter i <= j. So a
// setter i receives sum of g over [i, next_i) = R_i - R_next_i, where R is the reverse
// cumulative sum of g (zero past the end) and next_i the first setter after i (n if none).
// next_i comes from a reverse running min of the setters' positions; R_next_i is gathered from
// the rows laid out flat.
ValuePtr ScanExtremeGradient(const G& b, const ValuePtr& g, const ValuePtr& x, const ValuePtr& y,
                             int64_t axis) {
  const ir::Shape& shape = x->type().shape;
  const int64_t rank = static_cast<int64_t>(shape.size());
  const int64_t n = shape[axis];
  if (ir::NumElements(shape) == 0) return b.Const(0, x);
  const ir::TensorType index_type{DType::kInt64, shape};
  ValuePtr nan = b.Un(Op::kIsNan, x);
  ValuePtr nans_so_far = b.Scan(Op::kScanSum, b.Cast(nan, DType::kInt64), axis);
  ValuePtr first_nan = b.Bin(Op::kAnd, nan, b.Bin(Op::kEq, nans_so_far, b.Const(1, index_type)));
  ValuePtr setter = b.Bin(Op::kOr, b.Bin(Op::kEq, x, y), first_nan);
  // next_i - n: the reverse running min of (k - n) over setters k > i, 0 where there is none.
  ValuePtr pos = b.Sub(b.Iota(index_type, axis), b.Const(static_cast<double>(n), index_type));
  ValuePtr keyed = b.Where(setter, pos);
  ValuePtr nearest = b.Flip(b.Scan(Op::kScanMin, b.Flip(keyed, {axis}), axis), {axis});
  std::vector<int64_t> starts(rank, 0), steps(rank, 1), low(rank, 0), high(rank, 0);
  starts[axis] = 1;
  ir::Shape rest = shape;
  rest[axis] = n - 1;
  high[axis] = 1;
  ValuePtr next = b.Add(b.Pad(b.Slice(nearest, starts, steps, rest), low, high),
                        b.Const(static_cast<double>(n), index_type));
  // R, and R with a zero appended along the axis; `next` and that moved to rows with the axis
  // last, and R_next_i gathered at row * (n + 1) + next_i.
  ValuePtr r = b.Flip(b.Scan(Op::kScanSum, b.Flip(g, {axis}), axis), {axis});
  std::vector<int64_t> perm, inverse(rank);
  for (int64_t d = 0; d < rank; ++d) {
    if (d != axis) perm.push_back(d);
  }
  perm.push_back(axis);
  for (int64_t d = 0; d < rank; ++d) inverse[perm[d]] = d;
  const int64_t rows = ir::NumElements(shape) / n;
  const ir::Shape row_shape = {rows, n};
  ValuePtr next_rows = b.Reshape(b.Permute(next, perm), row_shape);
  ValuePtr row = b.Iota(ir::TensorType{DType::kInt64, row_shape}, 0);
  ValuePtr flat = b.Add(b.Mul(row, b.Const(static_cast<double>(n + 1), row)), next_rows);
  ValuePtr r_flat = b.Reshape(b.Permute(b.Pad(r, low, high), perm), {rows * (n + 1)});
  ir::Shape permuted;
  for (int64_t d : perm) permuted.push_back(shape[d]);
  ValuePtr r_next = b.Permute(b.Reshape(b.Gather(r_flat, flat, 0), permuted), inverse);
  return b.Where(setter, b.Sub(r, r_next));
}

// The gradient of x[starts + j * steps] (a strided slice): g placed at the positions read,
// zeros elsewhere. Built axis by axis from views: a step of s interleaves s - 1 zeros (pad a
// new axis and merge it), a negative step flips first, and the offset pads.
ValuePtr SliceGradient(const G& b, ValuePtr g, const ir::Shape& x_shape,
                       const std::vector<int64_t>& starts, const std::vector<int64_t>& steps) {
  const size_t rank = x_shape.size();
  for (size_t a = 0; a < rank; ++a) {
    const ir::Shape& shape = g->type().shape;
    const int64_t len = shape[a], n = x_shape[a];
    if (len == n && steps[a] == 1) continue;  // the whole axis
    if (len == 0) {
      ir::Shape zeros = shape;
      zeros[a] = n;
      g = b.Const(0, ir::TensorType{g->type().dtype, zeros});
      continue;
    }
    int64_t start = starts[a];
    int64_t step = steps[a];
    if (step < 0) {
      g = b.Flip(g, {static_cast<int64_t>(a)});
      step = -step;
      start = start - (len - 1) * step;  // the smallest index read
    }
    if (step > 1) {
      // (.., len, ..) -> (.., len, 1, ..) -> pad to (.., len, step, ..) -> (.., len * step, ..)
      // -> the first (len - 1) * step + 1 entries.
      ir::Shape split = shape;
      split.insert(split.begin() + a + 1, 1);
      std::vector<int64_t> low(rank + 1, 0), high(rank + 1, 0);
      high[a + 1] = step - 1;
      g = b.Pad(b.Reshape(g, split), low, high);
      ir::Shape merged = shape;
      merged[a] = len * step;
      g = b.Reshape(g, merged);
      ir::Shape cut = merged;
      cut[a] = (len - 1) * step + 1;
      g = b.Slice(g, std::vector<int64_t>(rank, 0), std::vector<int64_t>(rank, 1), cut);
    }
    const int64_t span = (len - 1) * step + 1;
    std::vector<int64_t> low(rank, 0), high(rank, 0);
    low[a] = start;
    high[a] = n - start - span;
    g = b.Pad(g, low, high);
  }
  return g;
}

// d/d data of gather(data, indices, axis): g summed into the positions the indices name
// (several indices may name one position). data is [A.., n, B..], indices [I..], g
// [A.., I.., B..]: compare every index with every position along a new axis of length n and sum
// over the index axes.
ValuePtr GatherGradient(const G& b, const ValuePtr& g, const ir::Shape& data_shape,
                        const ValuePtr& indices, int64_t axis) {
  const int64_t n = data_shape[axis];
  const ir::Shape& index_shape = indices->type().shape;
  const int64_t ri = static_cast<int64_t>(index_shape.size());
  ir::Shape t = g->type().shape;  // [A.., I.., B..] -> [A.., I.., n, B..]
  t.insert(t.begin() + axis + ri, n);
  ir::Shape g1 = t;
  g1[axis + ri] = 1;
  ValuePtr ge = b.Broadcast(b.Reshape(g, g1), t);
  // Indices as int64, negatives counted from the end, placed on the index axes of t.
  ValuePtr idx = b.Cast(indices, DType::kInt64);
  idx = b.Select(b.Bin(Op::kLt, idx, b.Const(0, idx)), b.Add(idx, b.Const(double(n), idx)), idx);
  ir::Shape i1(t.size(), 1);
  for (int64_t k = 0; k < ri; ++k) i1[axis + k] = index_shape[k];
  idx = b.Broadcast(b.Reshape(idx, i1), t);
  ValuePtr pos = b.Iota(ir::TensorType{DType::kInt64, t}, axis + ri);
  ValuePtr picked = b.Where(b.Bin(Op::kEq, pos, idx), ge);
  std::vector<int64_t> index_axes(ri);
  std::iota(index_axes.begin(), index_axes.end(), axis);
  return b.Sum(picked, index_axes);
}

}  // namespace

std::vector<ValuePtr> GradientRule(const ValuePtr& y, const std::vector<ValuePtr>& x,
                                   const std::vector<bool>& needed, const ValuePtr& g) {
  const G b(y->loc());
  const ir::Attrs& at = y->attrs();
  std::vector<ValuePtr> out(x.size());
  // Contributions are built only for operands that need one (recorded from a variable) and
  // can take one (floats).
  auto flows = [&](size_t i) { return needed[i] && IsFloatValue(x[i]); };
  auto set = [&](size_t i, auto make) {
    if (flows(i)) out[i] = make();
  };
  const ValuePtr& x0 = x.empty() ? y : x[0];
  switch (y->op()) {
    // Leaves have no operands.
    case Op::kInput:
    case Op::kConstant:
    case Op::kIota:
    case Op::kRandom:
      break;

    // ---- Unary ----
    case Op::kNeg:
      out[0] = b.Neg(g);
      break;
    case Op::kAbs:  // sign(x): 0 at 0, as MXNet
      out[0] = b.Mul(g, b.Un(Op::kSign, x0));
      break;
    case Op::kExp:
      out[0] = b.Mul(g, y);
      break;
    case Op::kExpm1:
      out[0] = b.Mul(g, b.Add(y, b.Const(1, y)));
      break;
    case Op::kLog:
      out[0] = b.Div(g, x0);
      break;
    case Op::kLog1p:
      out[0] = b.Div(g, b.Add(x0, b.Const(1, x0)));
      break;
    case Op::kLog2:
      out[0] = b.Div(g, b.Mul(x0, b.Const(M_LN2, x0)));
      break;
    case Op::kLog10:
      out[0] = b.Div(g, b.Mul(x0, b.Const(M_LN10, x0)));
      break;
    case Op::kExp2:
      out[0] = b.Mul(g, b.Mul(y, b.Const(M_LN2, y)));
      break;
    case Op::kSqrt:  // 1 / (2 sqrt(x))
      out[0] = b.Div(g, b.Mul(y, b.Const(2, y)));
      break;
    case Op::kSin:
      out[0] = b.Mul(g, b.Un(Op::kCos, x0));
      break;
    case Op::kCos:
      out[0] = b.Neg(b.Mul(g, b.Un(Op::kSin, x0)));
      break;
    case Op::kTan:  // 1 + tan(x)^2
      out[0] = b.Mul(g, b.Add(b.Const(1, y), b.Mul(y, y)));
      break;
    case Op::kAsin:  // 1 / sqrt(1 - x^2)
      out[0] = b.Div(g, b.Un(Op::kSqrt, b.Sub(b.Const(1, x0), b.Mul(x0, x0))));
      break;
    case Op::kAcos:
      out[0] = b.Neg(b.Div(g, b.Un(Op::kSqrt, b.Sub(b.Const(1, x0), b.Mul(x0, x0)))));
      break;
    case Op::kAtan:  // 1 / (1 + x^2)
      out[0] = b.Div(g, b.Add(b.Const(1, x0), b.Mul(x0, x0)));
      break;
    case Op::kSinh:
      out[0] = b.Mul(g, b.Un(Op::kCosh, x0));
      break;
    case Op::kCosh:
      out[0] = b.Mul(g, b.Un(Op::kSinh, x0));
      break;
    case Op::kTanh:  // 1 - tanh(x)^2
      out[0] = b.Mul(g, b.Sub(b.Const(1, y), b.Mul(y, y)));
      break;
    case Op::kAsinh:  // 1 / sqrt(x^2 + 1)
      out[0] = b.Div(g, b.Un(Op::kSqrt, b.Add(b.Mul(x0, x0), b.Const(1, x0))));
      break;
    case Op::kAcosh:  // 1 / sqrt(x^2 - 1)
      out[0] = b.Div(g, b.Un(Op::kSqrt, b.Sub(b.Mul(x0, x0), b.Const(1, x0))));
      break;
    case Op::kAtanh:  // 1 / (1 - x^2)
      out[0] = b.Div(g, b.Sub(b.Const(1, x0), b.Mul(x0, x0)));
      break;
    case Op::kErf:  // 2 / sqrt(pi) * exp(-x^2)
      out[0] = b.Mul(g, b.Mul(b.Const(M_2_SQRTPI, x0), b.Un(Op::kExp, b.Neg(b.Mul(x0, x0)))));
      break;
    // Piecewise constant: gradient zero wherever it exists (MXNet and PyTorch agree).
    case Op::kSign:
    case Op::kFloor:
    case Op::kCeil:
    case Op::kRound:
    case Op::kTrunc:
      break;
    // Not differentiable: integer or bool operands and results.
    case Op::kNot:
    case Op::kIsNan:
    case Op::kIsInf:
    case Op::kIsFinite:
      break;

    // ---- Binary ----
    case Op::kAdd:
      set(0, [&] { return g; });
      set(1, [&] { return g; });
      break;
    case Op::kSub:
      set(0, [&] { return g; });
      set(1, [&] { return b.Neg(g); });
      break;
    case Op::kMul:
      set(0, [&] { return b.Mul(g, x[1]); });
      set(1, [&] { return b.Mul(g, x[0]); });
      break;
    case Op::kDiv:  // a / b: 1 / b and -a / b^2 = -y / b
      set(0, [&] { return b.Div(g, x[1]); });
      set(1, [&] { return b.Neg(b.Div(b.Mul(g, y), x[1])); });
      break;
    case Op::kFloorDiv:  // piecewise constant
      break;
    case Op::kMod:  // a - floor(a / b) * b
      set(0, [&] { return g; });
      set(1, [&] { return b.Neg(b.Mul(g, b.Bin(Op::kFloorDiv, x[0], x[1]))); });
      break;
    case Op::kPow: {
      // d/da = b a^(b-1) (taken as 0 where b == 0, so 0^0 does not give 0 * inf);
      // d/db = y log(a) (taken as 0 where a == 0, the limit for b > 0).
      const ValuePtr& base = x[0];
      const ValuePtr& e = x[1];
      set(0, [&] {
        ValuePtr da = b.Mul(e, b.Bin(Op::kPow, base, b.Sub(e, b.Const(1, e))));
        return b.Mul(g, b.Select(b.Bin(Op::kEq, e, b.Const(0, e)), b.Const(0, e), da));
      });
      set(1, [&] {
        ValuePtr db = b.Mul(y, b.Un(Op::kLog, base));
        return b.Mul(g, b.Select(b.Bin(Op::kEq, base, b.Const(0, base)), b.Const(0, base), db));
      });
      break;
    }
    case Op::kMax:  // ties go to the first operand (MXNet: a >= b)
      set(0, [&] { return b.Where(b.Bin(Op::kGe, x[0], x[1]), g); });
      set(1, [&] { return b.Where(b.Bin(Op::kLt, x[0], x[1]), g); });
      break;
    case Op::kMin:
      set(0, [&] { return b.Where(b.Bin(Op::kLe, x[0], x[1]), g); });
      set(1, [&] { return b.Where(b.Bin(Op::kGt, x[0], x[1]), g); });
      break;
    case Op::kAtan2: {  // atan2(p, q): q / (p^2 + q^2) and -p / (p^2 + q^2)
      ValuePtr r2 = b.Add(b.Mul(x[0], x[0]), b.Mul(x[1], x[1]));
      set(0, [&] { return b.Div(b.Mul(g, x[1]), r2); });
      set(1, [&] { return b.Neg(b.Div(b.Mul(g, x[0]), r2)); });
      break;
    }
    case Op::kHypot:  // p / r and q / r
      set(0, [&] { return b.Div(b.Mul(g, x[0]), y); });
      set(1, [&] { return b.Div(b.Mul(g, x[1]), y); });
      break;
    // Bitwise and logical ops and comparisons: integer or bool only.
    case Op::kAnd:
    case Op::kOr:
    case Op::kXor:
    case Op::kEq:
    case Op::kNe:
    case Op::kLt:
    case Op::kLe:
    case Op::kGt:
    case Op::kGe:
      break;

    // ---- Select and cast ----
    case Op::kSelect:  // the condition is bool
      set(1, [&] { return b.Where(x[0], g); });
      set(2, [&] { return b.Select(x[0], b.Const(0, g), g); });
      break;
    case Op::kCast:  // back to the operand's float dtype (none flows from an integer)
      set(0, [&] { return b.Cast(g, x0->type().dtype); });
      break;

    // ---- Reductions ----
    case Op::kReduceSum:
      out[0] = b.Unreduce(g, x0->type().shape, at.axes);
      break;
    case Op::kReduceProd: {
      // prod / x where x != 0. Where x == 0: the product of the others, which is the product of
      // the non-zeros if x is the only zero of its group, and 0 otherwise.
      const ir::Shape& xs = x0->type().shape;
      ValuePtr is_zero = b.Bin(Op::kEq, x0, b.Const(0, x0));
      ValuePtr zeros = b.Reduce(Op::kReduceSum, b.Cast(is_zero, x0->type().dtype), at.axes);
      ValuePtr nonzero_prod =
          b.Reduce(Op::kReduceProd, b.Select(is_zero, b.Const(1, x0), x0), at.axes);
      ValuePtr others_if_zero = b.Where(b.Bin(Op::kEq, zeros, b.Const(1, zeros)), nonzero_prod);
      ValuePtr safe_x = b.Select(is_zero, b.Const(1, x0), x0);
      ValuePtr d = b.Select(is_zero, b.Unreduce(others_if_zero, xs, at.axes),
                            b.Div(b.Unreduce(y, xs, at.axes), safe_x));
      out[0] = b.Mul(b.Unreduce(g, xs, at.axes), d);
      break;
    }
    case Op::kReduceMax:
    case Op::kReduceMin: {  // to every element equal to the extreme (MXNet)
      const ir::Shape& xs = x0->type().shape;
      out[0] = b.Where(b.Bin(Op::kEq, x0, b.Unreduce(y, xs, at.axes)), b.Unreduce(g, xs, at.axes));
      break;
    }
    case Op::kArgMax:  // integer results
    case Op::kArgMin:
      break;

    // ---- Scans (the frontend builds the one-operand form; split-reductions builds the
    // chunked form with carries after autograd, so no gradient ever reaches a carry) ----
    case Op::kScanSum:  // a reverse cumulative sum of g
      if (x.size() == 1)
        out[0] = b.Flip(b.Scan(Op::kScanSum, b.Flip(g, {at.axis}), at.axis), {at.axis});
      break;
    case Op::kScanProd:
      if (x.size() == 1) out[0] = ScanProdGradient(b, g, x0, y, at.axis);
      break;
    case Op::kScanMax:
    case Op::kScanMin:
      if (x.size() == 1) set(0, [&] { return ScanExtremeGradient(b, g, x0, y, at.axis); });
      break;

    // ---- Views ----
    case Op::kReshape:
      out[0] = b.Reshape(g, x0->type().shape);
      break;
    case Op::kPermute: {
      std::vector<int64_t> inverse(at.perm.size());
      for (size_t i = 0; i < at.perm.size(); ++i) inverse[at.perm[i]] = static_cast<int64_t>(i);
      out[0] = b.Permute(g, std::move(inverse));
      break;
    }
    case Op::kBroadcast: {
      // Sum over the added leading axes and the stretched size-1 axes.
      const ir::Shape& xs = x0->type().shape;
      const ir::Shape& ys = y->type().shape;
      const size_t lead = ys.size() - xs.size();
      std::vector<int64_t> axes;
      for (size_t i = 0; i < ys.size(); ++i) {
        if (i < lead || (xs[i - lead] == 1 && ys[i] != 1)) axes.push_back(static_cast<int64_t>(i));
      }
      out[0] = b.Reshape(b.Sum(g, axes), xs);
      break;
    }
    case Op::kSlice:
      out[0] = SliceGradient(b, g, x0->type().shape, at.starts, at.steps);
      break;
    case Op::kPad: {
      const size_t rank = at.low.size();
      out[0] = b.Slice(g, at.low, std::vector<int64_t>(rank, 1), x0->type().shape);
      break;
    }
    case Op::kFlip:
      out[0] = b.Flip(g, at.axes);
      break;

    // ---- Data movement ----
    case Op::kConcat: {
      const size_t rank = y->type().shape.size();
      int64_t offset = 0;
      for (size_t k = 0; k < x.size(); ++k) {
        std::vector<int64_t> starts(rank, 0);
        starts[at.axis] = offset;
        offset += x[k]->type().shape[at.axis];
        if (flows(k)) {
          out[k] = b.Slice(g, std::move(starts), std::vector<int64_t>(rank, 1), x[k]->type().shape);
        }
      }
      break;
    }
    case Op::kGather:  // the indices are integers
      set(0, [&] { return GatherGradient(b, g, x0->type().shape, x[1], at.axis); });
      break;

    // ---- Linear algebra ----
    case Op::kMatmul:  // [B.., M, K] x [B.., K, N]
      set(0, [&] { return b.Matmul(g, b.T(x[1])); });
      set(1, [&] { return b.Matmul(b.T(x[0]), g); });
      break;
  }
  for (size_t i = 0; i < out.size(); ++i) {
    if (!flows(i)) out[i] = nullptr;
  }
  return out;
}

}  // namespace ndjit::frontend::autograd
