// Type rules of every op: the one place that says which operands an op accepts and what it
// produces. Graph::AddNode, the verifier, the parser and the frontend all go through it.
#ifndef NDJIT_IR_INFER_H_
#define NDJIT_IR_INFER_H_

#include <optional>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "ir/attrs.h"
#include "ir/ops.h"
#include "ir/shape.h"

namespace ndjit::ir {

// Whether the op's result type is a parameter of the node rather than a function of operands.
bool ResultTypeIsDeclared(Op op);

// Checks `op` applied to operands of the given types with `attrs`, and returns the result type.
// `declared` is required when ResultTypeIsDeclared(op) and otherwise, if given, must equal the
// inferred type. Errors are InvalidArgument with a message naming the op and the rule broken.
absl::StatusOr<TensorType> InferType(Op op, absl::Span<const TensorType> operands,
                                     const Attrs& attrs,
                                     const std::optional<TensorType>& declared = std::nullopt);
// The same, for operand types held elsewhere (recording an op copies no operand shape).
absl::StatusOr<TensorType> InferType(Op op, absl::Span<const TensorType* const> operands,
                                     const Attrs& attrs,
                                     const std::optional<TensorType>& declared = std::nullopt);

}  // namespace ndjit::ir

#endif  // NDJIT_IR_INFER_H_
