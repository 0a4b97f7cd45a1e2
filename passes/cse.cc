// Common-subexpression elimination.
#include "passes/cse.h"

#include <algorithm>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "ir/ops.h"
#include "ir/status_macros.h"
#include "ir/structural.h"

namespace ndjit::passes {
namespace {

// The node's structural identity with operands named by their nodes in the new graph: op, type,
// attributes and operands, which is everything its values depend on.
size_t Hash(const ir::Node& node, const GraphRewriter& rewriter) {
  size_t h = ir::NodeFieldsHash(node);
  for (const ir::Node* o : node.operands()) h = absl::HashOf(h, rewriter.Mapped(*o));
  return h;
}

// Whether `candidate` (a node of the new graph) computes what `node` (of the old one) does.
bool Same(const ir::Node& candidate, const ir::Node& node, const GraphRewriter& rewriter) {
  if (candidate.op() != node.op() || candidate.type() != node.type() ||
      candidate.operands().size() != node.operands().size()) {
    return false;
  }
  for (size_t i = 0; i < node.operands().size(); ++i) {
    if (candidate.operand(i) != rewriter.Mapped(*node.operand(i))) return false;
  }
  return candidate.attrs().Equals(node.attrs(), ir::OpAttrFields(node.op()));
}

}  // namespace

absl::StatusOr<bool> CommonSubexpressionElimination::Run(ir::Graph& graph) {
  GraphRewriter rewriter(graph);
  absl::flat_hash_map<size_t, std::vector<ir::Node*>> seen;  // hash -> nodes of the new graph
  bool changed = false;
  for (const auto& node : graph.nodes()) {
    if (node->op() == ir::Op::kInput) {
      RETURN_IF_ERROR(rewriter.Copy(*node).status());
      continue;
    }
    std::vector<ir::Node*>& bucket = seen[Hash(*node, rewriter)];
    auto it = std::find_if(bucket.begin(), bucket.end(),
                           [&](const ir::Node* c) { return Same(*c, *node, rewriter); });
    if (it != bucket.end()) {
      rewriter.Map(*node, *it);
      changed = true;
      continue;
    }
    ASSIGN_OR_RETURN(ir::Node * copy, rewriter.Copy(*node));
    bucket.push_back(copy);
  }
  if (!changed) return false;
  ASSIGN_OR_RETURN(graph, rewriter.Finish());
  return true;
}

}  // namespace ndjit::passes
