// Handles and variables (see handle.h).
#include "frontend/handle.h"

#include "runtime/materializer.h"

namespace ndjit::frontend {

std::shared_ptr<Handle> Handle::New(runtime::ValuePtr value) {
  auto var = std::make_shared<Var>();
  ir::TensorType type = value->type();
  const ir::SourceLoc loc = value->loc();
  var->value = std::move(value);
  return std::shared_ptr<Handle>(new Handle(std::move(var), std::move(type), loc));
}

std::shared_ptr<Handle> Handle::View(const Handle& base, ir::Shape shape, ir::SourceLoc loc) {
  return std::shared_ptr<Handle>(
      new Handle(base.var_, ir::TensorType{base.type_.dtype, std::move(shape)}, loc));
}

runtime::ValuePtr Handle::CurrentLocked() {
  if (!is_view()) return var_->value;
  if (view_ == nullptr || view_version_ != var_->version) {
    view_ = runtime::Materializer::Get().Record(ir::Op::kReshape, type_, {var_->value}, {}, loc_);
    view_version_ = var_->version;
  }
  return view_;
}

runtime::ValuePtr Handle::Current() {
  std::lock_guard<std::mutex> lock(var_->mu);
  return CurrentLocked();
}

void Handle::Update(const std::function<runtime::ValuePtr(const runtime::ValuePtr&)>& update) {
  std::lock_guard<std::mutex> lock(var_->mu);
  runtime::ValuePtr next = update(CurrentLocked());
  if (is_view()) {
    const ir::TensorType var_type = var_->value->type();
    view_ = next;
    var_->value = runtime::Materializer::Get().Record(ir::Op::kReshape, var_type, {std::move(next)},
                                                      {}, loc_);
    view_version_ = ++var_->version;
  } else {
    var_->value = std::move(next);
    ++var_->version;
  }
}

}  // namespace ndjit::frontend
