// Constant folding (see fold_constants.h for which ops fold and why).
#include "passes/fold_constants.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "ir/elements.h"
#include "ir/host_tensor.h"
#include "ir/interpreter.h"
#include "ir/scalar_rules.h"
#include "ir/status_macros.h"

namespace ndjit::passes {
namespace {

using ir::Op;
using ir::Scalar;

// Element i of `t` as a constant's value; NaN becomes the quiet NaN the text form reads back.
Scalar ElementScalar(const ir::HostTensor& t, int64_t i) {
  if (!IsFloat(t.dtype())) return Scalar::Int(ir::LoadAsInt(t, i));
  const double v = ir::LoadAsDouble(t, i);
  return Scalar::Float(std::isnan(v) ? std::numeric_limits<double>::quiet_NaN() : v);
}

// `v` as an element of `dtype` holds it: the interpreter's rounding (a float attribute need not
// be representable in float16) and wraparound applied.
Scalar Stored(const Scalar& v, DType dtype) {
  ir::HostTensor t(ir::TensorType{dtype, {}});
  if (v.is_float()) {
    ir::StoreDouble(t, 0, v.f);
  } else {
    ir::StoreInt(t, 0, v.i);
  }
  return ElementScalar(t, 0);
}

Scalar ValueOf(const ir::Node& constant) {
  return Stored(constant.attrs().value, constant.dtype());
}

// An elementwise op on splats: the interpreter evaluates it once on 1-element constants.
absl::StatusOr<Scalar> FoldElementwise(const ir::Node& node,
                                       absl::Span<const ir::Node* const> constants) {
  ir::Graph g("fold");
  std::vector<ir::Node*> operands;
  for (const ir::Node* c : constants) {
    ASSIGN_OR_RETURN(ir::Node * leaf,
                     g.AddNode(Op::kConstant, {}, c->attrs(), ir::TensorType{c->dtype(), {}}));
    operands.push_back(leaf);
  }
  ASSIGN_OR_RETURN(ir::Node * result, g.AddNode(node.op(), std::move(operands), node.attrs(),
                                                ir::TensorType{node.dtype(), {}}));
  g.AddOutput(result);
  ASSIGN_OR_RETURN(std::vector<ir::HostTensor> values, ir::Interpret(g, {}));
  return ElementScalar(values[0], 0);
}

// The odd integer m with |v| = m * 2^e (v finite and nonzero).
uint64_t OddSignificand(double v) {
  int exponent = 0;
  const double fraction = std::frexp(std::fabs(v), &exponent);  // in [0.5, 1)
  uint64_t m = static_cast<uint64_t>(std::ldexp(fraction, 53));
  return m >> std::countr_zero(m);
}

// reduce_sum of `count` copies of the float `v`, as the interpreter computes it (a float64
// accumulator starting at +0.0, rounded once to the dtype), where that has a closed form.
std::optional<double> FloatSplatSum(double v, int64_t count) {
  if (count == 0) return 0.0;
  if (!std::isfinite(v)) return v;
  if (v != 0.0 && static_cast<uint64_t>(count) > (uint64_t{1} << 53) / OddSignificand(v)) {
    return std::nullopt;  // some partial sum would round
  }
  // Every partial sum k * v is exact, so the accumulation equals one multiplication; the leading
  // 0.0 + gives the accumulator's +0.0 for a sum of -0.0.
  return 0.0 + static_cast<double>(count) * v;
}

// reduce_prod of `count` copies of the float `v` (accumulator 1.0), where it has a closed form.
std::optional<double> FloatSplatProd(double v, int64_t count) {
  if (count == 0) return 1.0;
  if (count == 1 || std::isnan(v)) return v;
  const double magnitude = std::fabs(v);
  if (magnitude != 0.0 && magnitude != 1.0 && !std::isinf(magnitude)) return std::nullopt;
  return std::signbit(v) && count % 2 == 1 ? -magnitude : magnitude;
}

std::optional<Scalar> FoldReduce(const ir::Node& node, const ir::Node& operand) {
  const Scalar v = ValueOf(operand);
  const Op op = node.op();
  if (op == Op::kReduceMax || op == Op::kReduceMin) return v;  // never empty (verifier)
  if (op != Op::kReduceSum && op != Op::kReduceProd) return std::nullopt;
  int64_t count = 1;  // elements combined into each result element
  for (int64_t axis : node.attrs().axes) {
    // Only a shape with another zero dim can overflow here; its result is empty anyway.
    if (__builtin_mul_overflow(count, operand.shape()[axis], &count)) return std::nullopt;
  }
  const bool sum = op == Op::kReduceSum;
  if (IsFloat(node.dtype())) {
    const std::optional<double> r = sum ? FloatSplatSum(v.f, count) : FloatSplatProd(v.f, count);
    if (!r) return std::nullopt;
    return Stored(Scalar::Float(*r), node.dtype());
  }
  if (node.dtype() == DType::kBool) {  // or / and
    return Scalar::Int(sum ? (count > 0 && v.i != 0) : (count == 0 || v.i != 0));
  }
  const int64_t r = sum ? ir::WrapMul(v.i, count) : ir::IntPow(v.i, count);
  return Stored(Scalar::Int(r), node.dtype());
}

std::optional<Scalar> FoldView(const ir::Node& node, const ir::Node& operand) {
  const Scalar v = ValueOf(operand);
  const Op op = node.op();
  if (op == Op::kPad) {
    const Scalar pad = Stored(node.attrs().value, node.dtype());
    if (ir::NumElements(operand.shape()) == 0) return pad;
    if (pad == v || ir::NumElements(node.shape()) == ir::NumElements(operand.shape())) return v;
    return std::nullopt;
  }
  // Views that only move elements. A view op added later is not assumed to keep a splat.
  if (op == Op::kReshape || op == Op::kPermute || op == Op::kBroadcast || op == Op::kSlice ||
      op == Op::kFlip) {
    return v;
  }
  return std::nullopt;
}

std::optional<Scalar> FoldConcat(absl::Span<const ir::Node* const> constants) {
  std::optional<Scalar> value;
  for (const ir::Node* c : constants) {
    if (ir::NumElements(c->shape()) == 0) continue;
    const Scalar v = ValueOf(*c);
    if (value && !(*value == v)) return std::nullopt;
    value = v;
  }
  return value ? *value : ValueOf(*constants[0]);
}

// gather(data, indices) of constants: data's value, when the index is one the interpreter
// accepts. An out-of-range index stays a run-time error.
std::optional<Scalar> FoldGather(const ir::Node& node, const ir::Node& data,
                                 const ir::Node& indices) {
  const int64_t dim = data.shape()[node.attrs().axis];
  const int64_t j = ValueOf(indices).i;
  if (j < -dim || j >= dim) return std::nullopt;
  return ValueOf(data);
}

// The value of `node` when it is a splat computable from its constant operands.
absl::StatusOr<std::optional<Scalar>> Fold(const ir::Node& node,
                                           absl::Span<const ir::Node* const> constants) {
  switch (ir::GetOpKind(node.op())) {
    case ir::OpKind::kLeaf:
    case ir::OpKind::kMatmul:
      return std::nullopt;
    case ir::OpKind::kUnary:
    case ir::OpKind::kUnaryPredicate:
    case ir::OpKind::kBinary:
    case ir::OpKind::kCompare:
    case ir::OpKind::kSelect:
    case ir::OpKind::kCast:
      return FoldElementwise(node, constants);
    case ir::OpKind::kReduce:
      return FoldReduce(node, *constants[0]);
    case ir::OpKind::kArgReduce:
      return Scalar::Int(0);  // every element ties (or is the same NaN): the first index
    case ir::OpKind::kScan:
      // The running max or min of a splat is the splat; sums and products grow along the axis.
      if (constants.size() == 1 &&
          (node.op() == ir::Op::kScanMax || node.op() == ir::Op::kScanMin)) {
        return ValueOf(*constants[0]);
      }
      return std::nullopt;
    case ir::OpKind::kView:
      return FoldView(node, *constants[0]);
    case ir::OpKind::kConcat:
      return FoldConcat(constants);
    case ir::OpKind::kGather:
      return FoldGather(node, *constants[0], *constants[1]);
  }
  return std::nullopt;
}

}  // namespace

absl::StatusOr<bool> FoldConstants::Run(ir::Graph& graph) {
  // The first fold is of a node whose operands are constants in the graph as it is; without
  // one, nothing changes (and the graph is not copied).
  const bool any = std::any_of(graph.nodes().begin(), graph.nodes().end(), [](const auto& n) {
    return !n->operands().empty() &&
           std::all_of(n->operands().begin(), n->operands().end(),
                       [](const ir::Node* o) { return o->op() == Op::kConstant; });
  });
  if (!any) return false;
  GraphRewriter rewriter(graph);
  bool changed = false;
  for (const auto& node : graph.nodes()) {
    std::vector<const ir::Node*> constants;
    for (const ir::Node* o : node->operands()) {
      const ir::Node* mapped = rewriter.Mapped(*o);
      if (mapped->op() != Op::kConstant) break;
      constants.push_back(mapped);
    }
    std::optional<Scalar> value;
    if (!node->operands().empty() && constants.size() == node->operands().size()) {
      ASSIGN_OR_RETURN(value, Fold(*node, constants));
    }
    if (!value) {
      RETURN_IF_ERROR(rewriter.Copy(*node).status());
      continue;
    }
    ir::Attrs attrs;
    attrs.value = *value;
    ASSIGN_OR_RETURN(ir::Node * folded, rewriter.result().AddNode(Op::kConstant, {}, attrs,
                                                                  node->type(), node->loc()));
    rewriter.Map(*node, folded);
    changed = true;
  }
  if (!changed) return false;
  ASSIGN_OR_RETURN(graph, rewriter.Finish());
  return true;
}

}  // namespace ndjit::passes
