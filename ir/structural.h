// Structural hash and equality of graphs: same ops, types, attributes and wiring in the same
// order, ignoring call sites and the graph's name. Equal graphs hash equally. With
// `parameter_values` false, the values of constants that kernels take as parameters
// (ir::IsValueParameter) are ignored too: such graphs share one compiled plan.
#ifndef NDJIT_IR_STRUCTURAL_H_
#define NDJIT_IR_STRUCTURAL_H_

#include <cstddef>

#include "ir/graph.h"

namespace ndjit::ir {

size_t StructuralHash(const Graph& graph, bool parameter_values = true);
// The hash of a node's own fields (op, type, the attributes it carries), without its operands.
size_t NodeFieldsHash(const Node& node);
bool StructurallyEqual(const Graph& a, const Graph& b, bool parameter_values = true);

}  // namespace ndjit::ir

#endif  // NDJIT_IR_STRUCTURAL_H_
