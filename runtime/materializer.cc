// Materialization and the asynchronous engine (see materializer.h): recording and its limits,
// flushes, the accessors and the attribution of their blocking time, and the counters. What a
// flush takes is collect.cc's, running tasks engine.cc's, evaluating them evaluate.cc's.
#include "runtime/materializer.h"

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "codegen/cpu/cpu_backend.h"
#include "ir/status_macros.h"
#include "runtime/compile_log.h"
#include "runtime/materializer_internal.h"

namespace ndjit::runtime {

const char* FlushReasonName(FlushReason reason) {
  switch (reason) {
#define NDJIT_FLUSH_REASON(Enum, name, stats_field) \
  case FlushReason::Enum:                           \
    return name;
#include "runtime/flush_reasons.def"
#undef NDJIT_FLUSH_REASON
  }
  return "?";
}

namespace {

constexpr int64_t kDefaultMaxPendingNodes = 16384;
constexpr int64_t kDefaultMaxPendingBytes = int64_t{4} << 30;

// A positive integer from the environment, or `fallback` (with a warning for a bad value).
int64_t LimitFromEnv(const char* variable, int64_t fallback) {
  const char* text = std::getenv(variable);
  if (text == nullptr || *text == '\0') return fallback;
  int64_t value = 0;
  if (absl::SimpleAtoi(text, &value) && value >= 0) return value;
  std::cerr << "ndjit: warning: " << variable << "=\"" << text
            << "\": expected a non-negative integer (0: no limit); using " << fallback << "\n";
  return fallback;
}

// The first line of a message, for short references to an error reported before.
std::string FirstLine(absl::string_view text) {
  return std::string(text.substr(0, text.find('\n')));
}

// Overlap of [a0, a1] with [b0, b1].
int64_t Overlap(int64_t a0, int64_t a1, int64_t b0, int64_t b1) {
  return std::max<int64_t>(0, std::min(a1, b1) - std::max(a0, b0));
}

// A "flush" trace event for a submitted task (none without a task or a trace).
void TraceFlush(const Task* task, const Caller& caller, int64_t start_ns) {
  if (task == nullptr || !profiler::Tracing()) return;
  profiler::AddEvent("flush", FlushReasonName(task->reason), start_ns, profiler::NowNs(),
                     {{"task", task->id},
                      {"nodes", task->nodes},
                      {"api", caller.api},
                      {"site", profiler::SiteText(caller.site)}});
}

}  // namespace

Materializer::Materializer()
    : max_nodes_(LimitFromEnv("NDJIT_MAX_PENDING_NODES", kDefaultMaxPendingNodes)),
      max_bytes_(LimitFromEnv("NDJIT_MAX_PENDING_BYTES", kDefaultMaxPendingBytes)) {
  if (const char* trace = std::getenv("NDJIT_PROFILE"); trace != nullptr && *trace != '\0') {
    profiler::StartTrace(trace);
  }
  // Every compile and disk load is an event of the trace, with its reason.
  SetCompileObserver([](const CompileRecord& r) {
    if (!profiler::Tracing()) return;
    const int64_t end = profiler::NowNs();
    profiler::AddEvent("compile",
                       absl::StrCat(r.loaded ? "load " : "compile ", r.backend, " @", r.kernel),
                       end - static_cast<int64_t>(r.seconds * 1e9), end,
                       {{"reason", std::string(CompileReasonName(r.reason))},
                        {"detail", r.detail},
                        {"site", r.site}});
  });
}

Materializer& Materializer::Get() {
  // Never destroyed (handles may outlive static destructors); at exit the worker finishes its
  // queue and unreported errors are logged.
  static Materializer* instance = [] {
    auto* m = new Materializer();
    // LLVM's exit-time state first, so that the shutdown below runs before it is destroyed.
    codegen::cpu::PrepareForExit();
    std::atexit(materializer_internal::ShutdownAtExit);
    return m;
  }();
  return *instance;
}

void Materializer::SetLimits(int64_t max_nodes, int64_t max_bytes) {
  max_nodes_.store(max_nodes, std::memory_order_relaxed);
  max_bytes_.store(max_bytes, std::memory_order_relaxed);
}

void Materializer::ForgetPending(int64_t bytes) {
  pending_nodes_.fetch_sub(1, std::memory_order_relaxed);
  pending_bytes_.fetch_sub(bytes, std::memory_order_relaxed);
}

void Materializer::OnPendingLeft(const Value& v) {
  if (!v.counted_) return;
  const_cast<Value&>(v).counted_ = false;
  ForgetPending(PendingBytes(v.op(), v.type()));
}

ValuePtr Materializer::Record(ir::Op op, ir::TensorType type, std::vector<ValuePtr> operands,
                              ir::Attrs attrs, ir::SourceLoc loc, Device device) {
  const bool tracing = profiler::Tracing();
  const int64_t start = tracing ? profiler::NowNs() : 0;
  const int64_t bytes = PendingBytes(op, type);
  if (device.is_gpu()) gpu_values_recorded_.store(true, std::memory_order_relaxed);
  ValuePtr v =
      Value::Pending(op, std::move(type), std::move(operands), std::move(attrs), loc, device);
  v->counted_ = true;
  const int64_t nodes = pending_nodes_.fetch_add(1, std::memory_order_relaxed) + 1;
  const int64_t total_bytes = pending_bytes_.fetch_add(bytes, std::memory_order_relaxed) + bytes;
  counts_.values_recorded.fetch_add(1, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(registry_mu_);
    registry_.push_back(v);
    if (registry_.size() >= prune_at_) {
      std::erase_if(registry_, [](const std::weak_ptr<Value>& w) { return w.expired(); });
      prune_at_ = std::max<size_t>(1024, registry_.size() * 2);
    }
  }
  if (tracing) profiler::AddEvent("record", ir::OpName(op), start, profiler::NowNs());
  const int64_t max_nodes = max_nodes_.load(std::memory_order_relaxed);
  const int64_t max_bytes = max_bytes_.load(std::memory_order_relaxed);
  const bool over_nodes = max_nodes > 0 && nodes >= max_nodes;
  const bool over_bytes = max_bytes > 0 && total_bytes >= max_bytes;
  if ((over_nodes || over_bytes) && !auto_flushing_.exchange(true)) {
    // Errors here are internal (recording built an invalid graph); the accessor that needs the
    // values meets them again.
    (void)Flush({"auto-flush", loc},
                over_nodes ? FlushReason::kNodeLimit : FlushReason::kByteLimit);
    auto_flushing_.store(false);
  }
  return v;
}

absl::Status Materializer::Submit(absl::Span<const ValuePtr> values, bool force,
                                  const Caller& caller, FlushReason reason) {
  const int64_t start = profiler::NowNs();
  Submission submitted;
  {
    std::unique_lock<std::mutex> lock(mu_);
    submitted = SubmitLocked(values, force, caller, reason, /*inline_if_idle=*/false, lock);
  }
  TraceFlush(submitted.task.get(), caller, start);
  if (submitted.run_here) RunInline(*submitted.task);  // after Shutdown: synchronously
  return submitted.status;
}

absl::Status Materializer::Flush(const Caller& caller, FlushReason reason) {
  std::vector<ValuePtr> live;
  {
    std::lock_guard<std::mutex> lock(registry_mu_);
    for (const std::weak_ptr<Value>& w : registry_) {
      if (ValuePtr v = w.lock()) live.push_back(std::move(v));
    }
    registry_.clear();
    prune_at_ = 1024;
  }
  {
    // Only pending values need a flush; values taken by a task that is still running are
    // computed there (the references that keep them alive are that task's operand lists).
    std::lock_guard<std::mutex> lock(mu_);
    std::erase_if(live, [](const ValuePtr& v) { return v->state_ != Value::State::kPending; });
  }
  // Values that only the registry kept alive are gone once `live` is; the others are stored or
  // computed inside the task. Values recorded meanwhile by other threads stay registered.
  bool devices = false;
  for (const ValuePtr& v : live) devices = devices || v->device().is_gpu();
  if (!devices) return Submit(live, /*force=*/false, caller, reason);
  // With work for a GPU: one submission per device (GPUs first, the host last), so that each
  // device's intermediates stay inside its own task, and then whatever constant-only values no
  // device's work took (held weakly meanwhile, so that a device task does not store them as if
  // something else read them).
  std::map<Device, std::vector<ValuePtr>> by_device;
  std::vector<std::weak_ptr<Value>> anywhere;
  for (ValuePtr& v : live) {
    if (v->device().is_any()) {
      anywhere.push_back(v);
    } else {
      by_device[v->device()].push_back(std::move(v));
    }
  }
  live.clear();
  absl::Status status;
  for (auto it = by_device.rbegin(); it != by_device.rend(); ++it) {
    const absl::Status s = Submit(it->second, /*force=*/false, caller, reason);
    if (status.ok()) status = s;
    it->second.clear();
  }
  std::vector<ValuePtr> rest;
  for (const std::weak_ptr<Value>& w : anywhere) {
    if (ValuePtr v = w.lock()) rest.push_back(std::move(v));
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::erase_if(rest, [](const ValuePtr& v) { return v->state_ != Value::State::kPending; });
  }
  if (!rest.empty()) {
    const absl::Status s = Submit(rest, /*force=*/false, caller, reason);
    if (status.ok()) status = s;
  }
  return status;
}

absl::Status Materializer::ReportLocked(const Value& v, bool need_value) {
  const ErrorPtr& e = v.error_;
  if (!e->reported) {
    e->reported = true;
    std::erase(unreported_, e);
    return e->status;
  }
  if (!need_value) return absl::OkStatus();
  return absl::Status(
      e->status.code(),
      absl::StrCat("the array has no value: computing it failed, and that error was already "
                   "reported (",
                   FirstLine(e->status.message()), ")"));
}

namespace {
// The record a blocking call fills in: the accessor's own, or `local` started now.
profiler::Wait& WaitRecord(const Caller& caller, profiler::Wait* local) {
  if (caller.wait != nullptr) return *caller.wait;
  local->api = caller.api;
  local->site = caller.site;
  local->start_ns = profiler::NowNs();
  return *local;
}
}  // namespace

absl::Status Materializer::Materialize(absl::Span<const ValuePtr> values, bool force,
                                       const Caller& caller) {
  profiler::Wait local;
  profiler::Wait& wait = WaitRecord(caller, &local);
  const int64_t collect_start = wait.start_ns;  // what the accessor did before is negligible
  std::vector<std::shared_ptr<Task>> tasks;
  std::unique_lock<std::mutex> lock(mu_);
  for (const ValuePtr& v : values) {
    if (v->state_ != Value::State::kRealized && v->state_ != Value::State::kFailed) {
      wait.waited = true;
    }
  }
  Submission submitted =
      SubmitLocked(values, force, caller, caller.reason, /*inline_if_idle=*/true, lock);
  TraceFlush(submitted.task.get(), caller, collect_start);
  const int64_t wait_start = profiler::NowNs();
  wait.collect_ns += wait_start - collect_start;
  if (!submitted.status.ok()) return submitted.status;
  for (const ValuePtr& v : values) {
    if (v->state_ == Value::State::kQueued &&
        std::find(tasks.begin(), tasks.end(), v->task_) == tasks.end()) {
      tasks.push_back(v->task_);
    }
  }
  if (submitted.run_here) {
    submitted.task->started_ns = wait_start;  // this thread starts it now
    lock.unlock();
    RunInline(*submitted.task);
    lock.lock();
  }
  WaitLocked(lock, values);
  // A value that was queued as another task's optional output may have come back unstored
  // (taken): ask for it again, as this call's own request.
  for (const ValuePtr& v : values) {
    if (force && (v->state_ == Value::State::kTaken || v->state_ == Value::State::kPending)) {
      lock.unlock();
      Caller again = caller;
      again.wait = &wait;
      absl::Status s = Materialize(values, force, again);
      if (caller.wait == nullptr) RecordBlockingCall(wait);
      return s;
    }
  }
  const int64_t wait_end = profiler::NowNs();
  // Time attribution: the own tasks' compile and run phases inside the wait; the rest of the
  // wait went to earlier tasks (queued).
  int64_t compile = 0, run = 0;
  for (const std::shared_ptr<Task>& t : tasks) {
    compile += Overlap(wait_start, wait_end, t->started_ns, t->compiled_ns);
    run += Overlap(wait_start, wait_end, t->compiled_ns, t->finished_ns);
  }
  wait.compile_ns += compile;
  wait.run_ns += run;
  wait.queued_ns += std::max<int64_t>(0, wait_end - wait_start - compile - run);
  // One error is reported per call (the first unreported one); others stay pending.
  absl::Status result;
  for (const ValuePtr& v : values) {
    if (v->state_ == Value::State::kFailed && !v->error_->reported) {
      result = ReportLocked(*v, /*need_value=*/false);
      break;
    }
  }
  lock.unlock();
  if (caller.wait == nullptr) RecordBlockingCall(wait, wait_end);
  return result;
}

absl::StatusOr<ir::HostTensor> Materializer::Read(const ValuePtr& value, const Caller& caller) {
  RETURN_IF_ERROR(Materialize({value}, /*force=*/true, caller));
  std::lock_guard<std::mutex> lock(mu_);
  if (value->state_ == Value::State::kFailed) return ReportLocked(*value, /*need_value=*/true);
  return *value->buffer_;
}

void Materializer::RecordBlockingCall(const profiler::Wait& wait, int64_t end_ns) {
  const int64_t end = end_ns >= 0 ? end_ns : profiler::NowNs();
  counts_.blocking_calls.fetch_add(1, std::memory_order_relaxed);
  if (wait.waited) counts_.blocking_waits.fetch_add(1, std::memory_order_relaxed);
  counts_.blocked_ns.fetch_add(end - wait.start_ns, std::memory_order_relaxed);
  profiler::RecordWait(wait, end);
}

bool Materializer::IsRealized(const ValuePtr& value) {
  std::lock_guard<std::mutex> lock(mu_);
  return value->state_ == Value::State::kRealized;
}

absl::Status Materializer::WaitAll(const Caller& caller) {
  profiler::Wait local;
  profiler::Wait& wait = WaitRecord(caller, &local);
  const int64_t collect_start = wait.start_ns;
  absl::Status status = Flush(caller, FlushReason::kWaitAll);
  const int64_t wait_start = profiler::NowNs();
  wait.collect_ns += wait_start - collect_start;
  std::unique_lock<std::mutex> lock(mu_);
  const int64_t target = submitted_;
  if (finished_ < target) wait.waited = true;
  done_cv_.wait(lock, [&] { return finished_ >= target; });
  const int64_t wait_end = profiler::NowNs();
  // Everything the engine did meanwhile was for this call.
  int64_t compile = 0, run = 0;
  for (const Phases& p : recent_) {
    compile += Overlap(wait_start, wait_end, p.started_ns, p.compiled_ns);
    run += Overlap(wait_start, wait_end, p.compiled_ns, p.finished_ns);
  }
  wait.compile_ns += compile;
  wait.run_ns += run;
  wait.queued_ns += std::max<int64_t>(0, wait_end - wait_start - compile - run);
  if (status.ok() && !unreported_.empty()) {
    // MXNet's rule: the first pending error is thrown, every other one is cleared.
    status = unreported_.front()->status;
    if (unreported_.size() > 1) {
      status =
          absl::Status(status.code(), absl::StrCat(status.message(), "\n(", unreported_.size() - 1,
                                                   " more pending error",
                                                   unreported_.size() > 2 ? "s" : "", " cleared)"));
    }
    for (const ErrorPtr& e : unreported_) e->reported = true;
    unreported_.clear();
  }
  lock.unlock();
  if (caller.wait == nullptr) RecordBlockingCall(wait);
  return status;
}

Counters Materializer::counters() {
  Counters c;
#define NDJIT_MATERIALIZER_COUNT(field, stats_field, doc) c.field = counts_.field.load();
#define NDJIT_MATERIALIZER_NANOS(field, stats_field, doc) c.field = counts_.field.load();
#include "runtime/materializer_counters.def"
#undef NDJIT_MATERIALIZER_COUNT
#undef NDJIT_MATERIALIZER_NANOS
  for (int i = 0; i < kNumFlushReasons; ++i) c.flushes[i] = counts_.flushes[i].load();
  return c;
}

void Materializer::ResetCounters() {
#define NDJIT_MATERIALIZER_COUNT(field, stats_field, doc) counts_.field.store(0);
#define NDJIT_MATERIALIZER_NANOS(field, stats_field, doc) counts_.field.store(0);
#include "runtime/materializer_counters.def"
#undef NDJIT_MATERIALIZER_COUNT
#undef NDJIT_MATERIALIZER_NANOS
  for (std::atomic<int64_t>& f : counts_.flushes) f.store(0);
}

}  // namespace ndjit::runtime
