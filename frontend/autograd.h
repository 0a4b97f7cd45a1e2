// Autograd internals: what recording attaches to values, and the gradient rules.
//
// Recording (thread-local, ndjit::autograd::Record) annotates every recorded node that is
// computed from a tracked value with a GradNode: its operands and their nodes. A value is
// tracked when it is the current value of a variable with attach_grad() read while recording
// (a leaf node, held by the recording scope), or a recorded node's result (its annotation).
// backward() walks the nodes from the head in reverse topological order and records, for each,
// the gradient rule of its op (grad_rules.cc): the gradient is more lazy IR.
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
  // Set by every backward that wrote the buffer; gluon::Trainer::step clears it (MXNet's stale
  // gradient check).
  std::atomic<bool> fresh{false};
};

// How a value was computed, for backward. A leaf node stands for a variable's value; an op node
// for a recorded node. Inputs are released when a backward without retain_graph frees the graph
// (guarded by the autograd lock).
struct GradNode final : runtime::ValueAnnotation {
  std::shared_ptr<GradVar> leaf;                 // leaf nodes only
  std::vector<ValuePtr> inputs;                  // op nodes: the operands
  std::vector<std::shared_ptr<GradNode>> nodes;  // their nodes (null: no gradient flows there)
  bool freed = false;
};

// Whether this thread records.
bool Recording();
// Whether any of `operands` is tracked (has a node) on this thread.
bool AnyTracked(const std::vector<ValuePtr>& operands);
// Annotates `result` (a new node computed from `operands`) when its dtype is a float.
void Annotate(const ValuePtr& result, std::vector<ValuePtr> operands);
// Makes `value`, the current value of a variable with a gradient buffer, a leaf of this thread's
// recording (called when such a variable is read while recording).
void NoteVariableRead(const std::shared_ptr<GradVar>& var, const ValuePtr& value);

// The gradient contribution of node `y` (op applied to `x`) to each of its operands, given
// `g` = d head / d y (y's type), recorded at y's call site. Entries are null where no gradient
// flows (non-differentiable operands, or gradient zero). One rule per op, in grad_rules.cc.
std::vector<ValuePtr> GradientRule(const ValuePtr& y, const std::vector<ValuePtr>& x,
                                   const ValuePtr& g);

}  // namespace autograd
}  // namespace ndjit::frontend

#endif  // NDJIT_FRONTEND_AUTOGRAD_H_
