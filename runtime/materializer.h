// Materialization and the asynchronous engine: computes the pending values an accessor needs.
//
// Recording a value (Record) only appends a node. A flush collects the pending subgraph of some
// values on the calling thread (stopping at values that are computed or already queued, which
// become `input` leaves) and hands it to the engine as one task; the caller goes on at once.
// Realized values drop their operands, releasing the graph behind them.
//
// Store policy: what is stored is decided by what is read, not by what is named. A task stores
// the values its accessor asks for. A value of the subgraph that something outside it references
// (a live handle, a C++ temporary of the same full expression, or pending work not in this
// request) is *named*; by its recompute cone (the ops back to stored or computed values):
//  * no expensive op (reduction, argreduce, scan, matmul, gather, random draw) and at most 32
//    elementary ops per element: left *taken*. The task computes it inline where its consumers
//    need it, and a later graph that reads it computes it again from its operands, which it
//    keeps alive (values are immutable, so in-place writes to those operands after it was
//    recorded do not change it). So `(a * b + c).asnumpy()` and a chain of named elementwise
//    intermediates are one kernel.
//  * one expensive op and a short cheap chain: an optional output, stored only where the kernel
//    that computes it anyway can store it too (passes::PlanFusion); otherwise taken.
//  * more (two expensive ops, a long chain): stored, a frontier that keeps what later graphs
//    compute again bounded.
// ndjit::flush() and waitall() keep MXNet's meaning: they store every value a live handle names.
//
// The engine is one background worker that runs tasks in submission order (the kernels
// themselves run on the OpenMP threads; an accessor that finds the engine idle runs its own
// task on its thread instead of handing it over and waiting): it optimizes the graph
// (passes::DefaultPipeline with NDJIT_FLAGS), evaluates it with the configured backend (compiled
// kernels, or the reference interpreter with NDJIT_BACKEND=interp; see config.h) and stores the
// results. Because tasks run in order, a task's queued leaves are computed before it starts;
// MXNet's per-variable read/write order holds because values are immutable and in-place ops rebind
// handles (frontend/handle.h).
//
// Accessors (Read, Materialize, WaitAll) flush what they need and block until it is computed.
// Each blocking call is measured (profiler.h): time spent collecting, queued behind other tasks,
// compiling and running its own task.
//
// Errors: a task that fails is evaluated again op by op, so that only the values downstream of a
// failing op fail; they share one DeferredError. The first accessor on any of them reports it,
// once; WaitAll reports the first unreported error and clears the rest; errors never reported are
// logged at exit. Eager mode (NDJIT_EAGER=1) computes each op at its call.
//
// Bounded graphs: when the values recorded but not yet flushed exceed the node or byte limit
// (NDJIT_MAX_PENDING_NODES, NDJIT_MAX_PENDING_BYTES), the recording call flushes every live
// pending value under the store policy above, and the flush's reason is counted (and traced).
// The byte limit counts only the results the policy would store (reductions, matmuls, ...):
// an elementwise chain over a huge iota costs no bytes until something reads it.
//
// Every entry point is thread-safe; recording never waits for the engine.
#ifndef NDJIT_RUNTIME_MATERIALIZER_H_
#define NDJIT_RUNTIME_MATERIALIZER_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "ir/graph.h"
#include "ir/host_tensor.h"
#include "runtime/config.h"
#include "runtime/profiler.h"
#include "runtime/value.h"

namespace ndjit::runtime {

// Why a flush happened (counted per reason, and named in traces): flush_reasons.def.
enum class FlushReason : uint8_t {
#define NDJIT_FLUSH_REASON(Enum, name, stats_field) Enum,
#include "runtime/flush_reasons.def"
#undef NDJIT_FLUSH_REASON
};
inline constexpr int kNumFlushReasons = 0
#define NDJIT_FLUSH_REASON(Enum, name, stats_field) +1
#include "runtime/flush_reasons.def"
#undef NDJIT_FLUSH_REASON
    ;
const char* FlushReasonName(FlushReason reason);

// Counters for tests and tools (materializer_counters.def says what each counts);
// monotonically increasing until Reset.
struct Counters {
#define NDJIT_MATERIALIZER_COUNT(field, stats_field, doc) int64_t field = 0;
#define NDJIT_MATERIALIZER_NANOS(field, stats_field, doc) int64_t field = 0;
#include "runtime/materializer_counters.def"
#undef NDJIT_MATERIALIZER_COUNT
#undef NDJIT_MATERIALIZER_NANOS
  int64_t flushes[kNumFlushReasons] = {};  // flushes that submitted a task, by reason
};

// Who asked: the accessor and the user's call site (for dumps, errors and the profiler), and the
// record of this blocking call that the materializer fills in.
struct Caller {
  const char* api = "materialize";
  ir::SourceLoc site;
  profiler::Wait* wait = nullptr;
  FlushReason reason = FlushReason::kAccessor;  // counted for Materialize's flush
};

class Materializer {
 public:
  // The process-wide instance (its worker is drained and joined at exit).
  static Materializer& Get();

  // Records a new pending value (and remembers it for WaitAll and flushes). May flush every live
  // pending value when the limits are reached.
  // `device` as for Value::Pending.
  ValuePtr Record(ir::Op op, ir::TensorType type, std::vector<ValuePtr> operands, ir::Attrs attrs,
                  ir::SourceLoc loc, Device device);

  // Hands the pending graph of `values` to the engine and returns at once. With `force` false,
  // a value of `values` is stored only if something besides `values` and the subgraph references
  // it (and, unless `reason` is kExplicit or kWaitAll, the store policy stores it). An error here
  // is an internal one (recording produced an invalid graph); errors of the computation are
  // deferred onto the values.
  absl::Status Submit(absl::Span<const ValuePtr> values, bool force, const Caller& caller,
                      FlushReason reason);
  // Submits every live pending value (non-forced); returns at once.
  absl::Status Flush(const Caller& caller, FlushReason reason);

  // Computes `values` and blocks until they are ready. A deferred error on one of them that was
  // not reported yet is returned (and marked reported); one reported before is not.
  absl::Status Materialize(absl::Span<const ValuePtr> values, bool force = true,
                           const Caller& caller = {});
  // Computes `value` if needed and returns its buffer (shared, must not be written). A value
  // whose computation failed is an error: the deferred error if it is not reported yet,
  // otherwise one saying that the value does not exist.
  absl::StatusOr<ir::HostTensor> Read(const ValuePtr& value, const Caller& caller = {});
  // Computes every pending value that a live handle can still reach, waits until the engine is
  // idle, and returns the first unreported error (marking every error reported).
  absl::Status WaitAll(const Caller& caller = {});
  bool IsRealized(const ValuePtr& value);
  // Blocks until every task submitted so far has finished (pending values stay pending).
  void Drain();
  // Counts a finished blocking call and hands it to the profiler (accessors that pass their own
  // Caller::wait call this once they are done, after copying).
  // `end_ns`: when the call ended, if the caller just read the clock (else it is read here).
  void RecordBlockingCall(const profiler::Wait& wait, int64_t end_ns = -1);

  // The pending graph the values need, as it would be evaluated now (computed and queued values
  // appear as `input` leaves). For dumps and the demo; computes nothing.
  std::unique_ptr<ir::Graph> PendingGraph(absl::Span<const ValuePtr> values);

  // Limits of the pending graph (<= 0: no limit).
  void SetLimits(int64_t max_nodes, int64_t max_bytes);
  int64_t max_pending_nodes() const { return max_nodes_.load(std::memory_order_relaxed); }
  int64_t max_pending_bytes() const { return max_bytes_.load(std::memory_order_relaxed); }
  // Values recorded and not flushed yet (with their result bytes), alive.
  int64_t pending_nodes() const { return pending_nodes_.load(std::memory_order_relaxed); }
  int64_t pending_bytes() const { return pending_bytes_.load(std::memory_order_relaxed); }

  Counters counters();
  void ResetCounters();

  // Waits for every submitted task, logs errors nobody reported, and stops the worker. Runs at
  // exit; later submissions run synchronously on the calling thread.
  void Shutdown();

 private:
  friend class Value;
  struct Collected;
  Materializer();
  Collected Collect(absl::Span<const ValuePtr> values);
  // Pending values among `values` and their operands that belong to another device's task than
  // the one `values` start (see SubmitLocked). Caller holds mu_.
  std::vector<ValuePtr> DeviceBoundary(absl::Span<const ValuePtr> values);
  std::atomic<bool> gpu_values_recorded_{false};
  // Iterative post-order walk from `roots` through the operand lists of the values `interior`
  // accepts: `leaf(v)` once for every other value reached, `visit(v)` for every interior value
  // after its operands (false stops the walk). Chains of any length are fine. Caller holds mu_.
  // Each walk has a new number; a value reached by it has its scratch (Value::walk_) reset and
  // numbered, so a value's scratch is the current walk's exactly when its number matches.
  template <typename Interior, typename Leaf, typename Visit>
  void WalkPostOrder(absl::Span<const ValuePtr> roots, Interior interior, Leaf leaf, Visit visit);
  uint64_t walks_ = 0;  // the number of the last walk; guarded by mu_
  // Builds the task of a collected graph (deciding what it stores: the store policy's one
  // owner), marks its outputs queued and enqueues it; or, with `inline_if_idle` and an idle
  // engine (or after Shutdown), hands it back with `run_here` set: the caller must then run it
  // with RunInline. `lock` holds mu_.
  struct Submission;
  Submission SubmitLocked(absl::Span<const ValuePtr> values, bool force, const Caller& caller,
                          FlushReason reason, bool inline_if_idle,
                          std::unique_lock<std::mutex>& lock);
  void WorkerLoop();
  // Evaluates a task: a buffer or an error per output, and the errors it created. May throw
  // (allocation); RunTask catches.
  void ComputeTask(Task& task, std::vector<std::optional<ir::HostTensor>>* buffers,
                   std::vector<ErrorPtr>* errors, std::vector<ErrorPtr>* created);
  // Runs a task on the calling thread in the engine's place (mu_ not held).
  void RunInline(Task& task);
  void RunTask(Task& task);
  // Optimizes and evaluates a task's graph (writing dumps when NDJIT_DUMP_DIR is set).
  absl::StatusOr<std::vector<ir::HostTensor>> Evaluate(Task& task, const Config& config,
                                                       absl::Span<const ir::HostTensor> inputs);
  // Evaluate, with an escaping exception (std::bad_alloc) turned into an error.
  absl::StatusOr<std::vector<ir::HostTensor>> GuardedEvaluate(
      Task& task, const Config& config, absl::Span<const ir::HostTensor> inputs);
  // After a failure: evaluates the task's values one op at a time, so that each failing op gets
  // its own error and values that do not depend on it are computed. Fills one entry per output
  // and adds the errors it created to `created`.
  void EvaluateOpByOp(Task& task, const Config& config, const absl::Status& first_failure,
                      std::vector<std::optional<ir::HostTensor>>* buffers,
                      std::vector<ErrorPtr>* errors, std::vector<ErrorPtr>* created);
  // Blocks until every value is realized or failed (caller holds `lock` on mu_).
  void WaitLocked(std::unique_lock<std::mutex>& lock, absl::Span<const ValuePtr> values);
  // The error to report for a failed value (caller holds mu_).
  absl::Status ReportLocked(const Value& v, bool need_value);
  void OnPendingLeft(const Value& v);
  // The bytes a pending value counts toward the byte limit.
  static int64_t PendingBytes(ir::Op op, const ir::TensorType& type);
  void ForgetPending(int64_t bytes);
  bool PrepareDumpDir(const std::string& dir);

  // Guards every value's state and the queue; held while collecting, never while running.
  std::mutex mu_;
  std::condition_variable work_cv_;  // the worker waits for tasks
  std::condition_variable done_cv_;  // accessors wait for tasks to finish
  std::deque<std::shared_ptr<Task>> queue_;
  std::thread worker_;
  bool stopping_ = false;
  bool busy_ = false;      // a task is running (on the worker, or inline on an accessor's thread)
  int64_t submitted_ = 0;  // tasks submitted / finished (ids are 1-based)
  int64_t finished_ = 0;
  // Errors not reported yet, oldest first.
  std::vector<ErrorPtr> unreported_;
  // Phases of the last finished tasks (started, compiled, finished), for WaitAll's attribution.
  struct Phases {
    int64_t started_ns, compiled_ns, finished_ns;
  };
  std::deque<Phases> recent_;

  struct AtomicCounters {
#define NDJIT_MATERIALIZER_COUNT(field, stats_field, doc) std::atomic<int64_t> field{0};
#define NDJIT_MATERIALIZER_NANOS(field, stats_field, doc) std::atomic<int64_t> field{0};
#include "runtime/materializer_counters.def"
#undef NDJIT_MATERIALIZER_COUNT
#undef NDJIT_MATERIALIZER_NANOS
    std::atomic<int64_t> flushes[kNumFlushReasons] = {};
  };
  AtomicCounters counts_;

  std::atomic<int64_t> max_nodes_;
  std::atomic<int64_t> max_bytes_;
  std::atomic<int64_t> pending_nodes_{0};
  std::atomic<int64_t> pending_bytes_{0};
  std::atomic<bool> auto_flushing_{false};

  // Dumps (used by the running task; tasks run one at a time): the directory in use, whether it
  // can be written, and the last dump's number.
  std::string dump_dir_;
  bool dump_dir_ok_ = false;
  int64_t dumps_ = 0;
  // Every recorded value, for WaitAll and flushes; expired entries are pruned as it grows.
  std::mutex registry_mu_;
  std::vector<std::weak_ptr<Value>> registry_;
  size_t prune_at_ = 1024;
};

}  // namespace ndjit::runtime

#endif  // NDJIT_RUNTIME_MATERIALIZER_H_
