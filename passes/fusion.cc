// Fusion planning (see fusion.h).
#include "passes/fusion.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ir/reduce.h"

namespace ndjit::passes {

namespace {

using ir::Node;
using ir::Op;
using ir::OpKind;

bool IsElementwise(const Node& n) { return ir::IsElementwise(n.op()); }

bool IsReduceLike(const Node& n) {
  const OpKind k = ir::GetOpKind(n.op());
  return k == OpKind::kReduce || k == OpKind::kArgReduce || k == OpKind::kMatmul;
}

bool IsScan(const Node& n) { return ir::GetOpKind(n.op()) == OpKind::kScan; }

// The chunks a scan's axis is cut into: its carry's extent along the axis, or 1.
int64_t ScanChunks(const Node& scan) {
  return scan.operands().size() > 1 ? scan.operand(1)->shape()[scan.attrs().axis] : 1;
}

// Whether two scans can share one kernel's loop: the same shape, axis and chunks.
bool SameScanLoop(const Node& a, const Node& b) {
  return a.shape() == b.shape() && a.attrs().axis == b.attrs().axis &&
         ScanChunks(a) == ScanChunks(b);
}

// Elementary-op cost of evaluating one element of `op` given its operands (ops.def's `cost`
// column); -1: never cheap.
int OpCost(Op op) {
  switch (ir::OpRecomputeCost(op)) {
    case ir::RecomputeCost::kFree:
      return 0;
    case ir::RecomputeCost::kCheap:
      return 1;
    case ir::RecomputeCost::kExpensive:
      return -1;
  }
  return -1;
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
    case Op::kScanSum:
    case Op::kScanProd:
    case Op::kScanMax:
    case Op::kScanMin:
      return slot == 1;  // a chunk's carry starts every element of the chunk
    default:
      return false;
  }
}

// How an inlined node is indexed relative to its kernel's root of shape [O..., C]: by the
// root's full index (or, inside a reduction over C, by the row and the reduction variable), by
// the row index O only (a value broadcast along C), or some other way.
enum class RowClass : uint8_t { kOther, kRow, kFull };

bool IsRowShape(const ir::Shape& s, const ir::Shape& root) {
  const ir::Shape outer(root.begin(), root.end() - 1);
  if (s == outer) return true;
  ir::Shape with_unit = outer;
  with_unit.push_back(1);
  return s == with_unit;
}

// The class of operand `n` of consumer `c` whose class is `cc`.
RowClass EdgeClass(const Node& c, RowClass cc, const Node& n, const ir::Shape& root) {
  if (cc == RowClass::kOther) return RowClass::kOther;
  if (IsElementwise(c)) return cc;
  switch (c.op()) {
    case Op::kBroadcast:
      if (n.shape() == c.shape()) return cc;
      if (cc == RowClass::kFull && c.shape() == root && IsRowShape(n.shape(), root) &&
          n.shape().size() == root.size()) {
        return RowClass::kRow;
      }
      return RowClass::kOther;
    case Op::kReshape:
      if (cc == RowClass::kRow && IsRowShape(n.shape(), root) && IsRowShape(c.shape(), root)) {
        return RowClass::kRow;
      }
      return RowClass::kOther;
    default:
      if (cc == RowClass::kRow && ir::IsRowReduction(c, root)) return RowClass::kFull;
      return RowClass::kOther;
  }
}

// The distinct indices at which a kernel evaluates an inlined node, as hashes of the paths from
// the kernel's root to it: an elementwise consumer passes its indices on unchanged, any other
// edge (a view, a reduction, concat, gather) makes a new index from (consumer, operand slot).
// Kept per root and capped, since only "more than the bound" matters.
struct IndexPaths {
  static constexpr size_t kCap = 128;           // paths kept at most: far above any useful bound
  std::vector<std::pair<int, uint64_t>> paths;  // (root id, path hash), sorted, unique

  void Add(int root, uint64_t hash) {
    if (paths.size() >= kCap) Finish();
    if (paths.size() >= kCap) return;
    paths.emplace_back(root, hash);
  }
  void Finish() {
    std::sort(paths.begin(), paths.end());
    paths.erase(std::unique(paths.begin(), paths.end()), paths.end());
  }
  // The most indices of one kernel.
  int MostPerRoot() const {
    int most = 0;
    for (size_t i = 0; i < paths.size();) {
      size_t j = i;
      while (j < paths.size() && paths[j].first == paths[i].first) ++j;
      most = std::max(most, static_cast<int>(j - i));
      i = j;
    }
    return most;
  }
};

uint64_t ExtendPath(uint64_t hash, int consumer, int slot) {
  uint64_t h = hash ^ (static_cast<uint64_t>(consumer) * 0x9E3779B97F4A7C15ull +
                       0x632BE59BD9B4E019ull + static_cast<uint64_t>(slot));
  h ^= h >> 31;
  h *= 0xBF58476D1CE4E5B9ull;
  return h ^ (h >> 29);
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

// Merges sibling groups: a later group over the same domain that reads a buffer an earlier
// group reads, and depends on no group at or after it, joins it as a multi-output kernel, so
// the shared inputs are read once.
void MergeSiblings(FusionPlan& plan, const FusionOptions& options) {
  const int n_groups = static_cast<int>(plan.groups.size());
  if (n_groups < 2) return;
  // What each group reads (stored nodes and inputs computed elsewhere) and the groups it needs.
  std::vector<std::vector<int>> reads(n_groups);
  std::vector<std::vector<int>> deps(n_groups);
  for (int g = 0; g < n_groups; ++g) {
    for (const Node* m : plan.groups[g].members) {
      for (const Node* o : m->operands()) {
        const int by = plan.stored_by[o->id()];
        const bool stored = by >= 0 || o->op() == Op::kInput;
        if (!stored || by == g) continue;
        reads[g].push_back(o->id());
        if (by >= 0) deps[g].push_back(by);
      }
    }
    std::sort(reads[g].begin(), reads[g].end());
    reads[g].erase(std::unique(reads[g].begin(), reads[g].end()), reads[g].end());
  }
  std::vector<int> target(n_groups);  // the group each group was merged into (itself if not)
  std::vector<int> latest_dep(n_groups, -1);  // the latest group position it transitively needs
  for (int g = 0; g < n_groups; ++g) {
    target[g] = g;
    for (int d : deps[g]) {
      latest_dep[g] = std::max({latest_dep[g], target[d], latest_dep[target[d]]});
    }
    const FusionGroup& gg = plan.groups[g];
    for (int h = latest_dep[g] + 1; h < g; ++h) {
      if (target[h] != h) continue;
      FusionGroup& hh = plan.groups[h];
      if (hh.roots.size() >= static_cast<size_t>(options.max_kernel_outputs)) continue;
      if (hh.row_kernel != gg.row_kernel || hh.roots[0]->shape() != gg.roots[0]->shape()) continue;
      if (hh.scan != nullptr || gg.scan != nullptr) continue;  // one loop per scan kernel
      std::vector<int> shared;
      std::set_intersection(reads[g].begin(), reads[g].end(), reads[h].begin(), reads[h].end(),
                            std::back_inserter(shared));
      if (shared.empty()) continue;
      std::vector<int> merged;
      std::set_union(reads[g].begin(), reads[g].end(), reads[h].begin(), reads[h].end(),
                     std::back_inserter(merged));
      if (static_cast<int64_t>(merged.size()) > options.max_kernel_buffers) continue;
      target[g] = h;
      hh.roots.insert(hh.roots.end(), gg.roots.begin(), gg.roots.end());
      hh.members.insert(hh.members.end(), gg.members.begin(), gg.members.end());
      reads[h] = std::move(merged);
      latest_dep[h] = std::max(latest_dep[h], latest_dep[g]);
      break;
    }
  }
  // Renumber the surviving groups in order.
  std::vector<int> index(n_groups, -1);
  std::vector<FusionGroup> kept;
  for (int g = 0; g < n_groups; ++g) {
    if (target[g] != g) continue;
    index[g] = static_cast<int>(kept.size());
    kept.push_back(std::move(plan.groups[g]));
  }
  for (int& by : plan.stored_by) {
    if (by >= 0) by = index[target[by]];
  }
  for (std::vector<int>& in : plan.computed_in) {
    for (int& g : in) g = index[target[g]];
    std::sort(in.begin(), in.end());
    in.erase(std::unique(in.begin(), in.end()), in.end());
  }
  plan.groups = std::move(kept);
}

// Members in topological order (node ids), each once.
void SortMembers(FusionGroup& g) {
  std::sort(g.members.begin(), g.members.end(),
            [](const Node* a, const Node* b) { return a->id() < b->id(); });
  g.members.erase(std::unique(g.members.begin(), g.members.end()), g.members.end());
}

// What a kernel reads and computes, estimated from its plan: the buffers its inlined expression
// loads (graph inputs and other kernels' results) and its scalar ops (each member once per
// distinct index it is evaluated at).
struct Footprint {
  std::vector<int> buffers;  // node ids, sorted
  std::vector<int> members;  // node ids of the inlined expression, sorted
  int64_t ops = 0;
};

// The footprint of every member of group `g` (the expression below it, inside the kernel).
absl::flat_hash_map<int, Footprint> Footprints(const FusionGroup& g,
                                               const std::vector<bool>& stored,
                                               const std::vector<IndexPaths>& index_paths) {
  const int root = g.roots[0]->id();
  absl::flat_hash_map<int, Footprint> fp;
  for (const Node* m : g.members) {  // topological order
    Footprint f;
    f.members.push_back(m->id());
    for (const Node* o : m->operands()) {
      if (o->op() == Op::kInput || stored[o->id()]) {
        f.buffers.push_back(o->id());
        continue;
      }
      auto it = fp.find(o->id());
      if (it == fp.end()) continue;  // computed in the kernel, not in this group's expression
      f.buffers.insert(f.buffers.end(), it->second.buffers.begin(), it->second.buffers.end());
      f.members.insert(f.members.end(), it->second.members.begin(), it->second.members.end());
    }
    for (std::vector<int>* v : {&f.buffers, &f.members}) {
      std::sort(v->begin(), v->end());
      v->erase(std::unique(v->begin(), v->end()), v->end());
    }
    fp.emplace(m->id(), std::move(f));
  }
  for (auto& [id, f] : fp) {
    for (int member : f.members) {
      int64_t evaluations = 0;
      for (const auto& [r, hash] : index_paths[member].paths) evaluations += r == root;
      f.ops += std::max<int64_t>(1, evaluations);
    }
  }
  return fp;
}

// When group `g` (one root) would read more than `max_kernel_buffers` buffers or compute more than
// `max_kernel_ops` ops, marks in `forced` the largest pieces of its expression that fit the caps
// on their own and sit below a piece that does not: stored, they become kernels of their own.
bool SplitOversized(const FusionGroup& g, const std::vector<bool>& stored,
                    const std::vector<IndexPaths>& index_paths, const FusionOptions& options,
                    std::vector<std::string>& forced) {
  if (g.roots.size() != 1 || g.members.size() < 2) return false;
  // A bound on the whole kernel first (every buffer any member reads, every member at its
  // indices), linear in its size: most kernels are far below the caps.
  absl::flat_hash_set<int> reads;
  int64_t ops = 0;
  for (const Node* m : g.members) {
    ops += std::max<int64_t>(1, static_cast<int64_t>(index_paths[m->id()].paths.size()));
    for (const Node* o : m->operands()) {
      if (o->op() == Op::kInput || stored[o->id()]) reads.insert(o->id());
    }
  }
  if (static_cast<int64_t>(reads.size()) <= options.max_kernel_buffers &&
      ops <= options.max_kernel_ops) {
    return false;
  }
  const absl::flat_hash_map<int, Footprint> fp = Footprints(g, stored, index_paths);
  auto fits = [&](const Footprint& f) {
    return static_cast<int64_t>(f.buffers.size()) <= options.max_kernel_buffers &&
           f.ops <= options.max_kernel_ops;
  };
  const Footprint& whole = fp.at(g.roots[0]->id());
  if (fits(whole)) return false;
  const std::string why =
      absl::StrCat("split off so that its consumer's kernel stays within the caps (it would read ",
                   whole.buffers.size(), " buffers and compute about ", whole.ops, " ops; at most ",
                   options.max_kernel_buffers, " and ", options.max_kernel_ops, ")");
  absl::flat_hash_set<int> below_oversized;
  for (const Node* c : g.members) {
    if (fits(fp.at(c->id()))) continue;
    for (const Node* o : c->operands()) below_oversized.insert(o->id());
  }
  bool split = false;
  for (const Node* m : g.members) {
    if (stored[m->id()] || OpCost(m->op()) == 0 || !below_oversized.contains(m->id())) continue;
    const Footprint& f = fp.at(m->id());
    if (!fits(f) || (f.buffers.size() < 2 && f.ops < 2)) continue;
    forced[m->id()] = why;
    split = true;
  }
  return split;
}

}  // namespace

bool IsCheapOp(Op op) { return OpCost(op) >= 0; }

namespace {

// One round of planning. Nodes in `forced` (with their reasons) are stored whatever the rules
// say. When a kernel would exceed the caps, the nodes to split off are added to `forced` and the
// returned plan is incomplete: the caller plans again.
FusionPlan PlanRound(const ir::Graph& graph, const FusionOptions& options,
                     const std::vector<bool>& optional_outputs, std::vector<std::string>& forced,
                     bool* split) {
  *split = false;
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
  // Required outputs are stored; optional ones only where that is free (see PlanFusion).
  std::vector<bool> is_output(n, false), optional(n, false);
  for (size_t i = 0; i < graph.outputs().size(); ++i) {
    const int id = graph.outputs()[i]->id();
    if (i < optional_outputs.size() && optional_outputs[i]) {
      optional[id] = true;
    } else {
      is_output[id] = true;
    }
  }

  // Cost of recomputing each node inline, saturating; -1 when some op on the way is not cheap.
  // Reductions and matmuls count as loads: one read through a view or by several kernels is
  // necessarily stored (the rules below never inline it there).
  std::vector<int> cost(n, 0);
  for (const auto& node : graph.nodes()) {
    const int own = OpCost(node->op());
    int c = own;
    for (const Node* o : node->operands()) {
      if (c < 0) break;
      if (o->op() == Op::kInput || IsReduceLike(*o) || IsScan(*o)) continue;
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
  std::vector<RowClass> row_class(n, RowClass::kOther);
  std::vector<IndexPaths> index_paths(n);  // of inlined nodes (stored nodes are their own root)
  std::vector<bool> row_reduce(n, false);  // an inlined reduction evaluated once per row
  // By root id: a scan its kernel computes (the kernel loops along its axis), and whether the
  // kernel computes a reduction, argreduce or matmul inline. The two exclude each other: in a
  // scan kernel every value is computed inside the loop along the scan's axis.
  std::vector<const Node*> scan_of_root(n, nullptr);
  std::vector<bool> reduces_in_root(n, false);
  // An inlined node read only as a scan's carry, through elementwise ops: the scan's kernel
  // computes it once per point, before its loop.
  std::vector<bool> carry_path(n, false);
  // The class a stored node gives its operands: elementwise roots of rank >= 1 index them fully.
  auto root_class = [&](const Node& r) {
    return !r.shape().empty() && !IsReduceLike(r) ? RowClass::kFull : RowClass::kOther;
  };

  for (int id = n - 1; id >= 0; --id) {
    const Node& node = *graph.node(id);
    if (node.op() == Op::kInput) continue;
    if (is_output[id]) {
      stored[id] = true;
      if (IsScan(node)) scan_of_root[id] = &node;
      continue;
    }
    if (consumers[id].empty()) continue;  // dead: nothing needs it
    if (!options.fuse) {
      stored[id] = true;
      plan.reason[id] = "fusion is off";
      continue;
    }
    if (!forced[id].empty()) {
      stored[id] = true;
      plan.reason[id] = forced[id];
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
      // The operand of a row reduction is evaluated once per (row, reduced element): whatever
      // repeats the row's reduced value does not repeat it.
      const bool reset = !stored[cid] && row_reduce[cid];
      path_expands =
          path_expands || (!reset && (ExpandingEdge(*c, slot) || (!stored[cid] && expanded[cid])));
    }
    std::sort(roots.begin(), roots.end());
    roots.erase(std::unique(roots.begin(), roots.end()), roots.end());
    if (roots.empty()) continue;  // only dead consumers
    bool carry = true;
    for (const auto& [c, slot] : consumers[id]) {
      carry = carry && ((IsScan(*c) && slot == 1) ||
                        (IsElementwise(*c) && !stored[c->id()] && carry_path[c->id()]));
    }

    // Row class: every path from the (single) root must agree.
    RowClass cls = RowClass::kOther;
    if (roots.size() == 1) {
      const ir::Shape& root_shape = graph.node(roots[0])->shape();
      bool first = true;
      for (const auto& [c, slot] : consumers[id]) {
        const RowClass cc = stored[c->id()] ? root_class(*c) : row_class[c->id()];
        const RowClass e = EdgeClass(*c, cc, node, root_shape);
        cls = first ? e : (cls == e ? cls : RowClass::kOther);
        first = false;
      }
    }
    const bool row_reduction = cls == RowClass::kRow &&
                               ir::GetOpKind(node.op()) != OpKind::kMatmul && IsReduceLike(node) &&
                               ir::IsRowReduction(node, graph.node(roots[0])->shape());

    bool inline_it;
    if (node.op() == Op::kGather) {
      // Evaluated at every one of its own points, so that every index is range-checked: a
      // kernel that read only some of them would miss an out-of-range index elsewhere.
      inline_it = roots.size() == 1 && path_identity;
      if (!inline_it) {
        plan.reason[id] = "a gather is computed in full, so that every index is checked";
      }
    } else if (IsReduceLike(node) && roots.size() == 1 && carry) {
      // A scan's carry (split-reductions' combination of the chunk totals before each chunk):
      // evaluated once per point of the scan's kernel, before its loop.
      inline_it = true;
    } else if (IsReduceLike(node)) {
      // Evaluated once per point of the root (an epilogue), or once per row of a row kernel.
      inline_it = roots.size() == 1 && (path_identity || row_reduction);
      if (!inline_it) {
        plan.reason[id] = roots.size() > 1
                              ? "a reduction used by several kernels is stored once"
                              : "its consumer reads it through a view or another reduction, so "
                                "fusing would recompute it per element";
      } else if (scan_of_root[roots[0]] != nullptr) {
        inline_it = false;
        plan.reason[id] =
            "its consumer's kernel is a scan, which computes every value inside "
            "its loop along the scan's axis";
      }
    } else if (IsScan(node)) {
      // Carried along the kernel's loop: inlined where the kernel's root reads it elementwise
      // (its consumers become the scan's epilogue), one loop per kernel.
      const Node* other = roots.size() == 1 ? scan_of_root[roots[0]] : nullptr;
      inline_it = roots.size() == 1 && path_identity && !reduces_in_root[roots[0]] &&
                  (other == nullptr || SameScanLoop(*other, node));
      if (!inline_it) {
        plan.reason[id] =
            roots.size() > 1 ? "a scan used by several kernels is stored once"
            : !path_identity ? "its consumer reads it through a view, a reduction or another "
                               "scan, not element by element"
            : reduces_in_root[roots[0]]
                ? "its consumer's kernel computes a reduction, which a scan's loop cannot hold"
                : "its consumer's kernel already scans along another axis or in other chunks";
      }
    } else if (roots.size() == 1) {
      // A value read once per row is computed once per row (hoisted out of the loop over C).
      inline_it = !path_expands || cheap(node) || cls == RowClass::kRow;
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
      IndexPaths& paths = index_paths[id];
      for (const auto& [c, slot] : consumers[id]) {
        const int cid = c->id();
        // A scan reads its operand at its own index.
        const bool same_index = IsElementwise(*c) || (IsScan(*c) && slot == 0);
        if (stored[cid]) {
          paths.Add(cid, same_index ? 0 : ExtendPath(0, cid, slot));
          continue;
        }
        for (const auto& [root, hash] : index_paths[cid].paths) {
          paths.Add(root, same_index ? hash : ExtendPath(hash, cid, slot));
        }
      }
      paths.Finish();
      const int evaluations = paths.MostPerRoot();
      if (evaluations > options.max_evaluations && OpCost(node.op()) != 0) {
        inline_it = false;
        paths.paths.clear();
        plan.reason[id] = absl::StrCat(
            "its kernel would evaluate it at ", evaluations,
            evaluations >= static_cast<int>(IndexPaths::kCap) ? " or more" : "",
            " indices per point (read through several shifting views), more than the bound of ",
            options.max_evaluations);
      }
    }
    if (inline_it) {
      depth[id] = max_depth;
      roots_of[id] = std::move(roots);
      identity[id] = path_identity;
      expanded[id] = path_expands;
      row_class[id] = cls;
      row_reduce[id] = row_reduction && !path_identity;
      carry_path[id] = carry;
      if (IsReduceLike(node) && !carry) reduces_in_root[roots_of[id][0]] = true;
      if (IsScan(node)) scan_of_root[roots_of[id][0]] = &node;
    } else {
      stored[id] = true;
      if (IsScan(node)) scan_of_root[id] = &node;
    }
  }

  // One group per stored non-input node, in topological order.
  std::vector<int> group_of_root(n, -1);
  for (int id = 0; id < n; ++id) {
    if (!stored[id]) continue;
    group_of_root[id] = static_cast<int>(plan.groups.size());
    plan.stored_by[id] = group_of_root[id];
    plan.groups.push_back(FusionGroup{{graph.node(id)}, {}, ""});
    plan.groups.back().scan = scan_of_root[id];
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
      if (row_reduce[id]) plan.groups[g].row_kernel = true;
    }
  }
  for (FusionGroup& g : plan.groups) SortMembers(g);
  for (const FusionGroup& g : plan.groups) {
    *split = SplitOversized(g, stored, index_paths, options, forced) || *split;
  }
  if (*split) return plan;
  // Optional outputs computed inline at their own points become extra roots of their kernel.
  for (int id = 0; id < n; ++id) {
    if (!optional[id] || is_output[id] || stored[id] || roots_of[id].size() != 1 || !identity[id]) {
      continue;
    }
    const int g = group_of_root[roots_of[id][0]];
    FusionGroup& group = plan.groups[g];
    if (group.row_kernel || group.scan != nullptr ||
        graph.node(id)->shape() != group.roots[0]->shape() ||
        group.roots.size() >= static_cast<size_t>(options.max_kernel_outputs)) {
      continue;
    }
    group.roots.push_back(graph.node(id));
    plan.stored_by[id] = g;
  }
  if (options.merge_siblings) MergeSiblings(plan, options);
  for (FusionGroup& g : plan.groups) {
    SortMembers(g);  // merged siblings interleave
    g.name = GroupName(g.members);
  }
  return plan;
}

}  // namespace

FusionPlan PlanFusion(const ir::Graph& graph, const FusionOptions& options,
                      const std::vector<bool>& optional_outputs) {
  std::vector<std::string> forced(graph.num_nodes());
  // Each round splits off at least one node, so this ends; most graphs need one round.
  for (;;) {
    bool split = false;
    FusionPlan plan = PlanRound(graph, options, optional_outputs, forced, &split);
    if (!split) return plan;
  }
}

std::string PrintFusionPlan(const ir::Graph& graph, const FusionPlan& plan) {
  std::string out;
  for (size_t g = 0; g < plan.groups.size(); ++g) {
    const FusionGroup& group = plan.groups[g];
    absl::StrAppend(&out, "kernel ", g, " @", group.name, group.row_kernel ? " (rows)" : "",
                    group.scan != nullptr ? absl::StrCat(" (scan %", group.scan->id(), ")") : "",
                    ": stores ");
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
