// What an NDArray names: a handle to a mutable variable holding the array's current value.
//
// Values are immutable graph nodes. An in-place op (`a += b`, slice assignment, copyto, fill)
// records a new node from the variable's current value and rebinds the variable to it, so
// values recorded from the old one keep it (write-after-read), later reads see the new one
// (read-after-write), and writes apply in program order (write-after-write): MXNet's
// per-variable dependency order, with no buffer ever overwritten while a reader needs it.
//
// NDArray copies share one Handle (`NDArray d = a; a += 1;` changes what d reads). A view made
// by the reshape method has its own Handle over the same Var, with its own shape: a write
// through either one is seen by both (MXNet's views share their parent's variable).
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

class Handle {
 public:
  // A new variable holding `value`.
  static std::shared_ptr<Handle> New(runtime::ValuePtr value);
  // A view of `base`'s variable with another shape of the same element count.
  static std::shared_ptr<Handle> View(const Handle& base, ir::Shape shape, ir::SourceLoc loc);

  const ir::TensorType& type() const { return type_; }
  const ir::SourceLoc& loc() const { return loc_; }

  // The current value, in this handle's shape.
  runtime::ValuePtr Current();
  // Rebinds the variable to `update(current value)`, atomically with respect to other reads
  // and writes of the variable. `update` must not touch any NDArray (it may record nodes from
  // the value it is given and values obtained before); it returns a value of this handle's
  // type. An exception from `update` leaves the variable unchanged.
  void Update(const std::function<runtime::ValuePtr(const runtime::ValuePtr&)>& update);

 private:
  struct Var {
    std::mutex mu;
    runtime::ValuePtr value;  // of the variable's own type
    uint64_t version = 0;     // incremented by every write
  };
  Handle(std::shared_ptr<Var> var, ir::TensorType type, ir::SourceLoc loc)
      : var_(std::move(var)), type_(std::move(type)), loc_(loc) {}
  // The current value in this handle's shape; caller holds var_->mu.
  runtime::ValuePtr CurrentLocked();
  bool is_view() const { return type_.shape != var_->value->type().shape; }

  std::shared_ptr<Var> var_;
  const ir::TensorType type_;
  const ir::SourceLoc loc_;
  // A view's reshape of the variable's value at `view_version_` (guarded by var_->mu).
  runtime::ValuePtr view_;
  uint64_t view_version_ = 0;
};

}  // namespace ndjit::frontend

#endif  // NDJIT_FRONTEND_HANDLE_H_
