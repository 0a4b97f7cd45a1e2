// The pass interface: a named graph-to-graph transformation.
//
// A pass returns whether it changed the graph. Nodes are immutable, so a changing pass builds a
// new graph (usually with GraphRewriter) and moves it into place. Passes do not verify, time,
// print or dump: the pipeline (pipeline.h) does that around every pass.
#ifndef NDJIT_PASSES_PASS_H_
#define NDJIT_PASSES_PASS_H_

#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "ir/graph.h"

namespace ndjit::passes {

class Pass {
 public:
  virtual ~Pass() = default;
  // The kebab-case name used by the registry, the pipeline options and dumps.
  virtual std::string_view name() const = 0;
  // Rewrites `graph`; returns true if it changed.
  virtual absl::StatusOr<bool> Run(ir::Graph& graph) = 0;
};

// Copies nodes into a new graph with their operands remapped; the usual way to rewrite.
class GraphRewriter {
 public:
  explicit GraphRewriter(const ir::Graph& source);
  // Adds a copy of `node` whose operands are the mapped versions of its operands, and maps
  // `node` to the copy.
  absl::StatusOr<ir::Node*> Copy(const ir::Node& node);
  // Makes uses of `node` refer to `replacement` (a node of the new graph).
  void Map(const ir::Node& node, ir::Node* replacement) { map_[node.id()] = replacement; }
  ir::Node* Mapped(const ir::Node& node) const { return map_[node.id()]; }
  // The graph being built, for nodes that have no counterpart in the source.
  ir::Graph& result() { return result_; }
  // The new graph with the source's outputs mapped; the rewriter is empty afterwards.
  absl::StatusOr<ir::Graph> Finish();

 private:
  const ir::Graph& source_;
  ir::Graph result_;
  std::vector<ir::Node*> map_;
};

}  // namespace ndjit::passes

#endif  // NDJIT_PASSES_PASS_H_
