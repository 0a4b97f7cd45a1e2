// Graph construction and source locations.
#include "ir/graph.h"

#include <mutex>
#include <set>

#include "absl/strings/str_cat.h"
#include "ir/infer.h"
#include "ir/status_macros.h"

namespace ndjit::ir {

std::string SourceLoc::ToString() const {
  if (!known()) return "<unknown>";
  return absl::StrCat(file, ":", line, ":", column);
}

std::string SourceLoc::ShortString() const {
  if (!known()) return "<unknown>";
  absl::string_view f(file);
  const size_t slash = f.rfind('/');
  if (slash != std::string_view::npos) f.remove_prefix(slash + 1);
  return absl::StrCat(f, ":", line);
}

bool SourceLoc::operator==(const SourceLoc& o) const {
  return line == o.line && column == o.column && std::string_view(file) == o.file;
}

const char* InternFileName(std::string_view name) {
  static std::mutex mu;
  static auto* names = new std::set<std::string, std::less<>>();  // never freed: static lifetime
  std::lock_guard<std::mutex> lock(mu);
  auto it = names->find(name);
  if (it == names->end()) it = names->emplace(name).first;
  return it->c_str();
}

absl::StatusOr<Node*> Graph::AddNode(Op op, std::vector<Node*> operands, Attrs attrs,
                                     std::optional<TensorType> type, SourceLoc loc) {
  std::vector<TensorType> operand_types;
  operand_types.reserve(operands.size());
  for (Node* operand : operands) {
    RET_CHECK(operand != nullptr, "null operand of ", OpName(op));
    RET_CHECK(operand->id() < num_nodes() && nodes_[operand->id()].get() == operand, "operand of ",
              OpName(op), " is not a node of graph @", name_);
    operand_types.push_back(operand->type());
  }
  ASSIGN_OR_RETURN(TensorType result, InferType(op, operand_types, attrs, type));
  if (op == Op::kInput) ++num_inputs_;
  nodes_.push_back(std::unique_ptr<Node>(
      new Node(op, std::move(result), std::move(operands), std::move(attrs), loc, num_nodes())));
  return nodes_.back().get();
}

absl::StatusOr<Node*> Graph::AddCopy(const Node& node, std::vector<Node*> operands) {
  RET_CHECK(operands.size() == node.operands().size(), "copy of ", OpName(node.op()), " with ",
            operands.size(), " operands instead of ", node.operands().size());
  for (size_t i = 0; i < operands.size(); ++i) {
    const Node* operand = operands[i];
    RET_CHECK(operand != nullptr, "null operand of ", OpName(node.op()));
    RET_CHECK(operand->id() < num_nodes() && nodes_[operand->id()].get() == operand, "operand of ",
              OpName(node.op()), " is not a node of graph @", name_);
    RET_CHECK(operand->type() == node.operand(static_cast<int>(i))->type(), "operand ", i, " of ",
              OpName(node.op()), " changed type");
  }
  if (node.op() == Op::kInput) ++num_inputs_;
  nodes_.push_back(std::unique_ptr<Node>(new Node(node.op(), node.type(), std::move(operands),
                                                  node.attrs(), node.loc(), num_nodes())));
  return nodes_.back().get();
}

absl::StatusOr<Node*> Graph::AddInferred(Op op, std::vector<Node*> operands, Attrs attrs,
                                         TensorType type, SourceLoc loc) {
  for (const Node* operand : operands) {
    RET_CHECK(operand != nullptr, "null operand of ", OpName(op));
    RET_CHECK(operand->id() < num_nodes() && nodes_[operand->id()].get() == operand, "operand of ",
              OpName(op), " is not a node of graph @", name_);
  }
  if (op == Op::kInput) ++num_inputs_;
  nodes_.push_back(std::unique_ptr<Node>(
      new Node(op, std::move(type), std::move(operands), std::move(attrs), loc, num_nodes())));
  return nodes_.back().get();
}

std::unique_ptr<Graph> Graph::Clone() const {
  auto copy = std::make_unique<Graph>(name_);
  copy->nodes_.reserve(nodes_.size());
  for (const auto& n : nodes_) {
    std::vector<Node*> operands;
    operands.reserve(n->operands().size());
    for (const Node* o : n->operands()) operands.push_back(copy->nodes_[o->id()].get());
    copy->nodes_.push_back(std::unique_ptr<Node>(
        new Node(n->op(), n->type(), std::move(operands), n->attrs(), n->loc(), n->id())));
  }
  copy->num_inputs_ = num_inputs_;
  copy->outputs_.reserve(outputs_.size());
  for (const Node* o : outputs_) copy->outputs_.push_back(copy->nodes_[o->id()].get());
  return copy;
}

Node* Graph::AddInput(TensorType type, SourceLoc loc) {
  Attrs attrs;
  attrs.index = num_inputs_;
  auto node = AddNode(Op::kInput, {}, std::move(attrs), std::move(type), loc);
  return node.value();  // an input leaf with a valid type cannot fail
}

std::vector<Node*> Graph::inputs() const {
  std::vector<Node*> result(num_inputs_, nullptr);
  for (const auto& n : nodes_) {
    if (n->op() == Op::kInput && n->attrs().index >= 0 && n->attrs().index < num_inputs_) {
      result[n->attrs().index] = n.get();
    }
  }
  return result;
}

}  // namespace ndjit::ir
