// Algebraic simplification (see simplify.h for the rules, and the ones skipped and why).
#include "passes/simplify.h"

#include <cmath>
#include <optional>

#include "ir/dtype.h"
#include "ir/ops.h"
#include "ir/status_macros.h"

namespace ndjit::passes {
namespace {

using ir::Op;
using ir::Scalar;

// The value of a splat operand: a constant, seen through broadcast and reshape.
std::optional<Scalar> SplatValue(const ir::Node* n) {
  while (n->op() == Op::kBroadcast || n->op() == Op::kReshape) n = n->operand(0);
  if (n->op() != Op::kConstant) return std::nullopt;
  return n->attrs().value;
}

// Attribute values are exact (1.0, 0.0 and -0.0 are representable in every float dtype); a value
// that only rounds to one of them is conservatively not recognised.
bool IsOne(const ir::Node* n) {
  const std::optional<Scalar> v = SplatValue(n);
  return v && (v->is_float() ? v->f == 1.0 : v->i == 1);
}
// Either zero, for rules where the sign does not matter.
bool IsZero(const ir::Node* n) {
  const std::optional<Scalar> v = SplatValue(n);
  return v && (v->is_float() ? v->f == 0.0 : v->i == 0);
}
bool IsPositiveZero(const ir::Node* n) {
  const std::optional<Scalar> v = SplatValue(n);
  return v && (v->is_float() ? v->f == 0.0 && !std::signbit(v->f) : v->i == 0);
}
bool IsNegativeZero(const ir::Node* n) {
  const std::optional<Scalar> v = SplatValue(n);
  return v && v->is_float() && v->f == 0.0 && std::signbit(v->f);
}

// Whether casting `from` to `to` keeps every value of `from` exactly, so casting back restores
// it (a cast to bool is x != 0, which restores a bool's 0 or 1 from any dtype).
bool IsExactWidening(DType from, DType to) {
  switch (from) {
    case DType::kBool:
      return true;
    case DType::kInt8:
    case DType::kUInt8:  // |x| <= 255 fits the significand of bfloat16 (8 bits) and float16
      return to == DType::kInt32 || to == DType::kInt64 || IsFloat(to);
    case DType::kInt32:
      return to == DType::kInt64 || to == DType::kFloat64;
    case DType::kFloat16:
    case DType::kBFloat16:
      return to == DType::kFloat32 || to == DType::kFloat64;
    case DType::kFloat32:
      return to == DType::kFloat64;
    case DType::kInt64:
    case DType::kFloat64:
      return false;
  }
  return false;
}

// One node's rewrite: returns the value that replaces it (an existing node of the new graph or
// a new one with the node's loc), or nullptr when no rule applies.
class Simplification {
 public:
  Simplification(GraphRewriter& rewriter, const ir::Node& node)
      : rewriter_(&rewriter), node_(node) {}
  // A dry run over the graph as it is: Apply returns non-null when a rule applies, and builds
  // nothing.
  explicit Simplification(const ir::Node& node) : rewriter_(nullptr), node_(node) {}

  absl::StatusOr<ir::Node*> Apply() {
    switch (ir::GetOpKind(node_.op())) {
      case ir::OpKind::kUnary:
        return Unary();
      case ir::OpKind::kBinary:
        return Binary();
      case ir::OpKind::kCompare:
        return Compare();
      case ir::OpKind::kSelect:
        return Operand(1) == Operand(2) ? Operand(1) : nullptr;
      case ir::OpKind::kCast:
        return Cast();
      case ir::OpKind::kLeaf:
      case ir::OpKind::kUnaryPredicate:
      case ir::OpKind::kReduce:
      case ir::OpKind::kArgReduce:
      case ir::OpKind::kScan:
      case ir::OpKind::kView:
      case ir::OpKind::kConcat:
      case ir::OpKind::kGather:
      case ir::OpKind::kMatmul:
        return nullptr;
    }
    return nullptr;
  }

 private:
  ir::Node* Operand(int i) const {
    return rewriter_ != nullptr ? rewriter_->Mapped(*node_.operand(i)) : node_.operand(i);
  }
  // The node a dry run returns for "a rule applies".
  ir::Node* Applies() const { return const_cast<ir::Node*>(&node_); }

  absl::StatusOr<ir::Node*> Constant(Scalar value) {
    ir::Attrs attrs;
    attrs.value = value;
    if (rewriter_ == nullptr) return Applies();
    return rewriter_->result().AddNode(Op::kConstant, {}, attrs, node_.type(), node_.loc());
  }
  absl::StatusOr<ir::Node*> NewUnary(Op op, ir::Node* x) {
    if (rewriter_ == nullptr) return Applies();
    return rewriter_->result().AddNode(op, {x}, {}, node_.type(), node_.loc());
  }

  absl::StatusOr<ir::Node*> Unary() {
    ir::Node* x = Operand(0);
    const Op op = node_.op();
    if ((op == Op::kNeg || op == Op::kNot) && x->op() == op) return x->operand(0);
    if (op == Op::kAbs && x->op() == Op::kAbs) return x;
    // abs(neg(x)) == abs(x) needs a signed dtype: on u8, neg(5) is 251 and abs keeps it.
    const DType dt = node_.dtype();
    if (op == Op::kAbs && x->op() == Op::kNeg && (IsFloat(dt) || ir::IntegerRange(dt).lo < 0)) {
      return NewUnary(Op::kAbs, x->operand(0));
    }
    return nullptr;
  }

  absl::StatusOr<ir::Node*> Binary() {
    ir::Node* a = Operand(0);
    ir::Node* b = Operand(1);
    const bool fl = IsFloat(node_.dtype());
    const Scalar zero = Scalar::Int(0);
    const Op op = node_.op();
    if (op == Op::kMul) {
      if (IsOne(b)) return a;
      if (IsOne(a)) return b;
      if (!fl && (IsZero(a) || IsZero(b))) return Constant(zero);
    } else if (op == Op::kAdd) {  // floats: only -0.0 is an identity (-0.0 + 0.0 == +0.0)
      if (fl ? IsNegativeZero(b) : IsZero(b)) return a;
      if (fl ? IsNegativeZero(a) : IsZero(a)) return b;
    } else if (op == Op::kSub) {  // floats: -0.0 - -0.0 == +0.0, so only +0.0 is an identity
      if (IsPositiveZero(b)) return a;
      if (fl ? IsNegativeZero(a) : IsZero(a)) return NewUnary(Op::kNeg, b);
      if (!fl && a == b) return Constant(zero);
    } else if (op == Op::kDiv || (op == Op::kFloorDiv && !fl)) {  // floats: 2.5 // 1 == 2.0
      if (IsOne(b)) return a;
    } else if (op == Op::kPow) {
      if (IsOne(b)) return a;
      if (IsZero(b)) return Constant(fl ? Scalar::Float(1.0) : Scalar::Int(1));
    } else if (op == Op::kMax || op == Op::kMin || op == Op::kOr) {
      if (a == b) return a;
    } else if (op == Op::kAnd) {
      if (a == b) return a;
      if (IsZero(a) || IsZero(b)) return Constant(zero);
    } else if (op == Op::kXor) {
      if (a == b) return Constant(zero);
    }
    // mod, atan2, hypot and binary ops added later: no rule.
    return nullptr;
  }

  // x compared with itself is known for integers and bool; a float x may be NaN.
  absl::StatusOr<ir::Node*> Compare() {
    ir::Node* a = Operand(0);
    if (a != Operand(1) || IsFloat(a->dtype())) return nullptr;
    const Op op = node_.op();
    return Constant(Scalar::Int(op == Op::kEq || op == Op::kLe || op == Op::kGe ? 1 : 0));
  }

  absl::StatusOr<ir::Node*> Cast() {
    ir::Node* x = Operand(0);
    const DType to = node_.dtype();
    if (x->dtype() == to) return x;
    if (x->op() == Op::kCast && x->operand(0)->dtype() == to && IsExactWidening(to, x->dtype())) {
      return x->operand(0);
    }
    return nullptr;
  }

  GraphRewriter* rewriter_;  // null in a dry run
  const ir::Node& node_;
};

}  // namespace

absl::StatusOr<bool> AlgebraicSimplifier::Run(ir::Graph& graph) {
  // The first rewrite applies to the graph as it is; without one, nothing changes (and the
  // graph is not copied).
  bool any = false;
  for (const auto& node : graph.nodes()) {
    ASSIGN_OR_RETURN(ir::Node * applies, Simplification(*node).Apply());
    if (applies != nullptr) {
      any = true;
      break;
    }
  }
  if (!any) return false;
  GraphRewriter rewriter(graph);
  bool changed = false;
  for (const auto& node : graph.nodes()) {
    ASSIGN_OR_RETURN(ir::Node * replacement, Simplification(rewriter, *node).Apply());
    if (replacement == nullptr) {
      RETURN_IF_ERROR(rewriter.Copy(*node).status());
      continue;
    }
    rewriter.Map(*node, replacement);
    changed = true;
  }
  if (!changed) return false;
  ASSIGN_OR_RETURN(graph, rewriter.Finish());
  return true;
}

}  // namespace ndjit::passes
