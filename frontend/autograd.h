// Autograd internals: what recording attaches to values, and the gradient rules.
//
// Recording (thread-local, ndjit::autograd::Record) annotates every recorded node that is
// computed from a tracked value with a GradNode holding its operands. A value is tracked when it
// carries an annotation: each read of a variable with attach_grad() while recording is a new
// identity node annotated as a leaf, and every node recorded from tracked values is annotated in
// turn (views of tracked values too, recording or not). backward() walks the annotations from
// the head in reverse topological order and records, for each node, the gradient rule of its op
// (grad_rules.cc): the gradient is more lazy IR.
#ifndef NDJIT_FRONTEND_AUTOGRAD_H_
#define NDJIT_FRONTEND_AUTOGRAD_H_

#include <atomic>
#include <memory>
#include <vector>

#include "ir/graph.h"
#include "ndjit/ndarray.h"
#include "runtime/value.h"

namespace ndjit::frontend {

class Handle;

namespace autograd {

using runtime::ValuePtr;

// A differentiation variable's gradient buffer (attach_grad()).
struct GradVar {
  std::shared_ptr<Handle> grad;  // a variable of the differentiated variable's type
  GradReq req = GradReq::kWrite;
  // Set by every backward that reached the variable; gluon::Trainer::step clears it (MXNet's
  // stale gradient check).
  std::atomic<bool> fresh{false};
};

// How a value was computed, for backward. A leaf node marks a read of a variable while
// recording (an identity node of the variable's value: each read is its own leaf, so an alias of
// the same value elsewhere is never mistaken for the variable); an op node holds a recorded
// node's operands, whose own annotations continue the graph. Inputs are released when a
// backward without retain_graph frees the graph (guarded by the autograd lock), or when the
// value dies.
struct GradNode final : runtime::ValueAnnotation {
  bool is_leaf = false;
  std::weak_ptr<GradVar> leaf;   // leaf nodes: the variable (weak: no cycle through its buffer)
  std::vector<ValuePtr> inputs;  // op nodes: the operands
  bool freed = false;
  ~GradNode() override { runtime::ReleaseValues(std::move(inputs)); }
};

// Whether this thread records.
bool Recording();
// Whether any of `operands` carries a recorded history (an annotation).
bool AnyTracked(const std::vector<ValuePtr>& operands);
// Annotates `result`, a new node computed from `operands`; call only when
// AnyTracked(operands).
void Annotate(const ValuePtr& result, std::vector<ValuePtr> operands);
// A new node with `value`'s values and no annotation (recorded directly, never computed eagerly
// on its own).
ValuePtr Identity(const ValuePtr& value, const ir::SourceLoc& loc);
// A read of a variable with a gradient buffer while recording: a new identity node of `value`
// (the variable's current value), annotated as a leaf of `var`.
ValuePtr LeafRead(const std::shared_ptr<GradVar>& var, const ValuePtr& value,
                  const ir::SourceLoc& loc);

// The gradient contribution of node `y` (op applied to `x`) to each operand i with needed[i],
// given `g` = d head / d y (y's type), recorded at y's call site. Entries are null where no
// gradient flows (not needed, not a float, or gradient zero). One rule per op, in grad_rules.cc.
std::vector<ValuePtr> GradientRule(const ValuePtr& y, const std::vector<ValuePtr>& x,
                                   const std::vector<bool>& needed, const ValuePtr& g);

}  // namespace autograd
}  // namespace ndjit::frontend

#endif  // NDJIT_FRONTEND_AUTOGRAD_H_
