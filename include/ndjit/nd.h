// ndjit::nd: NumPy-style array functions. Each returns at once and records a node.
//
// Names, argument meaning, broadcasting and dtype promotion follow NumPy 2 (with weak C++
// scalars); the README's API tour lists the few places where ndjit's dtype set forces a difference,
// and ir/ops.def defines each primitive exactly.
#ifndef NDJIT_ND_H_
#define NDJIT_ND_H_

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ndjit/ndarray.h"

namespace ndjit::nd {

using Shape = std::vector<int64_t>;

// ---- Creation ----
// An array holding a copy of `data` with the given shape (row-major); the element type gives
// the dtype. The shape's element count must equal data.size().
template <typename T>
NDArray array(const std::vector<T>& data, Shape shape,
              SourceLocation site = SourceLocation::current());
// A 1-D array holding a copy of `data`.
template <typename T>
NDArray array(const std::vector<T>& data, SourceLocation site = SourceLocation::current()) {
  return array<T>(data, Shape{static_cast<int64_t>(data.size())}, site);
}
// An array holding a copy of a host array.
NDArray array(const HostArray& host, SourceLocation site = SourceLocation::current());
// An array copied from `nbytes` raw bytes at `data`, interpreted as `dtype` with `shape`.
NDArray array_from_buffer(const void* data, DType dtype, Shape shape,
                          SourceLocation site = SourceLocation::current());

NDArray zeros(Shape shape, DType dtype = DType::kFloat32,
              SourceLocation site = SourceLocation::current());
// Creation on a context (MXNet's ctx= argument): the array is made on the host and copied to
// `ctx` (ndjit/context.h).
NDArray zeros(Shape shape, DType dtype, const Context& ctx,
              SourceLocation site = SourceLocation::current());
NDArray ones(Shape shape, DType dtype, const Context& ctx,
             SourceLocation site = SourceLocation::current());
NDArray full(Shape shape, Scalar value, DType dtype, const Context& ctx,
             SourceLocation site = SourceLocation::current());
NDArray array(const HostArray& host, const Context& ctx,
              SourceLocation site = SourceLocation::current());
NDArray ones(Shape shape, DType dtype = DType::kFloat32,
             SourceLocation site = SourceLocation::current());
// Filled with `value`; the dtype defaults to the scalar's own (float -> float32, double ->
// float64, integers -> int64, bool -> bool).
NDArray full(Shape shape, Scalar value, std::optional<DType> dtype = std::nullopt,
             SourceLocation site = SourceLocation::current());
// Values from start (inclusive) to stop (exclusive) by step, as numpy.arange: the dtype
// defaults to int64 when all three are integers and to float64 (or float32 if all floating
// arguments are C++ floats) otherwise; the length is ceil((stop - start) / step).
NDArray arange(Scalar start, Scalar stop, Scalar step = 1,
               std::optional<DType> dtype = std::nullopt,
               SourceLocation site = SourceLocation::current());
NDArray arange(Scalar stop, SourceLocation site = SourceLocation::current());
// numpy.empty: ndjit has no uninitialized memory to hand out, so the values are zeros.
NDArray empty(Shape shape, DType dtype = DType::kFloat32,
              SourceLocation site = SourceLocation::current());
// `num` values from start to stop (stop included when endpoint), computed in float64 as
// numpy.linspace does, then cast to `dtype`.
NDArray linspace(double start, double stop, int64_t num = 50, bool endpoint = true,
                 DType dtype = DType::kFloat32, SourceLocation site = SourceLocation::current());
// Ones on the k-th diagonal of an n x m matrix (m defaults to n).
NDArray eye(int64_t n, std::optional<int64_t> m = std::nullopt, int64_t k = 0,
            DType dtype = DType::kFloat32, SourceLocation site = SourceLocation::current());
NDArray identity(int64_t n, DType dtype = DType::kFloat32,
                 SourceLocation site = SourceLocation::current());
// Arrays shaped like `a`, with a's dtype unless one is given.
NDArray zeros_like(const NDArray& a, std::optional<DType> dtype = std::nullopt,
                   SourceLocation site = SourceLocation::current());
NDArray ones_like(const NDArray& a, std::optional<DType> dtype = std::nullopt,
                  SourceLocation site = SourceLocation::current());
NDArray empty_like(const NDArray& a, std::optional<DType> dtype = std::nullopt,
                   SourceLocation site = SourceLocation::current());
NDArray full_like(const NDArray& a, Scalar value, std::optional<DType> dtype = std::nullopt,
                  SourceLocation site = SourceLocation::current());

namespace random {
// Seeds are kernel parameters: calls that differ only in their seed (a call in a loop draws a new
// one each time) run one compiled kernel.
// Sets the seed from which calls without an explicit seed draw theirs (deterministically).
void seed(uint64_t seed);
// Uniform in [low, high). Counter-based: the same seed gives the same numbers, fused or not.
NDArray uniform(double low, double high, Shape shape, std::optional<uint64_t> seed = std::nullopt,
                DType dtype = DType::kFloat32, SourceLocation site = SourceLocation::current());
// Normal with mean `mean` and standard deviation `stddev` (>= 0).
NDArray normal(double mean, double stddev, Shape shape, std::optional<uint64_t> seed = std::nullopt,
               DType dtype = DType::kFloat32, SourceLocation site = SourceLocation::current());
// Integers uniform in [low, high) (numpy.random.randint); the range must be at most 2^53 wide.
NDArray randint(int64_t low, int64_t high, Shape shape, std::optional<uint64_t> seed = std::nullopt,
                DType dtype = DType::kInt64, SourceLocation site = SourceLocation::current());
}  // namespace random

// ---- Elementwise ----
// Float functions; integer and bool inputs are computed in the smallest float dtype that holds
// them (NumPy: int8/uint8/bool -> float16, int32/int64 -> float64).
NDArray exp(const NDArray& x, SourceLocation site = SourceLocation::current());
NDArray log(const NDArray& x, SourceLocation site = SourceLocation::current());
NDArray sqrt(const NDArray& x, SourceLocation site = SourceLocation::current());
NDArray tanh(const NDArray& x, SourceLocation site = SourceLocation::current());
NDArray sigmoid(const NDArray& x, SourceLocation site = SourceLocation::current());
// Keep the dtype (abs of bool is bool; negative of bool is a DTypeError, as in NumPy).
NDArray abs(const NDArray& x, SourceLocation site = SourceLocation::current());
NDArray negative(const NDArray& x, SourceLocation site = SourceLocation::current());
// max(x, 0) in x's dtype.
NDArray relu(const NDArray& x, SourceLocation site = SourceLocation::current());
// The operators by name (NumPy's add, subtract, multiply, divide and the comparisons): the same
// broadcasting, promotion, results and errors as a + b, a - b, ..., a >= b, with errors naming
// `site`. divide is true division (integers give float64), as the / operator.
NDArray add(const Operand& a, const Operand& b, SourceLocation site = SourceLocation::current());
NDArray subtract(const Operand& a, const Operand& b,
                 SourceLocation site = SourceLocation::current());
NDArray multiply(const Operand& a, const Operand& b,
                 SourceLocation site = SourceLocation::current());
NDArray divide(const Operand& a, const Operand& b, SourceLocation site = SourceLocation::current());
NDArray equal(const Operand& a, const Operand& b, SourceLocation site = SourceLocation::current());
NDArray not_equal(const Operand& a, const Operand& b,
                  SourceLocation site = SourceLocation::current());
NDArray less(const Operand& a, const Operand& b, SourceLocation site = SourceLocation::current());
NDArray less_equal(const Operand& a, const Operand& b,
                   SourceLocation site = SourceLocation::current());
NDArray greater(const Operand& a, const Operand& b,
                SourceLocation site = SourceLocation::current());
NDArray greater_equal(const Operand& a, const Operand& b,
                      SourceLocation site = SourceLocation::current());
// NaN-propagating elementwise maximum/minimum with broadcasting and promotion.
NDArray maximum(const Operand& a, const Operand& b);
NDArray minimum(const Operand& a, const Operand& b);
// Elements of x where cond is nonzero, else of y; all three broadcast together.
NDArray where(const Operand& cond, const Operand& x, const Operand& y);
NDArray astype(const NDArray& x, DType dtype, SourceLocation site = SourceLocation::current());

// More float functions (integer and bool inputs computed as for exp). NumPy's names.
#define NDJIT_FLOAT_FUNCTION(name) \
  NDArray name(const NDArray& x, SourceLocation site = SourceLocation::current());
NDJIT_FLOAT_FUNCTION(log1p)
NDJIT_FLOAT_FUNCTION(expm1)
NDJIT_FLOAT_FUNCTION(log2)
NDJIT_FLOAT_FUNCTION(log10)
NDJIT_FLOAT_FUNCTION(exp2)
NDJIT_FLOAT_FUNCTION(sin)
NDJIT_FLOAT_FUNCTION(cos)
NDJIT_FLOAT_FUNCTION(tan)
NDJIT_FLOAT_FUNCTION(arcsin)
NDJIT_FLOAT_FUNCTION(arccos)
NDJIT_FLOAT_FUNCTION(arctan)
NDJIT_FLOAT_FUNCTION(sinh)
NDJIT_FLOAT_FUNCTION(cosh)
NDJIT_FLOAT_FUNCTION(arcsinh)
NDJIT_FLOAT_FUNCTION(arccosh)
NDJIT_FLOAT_FUNCTION(arctanh)
NDJIT_FLOAT_FUNCTION(erf)
// 1 / sqrt(x) (MXNet's rsqrt).
NDJIT_FLOAT_FUNCTION(rsqrt)
// log(1 + exp(x)) computed without overflow.
NDJIT_FLOAT_FUNCTION(softplus)
#undef NDJIT_FLOAT_FUNCTION
// GELU: 0.5 x (1 + erf(x / sqrt 2)), or with approximate=true the tanh form
// 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))).
NDArray gelu(const NDArray& x, bool approximate = false,
             SourceLocation site = SourceLocation::current());
// Rounding keeps integer and bool dtypes (NumPy 2.1+); round is to nearest even.
NDArray floor(const NDArray& x, SourceLocation site = SourceLocation::current());
NDArray ceil(const NDArray& x, SourceLocation site = SourceLocation::current());
NDArray trunc(const NDArray& x, SourceLocation site = SourceLocation::current());
NDArray round(const NDArray& x, SourceLocation site = SourceLocation::current());
// -1, 0 or 1 in x's dtype (NaN stays NaN); bool is a DTypeError as in NumPy.
NDArray sign(const NDArray& x, SourceLocation site = SourceLocation::current());
// x * x, and 1 / x; for integers 1 / x truncates (NumPy): 1, -1 or 0 (and 0 for x == 0).
NDArray square(const NDArray& x, SourceLocation site = SourceLocation::current());
NDArray reciprocal(const NDArray& x, SourceLocation site = SourceLocation::current());
// Bool results for any dtype.
NDArray isnan(const NDArray& x, SourceLocation site = SourceLocation::current());
NDArray isinf(const NDArray& x, SourceLocation site = SourceLocation::current());
NDArray isfinite(const NDArray& x, SourceLocation site = SourceLocation::current());
// Truth-value logic on any dtypes (nonzero is true); bool results.
NDArray logical_and(const Operand& a, const Operand& b);
NDArray logical_or(const Operand& a, const Operand& b);
NDArray logical_xor(const Operand& a, const Operand& b);
NDArray logical_not(const NDArray& x, SourceLocation site = SourceLocation::current());
// Bitwise logic on integers (logical on bool); floats are a DTypeError.
NDArray bitwise_and(const Operand& a, const Operand& b);
NDArray bitwise_or(const Operand& a, const Operand& b);
NDArray bitwise_xor(const Operand& a, const Operand& b);
NDArray bitwise_not(const NDArray& x, SourceLocation site = SourceLocation::current());
NDArray invert(const NDArray& x, SourceLocation site = SourceLocation::current());
// a ** b. An integer array with a negative integer scalar exponent is a ValueError (NumPy);
// negative exponents inside integer arrays give the values ops.def defines.
NDArray power(const Operand& a, const Operand& b);
// NumPy's remainder (sign of the divisor; also the % operator) and floor_divide.
NDArray mod(const Operand& a, const Operand& b);
NDArray remainder(const Operand& a, const Operand& b);
NDArray floor_divide(const Operand& a, const Operand& b);
// Float functions of two arguments (integers computed in float as for exp).
NDArray arctan2(const Operand& y, const Operand& x);
NDArray hypot(const Operand& a, const Operand& b);
// minimum(maximum(x, a_min), a_max) with NumPy's promotion; either bound may be omitted.
NDArray clip(const NDArray& x, std::optional<Operand> a_min, std::optional<Operand> a_max,
             SourceLocation site = SourceLocation::current());

// ---- Reductions ----
// sum/prod of bool and integers below int64 give int64 (NumPy; uint8 too, as ndjit has no
// uint64). mean of integers gives float64. max/min of an empty axis is a ValueError.
NDArray sum(const NDArray& x, Axes axes = {}, bool keepdims = false,
            SourceLocation site = SourceLocation::current());
NDArray mean(const NDArray& x, Axes axes = {}, bool keepdims = false,
             SourceLocation site = SourceLocation::current());
NDArray max(const NDArray& x, Axes axes = {}, bool keepdims = false,
            SourceLocation site = SourceLocation::current());
NDArray min(const NDArray& x, Axes axes = {}, bool keepdims = false,
            SourceLocation site = SourceLocation::current());
// Index (int64) of the first maximum along `axis`, or in the flattened array without one.
NDArray argmax(const NDArray& x, std::optional<int64_t> axis = std::nullopt, bool keepdims = false,
               SourceLocation site = SourceLocation::current());
NDArray argmin(const NDArray& x, std::optional<int64_t> axis = std::nullopt, bool keepdims = false,
               SourceLocation site = SourceLocation::current());
NDArray prod(const NDArray& x, Axes axes = {}, bool keepdims = false,
             SourceLocation site = SourceLocation::current());
// Truth-value reductions with bool results: any of nothing is false, all of nothing is true.
NDArray any(const NDArray& x, Axes axes = {}, bool keepdims = false,
            SourceLocation site = SourceLocation::current());
NDArray all(const NDArray& x, Axes axes = {}, bool keepdims = false,
            SourceLocation site = SourceLocation::current());
// numpy.var / numpy.std with `ddof` (integers give float64; float16 computes in float32).
NDArray var(const NDArray& x, Axes axes = {}, int64_t ddof = 0, bool keepdims = false,
            SourceLocation site = SourceLocation::current());
NDArray std(const NDArray& x, Axes axes = {}, int64_t ddof = 0, bool keepdims = false,
            SourceLocation site = SourceLocation::current());
// NaN-ignoring sum, max and min; nanmax/nanmin of an all-NaN slice is NaN.
NDArray nansum(const NDArray& x, Axes axes = {}, bool keepdims = false,
               SourceLocation site = SourceLocation::current());
NDArray nanmax(const NDArray& x, Axes axes = {}, bool keepdims = false,
               SourceLocation site = SourceLocation::current());
NDArray nanmin(const NDArray& x, Axes axes = {}, bool keepdims = false,
               SourceLocation site = SourceLocation::current());
// Inclusive running sum / product along `axis` (the flattened array without one); integers and
// bool accumulate in int64 as numpy.cumsum does.
NDArray cumsum(const NDArray& x, std::optional<int64_t> axis = std::nullopt,
               SourceLocation site = SourceLocation::current());
NDArray cumprod(const NDArray& x, std::optional<int64_t> axis = std::nullopt,
                SourceLocation site = SourceLocation::current());
// Running max / min along `axis` (the flattened array without one), in x's dtype, NaN
// propagating (numpy.maximum.accumulate, torch.cummax's values). The gradient goes to the
// element that set each running extreme: the last of equal candidates, or the first NaN.
NDArray cummax(const NDArray& x, std::optional<int64_t> axis = std::nullopt,
               SourceLocation site = SourceLocation::current());
NDArray cummin(const NDArray& x, std::optional<int64_t> axis = std::nullopt,
               SourceLocation site = SourceLocation::current());

// ---- Shape ----
// One entry may be -1 (inferred).
NDArray reshape(const NDArray& x, Shape shape, SourceLocation site = SourceLocation::current());
// Permutes axes; empty `axes` reverses them.
NDArray transpose(const NDArray& x, std::vector<int64_t> axes = {},
                  SourceLocation site = SourceLocation::current());
NDArray broadcast_to(const NDArray& x, Shape shape,
                     SourceLocation site = SourceLocation::current());
NDArray slice(const NDArray& x, std::vector<Slice> slices,
              SourceLocation site = SourceLocation::current());
// Inserts size-1 axes at `axes` (positions in the result).
NDArray expand_dims(const NDArray& x, std::vector<int64_t> axes,
                    SourceLocation site = SourceLocation::current());
// Removes the listed size-1 axes, or every size-1 axis.
NDArray squeeze(const NDArray& x, std::optional<std::vector<int64_t>> axes = std::nullopt,
                SourceLocation site = SourceLocation::current());
// Reverses the listed axes, or every axis.
NDArray flip(const NDArray& x, std::optional<std::vector<int64_t>> axes = std::nullopt,
             SourceLocation site = SourceLocation::current());
NDArray moveaxis(const NDArray& x, std::vector<int64_t> source, std::vector<int64_t> destination,
                 SourceLocation site = SourceLocation::current());
NDArray swapaxes(const NDArray& x, int64_t axis1, int64_t axis2,
                 SourceLocation site = SourceLocation::current());
NDArray ravel(const NDArray& x, SourceLocation site = SourceLocation::current());
// Joins arrays along an existing axis (the flattened arrays without one), promoting dtypes.
NDArray concatenate(const std::vector<NDArray>& arrays, std::optional<int64_t> axis = 0,
                    SourceLocation site = SourceLocation::current());
// Joins equally shaped arrays along a new axis.
NDArray stack(const std::vector<NDArray>& arrays, int64_t axis = 0,
              SourceLocation site = SourceLocation::current());
// numpy.split: `sections` equal parts (ValueError unless they divide the axis), or parts cut at
// sorted `indices` (Python slicing: indices past the end give empty parts).
std::vector<NDArray> split(const NDArray& x, int64_t sections, int64_t axis = 0,
                           SourceLocation site = SourceLocation::current());
std::vector<NDArray> split(const NDArray& x, std::vector<int64_t> indices, int64_t axis = 0,
                           SourceLocation site = SourceLocation::current());
// numpy.array_split: like split, but `sections` need not divide the axis (the first
// size % sections parts get one more element).
std::vector<NDArray> array_split(const NDArray& x, int64_t sections, int64_t axis = 0,
                                 SourceLocation site = SourceLocation::current());
std::vector<NDArray> array_split(const NDArray& x, std::vector<int64_t> indices, int64_t axis = 0,
                                 SourceLocation site = SourceLocation::current());
// Braced lists are indices, as in NumPy (split(x, {2}) cuts at 2; split(x, 2) makes 2 parts).
inline std::vector<NDArray> split(const NDArray& x, std::initializer_list<int64_t> indices,
                                  int64_t axis = 0,
                                  SourceLocation site = SourceLocation::current()) {
  return split(x, std::vector<int64_t>(indices), axis, site);
}
inline std::vector<NDArray> array_split(const NDArray& x, std::initializer_list<int64_t> indices,
                                        int64_t axis = 0,
                                        SourceLocation site = SourceLocation::current()) {
  return array_split(x, std::vector<int64_t>(indices), axis, site);
}
// numpy.tile and numpy.repeat (a count for every element, or one for all; no axis: flattened).
NDArray tile(const NDArray& x, std::vector<int64_t> reps,
             SourceLocation site = SourceLocation::current());
NDArray repeat(const NDArray& x, int64_t repeats, std::optional<int64_t> axis = std::nullopt,
               SourceLocation site = SourceLocation::current());
NDArray repeat(const NDArray& x, std::vector<int64_t> repeats,
               std::optional<int64_t> axis = std::nullopt,
               SourceLocation site = SourceLocation::current());
// numpy.pad on any rank. pad_width: one (before, after) pair for all axes, or one per axis.
// kEdge repeats the edge values; kReflect mirrors without repeating the edge (numpy 'reflect',
// repeatedly for widths beyond the axis).
enum class PadMode { kConstant, kEdge, kReflect };
NDArray pad(const NDArray& x, std::vector<std::pair<int64_t, int64_t>> pad_width,
            PadMode mode = PadMode::kConstant, double constant_value = 0,
            SourceLocation site = SourceLocation::current());
NDArray pad(const NDArray& x, int64_t width, PadMode mode = PadMode::kConstant,
            double constant_value = 0, SourceLocation site = SourceLocation::current());

// ---- Linear algebra ----
// numpy.matmul: 1-D operands are promoted to matrices and the added axis removed; batch axes
// broadcast.
NDArray matmul(const Operand& a, const Operand& b);
// numpy.dot: scalars multiply; otherwise contracts a's last axis with b's second-to-last (its
// only axis when b is 1-D).
NDArray dot(const NDArray& a, const NDArray& b, SourceLocation site = SourceLocation::current());
// numpy.tensordot over the listed axis pairs, or over a's last n and b's first n axes.
NDArray tensordot(const NDArray& a, const NDArray& b, std::vector<int64_t> axes_a,
                  std::vector<int64_t> axes_b, SourceLocation site = SourceLocation::current());
NDArray tensordot(const NDArray& a, const NDArray& b, int64_t n = 2,
                  SourceLocation site = SourceLocation::current());
// numpy.outer of the flattened operands.
NDArray outer(const NDArray& a, const NDArray& b, SourceLocation site = SourceLocation::current());
// MXNet's batch_dot: equal ranks >= 3, equal batch dims (no broadcasting), optional transposes
// of each operand's last two axes.
NDArray batch_dot(const NDArray& a, const NDArray& b, bool transpose_a = false,
                  bool transpose_b = false, SourceLocation site = SourceLocation::current());

// ---- NN ops (MXNet semantics; NumPy has none of these) ----
// Numerically stable softmax / log_softmax along `axis` (integer inputs computed in float).
NDArray softmax(const NDArray& x, int64_t axis = -1,
                SourceLocation site = SourceLocation::current());
NDArray log_softmax(const NDArray& x, int64_t axis = -1,
                    SourceLocation site = SourceLocation::current());
// log(sum(exp(x))) without overflow; infinite maxima handled as scipy.special.logsumexp.
NDArray logsumexp(const NDArray& x, Axes axes = {}, bool keepdims = false,
                  SourceLocation site = SourceLocation::current());
// MXNet's pick: data[..., index[...], ...] along `axis`; index has data's shape without axis.
// Out-of-range indices are clipped (kClip, MXNet's default) or wrapped (kWrap).
enum class PickMode { kClip, kWrap };
NDArray pick(const NDArray& data, const NDArray& index, int64_t axis = -1, bool keepdims = false,
             PickMode mode = PickMode::kClip, SourceLocation site = SourceLocation::current());
// MXNet's one_hot: indices.shape + (depth,), on_value at the index and off_value elsewhere;
// indices outside [0, depth) give rows of off_value.
NDArray one_hot(const NDArray& indices, int64_t depth, double on_value = 1.0,
                double off_value = 0.0, DType dtype = DType::kFloat32,
                SourceLocation site = SourceLocation::current());
// MXNet's FullyConnected: x . weight^T + bias, weight of shape (units, in_units); flatten=true
// treats x as (batch, prod(rest)), flatten=false applies to the last axis.
NDArray dense(const NDArray& x, const NDArray& weight, std::optional<NDArray> bias = std::nullopt,
              bool flatten = true, SourceLocation site = SourceLocation::current());
// Gluon's SoftmaxCELoss with sparse labels: the per-sample loss -log_softmax(logits)[label]
// along the last axis, shape logits.shape[:-1].
NDArray softmax_cross_entropy(const NDArray& logits, const NDArray& labels,
                              SourceLocation site = SourceLocation::current());

// ---- Indexing ----
// numpy.take: elements at integer `indices` along `axis` (the flattened array without one);
// negative indices count from the end. An out-of-range index is a ValueError at the call when
// the indices are already computed, and an error at the accessor otherwise.
NDArray take(const NDArray& a, const NDArray& indices, std::optional<int64_t> axis = std::nullopt,
             SourceLocation site = SourceLocation::current());
// numpy.take_along_axis (indices with arr's rank, broadcasting the other axes).
NDArray take_along_axis(const NDArray& arr, const NDArray& indices, int64_t axis,
                        SourceLocation site = SourceLocation::current());
// numpy.diag: a 1-D array becomes a square matrix with it on diagonal k; a 2-D array gives its
// k-th diagonal. numpy.diagonal for any rank (the diagonal becomes the last axis).
NDArray diag(const NDArray& v, int64_t k = 0, SourceLocation site = SourceLocation::current());
NDArray diagonal(const NDArray& a, int64_t offset = 0, int64_t axis1 = 0, int64_t axis2 = 1,
                 SourceLocation site = SourceLocation::current());
// Lower / upper triangle of the last two axes (elements with j - i <= k / >= k).
NDArray tril(const NDArray& m, int64_t k = 0, SourceLocation site = SourceLocation::current());
NDArray triu(const NDArray& m, int64_t k = 0, SourceLocation site = SourceLocation::current());
// numpy.ravel_multi_index (C order, mode='raise': an out-of-range coordinate is an error at the
// accessor); also MXNet's form, one (ndim, N) array of coordinates.
NDArray ravel_multi_index(const std::vector<NDArray>& multi_index, std::vector<int64_t> dims,
                          SourceLocation site = SourceLocation::current());
NDArray ravel_multi_index(const NDArray& multi_index, std::vector<int64_t> dims,
                          SourceLocation site = SourceLocation::current());
// A braced list is always the NumPy tuple form, even with one element.
inline NDArray ravel_multi_index(std::initializer_list<NDArray> multi_index,
                                 std::vector<int64_t> dims,
                                 SourceLocation site = SourceLocation::current()) {
  return ravel_multi_index(std::vector<NDArray>(multi_index), std::move(dims), site);
}
// numpy.unravel_index: one coordinate array per dim; indices outside [0, size) are an error at
// the accessor.
std::vector<NDArray> unravel_index(const NDArray& indices, std::vector<int64_t> shape,
                                   SourceLocation site = SourceLocation::current());
// The functional form of `a[slices] = value`: a new array equal to `a` except in the sliced
// region, which holds `value` (broadcast to the region, cast to a's dtype). The in-place
// NDArray::slice_assign rebinds an array to this.
NDArray slice_assign(const NDArray& a, std::vector<Slice> slices, const Operand& value,
                     SourceLocation site = SourceLocation::current());

// ---- .npy files ----
// NumPy .npy files (versions 1.0-3.0 read, 1.0 written; details in HostArray::load_npy).
// Reads the file into a HostArray and returns nd::array(host, site).
NDArray load_npy(const std::string& path, SourceLocation site = SourceLocation::current());
// Writes a.asnumpy(site) to `path`, byte-identical to numpy.save of the same array.
void save_npy(const NDArray& a, const std::string& path,
              SourceLocation site = SourceLocation::current());
// ---- end .npy files ----

}  // namespace ndjit::nd

#endif  // NDJIT_ND_H_
