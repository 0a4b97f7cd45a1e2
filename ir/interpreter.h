// The reference interpreter: evaluates graph IR directly on host memory.
//
// It is the definition of every op's semantics (ops.def) and the oracle of every differential
// test, so it is written to be obviously right rather than fast: one element at a time, floats
// computed in double and rounded once to the result dtype, integers in int64 with wrapping.
// Only nodes that some output needs are evaluated; a buffer is released after its last use.
#ifndef NDJIT_IR_INTERPRETER_H_
#define NDJIT_IR_INTERPRETER_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "ir/elements.h"
#include "ir/graph.h"
#include "ir/host_tensor.h"

namespace ndjit::ir {

struct InterpretStats {
  int64_t nodes_evaluated = 0;  // non-input nodes computed
};

// Evaluates the graph's outputs. `inputs[i]` is the buffer of the input leaf with index i and
// must match its type. Run-time errors (a gather index out of range) are InvalidArgument
// statuses naming the node and its call site.
absl::StatusOr<std::vector<HostTensor>> Interpret(const Graph& graph,
                                                  absl::Span<const HostTensor> inputs,
                                                  InterpretStats* stats = nullptr);

}  // namespace ndjit::ir

#endif  // NDJIT_IR_INTERPRETER_H_
