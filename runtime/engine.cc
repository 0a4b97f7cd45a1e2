// The engine: the task queue, the worker that runs tasks in submission order, a task's run and
// the publication of its results and errors, and shutdown (see materializer.h).
#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <optional>

#include "absl/strings/str_cat.h"
#include "runtime/config.h"
#include "runtime/materializer_internal.h"
#include "runtime/profiler.h"

namespace ndjit::runtime {
namespace materializer_internal {

void ShutdownAtExit() { Materializer::Get().Shutdown(); }

void RegisterShutdownAfterJit() {
  static std::once_flag once;
  std::call_once(once, [] { std::atexit(ShutdownAtExit); });
}

}  // namespace materializer_internal

using materializer_internal::ExceptionStatus;

void Materializer::WorkerLoop() {
  profiler::NameThisThread("ndjit engine");
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    work_cv_.wait(lock, [&] { return (!queue_.empty() && !busy_) || (stopping_ && !busy_); });
    if (queue_.empty()) return;  // stopping, and everything ran
    std::shared_ptr<Task> task = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    RunTask(*task);
    task.reset();  // may release graphs and buffers: outside the lock
    lock.lock();
    busy_ = false;
    if (stopping_) done_cv_.notify_all();  // a caller may wait to run its task inline
  }
}

void Materializer::RunInline(Task& task) {
  RunTask(task);
  bool queued = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    busy_ = false;
    queued = !queue_.empty() || stopping_;
  }
  // Wake the worker only when tasks queued up meanwhile or it is being stopped (a wake-up per
  // accessor would cost a context switch each).
  if (queued) work_cv_.notify_one();
  done_cv_.notify_all();
}

void Materializer::ComputeTask(Task& task, std::vector<std::optional<ir::HostTensor>>* buffers,
                               std::vector<ErrorPtr>* errors, std::vector<ErrorPtr>* created) {
  const size_t n = task.outputs.size();
  const Config config = GetConfig();  // one snapshot for the whole task
  if (!config.env_error.ok()) {
    // A bad switch fails every graph alike; computing op by op would only hide it.
    auto e = std::make_shared<DeferredError>();
    e->status = config.env_error;
    created->push_back(e);
    for (size_t i = 0; i < n; ++i) (*errors)[i] = e;
    return;
  }
  std::vector<ir::HostTensor> inputs;
  inputs.reserve(task.leaves.size());
  bool leaf_failed = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const ValuePtr& leaf : task.leaves) {
      if (leaf->state_ == Value::State::kRealized) {
        inputs.push_back(*leaf->buffer_);
      } else {
        // A failed input: only the values that depend on it fail (op by op, below). Tasks run
        // in submission order, so no other state is possible here; the op-by-op evaluation
        // would compute such a leaf itself.
        leaf_failed = true;
        inputs.emplace_back();
      }
    }
  }
  absl::Status first_failure;
  if (!leaf_failed) {
    absl::StatusOr<std::vector<ir::HostTensor>> results = GuardedEvaluate(task, config, inputs);
    if (results.ok()) {
      for (size_t i = 0; i < n; ++i) (*buffers)[i] = std::move((*results)[i]);
    } else {
      first_failure = results.status();
    }
  }
  inputs.clear();  // nothing of the task may outlive it once accessors see it done
  if (task.compiled_ns == 0) task.compiled_ns = profiler::NowNs();
  if (leaf_failed || !first_failure.ok()) {
    counts_.op_by_op_retries.fetch_add(1, std::memory_order_relaxed);
    EvaluateOpByOp(task, config, first_failure, buffers, errors, created);
  }
}

void Materializer::RunTask(Task& task) {
  if (task.started_ns == 0) task.started_ns = profiler::NowNs();  // an inline caller's is set
  const size_t n = task.outputs.size();
  std::vector<std::optional<ir::HostTensor>> buffers(n);
  std::vector<ErrorPtr> errors(n);
  std::vector<ErrorPtr> created;
  try {
    ComputeTask(task, &buffers, &errors, &created);
  } catch (const std::exception& e) {
    // Nothing may escape: the worker would terminate the process, an inline caller would leave
    // the engine busy. Every output not computed fails with this error.
    auto error = std::make_shared<DeferredError>();
    error->status = ExceptionStatus(e);
    created.push_back(error);
    for (size_t i = 0; i < n; ++i) {
      if (!buffers[i].has_value() && errors[i] == nullptr) errors[i] = error;
    }
  }
  if (task.compiled_ns == 0) task.compiled_ns = profiler::NowNs();
  counts_.materializations.fetch_add(1, std::memory_order_relaxed);
  task.finished_ns = profiler::NowNs();
  if (profiler::Tracing()) {
    const std::vector<profiler::Arg> args = {
        {"task", task.id}, {"nodes", task.nodes}, {"reason", FlushReasonName(task.reason)}};
    profiler::AddEvent("compile", absl::StrCat("compile task ", task.id), task.started_ns,
                       task.compiled_ns, args);
    profiler::AddEvent("run", absl::StrCat("run task ", task.id), task.compiled_ns,
                       task.finished_ns, args);
  }
  // Errors that reached no output (an op whose consumers all inherited another failure first)
  // are not lost: they are noted on the first error an output holds.
  ErrorPtr first_held;
  for (const ErrorPtr& e : errors) {
    if (e != nullptr && std::find(created.begin(), created.end(), e) != created.end()) {
      first_held = e;
      break;
    }
  }
  std::vector<ErrorPtr> published;
  for (ErrorPtr& e : created) {
    if (first_held != nullptr && e != first_held &&
        std::find(errors.begin(), errors.end(), e) == errors.end()) {
      first_held->status = absl::Status(
          first_held->status.code(),
          absl::StrCat(first_held->status.message(),
                       "\n(another op of the same graph failed too: ", e->status.message(), ")"));
      continue;
    }
    published.push_back(std::move(e));
  }
  counts_.errors.fetch_add(static_cast<int64_t>(published.size()), std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(mu_);
    // Errors become pending in the same step as the values fail, so that waitall can never
    // report an error before its values show it.
    for (ErrorPtr& e : published) unreported_.push_back(std::move(e));
    std::vector<std::vector<ValuePtr>> released;
    for (size_t i = 0; i < n; ++i) {
      Value& v = *task.outputs[i];
      v.task_.reset();
      if (buffers[i].has_value() && buffers[i]->storage() == nullptr && task.optional[i]) {
        // Computed inline without being stored: taken, computed again if something reads it.
        v.state_ = Value::State::kTaken;
        continue;
      } else if (buffers[i].has_value()) {
        v.buffer_ = std::move(*buffers[i]);
        v.state_ = Value::State::kRealized;
      } else {
        v.error_ = errors[i];
        v.state_ = Value::State::kFailed;
      }
      // Drop operands only after every result is stored: clearing may free pending values.
      released.push_back(std::move(v.operands_));
    }
    // The graph behind the outputs is released before anyone sees them computed (destroying
    // values takes no lock of the materializer).
    released.clear();
    task.leaves.clear();
    task.outputs.clear();
    task.graph.reset();
    ++finished_;
    recent_.push_back({task.started_ns, task.compiled_ns, task.finished_ns});
    if (recent_.size() > 256) recent_.pop_front();
  }
  done_cv_.notify_all();
}

void Materializer::WaitLocked(std::unique_lock<std::mutex>& lock,
                              absl::Span<const ValuePtr> values) {
  done_cv_.wait(lock, [&] {
    for (const ValuePtr& v : values) {
      if (v->state_ == Value::State::kQueued) return false;
    }
    return true;
  });
}

void Materializer::Drain() {
  std::unique_lock<std::mutex> lock(mu_);
  const int64_t target = submitted_;
  done_cv_.wait(lock, [&] { return finished_ >= target; });
}

void Materializer::Shutdown() {
  std::thread worker;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    // From here on, submissions run on their caller's thread (SubmitLocked).
    stopping_ = true;
    worker = std::move(worker_);
  }
  work_cv_.notify_all();
  if (worker.joinable()) worker.join();
  std::vector<ErrorPtr> never_reported;
  {
    std::lock_guard<std::mutex> lock(mu_);
    never_reported.swap(unreported_);
    for (const ErrorPtr& e : never_reported) e->reported = true;
  }
  for (const ErrorPtr& e : never_reported) {
    std::cerr << "ndjit: error never reported by an accessor (the program exited without reading "
                 "the arrays it reached or calling waitall): "
              << e->status.message() << "\n";
  }
  if (profiler::Tracing()) {
    const std::string path = profiler::TracePath();
    if (absl::Status s = profiler::StopTrace(); !s.ok()) {
      std::cerr << "ndjit: warning: NDJIT_PROFILE: " << s.message() << "\n";
    } else {
      std::cerr << "ndjit: wrote the trace " << path << "\n";
    }
  }
}

}  // namespace ndjit::runtime
