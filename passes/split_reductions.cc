// split-reductions (see split_reductions.h).
#include "passes/split_reductions.h"

#include <algorithm>
#include <limits>

#include "ir/dtype.h"
#include "ir/reduce.h"
#include "ir/status_macros.h"

namespace ndjit::passes {

namespace {

using ir::Node;
using ir::Op;

bool Splittable(Op op) {
  return op == Op::kReduceSum || op == Op::kReduceProd || op == Op::kReduceMax ||
         op == Op::kReduceMin;
}

// The reduction that totals a chunk of a scan.
Op ReductionOfScan(Op op) {
  switch (op) {
    case Op::kScanSum:
      return Op::kReduceSum;
    case Op::kScanProd:
      return Op::kReduceProd;
    case Op::kScanMax:
      return Op::kReduceMax;
    default:
      return Op::kReduceMin;
  }
}

// The element that leaves the reduction unchanged (the padding of an uneven split).
ir::Scalar Identity(Op op, DType dt) { return ir::ReduceIdentity(*ir::OpCombination(op), dt); }

}  // namespace

bool SplitReductions::Splits(const ir::Node& n, const Options& options) {
  if (ir::GetOpKind(n.op()) == ir::OpKind::kScan) {
    if (n.operands().size() != 1 || options.scan_chunk < 1) return false;
    const int64_t len = n.shape()[n.attrs().axis];
    return len >= options.min_scanned && len > options.scan_chunk &&
           ir::NumElements(n.shape()) / len <= options.max_scan_rows;
  }
  if (!Splittable(n.op())) return false;
  const ir::Shape& s = n.operand(0)->shape();
  const std::vector<int64_t>& axes = n.attrs().axes;
  const size_t r = s.size(), k = axes.size();
  bool suffix = k > 0;
  for (size_t i = 0; i < k && suffix; ++i) suffix = axes[i] == static_cast<int64_t>(r - k + i);
  if (!suffix) return false;
  const ir::Shape kept(s.begin(), s.begin() + (r - k));
  const int64_t reduced = ir::NumElements(absl::MakeSpan(s).subspan(r - k));
  return ir::NumElements(kept) <= options.max_outputs && reduced >= options.min_reduced;
}

bool SplitReductions::Applies(const ir::Graph& graph, const Options& options) {
  for (const auto& n : graph.nodes()) {
    if (Splits(*n, options)) return true;
  }
  return false;
}

// The chunked form of a long scan (see the header): chunk totals, each chunk's carry the masked
// reduction of the totals before it, and the scan of the operand from those carries.
absl::StatusOr<Node*> SplitReductions::SplitScan(const Node& n, GraphRewriter& rewriter) const {
  const Node& x = *n.operand(0);
  const ir::Shape& s = x.shape();
  const int64_t axis = n.attrs().axis;
  const int64_t len = s[axis];
  const int64_t chunks =
      std::min((len + options_.scan_chunk - 1) / options_.scan_chunk, options_.max_scan_chunks);
  const int64_t chunk = (len + chunks - 1) / chunks;  // what the carry form implies
  ir::Graph& g = rewriter.result();
  const ir::SourceLoc loc = n.loc();
  const DType dt = x.dtype();
  const Op total_op = ReductionOfScan(n.op());
  const ir::Scalar identity = Identity(total_op, dt);
  Node* v = rewriter.Mapped(x);
  ir::Shape padded = s;
  padded[axis] = chunks * chunk;
  if (padded[axis] != len) {
    ir::Attrs pad;
    pad.low.assign(s.size(), 0);
    pad.high.assign(s.size(), 0);
    pad.high[axis] = padded[axis] - len;
    pad.value = identity;
    ASSIGN_OR_RETURN(v, g.AddNode(Op::kPad, {v}, pad, ir::TensorType{dt, padded}, loc));
  }
  ir::Shape split(s.begin(), s.begin() + axis);
  split.push_back(chunks);
  split.push_back(chunk);
  split.insert(split.end(), s.begin() + axis + 1, s.end());
  ASSIGN_OR_RETURN(v, g.AddNode(Op::kReshape, {v}, {}, ir::TensorType{dt, split}, loc));
  // As for reductions: float sums total and carry in float64, so that the carries add nothing
  // to the rounding within a chunk; 16-bit float products in float32 (a float32 or float64
  // product keeps its dtype, so that overflow to infinity stays as it would be in order).
  DType total_dt = dt;
  if (n.op() == Op::kScanSum && IsFloat(dt)) total_dt = DType::kFloat64;
  if (n.op() == Op::kScanProd) total_dt = ir::AccumulatorDType(dt);
  const bool wide = total_dt != dt;
  if (wide) {
    ASSIGN_OR_RETURN(v, g.AddNode(Op::kCast, {v}, {}, ir::TensorType{total_dt, split}, loc));
  }
  ir::Attrs within;
  within.axes = {axis + 1};
  ASSIGN_OR_RETURN(Node * totals, g.AddNode(total_op, {v}, within, std::nullopt, loc));
  // The carry of chunk j combines the totals of chunks k < j: a reduction over k of the totals
  // masked by k < j, [..., j, k, ...], which the chunked scan's kernel computes once per chunk
  // before its loop (at most max_scan_chunks^2 cheap steps in all).
  ir::Shape carry_shape = s;
  carry_shape[axis] = chunks;
  ir::Shape one_row = carry_shape;
  one_row.insert(one_row.begin() + axis, 1);
  ir::Shape square = carry_shape;
  square.insert(square.begin() + axis, chunks);
  ASSIGN_OR_RETURN(Node * row,
                   g.AddNode(Op::kReshape, {totals}, {}, ir::TensorType{total_dt, one_row}, loc));
  ASSIGN_OR_RETURN(Node * all,
                   g.AddNode(Op::kBroadcast, {row}, {}, ir::TensorType{total_dt, square}, loc));
  ir::Attrs j_axis, k_axis;
  j_axis.axis = axis;
  k_axis.axis = axis + 1;
  const ir::TensorType index_type{DType::kInt64, square};
  ASSIGN_OR_RETURN(Node * j, g.AddNode(Op::kIota, {}, j_axis, index_type, loc));
  ASSIGN_OR_RETURN(Node * k, g.AddNode(Op::kIota, {}, k_axis, index_type, loc));
  ASSIGN_OR_RETURN(Node * before, g.AddNode(Op::kLt, {k, j}, {}, std::nullopt, loc));
  ir::Attrs fill;
  fill.value = Identity(total_op, total_dt);
  ASSIGN_OR_RETURN(Node * none,
                   g.AddNode(Op::kConstant, {}, fill, ir::TensorType{total_dt, square}, loc));
  ASSIGN_OR_RETURN(Node * masked,
                   g.AddNode(Op::kSelect, {before, all, none}, {}, std::nullopt, loc));
  ASSIGN_OR_RETURN(Node * carry, g.AddNode(total_op, {masked}, within, std::nullopt, loc));
  if (wide) {
    ASSIGN_OR_RETURN(carry,
                     g.AddNode(Op::kCast, {carry}, {}, ir::TensorType{dt, carry_shape}, loc));
  }
  return g.AddNode(n.op(), {rewriter.Mapped(x), carry}, n.attrs(), std::nullopt, loc);
}

absl::StatusOr<bool> SplitReductions::Run(ir::Graph& graph) {
  GraphRewriter rewriter(graph);
  bool changed = false;
  for (const auto& node_ptr : graph.nodes()) {
    const Node& n = *node_ptr;
    if (!Splits(n, options_)) {
      RETURN_IF_ERROR(rewriter.Copy(n).status());
      continue;
    }
    if (ir::GetOpKind(n.op()) == ir::OpKind::kScan) {
      ASSIGN_OR_RETURN(Node * v, SplitScan(n, rewriter));
      rewriter.Map(n, v);
      changed = true;
      continue;
    }
    const Node& x = *n.operand(0);
    const ir::Shape& s = x.shape();
    const size_t r = s.size(), k = n.attrs().axes.size();
    const ir::Shape kept(s.begin(), s.begin() + (r - k));
    const int64_t reduced = ir::NumElements(absl::MakeSpan(s).subspan(r - k));
    int64_t parts = options_.parts;
    while (parts > 2 && reduced / parts < options_.min_chunk) parts /= 2;
    const int64_t chunk = (reduced + parts - 1) / parts;
    ir::Graph& g = rewriter.result();
    const ir::SourceLoc loc = n.loc();
    const DType dt = x.dtype();
    Node* v = rewriter.Mapped(x);
    ir::Shape flat = kept;
    flat.push_back(reduced);
    if (k != 1) {
      ASSIGN_OR_RETURN(v, g.AddNode(Op::kReshape, {v}, {}, ir::TensorType{dt, flat}, loc));
    }
    if (parts * chunk != reduced) {
      ir::Attrs pad;
      pad.low.assign(flat.size(), 0);
      pad.high.assign(flat.size(), 0);
      pad.high.back() = parts * chunk - reduced;
      pad.value = Identity(n.op(), dt);
      flat.back() = parts * chunk;
      ASSIGN_OR_RETURN(v, g.AddNode(Op::kPad, {v}, pad, ir::TensorType{dt, flat}, loc));
    }
    ir::Shape split = kept;
    split.push_back(parts);
    split.push_back(chunk);
    ASSIGN_OR_RETURN(v, g.AddNode(Op::kReshape, {v}, {}, ir::TensorType{dt, split}, loc));
    DType partial_dt = dt;
    if (n.op() != Op::kReduceMax && n.op() != Op::kReduceMin && ir::AccumulatorDType(dt) != dt) {
      partial_dt = ir::AccumulatorDType(dt);
      ASSIGN_OR_RETURN(v, g.AddNode(Op::kCast, {v}, {}, ir::TensorType{partial_dt, split}, loc));
    }
    ir::Attrs inner;
    inner.axes = {static_cast<int64_t>(kept.size()) + 1};
    ASSIGN_OR_RETURN(v, g.AddNode(n.op(), {v}, inner, std::nullopt, loc));
    if (partial_dt == DType::kFloat32 && n.op() == Op::kReduceSum) {
      // The partial sums are combined in float64, which keeps the second stage exact enough
      // to add nothing to the first stage's rounding.
      partial_dt = DType::kFloat64;
      ir::Shape partial_shape = kept;
      partial_shape.push_back(parts);
      ASSIGN_OR_RETURN(
          v, g.AddNode(Op::kCast, {v}, {}, ir::TensorType{partial_dt, partial_shape}, loc));
    }
    ir::Attrs outer;
    outer.axes = {static_cast<int64_t>(kept.size())};
    ASSIGN_OR_RETURN(v, g.AddNode(n.op(), {v}, outer, std::nullopt, loc));
    if (partial_dt != dt) {
      ASSIGN_OR_RETURN(v, g.AddNode(Op::kCast, {v}, {}, n.type(), loc));
    }
    rewriter.Map(n, v);
    changed = true;
  }
  if (!changed) return false;
  ASSIGN_OR_RETURN(graph, rewriter.Finish());
  return true;
}

}  // namespace ndjit::passes
