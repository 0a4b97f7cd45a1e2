// The graph IR: immutable nodes in topological order, and the graph that owns them.
//
// A Graph owns its nodes; operands point at nodes earlier in the same graph, so the node list is
// always a topological order and the printer numbers values in that order. Nodes never change
// after they are added. Inputs are `input` leaves whose `index` attribute names a buffer handed
// to whoever evaluates the graph; outputs are an ordered list of nodes.
#ifndef NDJIT_IR_GRAPH_H_
#define NDJIT_IR_GRAPH_H_

#include <cstdint>
#include <memory>
#include <source_location>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "ir/attrs.h"
#include "ir/ops.h"
#include "ir/shape.h"

namespace ndjit::ir {

// Where the user created a node. `file` is a string with static lifetime (a
// std::source_location file name, or a name interned by InternFileName).
struct SourceLoc {
  const char* file = "";
  uint32_t line = 0;
  uint32_t column = 0;

  static SourceLoc From(const std::source_location& loc) {
    return SourceLoc{loc.file_name(), loc.line(), loc.column()};
  }
  bool known() const { return line != 0; }
  // "dir/file.cc:12:5", or "<unknown>".
  std::string ToString() const;
  // "file.cc:12" without the directories, for short labels.
  std::string ShortString() const;
  bool operator==(const SourceLoc& o) const;
};
// Returns a pointer with static lifetime to a copy of `name` (equal names share one copy).
const char* InternFileName(std::string_view name);

class Node {
 public:
  Op op() const { return op_; }
  DType dtype() const { return type_.dtype; }
  const Shape& shape() const { return type_.shape; }
  const TensorType& type() const { return type_; }
  absl::Span<Node* const> operands() const { return operands_; }
  Node* operand(int i) const { return operands_[i]; }
  const Attrs& attrs() const { return attrs_; }
  const SourceLoc& loc() const { return loc_; }
  // Position in the owning graph's node list.
  int id() const { return id_; }

 private:
  friend class Graph;
  Node(Op op, TensorType type, std::vector<Node*> operands, Attrs attrs, SourceLoc loc, int id)
      : op_(op),
        type_(std::move(type)),
        operands_(std::move(operands)),
        attrs_(std::move(attrs)),
        loc_(loc),
        id_(id) {}

  Op op_;
  TensorType type_;
  std::vector<Node*> operands_;
  Attrs attrs_;
  SourceLoc loc_;
  int id_;
};

class Graph {
 public:
  explicit Graph(std::string name = "main") : name_(std::move(name)) {}
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;
  Graph(Graph&&) = default;
  Graph& operator=(Graph&&) = default;

  // Adds a node after checking it (operands belong to this graph; the op's type rules hold).
  // `type` is the declared result type for ops whose result is a parameter (input, constant,
  // iota, random, cast, reshape, broadcast, slice); for the others it may be omitted and is
  // inferred, or given and checked.
  absl::StatusOr<Node*> AddNode(Op op, std::vector<Node*> operands, Attrs attrs,
                                std::optional<TensorType> type = std::nullopt, SourceLoc loc = {});
  // Adds a copy of `node` (of this or another graph) with the given operands, which must have
  // the types of `node`'s operands (checked). The type rules held when `node` was added and
  // depend only on those types and its attributes, so they are not evaluated again: the fast
  // path of passes that copy most of a graph unchanged.
  absl::StatusOr<Node*> AddCopy(const Node& node, std::vector<Node*> operands);
  // Adds a node whose `type` InferType already gave for these operands' types and `attrs` (a
  // value recorded by the frontend, whose type rules were checked then): checks that the
  // operands belong to this graph, not the type rules again.
  absl::StatusOr<Node*> AddInferred(Op op, std::vector<Node*> operands, Attrs attrs,
                                    TensorType type, SourceLoc loc = {});
  // An independent copy: the same name, nodes (ids, types, attributes, call sites) and outputs.
  std::unique_ptr<Graph> Clone() const;
  // Convenience for an `input` leaf numbered after the existing inputs.
  Node* AddInput(TensorType type, SourceLoc loc = {});

  void AddOutput(Node* node) { outputs_.push_back(node); }
  void SetOutputs(std::vector<Node*> outputs) { outputs_ = std::move(outputs); }

  const std::string& name() const { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }
  int num_nodes() const { return static_cast<int>(nodes_.size()); }
  Node* node(int id) const { return nodes_[id].get(); }
  absl::Span<const std::unique_ptr<Node>> nodes() const { return nodes_; }
  absl::Span<Node* const> outputs() const { return outputs_; }
  // The input leaves ordered by their `index` attribute.
  std::vector<Node*> inputs() const;
  int num_inputs() const { return num_inputs_; }

 private:
  std::string name_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<Node*> outputs_;
  int num_inputs_ = 0;
};

}  // namespace ndjit::ir

#endif  // NDJIT_IR_GRAPH_H_
