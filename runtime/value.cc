// Value construction and stack-safe destruction.
#include "runtime/value.h"

#include "absl/strings/str_cat.h"
#include "runtime/materializer.h"

namespace ndjit::runtime {

std::string Device::Name() const {
  if (is_any()) return "any context";
  return is_cpu() ? "cpu(0)" : absl::StrCat("gpu(", gpu_index(), ")");
}

ValuePtr Value::Pending(ir::Op op, ir::TensorType type, std::vector<ValuePtr> operands,
                        ir::Attrs attrs, ir::SourceLoc loc, Device device) {
  ValuePtr v = std::make_shared<Value>(Key(), op, std::move(type), std::move(operands),
                                       std::move(attrs), loc);
  v->device_ = device;
  return v;
}

ValuePtr Value::Realized(ir::HostTensor buffer, ir::SourceLoc loc, Device device) {
  ir::Attrs attrs;
  ValuePtr v = std::make_shared<Value>(Key(), ir::Op::kInput, buffer.type(),
                                       std::vector<ValuePtr>(), std::move(attrs), loc);
  v->device_ = device;
  v->buffer_ = std::move(buffer);
  v->state_ = State::kRealized;
  return v;
}

// A chain of a million pending values (a loop of `x = x * 0.5f + 1.0f`) would otherwise be
// destroyed recursively and overflow the stack, and so would a long recorded autograd history.
// The outermost release on a thread drains a work list; releases nested in it (operands, and the
// values an annotation holds) only append to it.
namespace {
thread_local std::vector<ValuePtr>* t_worklist = nullptr;
}  // namespace

void ReleaseValues(std::vector<ValuePtr> values) {
  if (values.empty()) return;
  if (t_worklist != nullptr) {
    for (ValuePtr& v : values) t_worklist->push_back(std::move(v));
    return;
  }
  std::vector<ValuePtr> local = std::move(values);
  t_worklist = &local;
  while (!local.empty()) {
    ValuePtr v = std::move(local.back());
    local.pop_back();
    v.reset();  // may append v's operands to `local`
  }
  t_worklist = nullptr;
}

Value::~Value() {
  if (counted_) Materializer::Get().ForgetPending(Materializer::PendingBytes(op_, type_));
  ReleaseValues(std::move(operands_));
  // annotation_ is destroyed after this body; it releases its values the same way.
}

}  // namespace ndjit::runtime
