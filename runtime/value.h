// A lazily computed array value: the node a frontend handle points at.
//
// A Value records one op application (op, result type, attributes, call site, operand values).
// Until it is realized it keeps its operands alive; once materialization computes it, it keeps its
// buffer and drops its operands, so the graph behind a computed array is released. The recorded
// fields never change; only the pending/realized state does, under the materializer's lock.
#ifndef NDJIT_RUNTIME_VALUE_H_
#define NDJIT_RUNTIME_VALUE_H_

#include <memory>
#include <optional>
#include <vector>

#include "ir/attrs.h"
#include "ir/graph.h"
#include "ir/host_tensor.h"
#include "ir/ops.h"
#include "ir/shape.h"

namespace ndjit::runtime {

class Value;
using ValuePtr = std::shared_ptr<Value>;

class Value : public std::enable_shared_from_this<Value> {
 public:
  // A pending value. The caller has checked the op's type rules (ir::InferType).
  static ValuePtr Pending(ir::Op op, ir::TensorType type, std::vector<ValuePtr> operands,
                          ir::Attrs attrs, ir::SourceLoc loc);
  // A realized value holding `buffer` (an `input` leaf when it appears in a graph).
  static ValuePtr Realized(ir::HostTensor buffer, ir::SourceLoc loc);

  ~Value();
  Value(const Value&) = delete;
  Value& operator=(const Value&) = delete;

  ir::Op op() const { return op_; }
  const ir::TensorType& type() const { return type_; }
  const ir::Attrs& attrs() const { return attrs_; }
  const ir::SourceLoc& loc() const { return loc_; }

 private:
  friend class Materializer;
  Value(ir::Op op, ir::TensorType type, std::vector<ValuePtr> operands, ir::Attrs attrs,
        ir::SourceLoc loc)
      : op_(op),
        type_(std::move(type)),
        attrs_(std::move(attrs)),
        loc_(loc),
        operands_(std::move(operands)) {}

  const ir::Op op_;
  const ir::TensorType type_;
  const ir::Attrs attrs_;
  const ir::SourceLoc loc_;
  // Guarded by the materializer's lock once the value is shared.
  std::vector<ValuePtr> operands_;
  std::optional<ir::HostTensor> buffer_;
};

}  // namespace ndjit::runtime

#endif  // NDJIT_RUNTIME_VALUE_H_
