// GraphRewriter.
#include "passes/pass.h"

#include "absl/strings/str_cat.h"
#include "ir/status_macros.h"

namespace ndjit::passes {

GraphRewriter::GraphRewriter(const ir::Graph& source)
    : source_(source), result_(source.name()), map_(source.num_nodes(), nullptr) {}

absl::StatusOr<ir::Node*> GraphRewriter::Copy(const ir::Node& node) {
  std::vector<ir::Node*> operands;
  for (const ir::Node* o : node.operands()) {
    ir::Node* m = map_[o->id()];
    RET_CHECK(m != nullptr, "operand %", o->id(), " of %", node.id(), " was not mapped");
    operands.push_back(m);
  }
  ASSIGN_OR_RETURN(ir::Node * copy, result_.AddCopy(node, std::move(operands)));
  map_[node.id()] = copy;
  return copy;
}

absl::StatusOr<ir::Graph> GraphRewriter::Finish() {
  for (const ir::Node* out : source_.outputs()) {
    ir::Node* m = map_[out->id()];
    RET_CHECK(m != nullptr, "output %", out->id(), " was not mapped");
    result_.AddOutput(m);
  }
  return std::move(result_);
}

}  // namespace ndjit::passes
