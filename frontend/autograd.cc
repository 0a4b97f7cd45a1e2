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
#include "runtime/materializer.h"

namespace ndjit {
namespace frontend::autograd {
namespace {

// This thread's recording state.
struct ThreadState {
  bool recording = false;
  bool training = false;
};
thread_local ThreadState t_state;

// Guards GradNode inputs and `freed` while backward reads or frees a graph.
std::mutex& GraphMutex() {
  static std::mutex mu;
  return mu;
}

GradNode* NodeOf(const ValuePtr& v) { return static_cast<GradNode*>(v->annotation().get()); }
std::shared_ptr<GradNode> SharedNodeOf(const ValuePtr& v) {
  return std::static_pointer_cast<GradNode>(v->annotation());
}

// Restores the recording flag when backward returns or throws.
class NotRecording {
 public:
  NotRecording() : prev_(t_state.recording) { t_state.recording = false; }
  ~NotRecording() { t_state.recording = prev_; }
  NotRecording(const NotRecording&) = delete;
  NotRecording& operator=(const NotRecording&) = delete;

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

[[noreturn]] void FailFreed(const char* api, const ValuePtr& head, const SourceLocation& site) {
  Fail<ValueError>(api,
                   "the recorded graph was freed by an earlier backward; pass "
                   "retain_graph=true to that backward to differentiate twice, or detach() a "
                   "result carried over from an earlier step",
                   {Describe(head)}, site);
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
  BackwardResult result;

  // The heads' gradients (checked before anything is recorded).
  std::vector<std::shared_ptr<GradNode>> roots;
  for (size_t h = 0; h < heads.size(); ++h) {
    const ValuePtr& head = heads[h];
    if (!IsFloat(head->type().dtype)) {
      Fail<DTypeError>(api,
                       absl::StrCat("cannot differentiate a ", DTypeName(head->type().dtype),
                                    " array: gradients need a float head"),
                       {Describe(head)}, site);
    }
    std::shared_ptr<GradNode> root = SharedNodeOf(head);
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
    roots.push_back(std::move(root));
  }

  // Post-order over the op nodes reachable from the heads, with their inputs copied under the
  // lock (another thread's backward may free them meanwhile).
  struct Item {
    std::shared_ptr<GradNode> node;
    ValuePtr value;
    std::vector<ValuePtr> inputs;
  };
  std::vector<Item> order;
  {
    std::lock_guard<std::mutex> lock(GraphMutex());
    std::unordered_set<const GradNode*> seen;
    for (size_t h = 0; h < heads.size(); ++h) {
      if (!seen.insert(roots[h].get()).second) continue;
      if (roots[h]->is_leaf) {  // the head is a variable's read itself
        result.leaves.push_back(roots[h]);
        continue;
      }
      // Iterative DFS: (item, next input to visit).
      std::vector<std::pair<Item, size_t>> stack;
      stack.push_back({Item{roots[h], heads[h], {}}, 0});
      while (!stack.empty()) {
        auto& [item, next] = stack.back();
        if (next == 0) {
          if (item.node->freed) FailFreed(api, heads[h], site);
          item.inputs = item.node->inputs;
        }
        if (next < item.inputs.size()) {
          const ValuePtr& input = item.inputs[next++];
          std::shared_ptr<GradNode> child = SharedNodeOf(input);
          if (child == nullptr || !seen.insert(child.get()).second) continue;
          if (child->is_leaf) {
            result.leaves.push_back(std::move(child));
            continue;
          }
          stack.push_back({Item{std::move(child), input, {}}, 0});
          continue;
        }
        order.push_back(std::move(item));
        stack.pop_back();
      }
    }
    // Freed in the same critical section that checked it: of two backward passes through one
    // graph, exactly one succeeds (the walk works on its copies of the inputs from here on).
    if (!retain_graph) {
      for (Item& item : order) {
        item.node->inputs.clear();
        item.node->freed = true;
      }
    }
  }

  // Reverse topological order: every consumer of a node is done before the node itself.
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    auto g = result.grads.find(it->node.get());
    if (g == result.grads.end() || g->second == nullptr) continue;
    std::vector<bool> needed(it->inputs.size());
    for (size_t i = 0; i < needed.size(); ++i) needed[i] = NodeOf(it->inputs[i]) != nullptr;
    const std::vector<ValuePtr> contributions =
        GradientRule(it->value, it->inputs, needed, g->second);
    for (size_t i = 0; i < contributions.size(); ++i) {
      if (contributions[i] == nullptr) continue;
      if (contributions[i]->type() != it->inputs[i]->type()) {
        Fail<InternalError>(api,
                            absl::StrCat("the gradient rule of ", ir::OpName(it->value->op()),
                                         " gave ", Describe(contributions[i]), " for operand ", i,
                                         " of type ", Describe(it->inputs[i]), " (please report)"),
                            {}, site);
      }
      ValuePtr& sum = result.grads[NodeOf(it->inputs[i])];
      sum = Accumulate(sum, contributions[i], it->value->loc());
    }
  }
  return result;
}

// The gradient of each variable reached, summed over its reads, in the order found; null for a
// variable the head depends on only through ops without a gradient (its gradient is zero).
// Variables that died meanwhile are skipped.
std::vector<std::pair<std::shared_ptr<GradVar>, ValuePtr>> LeafGradients(const BackwardResult& r,
                                                                         const ir::SourceLoc& loc) {
  std::vector<std::pair<std::shared_ptr<GradVar>, ValuePtr>> out;
  std::unordered_map<const GradVar*, size_t> index;
  for (const std::shared_ptr<GradNode>& leaf : r.leaves) {
    std::shared_ptr<GradVar> var = leaf->leaf.lock();
    if (var == nullptr) continue;
    auto [it, inserted] = index.try_emplace(var.get(), out.size());
    if (inserted) out.emplace_back(var, nullptr);
    auto g = r.grads.find(leaf.get());
    if (g == r.grads.end() || g->second == nullptr) continue;
    ValuePtr& sum = out[it->second].second;
    sum = Accumulate(sum, g->second, loc);
  }
  return out;
}

}  // namespace

bool Recording() { return t_state.recording; }

bool AnyTracked(const std::vector<ValuePtr>& operands) {
  for (const ValuePtr& v : operands) {
    if (v->annotation() != nullptr) return true;
  }
  return false;
}

void Annotate(const ValuePtr& result, std::vector<ValuePtr> operands) {
  // Integer and bool results are annotated too, although no gradient flows through them: a
  // variable reached only through them (a comparison) is part of the graph, and backward
  // writes it a zero gradient, as MXNet does.
  auto node = std::make_shared<GradNode>();
  node->inputs = std::move(operands);
  result->set_annotation(std::move(node));
}

ValuePtr Identity(const ValuePtr& value, const ir::SourceLoc& loc) {
  return runtime::Materializer::Get().Record(ir::Op::kReshape, value->type(), {value}, {}, loc,
                                             value->device());
}

ValuePtr LeafRead(const std::shared_ptr<GradVar>& var, const ValuePtr& value,
                  const ir::SourceLoc& loc) {
  ValuePtr read = Identity(value, loc);
  auto node = std::make_shared<GradNode>();
  node->is_leaf = true;
  node->leaf = var;
  read->set_annotation(std::move(node));
  return read;
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
    GradVar& gv = *var;
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
      for (const auto& [var, lg] : leaf_grads) {
        if (var == vars[i]) g = lg;
      }
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
  // A recorded result becomes a variable of its own (MXNet's mark_variables): its recorded
  // history is cut, so gradients stop at it instead of flowing to what it was computed from.
  frontend::ValuePtr current;
  {
    const autograd::Pause not_recording(autograd::is_training());  // not a read to record
    current = handle_->Current();
  }
  if (current->annotation() != nullptr) {
    handle_->Update([&](const frontend::ValuePtr& old) {
      return frontend::autograd::Identity(old, ir::SourceLoc::From(site));
    });
  }
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
  // The same values in a new node without an annotation (an array of its own: a later in-place
  // write to either one does not reach the other).
  return frontend::Wrap(frontend::autograd::Identity(v, ir::SourceLoc::From(site)));
}

}  // namespace ndjit
