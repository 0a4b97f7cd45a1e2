// What an NDArray names: a handle to a mutable variable holding the array's current value.
//
// Values are immutable graph nodes. An in-place op (`a += b`, slice assignment, copyto, fill)
// records a new node from the variable's current value and rebinds the variable to it, so
// values recorded from the old one keep it (write-after-read), later reads see the new one
// (read-after-write), and writes apply in program order (write-after-write): MXNet's
// per-variable dependency order, with no buffer ever overwritten while a reader needs it.
//
// NDArray copies share one Handle (`NDArray d = a; a += 1;` changes what d reads). A view made
// by the reshape method is a Handle with its own shape over its base's variable: a write through
// either one is seen by both (MXNet's views share their parent's variable).
#ifndef NDJIT_FRONTEND_HANDLE_H_
#define NDJIT_FRONTEND_HANDLE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>

#include "ir/graph.h"
#include "ir/shape.h"
#include "runtime/value.h"

namespace ndjit::frontend {

namespace autograd {
struct GradVar;
}  // namespace autograd

class Handle {
 public:
  // A new variable holding `value` (one allocation: the variable lives in its handle).
  static std::shared_ptr<Handle> New(runtime::ValuePtr value);
  // A view of `base`'s variable with another shape of the same element count.
  static std::shared_ptr<Handle> View(const std::shared_ptr<Handle>& base, ir::Shape shape,
                                      ir::SourceLoc loc);

  const ir::TensorType& type() const { return type_; }
  const ir::SourceLoc& loc() const { return loc_; }

  // The current value, in this handle's shape. While autograd records on this thread, reading a
  // variable with a gradient buffer returns a new identity node of its value, annotated as a
  // leaf of the recording (autograd::LeafRead).
  runtime::ValuePtr Current();
  // Rebinds the variable to `update(current value)`, atomically with respect to other reads
  // and writes of the variable. `update` must not touch any NDArray (it may record nodes from
  // the value it is given and values obtained before); it returns a value of this handle's
  // type. An exception from `update` leaves the variable unchanged.
  void Update(const std::function<runtime::ValuePtr(const runtime::ValuePtr&)>& update);

  // The variable's gradient buffer (attach_grad), or null. The variable's own type (the base's,
  // for a view) is var_type().
  std::shared_ptr<autograd::GradVar> grad_var();
  void set_grad_var(std::shared_ptr<autograd::GradVar> grad);
  const ir::TensorType& var_type() const { return base_ != nullptr ? base_->type_ : type_; }
  bool is_view() const { return is_view_; }

  Handle(runtime::ValuePtr value, ir::TensorType type, ir::SourceLoc loc,
         std::shared_ptr<Handle> base);  // use New or View

 private:
  // The variable (meaningful in a handle without a base).
  struct Var {
    std::mutex mu;
    runtime::ValuePtr value;                  // of the variable's own type
    uint64_t version = 0;                     // incremented by every write
    std::shared_ptr<autograd::GradVar> grad;  // attach_grad()
  };
  Var& var() { return base_ != nullptr ? base_->var_ : var_; }
  // The current value in this handle's shape; caller holds var().mu.
  runtime::ValuePtr CurrentLocked();

  Var var_;
  const std::shared_ptr<Handle> base_;  // a view's base (itself never a view)
  const ir::TensorType type_;
  const ir::SourceLoc loc_;
  const bool is_view_;  // a shape other than the variable's
  // A view's reshape of the variable's value at `view_version_` (guarded by var().mu).
  runtime::ValuePtr view_;
  uint64_t view_version_ = 0;
};

}  // namespace ndjit::frontend

#endif  // NDJIT_FRONTEND_HANDLE_H_
