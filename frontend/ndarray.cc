// NDArray handles, blocking accessors and process-wide calls.
#include "ndjit/ndarray.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "frontend/builder.h"
#include "frontend/handle.h"
#include "ir/interpreter.h"
#include "ir/printer.h"
#include "ndjit/ndjit.h"
#include "runtime/buffer_pool.h"
#include "runtime/config.h"
#include "runtime/disk_cache.h"
#include "runtime/executor.h"
#include "runtime/materializer.h"

namespace ndjit {

using frontend::Fail;
using frontend::ValueOf;

NDArray::NDArray() = default;
NDArray::~NDArray() = default;
NDArray::NDArray(const NDArray&) = default;
NDArray& NDArray::operator=(const NDArray&) = default;
NDArray::NDArray(NDArray&&) noexcept = default;
NDArray& NDArray::operator=(NDArray&&) noexcept = default;
NDArray::NDArray(std::shared_ptr<runtime::Value> value)
    : handle_(frontend::Handle::New(std::move(value))) {}
NDArray::NDArray(std::shared_ptr<frontend::Handle> handle) : handle_(std::move(handle)) {}

std::shared_ptr<runtime::Value> NDArray::value() const {
  return handle_ == nullptr ? nullptr : handle_->Current();
}

namespace {
const std::vector<int64_t> kEmptyShape;

void RequireNonEmpty(const NDArray& a, const char* what) {
  if (a.is_none()) {
    throw ValueError(absl::StrCat(what, ": the NDArray is empty (default-constructed)"));
  }
}

// A blocking call, measured by the profiler from construction to Finish().
class BlockingCall {
 public:
  BlockingCall(const char* api, const SourceLocation& site) {
    wait_.api = api;
    wait_.site = ir::SourceLoc::From(site);
    wait_.start_ns = runtime::profiler::NowNs();
  }
  runtime::Caller caller() { return runtime::Caller{wait_.api, wait_.site, &wait_}; }
  runtime::profiler::Wait& wait() { return wait_; }
  // Records the call (also when an exception is on its way).
  ~BlockingCall() { runtime::Materializer::Get().RecordBlockingCall(wait_); }

 private:
  runtime::profiler::Wait wait_;
};

ir::HostTensor ReadOrThrow(const NDArray& a, BlockingCall& call, const SourceLocation& site) {
  const char* api = call.wait().api;
  const runtime::ValuePtr v = ValueOf(a, api, site);
  absl::StatusOr<ir::HostTensor> t = runtime::Materializer::Get().Read(v, call.caller());
  if (!t.ok()) frontend::ThrowStatus(api, t.status(), site);
  return *std::move(t);
}
}  // namespace

DType NDArray::dtype() const {
  RequireNonEmpty(*this, "dtype");
  return handle_->type().dtype;
}

const std::vector<int64_t>& NDArray::shape() const {
  RequireNonEmpty(*this, "shape");
  return handle_->type().shape;
}

int64_t NDArray::size() const { return ir::NumElements(shape()); }

std::string NDArray::created_at() const {
  RequireNonEmpty(*this, "created_at");
  return handle_->loc().ToString();
}

bool NDArray::is_computed() const {
  RequireNonEmpty(*this, "is_computed");
  return runtime::Materializer::Get().IsRealized(value());
}

HostArray NDArray::asnumpy(SourceLocation site) const {
  BlockingCall call("asnumpy", site);
  ir::HostTensor t = ReadOrThrow(*this, call, site);
  // The computed buffer is never written again: the result shares it until someone writes to
  // it (HostArray copies on its first mutable access). Only an empty array has no storage.
  if (t.storage() == nullptr) return HostArray(t.dtype(), t.shape());
  return HostArray(t.dtype(), t.shape(), t.storage());
}

NDArray::ScalarValue NDArray::ScalarAt(SourceLocation site) const {
  const runtime::ValuePtr v = ValueOf(*this, "asscalar", site);
  if (ir::NumElements(v->type().shape) != 1) {
    Fail<ValueError>("asscalar",
                     absl::StrCat("the array is not a scalar (it has ",
                                  ir::NumElements(v->type().shape), " elements)"),
                     {frontend::Describe(*this)}, site);
  }
  BlockingCall call("asscalar", site);
  ir::HostTensor t = ReadOrThrow(*this, call, site);
  const int64_t copy_start = runtime::profiler::NowNs();
  const ScalarValue out = IsFloat(t.dtype()) ? ScalarValue{true, ir::LoadAsDouble(t, 0), 0}
                                             : ScalarValue{false, 0.0, ir::LoadAsInt(t, 0)};
  call.wait().copy_ns += runtime::profiler::NowNs() - copy_start;
  return out;
}

void NDArray::wait_to_read(SourceLocation site) const {
  BlockingCall call("wait_to_read", site);
  const runtime::ValuePtr v = ValueOf(*this, "wait_to_read", site);
  absl::Status s = runtime::Materializer::Get().Materialize({v}, /*force=*/true, call.caller());
  if (!s.ok()) frontend::ThrowStatus("wait_to_read", s, site);
}

void NDArray::eval_async(SourceLocation site) const {
  const runtime::ValuePtr v = ValueOf(*this, "eval_async", site);
  absl::Status s = runtime::Materializer::Get().Submit({v}, /*force=*/true,
                                                       {"eval_async", ir::SourceLoc::From(site)},
                                                       runtime::FlushReason::kExplicit);
  if (!s.ok()) frontend::ThrowStatus("eval_async", s, site);
}

NDArray NDArray::astype(DType dtype, SourceLocation site) const {
  return nd::astype(*this, dtype, site);
}
NDArray NDArray::reshape(std::vector<int64_t> shape, SourceLocation site) const {
  // nd::reshape checks the shape and resolves -1; the view takes its shape.
  const NDArray checked = nd::reshape(*this, std::move(shape), site);
  return NDArray(frontend::Handle::View(handle_, checked.shape(), ir::SourceLoc::From(site)));
}
NDArray NDArray::transpose(std::vector<int64_t> axes, SourceLocation site) const {
  return nd::transpose(*this, std::move(axes), site);
}
NDArray NDArray::broadcast_to(std::vector<int64_t> shape, SourceLocation site) const {
  return nd::broadcast_to(*this, std::move(shape), site);
}
NDArray NDArray::slice(std::vector<Slice> slices, SourceLocation site) const {
  return nd::slice(*this, std::move(slices), site);
}
NDArray NDArray::sum(Axes axes, bool keepdims, SourceLocation site) const {
  return nd::sum(*this, std::move(axes), keepdims, site);
}
NDArray NDArray::mean(Axes axes, bool keepdims, SourceLocation site) const {
  return nd::mean(*this, std::move(axes), keepdims, site);
}
NDArray NDArray::max(Axes axes, bool keepdims, SourceLocation site) const {
  return nd::max(*this, std::move(axes), keepdims, site);
}
NDArray NDArray::min(Axes axes, bool keepdims, SourceLocation site) const {
  return nd::min(*this, std::move(axes), keepdims, site);
}
NDArray NDArray::argmax(std::optional<int64_t> axis, bool keepdims, SourceLocation site) const {
  return nd::argmax(*this, axis, keepdims, site);
}
NDArray NDArray::copy(SourceLocation site) const {
  const runtime::ValuePtr v = ValueOf(*this, "copy", site);
  return frontend::Wrap(
      frontend::Record(ir::Op::kCast, {v}, {}, v->type(), site));  // identity cast: a new node
}

void waitall(SourceLocation site) {
  BlockingCall call("waitall", site);
  absl::Status s = runtime::Materializer::Get().WaitAll(call.caller());
  if (!s.ok()) frontend::ThrowStatus("waitall", s, site);
}

void flush(SourceLocation site) {
  absl::Status s = runtime::Materializer::Get().Flush({"flush", ir::SourceLoc::From(site)},
                                                      runtime::FlushReason::kExplicit);
  if (!s.ok()) frontend::ThrowStatus("flush", s, site);
}

void set_flush_limits(int64_t max_nodes, int64_t max_bytes) {
  if (max_nodes < 0 || max_bytes < 0) {
    throw ValueError(absl::StrCat("set_flush_limits(", max_nodes, ", ", max_bytes,
                                  "): limits must be >= 0 (0: no limit)"));
  }
  runtime::Materializer::Get().SetLimits(max_nodes, max_bytes);
}

int64_t max_pending_nodes() { return runtime::Materializer::Get().max_pending_nodes(); }
int64_t max_pending_bytes() { return runtime::Materializer::Get().max_pending_bytes(); }

std::string pending_ir(const std::vector<NDArray>& arrays) {
  std::vector<runtime::ValuePtr> values;
  for (const NDArray& a : arrays) {
    RequireNonEmpty(a, "pending_ir");
    values.push_back(a.value());
  }
  std::unique_ptr<ir::Graph> g = runtime::Materializer::Get().PendingGraph(values);
  return ir::PrintGraph(*g);
}

// Every ndjit::Stats field comes from one row of the counter tables (runtime/*_counters.def,
// runtime/flush_reasons.def) or is one of the few below; a field added to Stats without either
// fails this check, and a row naming a field Stats lacks fails to compile.
constexpr size_t kStatsFromTables = 0
#define NDJIT_MATERIALIZER_COUNT(field, stats_field, doc) +1
#define NDJIT_MATERIALIZER_NANOS(field, stats_field, doc) +1
#include "runtime/materializer_counters.def"
#undef NDJIT_MATERIALIZER_COUNT
#undef NDJIT_MATERIALIZER_NANOS
#define NDJIT_EXECUTOR_COUNT(field, doc) +1
#define NDJIT_EXECUTOR_SECONDS(field, doc) +1
#define NDJIT_EXECUTOR_MAX(field, doc) +1
#include "runtime/executor_counters.def"
#undef NDJIT_EXECUTOR_COUNT
#undef NDJIT_EXECUTOR_SECONDS
#undef NDJIT_EXECUTOR_MAX
                                    + runtime::kNumFlushReasons;
// slowest_compile_seconds and _instrs, bytes_fresh, bytes_huge_pages, bytes_live, pending_nodes,
// pending_bytes.
constexpr size_t kStatsOthers = 7;
static_assert(sizeof(Stats) == 8 * (kStatsFromTables + kStatsOthers),
              "ndjit::Stats and the counter tables disagree: give the new field a table row");

Stats stats() {
  const runtime::Counters c = runtime::Materializer::Get().counters();
  const runtime::ExecutorCounters e = runtime::GetExecutorCounters();
  const runtime::BufferPoolStats p = runtime::BufferPool::Get().stats();
  Stats s;
#define NDJIT_MATERIALIZER_COUNT(field, stats_field, doc) s.stats_field = c.field;
#define NDJIT_MATERIALIZER_NANOS(field, stats_field, doc) \
  s.stats_field = static_cast<double>(c.field) * 1e-9;
#include "runtime/materializer_counters.def"
#undef NDJIT_MATERIALIZER_COUNT
#undef NDJIT_MATERIALIZER_NANOS
#define NDJIT_EXECUTOR_COUNT(field, doc) s.field = e.field;
#define NDJIT_EXECUTOR_SECONDS(field, doc) s.field = e.field;
#define NDJIT_EXECUTOR_MAX(field, doc) s.field = e.field;
#include "runtime/executor_counters.def"
#undef NDJIT_EXECUTOR_COUNT
#undef NDJIT_EXECUTOR_SECONDS
#undef NDJIT_EXECUTOR_MAX
#define NDJIT_FLUSH_REASON(Enum, name, stats_field) \
  s.stats_field = c.flushes[static_cast<int>(runtime::FlushReason::Enum)];
#include "runtime/flush_reasons.def"
#undef NDJIT_FLUSH_REASON
  s.slowest_compile_seconds = e.slowest_compile_seconds;
  s.slowest_compile_instrs = e.slowest_compile_instrs;
  s.bytes_fresh = p.bytes_fresh;
  s.bytes_huge_pages = p.huge_page_bytes;
  s.bytes_live = p.live_bytes;
  s.pending_nodes = runtime::Materializer::Get().pending_nodes();
  s.pending_bytes = runtime::Materializer::Get().pending_bytes();
  return s;
}

void reset_stats() {
  // Work in flight would otherwise add to the counters after the reset.
  runtime::Materializer::Get().Drain();
  runtime::Materializer::Get().ResetCounters();
  runtime::ResetExecutorCounters();
  runtime::BufferPool::Get().ResetStats();
}

void set_backend(const std::string& name) {
  const absl::Status s = runtime::SetBackend(name);
  if (!s.ok()) throw ValueError(absl::StrCat("set_backend: ", s.message()));
}

std::string backend() { return runtime::BackendName(runtime::GetConfig().backend); }

void set_eager(bool eager) { runtime::SetEager(eager); }

bool eager() { return runtime::GetConfig().eager; }

void set_num_threads(int n) {
  const absl::Status s = runtime::SetNumThreads(n);
  if (!s.ok()) throw ValueError(std::string(s.message()));
}

int num_threads() { return runtime::GetConfig().num_threads; }

void set_flags(const std::string& flags) {
  const absl::Status s = runtime::SetFlags(flags);
  if (!s.ok()) throw ValueError(absl::StrCat("set_flags: ", s.message()));
}

std::string flags() { return runtime::GetConfig().flags; }

void set_dump_dir(const std::string& dir) { runtime::SetDumpDir(dir); }

std::string dump_dir() { return runtime::GetConfig().dump_dir; }

void set_cache(bool enabled) { runtime::SetCacheEnabled(enabled); }

bool cache_enabled() { return runtime::GetCacheSettings().enabled; }

void set_cache_dir(const std::string& dir) { runtime::SetCacheDir(dir); }

std::string cache_dir() { return runtime::GetCacheSettings().root; }

void set_cache_max_bytes(int64_t max_bytes) {
  const absl::Status s = runtime::SetCacheMaxBytes(max_bytes);
  if (!s.ok()) throw ValueError(absl::StrCat("set_cache_max_bytes: ", s.message()));
}

int64_t cache_max_bytes() { return runtime::GetCacheSettings().max_bytes; }

}  // namespace ndjit
