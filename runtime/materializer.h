// Materialization: computes the pending values an accessor needs.
//
// Given the values a caller wants, the materializer collects their pending subgraph (stopping at
// realized values, which become `input` leaves), builds one ir::Graph, runs the default pass
// pipeline over it (passes::DefaultPipeline, with NDJIT_FLAGS), evaluates it with the configured
// backend (compiled kernels by default, the reference interpreter with NDJIT_BACKEND=interp; see
// config.h), and stores the results. Every pending value in that subgraph that is referenced from
// outside it (a live handle, or a pending value not in this request) is stored too, so a value
// shared by several arrays is computed once. Realized values drop their operands.
//
// All of this runs under one process-wide lock: handles may be used from several threads. The
// asynchronous engine (issue #6) replaces the synchronous call with a queue behind the same
// interface.
#ifndef NDJIT_RUNTIME_MATERIALIZER_H_
#define NDJIT_RUNTIME_MATERIALIZER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "ir/graph.h"
#include "ir/host_tensor.h"
#include "runtime/value.h"

namespace ndjit::runtime {

// Counters for tests and tools; monotonically increasing until Reset.
struct Counters {
  int64_t values_recorded = 0;   // pending values created
  int64_t materializations = 0;  // graphs evaluated
  int64_t nodes_evaluated = 0;   // non-leaf nodes computed
  // Non-input nodes of the collected graphs before and after the pass pipeline (what folding,
  // simplification, cse and dce removed is the difference).
  int64_t nodes_before_passes = 0;
  int64_t nodes_after_passes = 0;
};

// Who asked for a materialization: the accessor and the user's call site (for dumps, and later
// the profiler).
struct Caller {
  const char* api = "materialize";
  ir::SourceLoc site;
};

class Materializer {
 public:
  // The process-wide instance.
  static Materializer& Get();

  // Records a new pending value (and remembers it for WaitAll).
  ValuePtr Record(ir::Op op, ir::TensorType type, std::vector<ValuePtr> operands, ir::Attrs attrs,
                  ir::SourceLoc loc);

  // Computes every pending value in `values` (and what they need). With `force` false, a value
  // of `values` is stored only if something besides `values` and the subgraph references it.
  absl::Status Materialize(absl::Span<const ValuePtr> values, bool force = true,
                           const Caller& caller = {});
  // Computes `value` if needed and returns its buffer (shared, must not be written).
  absl::StatusOr<ir::HostTensor> Read(const ValuePtr& value, const Caller& caller = {});
  // Computes every pending value that a live handle can still reach.
  absl::Status WaitAll(const Caller& caller = {});
  bool IsRealized(const ValuePtr& value);

  // The pending graph the values need, as it would be evaluated now (realized values appear as
  // `input` leaves). For dumps and the demo; computes nothing.
  std::unique_ptr<ir::Graph> PendingGraph(absl::Span<const ValuePtr> values);

  Counters counters();
  void ResetCounters();

 private:
  struct Collected;
  Collected Collect(absl::Span<const ValuePtr> values);
  // Optimizes and evaluates a collected graph (writing dumps when NDJIT_DUMP_DIR is set).
  absl::StatusOr<std::vector<ir::HostTensor>> Evaluate(Collected& c, const Caller& caller);

  // Held while collecting and evaluating; recording never takes it, so ops return at once
  // even while another thread materializes.
  std::mutex mu_;
  std::atomic<int64_t> values_recorded_{0};
  std::atomic<int64_t> materializations_{0};
  std::atomic<int64_t> nodes_evaluated_{0};
  std::atomic<int64_t> nodes_before_passes_{0};
  std::atomic<int64_t> nodes_after_passes_{0};
  bool PrepareDumpDir(const std::string& dir);
  // The dump directory in use, whether it can be written, and the last dump's number (guarded
  // by mu_).
  std::string dump_dir_;
  bool dump_dir_ok_ = false;
  int64_t dumps_ = 0;
  // Every recorded value, for WaitAll; expired and realized entries are pruned as it grows.
  std::mutex registry_mu_;
  std::vector<std::weak_ptr<Value>> registry_;
  size_t prune_at_ = 1024;
};

}  // namespace ndjit::runtime

#endif  // NDJIT_RUNTIME_MATERIALIZER_H_
