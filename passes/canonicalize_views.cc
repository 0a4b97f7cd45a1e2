// canonicalize-views (see canonicalize_views.h).
#include "passes/canonicalize_views.h"

#include <algorithm>
#include <iterator>
#include <optional>
#include <vector>

#include "ir/infer.h"
#include "ir/ops.h"
#include "ir/status_macros.h"

namespace ndjit::passes {
namespace {

using ir::Node;
using ir::Op;

// A view to build: `op` with `attrs` applied to `operand` (a node of the new graph).
struct View {
  Op op;
  Node* operand;
  ir::Attrs attrs;
};

// The attributes of `outer` applied to `inner`'s operand when the two views of the same op
// compose into one view; nullopt when they do not (different ops, an op that does not compose,
// or composed attributes the type rules reject).
std::optional<ir::Attrs> Compose(const Node& outer, const Node& inner) {
  if (outer.op() != inner.op()) return std::nullopt;
  const ir::Attrs& o = outer.attrs();
  const ir::Attrs& i = inner.attrs();
  ir::Attrs c;
  const Op op = outer.op();
  if (op == Op::kReshape || op == Op::kBroadcast) {
    // Reshape: row-major order is kept by both. Broadcast: an operand dim that is not 1 equals
    // the inner result dim it aligns with, which is then not 1 either and equals the outer
    // result dim; so each operand dim is 1 or equal to the outer result dim (InferType checks
    // it below all the same).
  } else if (op == Op::kPermute) {
    // Result axis a is inner-result axis o.perm[a], which is operand axis i.perm[o.perm[a]].
    for (int64_t p : o.perm) c.perm.push_back(i.perm[p]);
  } else if (op == Op::kSlice) {
    // Element j of the outer slice is inner element o.starts + j * o.steps, which is operand
    // element i.starts + (o.starts + j * o.steps) * i.steps.
    for (size_t a = 0; a < o.starts.size(); ++a) {
      int64_t start = 0, step = 0;
      if (__builtin_mul_overflow(o.starts[a], i.steps[a], &start) ||
          __builtin_add_overflow(start, i.starts[a], &start) ||
          __builtin_mul_overflow(o.steps[a], i.steps[a], &step)) {
        return std::nullopt;
      }
      c.starts.push_back(start);
      c.steps.push_back(step);
    }
  } else if (op == Op::kFlip) {
    // Flipping an axis twice restores it.
    std::set_symmetric_difference(o.axes.begin(), o.axes.end(), i.axes.begin(), i.axes.end(),
                                  std::back_inserter(c.axes));
  } else {
    return std::nullopt;  // pad: the two pads' values may differ; not composed
  }
  const ir::TensorType& operand = inner.operand(0)->type();
  if (!ir::InferType(op, {operand}, c, outer.type()).ok()) return std::nullopt;
  return c;
}

// Whether `view` of its operand gives a result of type `type` equal to the operand.
bool IsIdentity(const View& view, const ir::TensorType& type) {
  const ir::Shape& in = view.operand->shape();
  const ir::Attrs& a = view.attrs;
  if (view.operand->type() != type) return false;
  if (view.op == Op::kReshape || view.op == Op::kBroadcast || view.op == Op::kPad) {
    return true;  // a pad of the operand's own type has zero width on every axis
  }
  if (view.op == Op::kPermute) {
    for (size_t i = 0; i < a.perm.size(); ++i) {
      if (a.perm[i] != static_cast<int64_t>(i)) return false;
    }
    return true;
  }
  if (view.op == Op::kSlice) {
    // Every element in order: start 0 and step 1, except that any step reads a size-1 axis
    // whole and nothing is read from a size-0 axis.
    for (size_t i = 0; i < in.size(); ++i) {
      if (in[i] == 0) continue;
      if (a.starts[i] != 0 || (a.steps[i] != 1 && in[i] != 1)) return false;
    }
    return true;
  }
  if (view.op == Op::kFlip) {
    return std::all_of(a.axes.begin(), a.axes.end(), [&](int64_t ax) { return in[ax] <= 1; });
  }
  return false;  // an op this pass does not know as a view
}

}  // namespace

absl::StatusOr<bool> CanonicalizeViews::Run(ir::Graph& graph) {
  // The first rewrite applies to a view of the graph as it is (a composable view of a view, or
  // an identity); without one, nothing changes (and the graph is not copied).
  const bool any = std::any_of(graph.nodes().begin(), graph.nodes().end(), [](const auto& p) {
    const Node& n = *p;
    if (ir::GetOpKind(n.op()) != ir::OpKind::kView) return false;
    return Compose(n, *n.operand(0)).has_value() ||
           IsIdentity(View{n.op(), n.operand(0), n.attrs()}, n.type());
  });
  if (!any) return false;
  GraphRewriter rewriter(graph);
  bool changed = false;
  for (const auto& node_ptr : graph.nodes()) {
    const Node& n = *node_ptr;
    if (ir::GetOpKind(n.op()) != ir::OpKind::kView) {
      RETURN_IF_ERROR(rewriter.Copy(n).status());
      continue;
    }
    // The operand is already canonical, so a chain of any length folds in one visit per node.
    Node* operand = rewriter.Mapped(*n.operand(0));
    View view{n.op(), operand, n.attrs()};
    bool composed = false;
    if (std::optional<ir::Attrs> c = Compose(n, *operand)) {
      view = View{n.op(), operand->operand(0), *std::move(c)};
      composed = true;
    }
    if (IsIdentity(view, n.type())) {
      rewriter.Map(n, view.operand);
      changed = true;
      continue;
    }
    if (!composed) {
      RETURN_IF_ERROR(rewriter.Copy(n).status());
      continue;
    }
    ASSIGN_OR_RETURN(Node * v, rewriter.result().AddNode(view.op, {view.operand}, view.attrs,
                                                         n.type(), n.loc()));
    rewriter.Map(n, v);
    changed = true;
  }
  if (!changed) return false;
  ASSIGN_OR_RETURN(graph, rewriter.Finish());
  return true;
}

}  // namespace ndjit::passes
