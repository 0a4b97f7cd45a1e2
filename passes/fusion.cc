// Fusion planning (see fusion.h).
#include "passes/fusion.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace ndjit::passes {

namespace {

using ir::Node;
using ir::Op;
using ir::OpKind;

bool IsElementwise(const Node& n) {
  switch (ir::GetOpKind(n.op())) {
    case OpKind::kUnary:
    case OpKind::kUnaryPredicate:
    case OpKind::kBinary:
    case OpKind::kCompare:
    case OpKind::kSelect:
    case OpKind::kCast:
      return true;
    default:
      return false;
  }
}

bool IsReduceLike(const Node& n) {
  const OpKind k = ir::GetOpKind(n.op());
  return k == OpKind::kReduce || k == OpKind::kArgReduce || k == OpKind::kMatmul;
}

// Elementary-op cost of evaluating one element of `n` given its operands; -1: never cheap.
int OpCost(const Node& n) {
  switch (n.op()) {
    case Op::kInput:
      return 0;
    case Op::kConstant:
    case Op::kIota:
      return 0;
    case Op::kReshape:
    case Op::kPermute:
    case Op::kBroadcast:
    case Op::kSlice:
    case Op::kFlip:
      return 1;
    case Op::kPad:
    case Op::kCast:
    case Op::kNeg:
    case Op::kAbs:
    case Op::kNot:
    case Op::kAdd:
    case Op::kSub:
    case Op::kMul:
    case Op::kMax:
    case Op::kMin:
    case Op::kAnd:
    case Op::kOr:
    case Op::kXor:
    case Op::kEq:
    case Op::kNe:
    case Op::kLt:
    case Op::kLe:
    case Op::kGt:
    case Op::kGe:
    case Op::kSelect:
    case Op::kIsNan:
    case Op::kIsInf:
    case Op::kIsFinite:
      return 1;
    default:
      return -1;
  }
}

// Whether the edge consumer -> operand `slot` makes the consumer read an operand element more
// than once per consumer element set (the operand is evaluated repeatedly if inlined).
bool ExpandingEdge(const Node& consumer, int slot) {
  switch (consumer.op()) {
    case Op::kBroadcast:
      return ir::NumElements(consumer.shape()) > ir::NumElements(consumer.operand(0)->shape());
    case Op::kMatmul:
      return true;
    case Op::kGather:
      return slot == 0;
    default:
      return false;
  }
}

std::string GroupName(const std::vector<const Node*>& members) {
  std::vector<std::string> ops;
  for (const Node* n : members) {
    const OpKind k = ir::GetOpKind(n->op());
    if (k == OpKind::kLeaf && n->op() != Op::kRandom && n->op() != Op::kIota) continue;
    if (k == OpKind::kView) continue;
    std::string name = ir::OpName(n->op());
    if (ops.empty() || ops.back() != name) ops.push_back(std::move(name));
  }
  if (ops.empty()) return "copy";
  if (ops.size() > 6) {
    const size_t more = ops.size() - 5;
    ops.resize(5);
    ops.push_back(absl::StrCat("and", more));
  }
  return absl::StrJoin(ops, "_");
}

}  // namespace

FusionPlan PlanFusion(const ir::Graph& graph, const FusionOptions& options) {
  const int n = graph.num_nodes();
  FusionPlan plan;
  plan.stored_by.assign(n, -1);
  plan.computed_in.assign(n, {});
  plan.reason.assign(n, "");

  std::vector<std::vector<std::pair<const Node*, int>>> consumers(n);
  for (const auto& node : graph.nodes()) {
    for (int i = 0; i < static_cast<int>(node->operands().size()); ++i) {
      consumers[node->operand(i)->id()].push_back({node.get(), i});
    }
  }
  std::vector<bool> is_output(n, false);
  for (const Node* o : graph.outputs()) is_output[o->id()] = true;

  // Cost of recomputing each node inline, saturating; -1 when some op on the way is not cheap.
  // Reductions and matmuls count as loads: one read through a view or by several kernels is
  // necessarily stored (the rules below never inline it there).
  std::vector<int> cost(n, 0);
  for (const auto& node : graph.nodes()) {
    const int own = OpCost(*node);
    int c = own;
    for (const Node* o : node->operands()) {
      if (c < 0) break;
      if (o->op() == Op::kInput || IsReduceLike(*o)) continue;
      c = cost[o->id()] < 0 ? -1 : std::min(1000, c + cost[o->id()]);
    }
    cost[node->id()] = c;
  }
  auto cheap = [&](const Node& node) {
    return cost[node.id()] >= 0 && cost[node.id()] <= options.recompute_cost;
  };

  std::vector<bool> stored(n, false);
  std::vector<std::vector<int>> roots_of(n);  // inlined node -> root node ids of its kernels
  std::vector<bool> identity(n, false);
  std::vector<bool> expanded(n, false);
  std::vector<int> depth(n, 0);  // inlined ops between a node and its kernel's root

  for (int id = n - 1; id >= 0; --id) {
    const Node& node = *graph.node(id);
    if (node.op() == Op::kInput) continue;
    if (is_output[id]) {
      stored[id] = true;
      continue;
    }
    if (consumers[id].empty()) continue;  // dead: nothing needs it
    if (!options.fuse) {
      stored[id] = true;
      plan.reason[id] = "fusion is off";
      continue;
    }
    std::vector<int> roots;
    bool path_identity = true, path_expands = false;
    int max_depth = 0;
    for (const auto& [c, slot] : consumers[id]) {
      const int cid = c->id();
      max_depth = std::max(max_depth, stored[cid] ? 1 : depth[cid] + 1);
      if (stored[cid]) {
        roots.push_back(cid);
      } else {
        roots.insert(roots.end(), roots_of[cid].begin(), roots_of[cid].end());
      }
      path_identity = path_identity && IsElementwise(*c) && (stored[cid] || identity[cid]);
      path_expands = path_expands || ExpandingEdge(*c, slot) || (!stored[cid] && expanded[cid]);
    }
    std::sort(roots.begin(), roots.end());
    roots.erase(std::unique(roots.begin(), roots.end()), roots.end());
    if (roots.empty()) continue;  // only dead consumers

    bool inline_it;
    if (IsReduceLike(node)) {
      inline_it = roots.size() == 1 && path_identity;
      if (!inline_it) {
        plan.reason[id] = roots.size() > 1
                              ? "a reduction used by several kernels is stored once"
                              : "its consumer reads it through a view or another reduction, so "
                                "fusing would recompute it per element";
      }
    } else if (roots.size() == 1) {
      inline_it = !path_expands || cheap(node);
      if (!inline_it) {
        plan.reason[id] =
            "read repeatedly through a broadcast, matmul or gather, and too expensive to recompute";
      }
    } else {
      inline_it = cheap(node);
      if (!inline_it) plan.reason[id] = "used by several kernels and too expensive to recompute";
    }
    if (inline_it && max_depth > options.max_inline_depth) {
      inline_it = false;
      plan.reason[id] = "the kernel's expression reached the inlining depth limit";
    }
    if (inline_it) {
      depth[id] = max_depth;
      roots_of[id] = std::move(roots);
      identity[id] = path_identity;
      expanded[id] = path_expands;
    } else {
      stored[id] = true;
    }
  }

  // One group per stored non-input node, in topological order.
  std::vector<int> group_of_root(n, -1);
  for (int id = 0; id < n; ++id) {
    if (!stored[id]) continue;
    group_of_root[id] = static_cast<int>(plan.groups.size());
    plan.stored_by[id] = group_of_root[id];
    plan.groups.push_back(FusionGroup{{graph.node(id)}, {}, ""});
  }
  for (int id = 0; id < n; ++id) {
    if (stored[id]) {
      plan.groups[group_of_root[id]].members.push_back(graph.node(id));
      plan.computed_in[id].push_back(group_of_root[id]);
      continue;
    }
    for (int root : roots_of[id]) {
      const int g = group_of_root[root];
      plan.groups[g].members.push_back(graph.node(id));
      plan.computed_in[id].push_back(g);
    }
  }
  for (FusionGroup& g : plan.groups) {
    std::sort(g.members.begin(), g.members.end(),
              [](const Node* a, const Node* b) { return a->id() < b->id(); });
    g.name = GroupName(g.members);
  }
  return plan;
}

std::string PrintFusionPlan(const ir::Graph& graph, const FusionPlan& plan) {
  std::string out;
  for (size_t g = 0; g < plan.groups.size(); ++g) {
    const FusionGroup& group = plan.groups[g];
    absl::StrAppend(&out, "kernel ", g, " @", group.name, ": stores ");
    absl::StrAppend(&out, absl::StrJoin(group.roots, ", ", [](std::string* s, const Node* r) {
                      absl::StrAppend(s, "%", r->id());
                    }));
    absl::StrAppend(&out, "; computes ");
    absl::StrAppend(&out, absl::StrJoin(group.members, ", ", [](std::string* s, const Node* m) {
                      absl::StrAppend(s, "%", m->id());
                    }));
    absl::StrAppend(&out, "\n");
  }
  return out;
}

}  // namespace ndjit::passes
