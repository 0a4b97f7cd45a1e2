// Kernel scheduling and buffer planning (see schedule.h).
#include "passes/schedule.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ir/ops.h"

namespace ndjit::passes {
namespace {

// Ready kernels compared per step; beyond this many the earliest in program order are looked
// at, which keeps very wide graphs linear-ish in the number of kernels.
constexpr size_t kMaxCandidates = 64;

// Whether group `g` reads buffer `b` only at the point it writes: every member that depends on
// `b` is elementwise over the root's shape, and the kernel stores a single root.
bool ReadsOnlyAtItsPoint(const FusionPlan& plan, int g, const ir::Node& b) {
  const FusionGroup& group = plan.groups[g];
  if (group.roots.size() != 1 || group.row_kernel) return false;
  const ir::Node& root = *group.roots[0];
  if (b.dtype() != root.dtype() || b.shape() != root.shape()) return false;
  std::set<const ir::Node*> depends{&b};
  for (const ir::Node* m : group.members) {
    const bool reads = std::any_of(m->operands().begin(), m->operands().end(),
                                   [&](const ir::Node* o) { return depends.contains(o); });
    if (!reads) continue;
    if (!ir::IsElementwise(m->op()) || m->shape() != root.shape()) return false;
    depends.insert(m);
  }
  return depends.contains(&root);
}

}  // namespace

std::vector<int> GroupReads(const FusionPlan& plan, int g) {
  std::set<int> reads;
  for (const ir::Node* m : plan.groups[g].members) {
    for (const ir::Node* o : m->operands()) {
      const bool buffer = o->op() == ir::Op::kInput || plan.stored_by[o->id()] >= 0;
      if (buffer && plan.stored_by[o->id()] != g) reads.insert(o->id());
    }
  }
  return {reads.begin(), reads.end()};
}

Schedule ScheduleKernels(const ir::Graph& graph, const FusionPlan& plan,
                         const ScheduleOptions& options) {
  const int n = graph.num_nodes();
  const int num_groups = static_cast<int>(plan.groups.size());
  std::vector<bool> is_output(n, false);
  for (const ir::Node* o : graph.outputs()) is_output[o->id()] = true;
  std::vector<std::vector<int>> reads(num_groups);
  std::vector<int> readers(n, 0);              // kernels still to run that read the node
  std::vector<int> waiting_on(num_groups, 0);  // producers still to run
  std::vector<std::vector<int>> consumers(num_groups);
  for (int g = 0; g < num_groups; ++g) {
    reads[g] = GroupReads(plan, g);
    for (int b : reads[g]) {
      ++readers[b];
      const int producer = plan.stored_by[b];
      if (producer >= 0) {
        ++waiting_on[g];
        consumers[producer].push_back(g);
      }
    }
  }
  // A value that dies is one the schedule may free: stored by a kernel, not a graph output.
  auto dies = [&](int id) { return plan.stored_by[id] >= 0 && !is_output[id]; };

  Schedule s;
  s.in_place_of.assign(num_groups, -1);
  s.slot.assign(n, -1);
  std::set<int> ready;
  for (int g = 0; g < num_groups; ++g) {
    if (waiting_on[g] == 0) ready.insert(g);
  }
  std::multiset<std::pair<int64_t, int>> free_slots;  // bytes, slot
  std::vector<int> slot_users;                        // live values in each slot
  std::vector<int> slot_last_free;  // position that freed the slot's last value, or -1
  int64_t live = 0;
  while (!ready.empty()) {
    // Pick the kernel that adds the fewest live bytes.
    int pick = *ready.begin();
    if (options.reorder) {
      int64_t best = 0;
      size_t looked = 0;
      for (int g : ready) {
        if (looked++ == kMaxCandidates) break;
        int64_t delta = 0;
        for (const ir::Node* r : plan.groups[g].roots) delta += ir::SizeBytes(r->type());
        for (int b : reads[g]) {
          if (readers[b] == 1 && dies(b)) delta -= ir::SizeBytes(graph.node(b)->type());
        }
        if (g == pick || delta < best) {
          best = delta;
          pick = g;
        }
      }
    }
    ready.erase(pick);
    const int pos = static_cast<int>(s.order.size());
    s.order.push_back(pick);
    s.release_after.emplace_back();
    const FusionGroup& group = plan.groups[pick];
    // In place: a buffer this kernel reads for the last time, only at the point it writes.
    if (options.in_place) {
      for (int b : reads[pick]) {
        if (readers[b] == 1 && dies(b) && ReadsOnlyAtItsPoint(plan, pick, *graph.node(b))) {
          s.in_place_of[pick] = b;
          break;
        }
      }
    }
    for (const ir::Node* r : group.roots) {
      const int64_t bytes = ir::SizeBytes(r->type());
      int slot = -1;
      if (s.in_place_of[pick] >= 0) {
        slot = s.slot[s.in_place_of[pick]];
      } else {
        live += bytes;
        auto it = options.reuse_buffers ? free_slots.lower_bound({bytes, -1}) : free_slots.end();
        // A graph output keeps its slot's memory in the caller's array: exact sizes only.
        const int64_t largest = is_output[r->id()] ? bytes : 2 * std::max<int64_t>(bytes, 1);
        if (it != free_slots.end() && it->first <= largest) {
          slot = it->second;
          free_slots.erase(it);
        } else {
          slot = static_cast<int>(s.slot_bytes.size());
          s.slot_bytes.push_back(bytes);
          slot_users.push_back(0);
          slot_last_free.push_back(-1);
        }
      }
      s.slot[r->id()] = slot;
      ++slot_users[slot];
      slot_last_free[slot] = -1;
    }
    s.peak_bytes = std::max(s.peak_bytes, live);
    // Values read for the last time, and results nobody reads, die after this kernel.
    std::vector<int> dead;
    for (int b : reads[pick]) {
      if (--readers[b] == 0 && dies(b)) dead.push_back(b);
    }
    for (const ir::Node* r : group.roots) {
      if (readers[r->id()] == 0 && dies(r->id())) dead.push_back(r->id());
    }
    for (int b : dead) {
      s.release_after[pos].push_back(b);
      const int slot = s.slot[b];
      if (b != s.in_place_of[pick]) live -= ir::SizeBytes(graph.node(b)->type());
      if (--slot_users[slot] == 0) {
        free_slots.insert({s.slot_bytes[slot], slot});
        slot_last_free[slot] = pos;
      }
    }
    for (int c : consumers[pick]) {
      if (--waiting_on[c] == 0) ready.insert(c);
    }
  }
  for (int64_t b : s.slot_bytes) s.planned_bytes += b;
  s.slots_free_after.resize(s.order.size());
  for (size_t slot = 0; slot < slot_last_free.size(); ++slot) {
    if (slot_last_free[slot] >= 0) {
      s.slots_free_after[slot_last_free[slot]].push_back(static_cast<int>(slot));
    }
  }
  return s;
}

std::string PrintSchedule(const FusionPlan& plan, const Schedule& schedule) {
  std::string out = absl::StrCat("schedule: ", schedule.order.size(), " kernels, ",
                                 schedule.slot_bytes.size(), " buffers, peak ", schedule.peak_bytes,
                                 " bytes live, ", schedule.planned_bytes, " bytes planned\n");
  auto ids = [](const std::vector<int>& v) {
    return absl::StrJoin(v, ", ", [](std::string* s, int id) { absl::StrAppend(s, "%", id); });
  };
  for (size_t pos = 0; pos < schedule.order.size(); ++pos) {
    const int g = schedule.order[pos];
    absl::StrAppend(&out, "  ", pos, ": kernel ", g, " @", plan.groups[g].name, " stores ");
    absl::StrAppend(
        &out, absl::StrJoin(plan.groups[g].roots, ", ", [&](std::string* s, const ir::Node* r) {
          absl::StrAppend(s, "%", r->id(), " in buffer ", schedule.slot[r->id()]);
        }));
    if (schedule.in_place_of[g] >= 0) {
      absl::StrAppend(&out, " (in place of %", schedule.in_place_of[g], ")");
    }
    if (!schedule.release_after[pos].empty()) {
      absl::StrAppend(&out, "; frees ", ids(schedule.release_after[pos]));
    }
    absl::StrAppend(&out, "\n");
  }
  return out;
}

}  // namespace ndjit::passes
