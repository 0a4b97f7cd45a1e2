// Dead-code elimination.
#include "passes/dce.h"

#include "ir/status_macros.h"

namespace ndjit::passes {

absl::StatusOr<bool> DeadCodeElimination::Run(ir::Graph& graph) {
  const int n = graph.num_nodes();
  std::vector<bool> live(n, false);
  for (const ir::Node* out : graph.outputs()) live[out->id()] = true;
  for (int id = n - 1; id >= 0; --id) {
    const ir::Node& node = *graph.node(id);
    if (node.op() == ir::Op::kInput) live[id] = true;
    if (!live[id]) continue;
    for (const ir::Node* o : node.operands()) live[o->id()] = true;
  }
  if (std::find(live.begin(), live.end(), false) == live.end()) return false;
  GraphRewriter rewriter(graph);
  for (int id = 0; id < n; ++id) {
    if (live[id]) RETURN_IF_ERROR(rewriter.Copy(*graph.node(id)).status());
  }
  ASSIGN_OR_RETURN(graph, rewriter.Finish());
  return true;
}

}  // namespace ndjit::passes
