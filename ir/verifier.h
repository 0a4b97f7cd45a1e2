// Graph verifier: checks every invariant the rest of the compiler relies on.
//
// Node ids equal positions; operands precede their users and belong to the graph; every node
// satisfies its op's type rules (infer.h) with its recorded type; input indices are 0..n-1, each
// once; outputs are nodes of the graph. Passes run it after every change (the pipeline does).
#ifndef NDJIT_IR_VERIFIER_H_
#define NDJIT_IR_VERIFIER_H_

#include "absl/status/status.h"
#include "ir/graph.h"

namespace ndjit::ir {

absl::Status VerifyGraph(const Graph& graph);

}  // namespace ndjit::ir

#endif  // NDJIT_IR_VERIFIER_H_
