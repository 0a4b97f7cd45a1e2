// Structural hash and equality.
#include "ir/structural.h"

#include "absl/hash/hash.h"
#include <cmath>

#include "absl/base/casts.h"
#include "ir/printer.h"

namespace ndjit::ir {
namespace {

bool NodesEqual(const Node& x, const Node& y) {
  if (x.op() != y.op() || x.type() != y.type() || x.operands().size() != y.operands().size()) {
    return false;
  }
  for (size_t i = 0; i < x.operands().size(); ++i) {
    if (x.operand(i)->id() != y.operand(i)->id()) return false;
  }
  return x.attrs().Equals(y.attrs(), OpAttrFields(x.op()));
}

}  // namespace

size_t StructuralHash(const Graph& graph) {
  // Exactly the fields NodesEqual compares (attributes only where the op carries them).
  size_t h = absl::HashOf(graph.num_nodes());
  for (const auto& node : graph.nodes()) {
    h = absl::HashOf(h, static_cast<int>(node->op()), static_cast<int>(node->dtype()),
                     node->shape());
    for (const Node* o : node->operands()) h = absl::HashOf(h, o->id());
    const uint32_t fields = OpAttrFields(node->op());
    const Attrs& a = node->attrs();
    if (fields & kAttrAxes) h = absl::HashOf(h, a.axes);
    if (fields & kAttrAxis) h = absl::HashOf(h, a.axis);
    if (fields & kAttrDist) h = absl::HashOf(h, static_cast<int>(a.dist));
    if (fields & kAttrHigh) h = absl::HashOf(h, a.high);
    if (fields & kAttrIndex) h = absl::HashOf(h, a.index);
    if (fields & kAttrLow) h = absl::HashOf(h, a.low);
    if (fields & kAttrPerm) h = absl::HashOf(h, a.perm);
    if (fields & kAttrSeed) h = absl::HashOf(h, a.seed);
    if (fields & kAttrStarts) h = absl::HashOf(h, a.starts);
    if (fields & kAttrSteps) h = absl::HashOf(h, a.steps);
    if (fields & kAttrValue) {
      // Every NaN is one attribute value (Scalar's equality); other floats hash by their bits.
      const uint64_t bits = std::isnan(a.value.f) ? 0x7ff8000000000000ull
                                                  : absl::bit_cast<uint64_t>(a.value.f);
      h = absl::HashOf(h, static_cast<int>(a.value.kind), a.value.i, bits);
    }
  }
  for (const Node* out : graph.outputs()) h = absl::HashOf(h, out->id());
  return h;
}

bool StructurallyEqual(const Graph& a, const Graph& b) {
  if (a.num_nodes() != b.num_nodes() || a.outputs().size() != b.outputs().size()) return false;
  for (int i = 0; i < a.num_nodes(); ++i) {
    if (!NodesEqual(*a.node(i), *b.node(i))) return false;
  }
  for (size_t i = 0; i < a.outputs().size(); ++i) {
    if (a.outputs()[i]->id() != b.outputs()[i]->id()) return false;
  }
  return true;
}

}  // namespace ndjit::ir
