// Structural hash and equality.
#include "ir/structural.h"

#include "absl/hash/hash.h"
#include "ir/kernel.h"
#include "ir/printer.h"

namespace ndjit::ir {
namespace {

// The attributes that make a node's structure: all it carries, less a value parameter's value.
uint32_t StructuralFields(const Node& node, bool parameter_values) {
  uint32_t fields = OpAttrFields(node.op());
  if (!parameter_values) fields &= ~ValueParameterField(node.op(), node.dtype());
  return fields;
}

bool NodesEqual(const Node& x, const Node& y, bool parameter_values) {
  if (x.op() != y.op() || x.type() != y.type() || x.operands().size() != y.operands().size()) {
    return false;
  }
  for (size_t i = 0; i < x.operands().size(); ++i) {
    if (x.operand(i)->id() != y.operand(i)->id()) return false;
  }
  return x.attrs().Equals(y.attrs(), StructuralFields(x, parameter_values));
}

}  // namespace

size_t NodeFieldsHash(const Node& node) {
  return absl::HashOf(static_cast<int>(node.op()), static_cast<int>(node.dtype()), node.shape(),
                      node.attrs().Hash(OpAttrFields(node.op())));
}

size_t StructuralHash(const Graph& graph, bool parameter_values) {
  // Exactly the fields NodesEqual compares (attributes only where the op carries them).
  size_t h = absl::HashOf(graph.num_nodes());
  for (const auto& node : graph.nodes()) {
    h = absl::HashOf(h, static_cast<int>(node->op()), static_cast<int>(node->dtype()),
                     node->shape(), node->attrs().Hash(StructuralFields(*node, parameter_values)));
    for (const Node* o : node->operands()) h = absl::HashOf(h, o->id());
  }
  for (const Node* out : graph.outputs()) h = absl::HashOf(h, out->id());
  return h;
}

bool StructurallyEqual(const Graph& a, const Graph& b, bool parameter_values) {
  if (a.num_nodes() != b.num_nodes() || a.outputs().size() != b.outputs().size()) return false;
  for (int i = 0; i < a.num_nodes(); ++i) {
    if (!NodesEqual(*a.node(i), *b.node(i), parameter_values)) return false;
  }
  for (size_t i = 0; i < a.outputs().size(); ++i) {
    if (a.outputs()[i]->id() != b.outputs()[i]->id()) return false;
  }
  return true;
}

}  // namespace ndjit::ir
