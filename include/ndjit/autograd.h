// ndjit::autograd: reverse-mode differentiation of recorded computations (MXNet's autograd).
//
//   w.attach_grad();                        // w gets a gradient buffer, w.grad() (zeros)
//   NDArray loss;
//   { ndjit::autograd::Record rec;          // ops on this thread are recorded while rec lives
//     loss = nd::sum(nd::exp(x * w)); }
//   loss.backward();                        // w.grad() now holds d loss / d w
//   std::vector<NDArray> g = ndjit::autograd::grad(loss2, {w, b});   // functional form
//
// The gradient is not computed by a tape of eager kernels: backward() records the gradient
// computation as more lazy graph nodes (one rule per IR primitive, see frontend/grad_rules.cc),
// so it is simplified and fused together with the forward computation and whatever else is
// pending, and computed when something needs the values.
//
// Semantics follow MXNet 1.x:
//  * Only arrays with attach_grad() are variables; recording tracks every op that reads one of
//    them (directly or through recorded results) on the recording thread.
//  * A head that is not a scalar gets a head gradient of ones (so gradients sum over a batch).
//  * grad_req kWrite overwrites the variable's gradient on each backward, kAdd accumulates,
//    kNull leaves it alone.
//  * Ops that are not differentiable stop the gradient: comparisons, argmax/argmin, integer and
//    bool results, and casts from integers. Piecewise-constant float ops (sign, floor, ceil,
//    round, trunc, floor division) have gradient zero.
//  * At ties, elementwise maximum/minimum give the gradient to their first operand, and the
//    max/min reductions to every tied element, as MXNet does (relu'(0) = 0).
//  * backward() frees the recorded graph unless retain_graph is true; a second backward through
//    a freed graph is a ValueError (detach() a result carried over from an earlier step).
//  * While recording, an in-place write (+=, copyto, fill, slice_assign, Parameter::set_data) to
//    an array with attach_grad() is a ValueError, as in MXNet: the recorded graph would refer to
//    the old values. attach_grad() on a recorded result makes it a variable of its own (its
//    recorded history is cut).
//  * The recorded graph refers to a variable weakly: if every handle of the variable is gone by
//    the time backward runs, its gradient is not written (a grad() handle kept alone is not
//    updated). Keep the variable alive until backward, as any training loop does.
#ifndef NDJIT_AUTOGRAD_H_
#define NDJIT_AUTOGRAD_H_

#include <optional>
#include <vector>

#include "ndjit/ndarray.h"

namespace ndjit::autograd {

// Records the ops this thread runs while the object lives (`with autograd.record():`), and sets
// training mode (is_training()) to `train_mode`. Scopes nest; each restores the previous state.
class Record {
 public:
  explicit Record(bool train_mode = true);
  ~Record();
  Record(const Record&) = delete;
  Record& operator=(const Record&) = delete;

 private:
  bool prev_recording_;
  bool prev_training_;
};

// Stops recording while it lives (`with autograd.pause():`), and sets training mode to
// `train_mode`.
class Pause {
 public:
  explicit Pause(bool train_mode = false);
  ~Pause();
  Pause(const Pause&) = delete;
  Pause& operator=(const Pause&) = delete;

 private:
  bool prev_recording_;
  bool prev_training_;
};

// Whether this thread records ops, and whether it is in training mode (layers that behave
// differently in training, such as dropout, read this).
bool is_recording();
bool is_training();

// The gradients of `head` with respect to `variables`, without touching their grad() buffers
// (MXNet's autograd.grad). Each variable is an array with attach_grad() or a recorded result
// computed from one; a variable the head does not depend on gets zeros. `head_grad` defaults to
// ones of head's shape. Frees the recorded graph unless `retain_graph`.
std::vector<NDArray> grad(const NDArray& head, const std::vector<NDArray>& variables,
                          std::optional<NDArray> head_grad = std::nullopt,
                          bool retain_graph = false,
                          SourceLocation site = SourceLocation::current());

// backward() of several heads at once, with one head gradient each (or none: ones for all).
void backward(const std::vector<NDArray>& heads, const std::vector<NDArray>& head_grads = {},
              bool retain_graph = false, SourceLocation site = SourceLocation::current());

}  // namespace ndjit::autograd

#endif  // NDJIT_AUTOGRAD_H_
