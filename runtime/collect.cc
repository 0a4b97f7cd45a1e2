// What a flush takes: the pending subgraph of the requested values, cut at device boundaries,
// and the store policy's decision of what the task stores (see materializer.h). The store
// decision has its one owner here: SubmitLocked.
#include <algorithm>
#include <map>
#include <mutex>
#include <thread>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "passes/fusion.h"
#include "runtime/materializer_internal.h"

namespace ndjit::runtime {
namespace {

// Recompute cost of one element of a value given its operands, in elementary ops: what a later
// graph pays to compute a value again instead of reading it from a buffer. Reductions, argreduces,
// scans, matmuls, gathers and random draws (a counter-based generator: dozens of integer ops per
// element, and a loop that holds one is not vectorized) are never worth computing twice.
constexpr int64_t kMaxRecomputeCost = 32;
constexpr int64_t kRecomputeSaturation = int64_t{1} << 20;
int64_t RecomputeCost(ir::Op op) {
  switch (ir::GetOpKind(op)) {
    case ir::OpKind::kLeaf:
      return op == ir::Op::kRandom ? kRecomputeSaturation : 0;
    case ir::OpKind::kView:
      return 0;
    case ir::OpKind::kCast:
    case ir::OpKind::kConcat:
      return 1;
    case ir::OpKind::kUnary:
    case ir::OpKind::kUnaryPredicate:
    case ir::OpKind::kBinary:
    case ir::OpKind::kCompare:
    case ir::OpKind::kSelect:
      return passes::IsCheapOp(op) ? 1 : 4;
    case ir::OpKind::kReduce:
    case ir::OpKind::kArgReduce:
    case ir::OpKind::kScan:
    case ir::OpKind::kGather:
    case ir::OpKind::kMatmul:
      return kRecomputeSaturation;
  }
  return kRecomputeSaturation;
}

// Whether a submission stores every value that a live handle or later pending work names
// (ndjit::flush() and waitall(): the user handed over everything), rather than only the ones
// that would be expensive to compute again.
bool StoresEveryNamed(FlushReason reason, bool force) {
  return !force && (reason == FlushReason::kExplicit || reason == FlushReason::kWaitAll);
}

}  // namespace

int64_t Materializer::PendingBytes(ir::Op op, const ir::TensorType& type) {
  // Only the values a flush would store count: the ones that are expensive to compute again
  // (see RecomputeCost). Leaves, views and elementwise values are stored only when an accessor
  // asks for them (or a long chain of them is named), so they cost nothing until then.
  return RecomputeCost(op) > kMaxRecomputeCost ? ir::SizeBytes(type) : 0;
}

// The pending subgraph of `values`: computed, queued and failed values become input leaves.
// Caller holds mu_.
Materializer::Collected Materializer::Collect(absl::Span<const ValuePtr> values) {
  Collected c;
  c.graph = std::make_unique<ir::Graph>("main");
  auto pending = [](const Value* v) {
    return v->state_ == Value::State::kPending || v->state_ == Value::State::kTaken;
  };
  auto leaf = [&](Value* v) {
    ir::Attrs attrs;
    attrs.index = c.graph->num_inputs();
    v->walk_.node =
        *c.graph->AddInferred(ir::Op::kInput, {}, std::move(attrs), v->type(), v->loc());
    c.leaves.push_back(v->shared_from_this());
  };
  auto node = [&](Value* v) {
    std::vector<ir::Node*> operands;
    for (const ValuePtr& o : v->operands_) {
      operands.push_back(o->walk_.node);  // reached before `v`
      if (pending(o.get())) ++o->walk_.internal_refs;
    }
    // The frontend checked the type rules when it recorded the value.
    absl::StatusOr<ir::Node*> added =
        c.graph->AddInferred(v->op(), std::move(operands), v->attrs(), v->type(), v->loc());
    if (!added.ok()) {
      c.status = absl::InternalError(
          absl::StrCat("recording produced an invalid node: ", added.status().message()));
      return false;
    }
    v->walk_.node = *added;
    c.pending.push_back(v);
    return true;
  };
  WalkPostOrder(values, pending, leaf, node);
  c.walk = walks_;
  return c;
}

std::vector<ValuePtr> Materializer::DeviceBoundary(absl::Span<const ValuePtr> values) {
  // Until a value is recorded for a GPU, every task is the host's (no walk needed).
  if (!gpu_values_recorded_.load(std::memory_order_relaxed)) return {};
  auto pending = [](const Value* v) {
    return v->state_ == Value::State::kPending || v->state_ == Value::State::kTaken;
  };
  // The task's device: the first requested value's that has one.
  Device device = Device::Any();
  for (const ValuePtr& v : values) {
    if (pending(v.get()) && !v->device().is_any()) {
      device = v->device();
      break;
    }
  }
  if (device.is_any()) return {};  // constants only: one task
  std::vector<ValuePtr> out;
  absl::flat_hash_set<const Value*> seen, added;
  std::vector<Value*> stack;
  auto elsewhere = [&](Value* v) {
    if (added.insert(v).second) out.push_back(v->shared_from_this());
  };
  for (const ValuePtr& v : values) {
    if (!pending(v.get()) || !seen.insert(v.get()).second) continue;
    if (!v->device().is_any() && v->device() != device) {
      elsewhere(v.get());
    } else {
      stack.push_back(v.get());
    }
  }
  while (!stack.empty()) {
    Value* v = stack.back();
    stack.pop_back();
    for (const ValuePtr& o : v->operands_) {
      if (!pending(o.get())) continue;
      // Values built from constants only follow their reader; only copies read across.
      if (!o->device().is_any() && o->device() != v->device() && !v->device().is_any()) {
        elsewhere(o.get());
      } else if (seen.insert(o.get()).second) {
        stack.push_back(o.get());
      }
    }
  }
  return out;
}

Materializer::Submission Materializer::SubmitLocked(absl::Span<const ValuePtr> values, bool force,
                                                    const Caller& caller, FlushReason reason,
                                                    bool inline_if_idle,
                                                    std::unique_lock<std::mutex>& lock) {
  Submission out;
  // One device per task: what another device computes for this one (the operand of a copy
  // between contexts, or requested values of another device) goes to tasks of its own first,
  // queued ahead of this one, and this task reads it as leaves.
  // Layer by layer (what `values` need from other devices, what those need, ...), deepest first,
  // so every submission below finds its own boundaries queued already and nothing recurses
  // deeper than one level, however many copies a chain crosses.
  std::vector<std::vector<ValuePtr>> layers;
  for (std::vector<ValuePtr> layer = DeviceBoundary(values); !layer.empty();) {
    std::vector<ValuePtr> next;
    for (const ValuePtr& b : layer) {
      for (ValuePtr& d : DeviceBoundary({b})) next.push_back(std::move(d));
    }
    layers.push_back(std::move(layer));
    layer = std::move(next);
  }
  for (auto layer = layers.rbegin(); layer != layers.rend(); ++layer) {
    for (const ValuePtr& b : *layer) {
      Submission first =
          SubmitLocked({b}, /*force=*/true, caller, reason, /*inline_if_idle=*/false, lock);
      if (!first.status.ok()) return first;
      if (first.run_here) {  // only after Shutdown
        lock.unlock();
        RunInline(*first.task);
        lock.lock();
      }
    }
  }
  Collected c = Collect(values);
  out.status = c.status;
  if (!c.status.ok() || c.pending.empty()) return out;
  // Outputs (the store policy, see materializer.h): the requested values, and the values that
  // something outside the subgraph references (a live handle, or pending work outside this
  // request; use_count counts owners, the ones inside the subgraph are its operand lists) when
  // the policy stores them. A value left unstored is taken: a later graph that reads it computes
  // it again from its operands.
  const bool store_every_named = StoresEveryNamed(reason, force);
  std::vector<Value*> stored;
  std::vector<bool> optional_output;  // by entry of `stored`
  // Times the request names each value (the walk reached every requested value).
  for (const ValuePtr& v : values) {
    if (v->walk_.id == c.walk) ++v->walk_.requested;
  }
  // A requested value that is an identity of another (an autograd variable's read, copy()) is
  // the same array: a named one behind it is stored with it, at no cost (the optimizer folds the
  // identity, so both are one buffer).
  // `v` is its operand under another name: a reshape or cast to the operand's own type.
  auto identity = [](const Value& v) {
    return (v.op() == ir::Op::kReshape || v.op() == ir::Op::kCast) && v.operands_.size() == 1 &&
           v.operands_[0]->type() == v.type();
  };
  if (force) {
    for (const ValuePtr& v : values) {
      for (Value* u = v.get(); identity(*u);) {
        u = u->operands_[0].get();
        if (u->state_ != Value::State::kPending && u->state_ != Value::State::kTaken) break;
        if (u->walk_.id == c.walk) u->walk_.same_array = true;
      }
    }
  }
  // What computing an unstored value again costs (walk_.cheap and walk_.expensive): the
  // elementary ops of its cone (back to stored or computed values) and the expensive ops
  // (reductions, scans, ...) among them.
  for (Value* v : c.pending) {
    Value::Walk& w = v->walk_;
    const long internal = w.internal_refs;
    const long in_request = w.requested;
    int64_t cheap = 0;
    int expensive = 0;
    const int64_t own = RecomputeCost(v->op());
    if (own > kMaxRecomputeCost) {
      expensive = 1;
    } else {
      cheap = own;
    }
    for (const ValuePtr& o : v->operands_) {
      const Value::Walk& ow = o->walk_;
      if (ow.id != c.walk || !ow.unstored) continue;
      cheap = std::min(cheap + ow.cheap, kRecomputeSaturation);
      expensive = std::min(expensive + ow.expensive, 2);
    }
    bool store = force && in_request > 0;
    bool optional = false;
    if (!store && v->weak_from_this().use_count() > internal + in_request) {
      store = store_every_named || expensive > 0 || cheap > kMaxRecomputeCost || w.same_array;
      // A value whose cone holds one expensive op and a short chain of cheap ones is stored
      // only where its kernel can store it at no cost (otherwise a later read computes that
      // op again). One whose cone holds more (two expensive ops, a long chain) is stored: a
      // frontier that keeps what later graphs compute again bounded.
      optional = store && !store_every_named && !w.same_array && expensive == 1 &&
                 cheap <= kMaxRecomputeCost;
    }
    if (store) {
      stored.push_back(v);
      optional_output.push_back(optional);
    } else {
      w.unstored = true;
      w.cheap = cheap;
      w.expensive = expensive;
    }
  }
  if (std::find(optional_output.begin(), optional_output.end(), false) == optional_output.end()) {
    // Nothing needs computing now (an expensive named value is stored when something reads
    // it, or when a kernel computes it anyway); what the request collected no longer counts as
    // pending (a later graph that reads it computes it).
    for (Value* v : c.pending) {
      OnPendingLeft(*v);
      v->state_ = Value::State::kTaken;
    }
    return out;
  }
  // What can throw comes before any state changes (a value left queued would never finish).
  if (!stopping_ && !worker_.joinable()) worker_ = std::thread([this] { WorkerLoop(); });
  auto task = std::make_shared<Task>();
  task->id = ++submitted_;
  task->api = caller.api;
  task->site = caller.site;
  task->reason = reason;
  task->nodes = static_cast<int64_t>(c.pending.size());
  Device device = Device::Any();
  for (Value* v : c.pending) {
    if (v->device().is_any() || v->device() == device) continue;
    if (!device.is_any()) {
      task->mixed_devices = true;
      break;
    }
    device = v->device();
  }
  task->device = device.OrCpu();
  task->optional = std::move(optional_output);
  for (Value* v : stored) {
    c.graph->AddOutput(c.NodeOf(v));
    task->outputs.push_back(v->shared_from_this());
    v->state_ = Value::State::kQueued;
    v->task_ = task;
  }
  // Every collected value is computed by this task: it no longer counts as pending.
  for (Value* v : c.pending) {
    OnPendingLeft(*v);
    if (v->state_ != Value::State::kQueued) v->state_ = Value::State::kTaken;
  }
  task->graph = std::move(c.graph);
  task->leaves = std::move(c.leaves);
  counts_.flushes[static_cast<int>(reason)].fetch_add(1, std::memory_order_relaxed);
  if (stopping_ || (inline_if_idle && queue_.empty() && !busy_)) {
    // The caller runs it: after Shutdown, or when the engine is idle and the caller is going
    // to wait for it anyway (no hand-off to the worker thread and back). Later tasks queue
    // behind it while `busy_` is set.
    // (Only while stopping can the engine be busy or hold queued tasks here: they run first.)
    done_cv_.wait(lock, [&] { return queue_.empty() && !busy_; });
    busy_ = true;
    out.run_here = true;
    out.task = std::move(task);
    return out;
  }
  queue_.push_back(task);
  work_cv_.notify_one();
  out.task = std::move(task);
  return out;
}

std::unique_ptr<ir::Graph> Materializer::PendingGraph(absl::Span<const ValuePtr> values) {
  std::lock_guard<std::mutex> lock(mu_);
  Collected c = Collect(values);
  for (const ValuePtr& v : values) {
    if (ir::Node* n = c.NodeOf(v.get()); n != nullptr) c.graph->AddOutput(n);
  }
  return std::move(c.graph);
}

}  // namespace ndjit::runtime
