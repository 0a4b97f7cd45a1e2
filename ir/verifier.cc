// Graph verifier.
#include "ir/verifier.h"

#include "absl/strings/str_cat.h"
#include "ir/infer.h"
#include "ir/printer.h"

namespace ndjit::ir {

absl::Status VerifyGraph(const Graph& graph) {
  std::vector<bool> input_seen(graph.num_inputs(), false);
  for (int id = 0; id < graph.num_nodes(); ++id) {
    const Node& node = *graph.node(id);
    auto fail = [&](absl::string_view why) {
      return absl::InternalError(absl::StrCat("verifier: @", graph.name(), " %", id, ": ", why,
                                              "\n  in: ", PrintNode(node)));
    };
    if (node.id() != id) return fail(absl::StrCat("node id ", node.id(), " != position"));
    std::vector<TensorType> operand_types;
    for (const Node* operand : node.operands()) {
      if (operand == nullptr || operand->id() >= id || graph.node(operand->id()) != operand) {
        return fail("operand is not an earlier node of this graph");
      }
      operand_types.push_back(operand->type());
    }
    absl::StatusOr<TensorType> type =
        InferType(node.op(), operand_types, node.attrs(), node.type());
    if (!type.ok()) return fail(type.status().message());
    if (node.op() == Op::kInput) {
      const int64_t index = node.attrs().index;
      if (index < 0 || index >= graph.num_inputs()) {
        return fail(absl::StrCat("input index ", index, " outside [0, ", graph.num_inputs(), ")"));
      }
      if (input_seen[index]) return fail(absl::StrCat("input index ", index, " used twice"));
      input_seen[index] = true;
    }
  }
  for (const Node* out : graph.outputs()) {
    if (out == nullptr || out->id() >= graph.num_nodes() || graph.node(out->id()) != out) {
      return absl::InternalError(
          absl::StrCat("verifier: @", graph.name(), ": an output is not a node of the graph"));
    }
  }
  return absl::OkStatus();
}

}  // namespace ndjit::ir
