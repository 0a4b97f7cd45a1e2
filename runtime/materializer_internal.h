// Internal to the materializer's files (materializer.cc: the facade and accessors; collect.cc:
// what a flush takes and what it stores; engine.cc: the queue, the worker and shutdown;
// evaluate.cc: optimizing and running a task's graph, the op-by-op retry, dumps). Nothing
// outside runtime/ includes it.
#ifndef NDJIT_RUNTIME_MATERIALIZER_INTERNAL_H_
#define NDJIT_RUNTIME_MATERIALIZER_INTERNAL_H_

#include <cstdint>
#include <exception>
#include <memory>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "ir/graph.h"
#include "runtime/materializer.h"
#include "runtime/value.h"

namespace ndjit::runtime {

// One unit of engine work: a collected graph, the values it reads and the values it stores.
struct Task {
  int64_t id = 0;
  std::unique_ptr<ir::Graph> graph;
  std::vector<ValuePtr> leaves;   // realized, queued or failed values, by input index
  std::vector<ValuePtr> outputs;  // the values it stores, by output index
  // By output index: stored only if the kernel that computes it can store it for free
  // (passes::PlanFusion); one that comes back without a buffer is left taken.
  std::vector<bool> optional;
  const char* api = "";  // who flushed it
  ir::SourceLoc site;
  FlushReason reason = FlushReason::kAccessor;
  int64_t nodes = 0;  // pending nodes collected
  // The device its values are on (the host for values that can be computed anywhere).
  Device device = Device::Cpu();
  // Values of two devices in one task: never (SubmitLocked splits tasks at device boundaries),
  // an internal error if it happens.
  bool mixed_devices = false;
  // Profiler clock; written by the worker before `done` is set under the materializer's lock.
  int64_t started_ns = 0, compiled_ns = 0, finished_ns = 0;
};

struct Materializer::Collected {
  std::unique_ptr<ir::Graph> graph;
  std::vector<Value*> pending;  // in topological order
  std::vector<ValuePtr> leaves;
  uint64_t walk = 0;  // the walk that collected it: its values' scratch holds their nodes
  absl::Status status;
  // The node of a value in the graph (null if the walk did not reach it).
  ir::Node* NodeOf(const Value* v) const { return v->walk_.id == walk ? v->walk_.node : nullptr; }
};

// What a submission did (Materializer::SubmitLocked).
struct Materializer::Submission {
  std::shared_ptr<Task> task;  // null when nothing needed computing
  // The caller must run `task` itself with RunInline (the engine was idle and the caller asked
  // for that, or the engine has shut down).
  bool run_here = false;
  absl::Status status;  // an internal error (recording produced an invalid graph)
};

template <typename Interior, typename Leaf, typename Visit>
void Materializer::WalkPostOrder(absl::Span<const ValuePtr> roots, Interior interior, Leaf leaf,
                                 Visit visit) {
  const uint64_t walk = ++walks_;
  std::vector<std::pair<Value*, size_t>> stack;  // value, next operand to visit
  stack.reserve(16);
  auto enter = [&](Value* v) {
    if (v->walk_.id == walk) return;
    v->walk_ = Value::Walk{};
    v->walk_.id = walk;
    if (interior(v)) {
      stack.push_back({v, 0});
    } else {
      leaf(v);
    }
  };
  for (const ValuePtr& root : roots) {
    enter(root.get());
    while (!stack.empty()) {
      auto& [v, next] = stack.back();
      if (next < v->operands_.size()) {
        enter(v->operands_[next++].get());
        continue;
      }
      Value* done = v;
      stack.pop_back();
      if (!visit(done)) return;
    }
  }
}

namespace materializer_internal {

// Stops the engine at exit (registered by Materializer::Get and RegisterShutdownAfterJit).
void ShutdownAtExit();
// Exit handlers and static destructors run in reverse order of registration and construction.
// The first compiled graph constructs LLVM's lazy statics (the JIT, its library handles);
// registering the shutdown again after it makes the worker stop before they are destroyed.
void RegisterShutdownAfterJit();

// An exception escaping the layers below (they return Status; allocation can still throw) as
// the task's error, instead of ending the worker thread.
absl::Status ExceptionStatus(const std::exception& e);

}  // namespace materializer_internal
}  // namespace ndjit::runtime

#endif  // NDJIT_RUNTIME_MATERIALIZER_INTERNAL_H_
