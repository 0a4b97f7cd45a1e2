// Autograd: recording scopes, annotations, and backward as a graph transformation (see
// frontend/autograd.h and include/ndjit/autograd.h).
#include "frontend/autograd.h"

#include <mutex>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "frontend/builder.h"
#include "frontend/handle.h"
#include "ir/dtype.h"
#include "ndjit/autograd.h"
#include "ndjit/nd.h"

namespace ndjit {
namespace frontend::autograd {
namespace {

// This thread's recording state. Leaves live as long as the outermost Record scope: a value
// read from a variable while recording is a leaf of every node recorded from it.
struct ThreadState {
  bool recording = false;
  bool training = false;
  struct Leaf {
    ValuePtr value;  // keeps the key's address unique while it is in the map
    std::shared_ptr<GradNode> node;
  };
  std::unordered_map<const runtime::Value*, Leaf> leaves;
};
thread_local ThreadState t_state;

// Guards GradNode inputs while backward walks or frees a graph.
std::mutex& GraphMutex() {
  static std::mutex mu;
  return mu;
}

std::shared_ptr<GradNode> NodeOf(const ValuePtr& v) {
  if (v->annotation() != nullptr) return std::static_pointer_cast<GradNode>(v->annotation());
  if (!t_state.recording || t_state.leaves.empty()) return nullptr;
  auto it = t_state.leaves.find(v.get());
  return it == t_state.leaves.end() ? nullptr : it->second.node;
}

// Restores the recording flag when backward returns or throws.
class NotRecording {
 public:
  NotRecording() : prev_(t_state.recording) { t_state.recording = false; }
  ~NotRecording() { t_state.recording = prev_; }

 private:
  bool prev_;
};

struct BackwardResult {
  // Gradient reaching each node, by node.
  std::unordered_map<const GradNode*, ValuePtr> grads;
  // Leaf nodes reached, in the order found.
  std::vector<std::shared_ptr<GradNode>> leaves;
};

ValuePtr Accumulate(const ValuePtr& sum, const ValuePtr& g, const ir::SourceLoc& loc) {
  if (sum == nullptr) return g;
  return RecordAt(ir::Op::kAdd, {sum, g}, {}, std::nullopt, loc);
}

// Records the gradient of the heads with respect to every node they were computed from.
BackwardResult RunBackward(const char* api, const std::vector<ValuePtr>& heads,
                           const std::vector<NDArray>& head_grads, bool retain_graph,
                           const SourceLocation& site) {
  if (!head_grads.empty() && head_grads.size() != heads.size()) {
    Fail<ValueError>(
        api,
        absl::StrCat("got ", head_grads.size(), " head gradients for ", heads.size(), " heads"), {},
        site);
  }
  const ir::SourceLoc loc = ir::SourceLoc::From(site);
  NotRecording not_recording;  // gradient nodes are not themselves recorded
  std::lock_guard<std::mutex> lock(GraphMutex());

  // Post-order over the op nodes reachable from the heads.
  struct Item {
    std::shared_ptr<GradNode> node;
    ValuePtr value;
  };
  std::vector<Item> order;
  std::unordered_set<const GradNode*> seen;
  BackwardResult result;
  for (size_t h = 0; h < heads.size(); ++h) {
    const ValuePtr& head = heads[h];
    if (!IsFloat(head->type().dtype)) {
      Fail<DTypeError>(api,
                       absl::StrCat("cannot differentiate a ", DTypeName(head->type().dtype),
                                    " array: gradients need a float head"),
                       {Describe(head)}, site);
    }
    std::shared_ptr<GradNode> root = head->annotation() != nullptr
                                         ? std::static_pointer_cast<GradNode>(head->annotation())
                                         : nullptr;
    if (root == nullptr) {
      Fail<ValueError>(api,
                       "the array is not in a recorded graph: compute it inside an "
                       "ndjit::autograd::Record scope from arrays that called attach_grad()",
                       {Describe(head)}, site);
    }
    ValuePtr hg;
    if (head_grads.empty() || head_grads[h].is_none()) {
      hg = Constant(ScalarForDType(Scalar(1), head->type().dtype), head->type(), site);
    } else {
      const ValuePtr given = ValueOf(head_grads[h], api, site);
      if (given->type().shape != head->type().shape) {
        Fail<ShapeError>(
            api,
            absl::StrCat("head gradient shape ", ir::ShapeToNumpyString(given->type().shape),
                         " differs from the head's ", ir::ShapeToNumpyString(head->type().shape)),
            {Describe(head), Describe(given)}, site);
      }
      hg = CastTo(given, head->type().dtype, site);
    }
    result.grads[root.get()] = Accumulate(result.grads[root.get()], hg, loc);
    if (!seen.insert(root.get()).second) continue;
    // Iterative DFS: (item, next input to visit).
    std::vector<std::pair<Item, size_t>> stack;
    stack.push_back({Item{root, head}, 0});
    while (!stack.empty()) {
      auto& [item, next] = stack.back();
      GradNode& node = *item.node;
      if (node.freed) {
        Fail<ValueError>(api,
                         "the recorded graph was freed by an earlier backward; pass "
                         "retain_graph=true to that backward to differentiate twice",
                         {Describe(head)}, site);
      }
      if (next < node.inputs.size()) {
        const size_t i = next++;
        const std::shared_ptr<GradNode>& child = node.nodes[i];
        if (child == nullptr || !seen.insert(child.get()).second) continue;
        if (child->leaf != nullptr) {
          result.leaves.push_back(child);
          continue;
        }
        Item c{child, node.inputs[i]};
        stack.push_back({std::move(c), 0});
        continue;
      }
      order.push_back(std::move(item));
      stack.pop_back();
    }
  }

  // Reverse topological order: every consumer of a node is done before the node itself.
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    GradNode& node = *it->node;
    auto g = result.grads.find(&node);
    if (g == result.grads.end() || g->second == nullptr) continue;
    const std::vector<ValuePtr> contributions = GradientRule(it->value, node.inputs, g->second);
    for (size_t i = 0; i < contributions.size(); ++i) {
      if (contributions[i] == nullptr || node.nodes[i] == nullptr) continue;
      if (contributions[i]->type() != node.inputs[i]->type()) {
        Fail<InternalError>(api,
                            absl::StrCat("the gradient rule of ", ir::OpName(it->value->op()),
                                         " gave ", Describe(contributions[i]), " for operand ", i,
                                         " of type ", Describe(node.inputs[i]), " (please report)"),
                            {}, site);
      }
      ValuePtr& sum = result.grads[node.nodes[i].get()];
      sum = Accumulate(sum, contributions[i], it->value->loc());
    }
  }
  if (!retain_graph) {
    for (Item& item : order) {
      item.node->inputs.clear();
      item.node->nodes.clear();
      item.node->freed = true;
    }
  }
  return result;
}

// The gradient of each variable reached, summed over the leaf nodes that stand for it; null for
// a variable the head depends on only through ops without a gradient (its gradient is zero).
std::unordered_map<const GradVar*, ValuePtr> LeafGradients(const BackwardResult& r,
                                                           const ir::SourceLoc& loc) {
  std::unordered_map<const GradVar*, ValuePtr> out;
  for (const std::shared_ptr<GradNode>& leaf : r.leaves) {
    ValuePtr& sum = out[leaf->leaf.get()];
    auto g = r.grads.find(leaf.get());
    if (g == r.grads.end() || g->second == nullptr) continue;
    sum = Accumulate(sum, g->second, loc);
  }
  return out;
}

}  // namespace

bool Recording() { return t_state.recording; }

bool AnyTracked(const std::vector<ValuePtr>& operands) {
  for (const ValuePtr& v : operands) {
    if (NodeOf(v) != nullptr) return true;
  }
  return false;
}

void Annotate(const ValuePtr& result, std::vector<ValuePtr> operands) {
  // Integer and bool results are annotated too, although no gradient flows through them: a
  // variable reached only through them (a comparison) is part of the graph, and backward
  // writes it a zero gradient, as MXNet does.
  auto node = std::make_shared<GradNode>();
  bool any = false;
  node->nodes.resize(operands.size());
  for (size_t i = 0; i < operands.size(); ++i) {
    node->nodes[i] = NodeOf(operands[i]);
    any = any || node->nodes[i] != nullptr;
  }
  if (!any) return;
  node->inputs = std::move(operands);
  result->set_annotation(std::move(node));
}

void NoteVariableRead(const std::shared_ptr<GradVar>& var, const ValuePtr& value) {
  ThreadState::Leaf& leaf = t_state.leaves[value.get()];
  if (leaf.node != nullptr && leaf.node->leaf == var) return;
  leaf.value = value;
  leaf.node = std::make_shared<GradNode>();
  leaf.node->leaf = var;
}

}  // namespace frontend::autograd

namespace autograd {

using frontend::autograd::GradVar;
using frontend::autograd::t_state;

Record::Record(bool train_mode)
    : prev_recording_(t_state.recording), prev_training_(t_state.training) {
  t_state.recording = true;
  t_state.training = train_mode;
}

Record::~Record() {
  t_state.recording = prev_recording_;
  t_state.training = prev_training_;
  if (!prev_recording_) t_state.leaves.clear();
}

Pause::Pause(bool train_mode)
    : prev_recording_(t_state.recording), prev_training_(t_state.training) {
  t_state.recording = false;
  t_state.training = train_mode;
}

Pause::~Pause() {
  t_state.recording = prev_recording_;
  t_state.training = prev_training_;
}

bool is_recording() { return t_state.recording; }
bool is_training() { return t_state.training; }

void backward(const std::vector<NDArray>& heads, const std::vector<NDArray>& head_grads,
              bool retain_graph, SourceLocation site) {
  std::vector<frontend::ValuePtr> values;
  for (const NDArray& h : heads) values.push_back(frontend::ValueOf(h, "backward", site));
  const frontend::autograd::BackwardResult r =
      frontend::autograd::RunBackward("backward", values, head_grads, retain_graph, site);
  const ir::SourceLoc loc = ir::SourceLoc::From(site);
  for (const auto& [var, g] : frontend::autograd::LeafGradients(r, loc)) {
    GradVar& gv = const_cast<GradVar&>(*var);
    if (gv.req == GradReq::kNull) continue;
    gv.fresh.store(true);
    if (g == nullptr && gv.req == GradReq::kAdd) continue;  // adding zero
    const ir::TensorType& type = gv.grad->type();
    const frontend::ValuePtr cast =
        g == nullptr
            ? frontend::Constant(frontend::ScalarForDType(Scalar(0), type.dtype), type, site)
            : frontend::CastTo(g, type.dtype, site);
    if (gv.req == GradReq::kWrite) {
      gv.grad->Update([&](const frontend::ValuePtr&) { return cast; });
    } else {
      gv.grad->Update([&](const frontend::ValuePtr& old) {
        return frontend::RecordAt(ir::Op::kAdd, {old, cast}, {}, std::nullopt, loc);
      });
    }
  }
}

std::vector<NDArray> grad(const NDArray& head, const std::vector<NDArray>& variables,
                          std::optional<NDArray> head_grad, bool retain_graph,
                          SourceLocation site) {
  // Each variable's node (an attached variable's GradVar, or a recorded result's node), found
  // before the walk frees the graph.
  std::vector<std::shared_ptr<GradVar>> vars(variables.size());
  std::vector<std::shared_ptr<frontend::autograd::GradNode>> nodes(variables.size());
  for (size_t i = 0; i < variables.size(); ++i) {
    const frontend::ValuePtr v = frontend::ValueOf(variables[i], "autograd::grad", site);
    vars[i] = variables[i].handle()->grad_var();
    if (vars[i] == nullptr && v->annotation() != nullptr) {
      nodes[i] = std::static_pointer_cast<frontend::autograd::GradNode>(v->annotation());
    }
    if (vars[i] == nullptr && nodes[i] == nullptr) {
      frontend::Fail<ValueError>(
          "autograd::grad",
          absl::StrCat("variable ", i,
                       " is neither an array with attach_grad() nor a result recorded from one"),
          {frontend::Describe(variables[i])}, site);
    }
  }
  std::vector<NDArray> hg;
  if (head_grad) hg.push_back(*head_grad);
  const frontend::autograd::BackwardResult r = frontend::autograd::RunBackward(
      "autograd::grad", {frontend::ValueOf(head, "autograd::grad", site)}, hg, retain_graph, site);
  const ir::SourceLoc loc = ir::SourceLoc::From(site);
  const auto leaf_grads = frontend::autograd::LeafGradients(r, loc);
  std::vector<NDArray> out;
  for (size_t i = 0; i < variables.size(); ++i) {
    frontend::ValuePtr g;
    if (vars[i] != nullptr) {
      auto it = leaf_grads.find(vars[i].get());
      if (it != leaf_grads.end()) g = it->second;
    } else {
      auto it = r.grads.find(nodes[i].get());
      if (it != r.grads.end()) g = it->second;
    }
    const ir::TensorType& type = variables[i].handle()->type();
    if (g == nullptr) {
      g = frontend::Constant(frontend::ScalarForDType(Scalar(0), type.dtype), type, site);
    } else {
      g = frontend::ReshapeTo(g, type.shape, site);  // a view of an attached variable
    }
    out.push_back(frontend::Wrap(std::move(g)));
  }
  return out;
}

}  // namespace autograd

// ---- NDArray's autograd methods ----

using frontend::autograd::GradVar;

void NDArray::attach_grad(GradReq req, SourceLocation site) const {
  frontend::ValueOf(*this, "attach_grad", site);
  const ir::TensorType& type = handle_->var_type();
  if (!IsFloat(type.dtype)) {
    frontend::Fail<DTypeError>(
        "attach_grad", absl::StrCat("gradients need a float array, not ", DTypeName(type.dtype)),
        {frontend::Describe(*this)}, site);
  }
  auto gv = std::make_shared<GradVar>();
  gv->req = req;
  gv->grad = frontend::Handle::New(
      frontend::Constant(frontend::ScalarForDType(Scalar(0), type.dtype), type, site));
  handle_->set_grad_var(std::move(gv));
}

NDArray NDArray::grad() const {
  if (handle_ == nullptr) return NDArray();
  const std::shared_ptr<GradVar> gv = handle_->grad_var();
  if (gv == nullptr) return NDArray();
  if (handle_->is_view()) {
    return NDArray(frontend::Handle::View(gv->grad, handle_->type().shape, handle_->loc()));
  }
  return NDArray(gv->grad);
}

void NDArray::backward(std::optional<NDArray> head_grad, bool retain_graph,
                       SourceLocation site) const {
  std::vector<NDArray> hg;
  if (head_grad) hg.push_back(*head_grad);
  autograd::backward({*this}, hg, retain_graph, site);
}

NDArray NDArray::detach(SourceLocation site) const {
  const frontend::ValuePtr v = frontend::ValueOf(*this, "detach", site);
  if (!frontend::autograd::AnyTracked({v})) return frontend::Wrap(v);
  const autograd::Pause not_recording(autograd::is_training());
  // The same values in a node without an annotation.
  return frontend::Wrap(frontend::Record(ir::Op::kReshape, {v}, {}, v->type(), site));
}

}  // namespace ndjit
