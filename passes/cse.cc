// Common-subexpression elimination.
#include "passes/cse.h"

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "ir/printer.h"
#include "ir/status_macros.h"

namespace ndjit::passes {
namespace {

// The node's structural identity with operands named by their ids in the new graph: op,
// canonical attribute text, operands and type, which is everything its values depend on.
std::string Key(const ir::Node& node, const GraphRewriter& rewriter) {
  std::string key = absl::StrCat(ir::OpName(node.op()), ir::PrintAttrs(node.op(), node.attrs()));
  for (const ir::Node* o : node.operands()) absl::StrAppend(&key, " %", rewriter.Mapped(*o)->id());
  absl::StrAppend(&key, " : ", ir::TypeToString(node.type()));
  return key;
}

}  // namespace

absl::StatusOr<bool> CommonSubexpressionElimination::Run(ir::Graph& graph) {
  GraphRewriter rewriter(graph);
  absl::flat_hash_map<std::string, ir::Node*> seen;
  bool changed = false;
  for (const auto& node : graph.nodes()) {
    if (node->op() != ir::Op::kInput) {
      std::string key = Key(*node, rewriter);
      auto it = seen.find(key);
      if (it != seen.end()) {
        rewriter.Map(*node, it->second);
        changed = true;
        continue;
      }
      ASSIGN_OR_RETURN(ir::Node * copy, rewriter.Copy(*node));
      seen.emplace(std::move(key), copy);
      continue;
    }
    RETURN_IF_ERROR(rewriter.Copy(*node).status());
  }
  if (!changed) return false;
  ASSIGN_OR_RETURN(graph, rewriter.Finish());
  return true;
}

}  // namespace ndjit::passes
