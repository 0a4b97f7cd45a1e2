// Movement ops of the catalog: expand_dims, squeeze, flip, moveaxis, swapaxes, ravel,
// concatenate, stack, split, array_split, tile, repeat, pad.
//
// All are compositions of the IR's views (reshape, permute, broadcast, slice, pad, flip),
// concat and gather; index maps that depend only on shapes (pad's edge and reflect modes,
// repeat with per-element counts) are computed when the op is recorded and enter the graph as
// small int64 input buffers.
#include <algorithm>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "frontend/builder.h"
#include "ir/dtype.h"
#include "ndjit/nd.h"
#include "runtime/value.h"

namespace ndjit::nd {
namespace {

using frontend::Describe;
using frontend::Fail;
using frontend::ValueOf;
using frontend::ValuePtr;

std::string Np(const ir::Shape& s) { return ir::ShapeToNumpyString(s); }

// Sorted unique axes normalized against `ndim`.
std::vector<int64_t> AxesFor(const char* api, const std::vector<int64_t>& axes, int64_t ndim,
                             const NDArray& x, const SourceLocation& site) {
  std::vector<int64_t> out;
  for (int64_t a : axes) out.push_back(frontend::NormalizeAxis(a, ndim, api, x, site));
  std::sort(out.begin(), out.end());
  if (std::adjacent_find(out.begin(), out.end()) != out.end()) {
    Fail<ValueError>(api, absl::StrCat("repeated axis in [", absl::StrJoin(axes, ", "), "]"),
                     {Describe(x)}, site);
  }
  return out;
}

NDArray Permuted(const NDArray& x, std::vector<int64_t> perm, const SourceLocation& site) {
  ir::Attrs attrs;
  attrs.perm = std::move(perm);
  return frontend::Wrap(frontend::Record(ir::Op::kPermute, {x.value()}, attrs, std::nullopt, site));
}

// An int64 index vector as a computed array (an input leaf of the graph).
ValuePtr IndexLeaf(const std::vector<int64_t>& idx, const SourceLocation& site) {
  ir::HostTensor t(ir::TensorType{DType::kInt64, {static_cast<int64_t>(idx.size())}});
  std::copy(idx.begin(), idx.end(), t.data_as<int64_t>());
  return runtime::Value::Realized(std::move(t), ir::SourceLoc::From(site), runtime::Device::Any());
}

ValuePtr GatherAlong(const ValuePtr& v, const std::vector<int64_t>& idx, int64_t axis,
                     const SourceLocation& site) {
  ir::Attrs attrs;
  attrs.axis = axis;
  return frontend::Record(ir::Op::kGather, {v, IndexLeaf(idx, site)}, attrs, std::nullopt, site);
}

}  // namespace

NDArray expand_dims(const NDArray& x, std::vector<int64_t> axes, SourceLocation site) {
  ValueOf(x, "expand_dims", site);
  const int64_t out_ndim = x.ndim() + static_cast<int64_t>(axes.size());
  const std::vector<int64_t> ax = AxesFor("expand_dims", axes, out_ndim, x, site);
  ir::Shape shape;
  auto in = x.shape().begin();
  for (int64_t d = 0; d < out_ndim; ++d) {
    shape.push_back(std::binary_search(ax.begin(), ax.end(), d) ? 1 : *in++);
  }
  return reshape(x, shape, site);
}

NDArray squeeze(const NDArray& x, std::optional<std::vector<int64_t>> axes, SourceLocation site) {
  ValueOf(x, "squeeze", site);
  std::vector<int64_t> ax;
  if (axes) {
    ax = AxesFor("squeeze", *axes, x.ndim(), x, site);
    for (int64_t a : ax) {
      if (x.shape()[a] != 1) {
        Fail<ValueError>("squeeze",
                         absl::StrCat("cannot select axis ", a, " to squeeze out: its size is ",
                                      x.shape()[a], ", not 1"),
                         {Describe(x)}, site);
      }
    }
  } else {
    for (int64_t d = 0; d < x.ndim(); ++d) {
      if (x.shape()[d] == 1) ax.push_back(d);
    }
  }
  ir::Shape shape;
  for (int64_t d = 0; d < x.ndim(); ++d) {
    if (!std::binary_search(ax.begin(), ax.end(), d)) shape.push_back(x.shape()[d]);
  }
  return reshape(x, shape, site);
}

NDArray flip(const NDArray& x, std::optional<std::vector<int64_t>> axes, SourceLocation site) {
  const ValuePtr& v = ValueOf(x, "flip", site);
  std::vector<int64_t> ax;
  if (axes) {
    ax = AxesFor("flip", *axes, x.ndim(), x, site);
  } else {
    ax.resize(x.ndim());
    std::iota(ax.begin(), ax.end(), 0);
  }
  ir::Attrs attrs;
  attrs.axes = ax;
  return frontend::Wrap(frontend::Record(ir::Op::kFlip, {v}, attrs, std::nullopt, site));
}

NDArray moveaxis(const NDArray& x, std::vector<int64_t> source, std::vector<int64_t> destination,
                 SourceLocation site) {
  ValueOf(x, "moveaxis", site);
  if (source.size() != destination.size()) {
    Fail<ValueError>("moveaxis",
                     "source and destination arguments must have the same number of elements",
                     {Describe(x)}, site);
  }
  std::vector<int64_t> src, dst;
  for (int64_t a : source) src.push_back(frontend::NormalizeAxis(a, x.ndim(), "moveaxis", x, site));
  for (int64_t a : destination) {
    dst.push_back(frontend::NormalizeAxis(a, x.ndim(), "moveaxis", x, site));
  }
  AxesFor("moveaxis", src, x.ndim(), x, site);  // repeated axes are errors
  AxesFor("moveaxis", dst, x.ndim(), x, site);
  // numpy.moveaxis: the other axes keep their order; the moved ones go to their destinations.
  std::vector<int64_t> order;
  for (int64_t d = 0; d < x.ndim(); ++d) {
    if (std::find(src.begin(), src.end(), d) == src.end()) order.push_back(d);
  }
  std::vector<std::pair<int64_t, int64_t>> moves;
  for (size_t i = 0; i < src.size(); ++i) moves.push_back({dst[i], src[i]});
  std::sort(moves.begin(), moves.end());
  for (const auto& [to, from] : moves) order.insert(order.begin() + to, from);
  return Permuted(x, order, site);
}

NDArray swapaxes(const NDArray& x, int64_t axis1, int64_t axis2, SourceLocation site) {
  ValueOf(x, "swapaxes", site);
  const int64_t a = frontend::NormalizeAxis(axis1, x.ndim(), "swapaxes", x, site);
  const int64_t b = frontend::NormalizeAxis(axis2, x.ndim(), "swapaxes", x, site);
  std::vector<int64_t> perm(x.ndim());
  std::iota(perm.begin(), perm.end(), 0);
  std::swap(perm[a], perm[b]);
  return Permuted(x, perm, site);
}

NDArray ravel(const NDArray& x, SourceLocation site) {
  ValueOf(x, "ravel", site);
  return reshape(x, {x.size()}, site);
}

NDArray concatenate(const std::vector<NDArray>& arrays, std::optional<int64_t> axis,
                    SourceLocation site) {
  if (arrays.empty()) Fail<ValueError>("concatenate", "need at least one array", {}, site);
  std::vector<std::string> desc;
  for (const NDArray& a : arrays) {
    ValueOf(a, "concatenate", site);
    desc.push_back(Describe(a));
  }
  DType dtype = arrays[0].dtype();
  for (const NDArray& a : arrays) dtype = ir::PromoteTypes(dtype, a.dtype());
  std::vector<ValuePtr> parts;
  int64_t ax = 0;
  if (!axis) {  // numpy: axis=None concatenates the flattened arrays
    for (const NDArray& a : arrays) {
      parts.push_back(frontend::CastTo(ravel(a, site).value(), dtype, site));
    }
  } else {
    const int64_t ndim = arrays[0].ndim();
    if (ndim == 0) {
      Fail<ValueError>("concatenate", "zero-dimensional arrays cannot be concatenated", desc, site);
    }
    ax = frontend::NormalizeAxis(*axis, ndim, "concatenate", arrays[0], site);
    for (const NDArray& a : arrays) {
      bool ok = a.ndim() == ndim;
      for (int64_t d = 0; ok && d < ndim; ++d) ok = d == ax || a.shape()[d] == arrays[0].shape()[d];
      if (!ok) {
        Fail<ShapeError>("concatenate",
                         absl::StrCat("all the input array dimensions except for the "
                                      "concatenation axis must match exactly, but ",
                                      Np(arrays[0].shape()), " and ", Np(a.shape()), " differ"),
                         desc, site);
      }
      parts.push_back(frontend::CastTo(a.value(), dtype, site));
    }
  }
  ir::Attrs attrs;
  attrs.axis = ax;
  // Many arrays become a tree of concats of at most kConcatFanIn parts each, so that the planner
  // can give each kernel a bounded number of inputs (passes/fusion.h, max_kernel_buffers) rather
  // than one kernel selecting among all of them at every point.
  constexpr size_t kConcatFanIn = 8;
  while (parts.size() > kConcatFanIn) {
    std::vector<ValuePtr> level;
    for (size_t i = 0; i < parts.size(); i += kConcatFanIn) {
      const size_t end = std::min(parts.size(), i + kConcatFanIn);
      std::vector<ValuePtr> group(parts.begin() + i, parts.begin() + end);
      level.push_back(group.size() == 1 ? group[0]
                                        : frontend::Record(ir::Op::kConcat, std::move(group), attrs,
                                                           std::nullopt, site));
    }
    parts = std::move(level);
  }
  return frontend::Wrap(frontend::Record(ir::Op::kConcat, parts, attrs, std::nullopt, site));
}

NDArray stack(const std::vector<NDArray>& arrays, int64_t axis, SourceLocation site) {
  if (arrays.empty()) Fail<ValueError>("stack", "need at least one array to stack", {}, site);
  std::vector<std::string> desc;
  for (const NDArray& a : arrays) {
    ValueOf(a, "stack", site);
    desc.push_back(Describe(a));
  }
  for (const NDArray& a : arrays) {
    if (a.shape() != arrays[0].shape()) {
      Fail<ShapeError>("stack", "all input arrays must have the same shape", desc, site);
    }
  }
  const int64_t ax = frontend::NormalizeAxis(axis, arrays[0].ndim() + 1, "stack", arrays[0], site);
  std::vector<NDArray> expanded;
  for (const NDArray& a : arrays) expanded.push_back(expand_dims(a, {ax}, site));
  return concatenate(expanded, ax, site);
}

namespace {
std::vector<NDArray> SplitAt(const NDArray& x, const std::vector<int64_t>& cuts, int64_t axis,
                             const SourceLocation& site) {
  std::vector<NDArray> parts;
  const int64_t n = x.shape()[axis];
  int64_t begin = 0;
  for (size_t i = 0; i <= cuts.size(); ++i) {
    const int64_t end = i < cuts.size() ? cuts[i] : n;
    std::vector<Slice> s(x.ndim());
    // x[begin:end] with Python's slicing: indices past the end give empty parts, and so does a
    // cut before the previous one (numpy.split(x, [6, 4]) is x[:6], x[6:4], x[4:]).
    s[axis] = Slice(begin, end);
    parts.push_back(slice(x, s, site));
    begin = end;
  }
  return parts;
}
}  // namespace

std::vector<NDArray> split(const NDArray& x, int64_t sections, int64_t axis, SourceLocation site) {
  ValueOf(x, "split", site);
  const int64_t a = frontend::NormalizeAxis(axis, x.ndim(), "split", x, site);
  if (sections <= 0) {
    Fail<ValueError>("split", "number of sections must be larger than 0", {Describe(x)}, site);
  }
  if (x.shape()[a] % sections != 0) {
    Fail<ValueError>("split",
                     absl::StrCat("array split does not result in an equal division (",
                                  x.shape()[a], " into ", sections, ")"),
                     {Describe(x)}, site);
  }
  return array_split(x, sections, axis, site);
}

std::vector<NDArray> split(const NDArray& x, std::vector<int64_t> indices, int64_t axis,
                           SourceLocation site) {
  return array_split(x, std::move(indices), axis, site);
}

std::vector<NDArray> array_split(const NDArray& x, int64_t sections, int64_t axis,
                                 SourceLocation site) {
  ValueOf(x, "array_split", site);
  const int64_t a = frontend::NormalizeAxis(axis, x.ndim(), "array_split", x, site);
  if (sections <= 0) {
    Fail<ValueError>("array_split", "number of sections must be larger than 0", {Describe(x)},
                     site);
  }
  // numpy: the first n % sections parts get one extra element.
  const int64_t n = x.shape()[a], each = n / sections, extra = n % sections;
  std::vector<int64_t> cuts;
  int64_t at = 0;
  for (int64_t i = 0; i + 1 < sections; ++i) {
    at += each + (i < extra ? 1 : 0);
    cuts.push_back(at);
  }
  return SplitAt(x, cuts, a, site);
}

std::vector<NDArray> array_split(const NDArray& x, std::vector<int64_t> indices, int64_t axis,
                                 SourceLocation site) {
  ValueOf(x, "array_split", site);
  const int64_t a = frontend::NormalizeAxis(axis, x.ndim(), "array_split", x, site);
  const int64_t n = x.shape()[a];
  for (int64_t& i : indices) i = std::clamp<int64_t>(i < 0 ? i + n : i, 0, n);
  return SplitAt(x, indices, a, site);
}

NDArray tile(const NDArray& x, std::vector<int64_t> reps, SourceLocation site) {
  ValueOf(x, "tile", site);
  for (int64_t r : reps) {
    if (r < 0) Fail<ValueError>("tile", "negative repetitions", {Describe(x)}, site);
  }
  ir::Shape shape = x.shape();
  while (reps.size() < shape.size()) reps.insert(reps.begin(), 1);
  while (shape.size() < reps.size()) shape.insert(shape.begin(), 1);
  // (1, d0, 1, d1, ...) broadcast to (r0, d0, r1, d1, ...) then merged pairwise.
  ir::Shape interleaved, broadcast, result;
  for (size_t i = 0; i < shape.size(); ++i) {
    interleaved.insert(interleaved.end(), {1, shape[i]});
    broadcast.insert(broadcast.end(), {reps[i], shape[i]});
    result.push_back(reps[i] * shape[i]);
  }
  frontend::CheckShape("tile", broadcast, {Describe(x)}, site);
  NDArray r = reshape(x, interleaved, site);
  r = broadcast_to(r, broadcast, site);
  return reshape(r, result, site);
}

NDArray repeat(const NDArray& x, int64_t repeats, std::optional<int64_t> axis,
               SourceLocation site) {
  ValueOf(x, "repeat", site);
  if (repeats < 0) Fail<ValueError>("repeat", "negative repetitions", {Describe(x)}, site);
  NDArray in = axis ? x : ravel(x, site);
  const int64_t a = axis ? frontend::NormalizeAxis(*axis, x.ndim(), "repeat", x, site) : 0;
  // (..., d, 1, ...) broadcast to (..., d, r, ...) then merged.
  ir::Shape expanded = in.shape(), broadcast = in.shape(), result = in.shape();
  expanded.insert(expanded.begin() + a + 1, 1);
  broadcast.insert(broadcast.begin() + a + 1, repeats);
  result[a] *= repeats;
  frontend::CheckShape("repeat", broadcast, {Describe(x)}, site);
  return reshape(broadcast_to(reshape(in, expanded, site), broadcast, site), result, site);
}

NDArray repeat(const NDArray& x, std::vector<int64_t> repeats, std::optional<int64_t> axis,
               SourceLocation site) {
  ValueOf(x, "repeat", site);
  NDArray in = axis ? x : ravel(x, site);
  const int64_t a = axis ? frontend::NormalizeAxis(*axis, x.ndim(), "repeat", x, site) : 0;
  const int64_t n = in.shape()[a];
  if (repeats.size() == 1) return repeat(x, repeats[0], axis, site);
  if (static_cast<int64_t>(repeats.size()) != n) {
    Fail<ShapeError>("repeat",
                     absl::StrCat(repeats.size(), " repeat counts for an axis of size ", n),
                     {Describe(x)}, site);
  }
  std::vector<int64_t> idx;
  for (int64_t i = 0; i < n; ++i) {
    if (repeats[i] < 0) Fail<ValueError>("repeat", "negative repetitions", {Describe(x)}, site);
    idx.insert(idx.end(), repeats[i], i);
  }
  return frontend::Wrap(GatherAlong(in.value(), idx, a, site));
}

NDArray pad(const NDArray& x, std::vector<std::pair<int64_t, int64_t>> pad_width, PadMode mode,
            double constant_value, SourceLocation site) {
  const ValuePtr& v = ValueOf(x, "pad", site);
  const int64_t ndim = x.ndim();
  // numpy's pad_width forms: one pair for every axis, or one pair per axis.
  if (pad_width.size() == 1 && ndim != 1) pad_width.assign(ndim, pad_width[0]);
  if (static_cast<int64_t>(pad_width.size()) != ndim) {
    Fail<ValueError>("pad",
                     absl::StrCat("pad_width has ", pad_width.size(), " pairs for an array of ",
                                  ndim, " dimensions"),
                     {Describe(x)}, site);
  }
  for (const auto& [before, after] : pad_width) {
    if (before < 0 || after < 0) {
      Fail<ValueError>("pad", "index can't contain negative values", {Describe(x)}, site);
    }
  }
  if (mode == PadMode::kConstant) {
    ir::Attrs attrs;
    for (const auto& [before, after] : pad_width) {
      attrs.low.push_back(before);
      attrs.high.push_back(after);
    }
    attrs.value = frontend::ScalarForDType(constant_value, v->type().dtype);
    ir::Shape out = x.shape();
    for (int64_t d = 0; d < ndim; ++d) out[d] += pad_width[d].first + pad_width[d].second;
    frontend::CheckShape("pad", out, {Describe(x)}, site);
    return frontend::Wrap(frontend::Record(ir::Op::kPad, {v}, attrs, std::nullopt, site));
  }
  // edge / reflect: per axis, gather with an index map of the padded positions.
  ValuePtr r = v;
  for (int64_t d = 0; d < ndim; ++d) {
    const auto [before, after] = pad_width[d];
    if (before == 0 && after == 0) continue;
    const int64_t n = x.shape()[d];
    if (n == 0) {
      Fail<ValueError>(
          "pad", absl::StrCat("can't extend empty axis ", d, " using modes other than 'constant'"),
          {Describe(x)}, site);
    }
    frontend::CheckShape("pad", {n + before + after}, {Describe(x)}, site);
    std::vector<int64_t> idx;
    for (int64_t i = -before; i < n + after; ++i) {
      if (mode == PadMode::kEdge || n == 1) {
        idx.push_back(std::clamp<int64_t>(i, 0, n - 1));
      } else {
        // Reflection without repeating the edge, period 2 (n - 1), as numpy's 'reflect'.
        const int64_t period = 2 * (n - 1);
        int64_t j = ((i % period) + period) % period;
        idx.push_back(j < n ? j : period - j);
      }
    }
    r = GatherAlong(r, idx, d, site);
  }
  return frontend::Wrap(r);
}

NDArray pad(const NDArray& x, int64_t width, PadMode mode, double constant_value,
            SourceLocation site) {
  return pad(x, {{width, width}}, mode, constant_value, site);
}

}  // namespace ndjit::nd
