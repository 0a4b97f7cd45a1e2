// Handles and variables (see handle.h).
#include "frontend/handle.h"

#include "frontend/autograd.h"
#include "frontend/builder.h"
#include "runtime/materializer.h"

namespace ndjit::frontend {

Handle::Handle(runtime::ValuePtr value, ir::TensorType type, ir::SourceLoc loc,
               std::shared_ptr<Handle> base)
    : base_(std::move(base)),
      type_(std::move(type)),
      loc_(loc),
      is_view_(base_ != nullptr && base_->type_.shape != type_.shape) {
  var_.value = std::move(value);
}

std::shared_ptr<Handle> Handle::New(runtime::ValuePtr value) {
  ir::TensorType type = value->type();
  const ir::SourceLoc loc = value->loc();
  return std::make_shared<Handle>(std::move(value), std::move(type), loc, nullptr);
}

std::shared_ptr<Handle> Handle::View(const std::shared_ptr<Handle>& base, ir::Shape shape,
                                     ir::SourceLoc loc) {
  const std::shared_ptr<Handle>& root = base->base_ != nullptr ? base->base_ : base;
  return std::make_shared<Handle>(nullptr, ir::TensorType{base->type_.dtype, std::move(shape)}, loc,
                                  root);
}

namespace {
// A reshape of `value` to `type`. A view is not an op: it carries the recorded history of what it
// views (autograd), whether or not this thread records.
runtime::ValuePtr ViewOf(const runtime::ValuePtr& value, const ir::TensorType& type,
                         const ir::SourceLoc& loc) {
  runtime::ValuePtr v = runtime::Materializer::Get().Record(ir::Op::kReshape, type, {value}, {},
                                                            loc, value->device());
  if (value->annotation() != nullptr) autograd::Annotate(v, {value});
  return v;
}
}  // namespace

runtime::ValuePtr Handle::CurrentLocked() {
  Var& v = var();
  if (!is_view_) return v.value;
  if (view_ == nullptr || view_version_ != v.version) {
    view_ = ViewOf(v.value, type_, loc_);
    view_version_ = v.version;
  }
  return view_;
}

runtime::ValuePtr Handle::Current() {
  Var& v = var();
  std::lock_guard<std::mutex> lock(v.mu);
  if (v.grad != nullptr && autograd::Recording()) {
    // A read of a differentiation variable: a leaf of the recording.
    runtime::ValuePtr leaf = autograd::LeafRead(v.grad, v.value, loc_);
    return is_view_ ? ViewOf(leaf, type_, loc_) : leaf;
  }
  return CurrentLocked();
}

std::shared_ptr<autograd::GradVar> Handle::grad_var() {
  Var& v = var();
  std::lock_guard<std::mutex> lock(v.mu);
  return v.grad;
}

void Handle::set_grad_var(std::shared_ptr<autograd::GradVar> grad) {
  Var& v = var();
  std::lock_guard<std::mutex> lock(v.mu);
  v.grad = std::move(grad);
}

void Handle::Update(const std::function<runtime::ValuePtr(const runtime::ValuePtr&)>& update) {
  Var& v = var();
  std::lock_guard<std::mutex> lock(v.mu);
  runtime::ValuePtr next = update(CurrentLocked());
  if (is_view_) {
    // Everything that can throw first, then the variable and the view change together.
    runtime::ValuePtr base_value = ViewOf(next, base_->type_, loc_);
    v.value = std::move(base_value);
    view_ = std::move(next);
    view_version_ = ++v.version;
  } else {
    v.value = std::move(next);
    ++v.version;
  }
}

}  // namespace ndjit::frontend
