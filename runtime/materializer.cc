// Materialization and the asynchronous engine (see materializer.h).
#include "runtime/materializer.h"

#include <algorithm>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <new>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ir/interpreter.h"
#include "ir/status_macros.h"
#include "passes/fusion.h"
#include "passes/pipeline.h"
#include "passes/split_reductions.h"
#include "runtime/compile_log.h"
#include "runtime/config.h"
#include "runtime/executor.h"
#include "runtime/optimized_graphs.h"
#if NDJIT_HAVE_CUDA
#include "runtime/cuda/cuda_backend.h"
#endif

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
  // The GPU its values are on (-1: the CPU); -2 when they are on two different devices (never:
  // SubmitLocked splits tasks at device boundaries; an internal error if it happens).
  int device = -1;
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

const char* FlushReasonName(FlushReason reason) {
  switch (reason) {
    case FlushReason::kAccessor:
      return "accessor";
    case FlushReason::kExplicit:
      return "flush";
    case FlushReason::kWaitAll:
      return "waitall";
    case FlushReason::kNodeLimit:
      return "node limit";
    case FlushReason::kByteLimit:
      return "byte limit";
    case FlushReason::kEager:
      return "eager";
  }
  return "?";
}

namespace {

absl::Status WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  out.close();
  if (!out) return absl::UnavailableError(absl::StrCat("cannot write the dump file ", path));
  return absl::OkStatus();
}

// The files of one dumped materialization besides the pipeline's graphs: a one-line summary,
// and for the cpu backend the split graph (when split-reductions changed it), the fusion plan,
// the schedule and the kernel IR, and the kernels' LLVM IR.
absl::Status DumpExecution(const ir::Graph& graph, const Config& config,
                           const ExecuteOptions& execute, const Caller& caller,
                           int64_t nodes_before, int64_t nodes_after, const std::string& prefix) {
  std::string kernels_line;
  if (config.backend == Backend::kCpu) {
    DescribeOptions describe;
    describe.execute = execute;
    describe.llvm_ir = true;
    describe.cuda = !execute.backend_key.empty();  // a GPU task: its CUDA source too
    absl::StatusOr<KernelsDescription> described = DescribeKernels(graph, describe);
    if (described.ok()) {
      const KernelsDescription& d = *described;
      if (!d.split_graph.empty()) {
        RETURN_IF_ERROR(WriteFile(prefix + "split-reductions.ir", d.split_graph));
      }
      std::string text = absl::StrCat("// fusion plan\n", d.fusion, "\n// ", d.schedule);
      std::string llvm;
      for (const KernelReport& k : d.kernels) {
        absl::StrAppend(&text, "\n", k.kernel_ir);
        absl::StrAppend(&llvm, "; kernel @", k.name, "\n", k.llvm_ir, "\n");
      }
      RETURN_IF_ERROR(WriteFile(prefix + "kernels.txt", text));
      RETURN_IF_ERROR(WriteFile(prefix + "llvm.ll", llvm));
      if (describe.cuda) RETURN_IF_ERROR(WriteFile(prefix + "cuda.cu", d.cuda_program));
      kernels_line =
          absl::StrCat(", ", d.kernels.size(), d.kernels.size() == 1 ? " kernel" : " kernels");
    } else {
      // The run itself may still succeed (with the unfused retry); the dump says what failed.
      RETURN_IF_ERROR(
          WriteFile(prefix + "kernels.txt", absl::StrCat("// describing the fused kernels failed: ",
                                                         described.status().message(), "\n")));
      kernels_line = ", fused kernels failed to compile";
    }
  }
  const std::string site = caller.site.known() ? caller.site.ToString() : "an unknown call site";
  return WriteFile(
      prefix + "summary.txt",
      absl::StrCat(caller.api, " at ", site, ": ", nodes_before, " nodes, ", nodes_after,
                   " after passes", kernels_line, ", backend ", BackendName(config.backend), "\n"));
}

}  // namespace

// Creates the directory on first use and numbers this process's dumps after the ones it already
// holds (so that a second run never mixes its files with stale ones). Called by the running
// task (one at a time).
bool Materializer::PrepareDumpDir(const std::string& dir) {
  if (dir == dump_dir_) return dump_dir_ok_;
  dump_dir_ = dir;
  dump_dir_ok_ = false;
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) {
    std::cerr << "ndjit: warning: dump directory " << dir << ": cannot create it ("
              << error.message() << "); no dumps are written\n";
    return false;
  }
  int64_t last = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    const std::string name = entry.path().filename().string();
    const size_t dot = name.find('.');
    int64_t number = 0;
    if (dot != std::string::npos && absl::SimpleAtoi(name.substr(0, dot), &number)) {
      last = std::max(last, number);
    }
  }
  if (last > 0) {
    std::cerr << "ndjit: warning: dump directory " << dir << " already holds dumps up to "
              << absl::StrFormat("%04d", last) << "; this run's are numbered after them\n";
  }
  dumps_ = last;
  dump_dir_ok_ = true;
  return true;
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

void ShutdownAtExit() { Materializer::Get().Shutdown(); }

// Exit handlers and static destructors run in reverse order of registration and construction.
// The first compiled graph constructs LLVM's lazy statics (the JIT, its library handles);
// registering the shutdown again after it makes the worker stop before they are destroyed.
void RegisterShutdownAfterJit() {
  static std::once_flag once;
  std::call_once(once, [] { std::atexit(ShutdownAtExit); });
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

// Evaluates a graph (already optimized, or a single op) with the configured backend.
absl::StatusOr<std::vector<ir::HostTensor>> RunBackend(const ir::Graph& graph,
                                                       absl::Span<const ir::HostTensor> inputs,
                                                       const Config& config,
                                                       const ExecuteOptions& execute,
                                                       int64_t* nodes_evaluated) {
  if (config.backend == Backend::kInterp) {
    ir::InterpretStats stats;
    absl::StatusOr<std::vector<ir::HostTensor>> results = ir::Interpret(graph, inputs, &stats);
    *nodes_evaluated = stats.nodes_evaluated;
    return results;
  }
  *nodes_evaluated = graph.num_nodes() - graph.num_inputs();
  absl::StatusOr<std::vector<ir::HostTensor>> results = ExecuteCompiled(graph, inputs, execute);
  RegisterShutdownAfterJit();
  return results;
}

// An exception escaping the layers below (they return Status; allocation can still throw)
// becomes the task's error instead of ending the worker thread.
absl::Status ExceptionStatus(const std::exception& e) {
  if (dynamic_cast<const std::bad_alloc*>(&e) != nullptr) {
    return absl::ResourceExhaustedError(
        "out of memory while computing the graph (an allocation failed)");
  }
  return absl::InternalError(absl::StrCat("an exception escaped the engine: ", e.what()));
}

// Kernels of values on GPU `device` run there (the interpreter backend, a debugging aid, still
// interprets them on the host).
absl::Status UseDevice(int device, const Config& config, ExecuteOptions* execute) {
  if (device == -1 || config.backend == Backend::kInterp) return absl::OkStatus();
  if (device < -1) {
    return absl::InternalError(
        "ndjit put values of two devices into one task (please report); SubmitLocked splits "
        "tasks at device boundaries");
  }
#if NDJIT_HAVE_CUDA
  absl::StatusOr<KernelBackend> backend = cuda::DeviceBackend(device);
  if (!backend.ok()) return backend.status();
  execute->backend = *std::move(backend);
  execute->backend_key = absl::StrCat("cuda:", device);
  return absl::OkStatus();
#else
  (void)execute;
  return absl::FailedPreconditionError("this build of ndjit has no CUDA backend");
#endif
}

ExecuteOptions ExecuteOptionsFor(const Config& config) {
  ExecuteOptions execute;
  execute.num_threads = config.num_threads;
  execute.split_reductions = !config.pipeline.disabled(passes::SplitReductions::kName);
  execute.schedule = config.pipeline.schedule;
  return execute;
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
    std::atexit(ShutdownAtExit);
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

int64_t Materializer::PendingBytes(ir::Op op, const ir::TensorType& type) {
  // Only the values a flush would store count: the ones that are expensive to compute again
  // (see RecomputeCost). Leaves, views and elementwise values are stored only when an accessor
  // asks for them (or a long chain of them is named), so they cost nothing until then.
  return RecomputeCost(op) > kMaxRecomputeCost ? ir::SizeBytes(type) : 0;
}

void Materializer::OnPendingLeft(const Value& v) {
  if (!v.counted_) return;
  const_cast<Value&>(v).counted_ = false;
  ForgetPending(PendingBytes(v.op(), v.type()));
}

ValuePtr Materializer::Record(ir::Op op, ir::TensorType type, std::vector<ValuePtr> operands,
                              ir::Attrs attrs, ir::SourceLoc loc, int device) {
  const bool tracing = profiler::Tracing();
  const int64_t start = tracing ? profiler::NowNs() : 0;
  const int64_t bytes = PendingBytes(op, type);
  if (device >= 0) gpu_values_recorded_.store(true, std::memory_order_relaxed);
  ValuePtr v =
      Value::Pending(op, std::move(type), std::move(operands), std::move(attrs), loc, device);
  v->counted_ = true;
  const int64_t nodes = pending_nodes_.fetch_add(1, std::memory_order_relaxed) + 1;
  const int64_t total_bytes = pending_bytes_.fetch_add(bytes, std::memory_order_relaxed) + bytes;
  values_recorded_.fetch_add(1, std::memory_order_relaxed);
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
  int device = kAnyDevice;
  for (const ValuePtr& v : values) {
    if (pending(v.get()) && v->device() != kAnyDevice) {
      device = v->device();
      break;
    }
  }
  if (device == kAnyDevice) return {};  // constants only: one task
  std::vector<ValuePtr> out;
  absl::flat_hash_set<const Value*> seen, added;
  std::vector<Value*> stack;
  auto elsewhere = [&](Value* v) {
    if (added.insert(v).second) out.push_back(v->shared_from_this());
  };
  for (const ValuePtr& v : values) {
    if (!pending(v.get()) || !seen.insert(v.get()).second) continue;
    if (v->device() != kAnyDevice && v->device() != device) {
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
      if (o->device() != kAnyDevice && o->device() != v->device() && v->device() != kAnyDevice) {
        elsewhere(o.get());
      } else if (seen.insert(o.get()).second) {
        stack.push_back(o.get());
      }
    }
  }
  return out;
}

std::shared_ptr<Task> Materializer::SubmitLocked(absl::Span<const ValuePtr> values, bool force,
                                                 const Caller& caller, FlushReason reason,
                                                 bool inline_if_idle, bool* run_here,
                                                 std::unique_lock<std::mutex>& lock,
                                                 absl::Status* status) {
  *run_here = false;
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
      bool run_first = false;
      std::shared_ptr<Task> first =
          SubmitLocked({b}, /*force=*/true, caller, reason,
                       /*inline_if_idle=*/false, &run_first, lock, status);
      if (!status->ok()) return nullptr;
      if (run_first) {  // only after Shutdown
        lock.unlock();
        RunInline(*first);
        lock.lock();
      }
    }
  }
  Collected c = Collect(values);
  *status = c.status;
  if (!c.status.ok() || c.pending.empty()) return nullptr;
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
    return nullptr;
  }
  // What can throw comes before any state changes (a value left queued would never finish).
  if (!stopping_ && !worker_.joinable()) worker_ = std::thread([this] { WorkerLoop(); });
  auto task = std::make_shared<Task>();
  task->id = ++submitted_;
  task->api = caller.api;
  task->site = caller.site;
  task->reason = reason;
  task->nodes = static_cast<int64_t>(c.pending.size());
  int device = kAnyDevice;
  for (Value* v : c.pending) {
    if (v->device() == kAnyDevice || v->device() == device) continue;
    device = device == kAnyDevice ? v->device() : -2;
    if (device == -2) break;
  }
  task->device = device == kAnyDevice ? -1 : device;
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
  flushes_[static_cast<int>(reason)].fetch_add(1, std::memory_order_relaxed);
  if (stopping_ || (inline_if_idle && queue_.empty() && !busy_)) {
    // The caller runs it: after Shutdown, or when the engine is idle and the caller is going
    // to wait for it anyway (no hand-off to the worker thread and back). Later tasks queue
    // behind it while `busy_` is set.
    // (Only while stopping can the engine be busy or hold queued tasks here: they run first.)
    done_cv_.wait(lock, [&] { return queue_.empty() && !busy_; });
    busy_ = true;
    *run_here = true;
    return task;
  }
  queue_.push_back(task);
  work_cv_.notify_one();
  return task;
}

absl::Status Materializer::Submit(absl::Span<const ValuePtr> values, bool force,
                                  const Caller& caller, FlushReason reason) {
  const int64_t start = profiler::NowNs();
  absl::Status status;
  std::shared_ptr<Task> task;
  bool run_here = false;
  {
    std::unique_lock<std::mutex> lock(mu_);
    task = SubmitLocked(values, force, caller, reason, /*inline_if_idle=*/false, &run_here, lock,
                        &status);
  }
  TraceFlush(task.get(), caller, start);
  if (run_here) RunInline(*task);  // after Shutdown: synchronously
  return status;
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
  for (const ValuePtr& v : live) devices = devices || v->device() >= 0;
  if (!devices) return Submit(live, /*force=*/false, caller, reason);
  // With work for a GPU: one submission per device (GPUs first, the host last), so that each
  // device's intermediates stay inside its own task, and then whatever constant-only values no
  // device's work took (held weakly meanwhile, so that a device task does not store them as if
  // something else read them).
  std::map<int, std::vector<ValuePtr>> by_device;
  std::vector<std::weak_ptr<Value>> anywhere;
  for (ValuePtr& v : live) {
    if (v->device() == kAnyDevice) {
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
    op_by_op_retries_.fetch_add(1, std::memory_order_relaxed);
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
  materializations_.fetch_add(1, std::memory_order_relaxed);
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
  errors_created_.fetch_add(static_cast<int64_t>(published.size()), std::memory_order_relaxed);
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

absl::StatusOr<std::vector<ir::HostTensor>> Materializer::GuardedEvaluate(
    Task& task, const Config& config, absl::Span<const ir::HostTensor> inputs) {
  try {
    return Evaluate(task, config, inputs);
  } catch (const std::exception& e) {
    return ExceptionStatus(e);
  }
}

absl::StatusOr<std::vector<ir::HostTensor>> Materializer::Evaluate(
    Task& task, const Config& config, absl::Span<const ir::HostTensor> inputs) {
  ir::Graph& graph = *task.graph;
  passes::PipelineOptions options = config.pipeline;
  // Dumps never change what the program computes: a directory that cannot be written is a
  // warning on standard error, once, and the computation goes on.
  const std::string dir = !config.dump_dir.empty() ? config.dump_dir : config.pipeline.dump_dir;
  std::string prefix;
  if (!dir.empty() && PrepareDumpDir(dir)) {
    prefix = absl::StrFormat("%04d.", ++dumps_);
    options.dump_dir = dir;
    options.dump_prefix = prefix;
  } else {
    options.dump_dir.clear();
  }
  const int64_t before = graph.num_nodes() - graph.num_inputs();
  ExecuteOptions execute = ExecuteOptionsFor(config);
  RETURN_IF_ERROR(UseDevice(task.device, config, &execute));
  execute.on_compiled = [&task] { task.compiled_ns = profiler::NowNs(); };
  execute.optional_outputs = task.optional;
  int64_t evaluated = 0;

  // A graph optimized before runs its stored optimized form. An error from it is not reported:
  // the work is done again below on this graph, whose call sites are the user's.
  OptimizedGraphs& optimized_graphs = OptimizedGraphs::Get();
  const OptimizedGraphs::Key key = OptimizedGraphs::KeyFor(graph, options);
  if (std::shared_ptr<const OptimizedGraphs::Entry> entry = optimized_graphs.Find(graph, key)) {
    if (config.backend == Backend::kInterp) task.compiled_ns = profiler::NowNs();
    execute.structural_hash = entry->optimized_hash;
    absl::StatusOr<std::vector<ir::HostTensor>> results =
        RunBackend(*entry->optimized, inputs, config, execute, &evaluated);
    execute.structural_hash = 0;  // what follows runs another graph
    if (results.ok()) {
      const ir::Graph& optimized = *entry->optimized;
      nodes_before_passes_.fetch_add(before, std::memory_order_relaxed);
      nodes_after_passes_.fetch_add(optimized.num_nodes() - optimized.num_inputs(),
                                    std::memory_order_relaxed);
      graphs_reused_.fetch_add(1, std::memory_order_relaxed);
      nodes_evaluated_.fetch_add(evaluated, std::memory_order_relaxed);
      return results;
    }
    task.compiled_ns = 0;
  }
  std::unique_ptr<const ir::Graph> recorded;
  if (optimized_graphs.SeenBefore(key)) recorded = graph.Clone();
  passes::Pipeline pipeline = passes::DefaultPipeline(options);
  absl::Status optimized = pipeline.Run(graph);
  if (!optimized.ok()) {
    return absl::InternalError(absl::StrCat("optimizing the graph: ", optimized.message()));
  }
  if (recorded != nullptr) optimized_graphs.Add(key, std::move(recorded), graph.Clone());
  const int64_t after = graph.num_nodes() - graph.num_inputs();
  nodes_before_passes_.fetch_add(before, std::memory_order_relaxed);
  nodes_after_passes_.fetch_add(after, std::memory_order_relaxed);
  if (!prefix.empty()) {
    // Written before the kernels run, so that a crash still leaves them.
    Caller caller{task.api, task.site};
    if (absl::Status s =
            DumpExecution(graph, config, execute, caller, before, after, dir + "/" + prefix);
        !s.ok()) {
      std::cerr << "ndjit: warning: " << s.message() << "\n";
    }
  }
  if (config.backend == Backend::kInterp) task.compiled_ns = profiler::NowNs();
  absl::StatusOr<std::vector<ir::HostTensor>> results =
      RunBackend(graph, inputs, config, execute, &evaluated);
  nodes_evaluated_.fetch_add(evaluated, std::memory_order_relaxed);
  return results;
}

void Materializer::EvaluateOpByOp(Task& task, const Config& config,
                                  const absl::Status& first_failure,
                                  std::vector<std::optional<ir::HostTensor>>* buffers,
                                  std::vector<ErrorPtr>* errors, std::vector<ErrorPtr>* created) {
  ExecuteOptions execute = ExecuteOptionsFor(config);
  // Without its device, every op of the task fails with the device's error (never computed
  // elsewhere).
  const absl::Status device = UseDevice(task.device, config, &execute);
  // The values to compute (pending ones inside the task and its outputs) in topological order,
  // and what is known of the others.
  std::vector<Value*> order;
  absl::flat_hash_map<Value*, ir::HostTensor> computed;
  absl::flat_hash_map<Value*, ErrorPtr> failed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // Everything not computed yet is computed here from its operands (a value of this task, or
    // one a later flush collected again meanwhile).
    WalkPostOrder(
        task.outputs,
        [](const Value* v) {
          return v->state_ != Value::State::kRealized && v->state_ != Value::State::kFailed;
        },
        [&](Value* v) {
          if (v->state_ == Value::State::kRealized) {
            computed[v] = *v->buffer_;
          } else {
            failed[v] = v->error_;
          }
        },
        [&](Value* v) {
          order.push_back(v);
          return true;
        });
  }
  for (Value* v : order) {
    ErrorPtr inherited;
    for (const ValuePtr& o : v->operands_) {
      if (auto it = failed.find(o.get()); it != failed.end()) {
        inherited = it->second;
        break;
      }
    }
    if (inherited) {
      failed[v] = inherited;
      continue;
    }
    // A graph of this one op over its operands' buffers.
    ir::Graph g("op");
    std::vector<ir::HostTensor> inputs;
    std::vector<ir::Node*> operands;
    absl::flat_hash_map<Value*, ir::Node*> input_of;
    for (const ValuePtr& o : v->operands_) {
      auto [it, inserted] = input_of.try_emplace(o.get(), nullptr);
      if (inserted) {
        it->second = g.AddInput(o->type(), o->loc());
        inputs.push_back(computed.at(o.get()));
      }
      operands.push_back(it->second);
    }
    absl::StatusOr<ir::Node*> node = g.AddNode(v->op(), operands, v->attrs(), v->type(), v->loc());
    absl::Status status = node.status();
    if (status.ok() && !device.ok()) status = device;
    if (status.ok()) {
      g.AddOutput(*node);
      int64_t evaluated = 0;
      absl::StatusOr<std::vector<ir::HostTensor>> result;
      try {
        result = RunBackend(g, inputs, config, execute, &evaluated);
      } catch (const std::exception& e) {
        result = ExceptionStatus(e);
      }
      nodes_evaluated_.fetch_add(evaluated, std::memory_order_relaxed);
      if (result.ok()) {
        computed[v] = std::move((*result)[0]);
        continue;
      }
      status = result.status();
    }
    std::string message(status.message());
    if (!first_failure.ok() && first_failure.message() != status.message()) {
      absl::StrAppend(&message, "\n(the fused graph of ", task.nodes,
                      " nodes failed first: ", first_failure.message(), ")");
    }
    auto e = std::make_shared<DeferredError>();
    e->status = absl::Status(status.code(), message);
    failed[v] = e;
    created->push_back(e);
  }
  for (size_t i = 0; i < task.outputs.size(); ++i) {
    Value* v = task.outputs[i].get();
    if (auto it = computed.find(v); it != computed.end()) {
      (*buffers)[i] = it->second;
    } else {
      (*errors)[i] = failed.at(v);
    }
  }
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
  absl::Status status;
  std::shared_ptr<Task> submitted;
  bool run_here = false;
  std::vector<std::shared_ptr<Task>> tasks;
  std::unique_lock<std::mutex> lock(mu_);
  for (const ValuePtr& v : values) {
    if (v->state_ != Value::State::kRealized && v->state_ != Value::State::kFailed) {
      wait.waited = true;
    }
  }
  submitted = SubmitLocked(values, force, caller, caller.reason, /*inline_if_idle=*/true, &run_here,
                           lock, &status);
  TraceFlush(submitted.get(), caller, collect_start);
  const int64_t wait_start = profiler::NowNs();
  wait.collect_ns += wait_start - collect_start;
  if (!status.ok()) return status;
  for (const ValuePtr& v : values) {
    if (v->state_ == Value::State::kQueued &&
        std::find(tasks.begin(), tasks.end(), v->task_) == tasks.end()) {
      tasks.push_back(v->task_);
    }
  }
  if (run_here) {
    submitted->started_ns = wait_start;  // this thread starts it now
    lock.unlock();
    RunInline(*submitted);
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
  blocking_calls_.fetch_add(1, std::memory_order_relaxed);
  if (wait.waited) blocking_waits_.fetch_add(1, std::memory_order_relaxed);
  blocked_ns_.fetch_add(end - wait.start_ns, std::memory_order_relaxed);
  profiler::RecordWait(wait, end);
}

void Materializer::Drain() {
  std::unique_lock<std::mutex> lock(mu_);
  const int64_t target = submitted_;
  done_cv_.wait(lock, [&] { return finished_ >= target; });
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

std::unique_ptr<ir::Graph> Materializer::PendingGraph(absl::Span<const ValuePtr> values) {
  std::lock_guard<std::mutex> lock(mu_);
  Collected c = Collect(values);
  for (const ValuePtr& v : values) {
    if (ir::Node* n = c.NodeOf(v.get()); n != nullptr) c.graph->AddOutput(n);
  }
  return std::move(c.graph);
}

Counters Materializer::counters() {
  Counters c;
  c.values_recorded = values_recorded_.load();
  c.materializations = materializations_.load();
  c.nodes_evaluated = nodes_evaluated_.load();
  c.nodes_before_passes = nodes_before_passes_.load();
  c.nodes_after_passes = nodes_after_passes_.load();
  c.graphs_reused = graphs_reused_.load();
  for (int i = 0; i < kNumFlushReasons; ++i) c.flushes[i] = flushes_[i].load();
  c.op_by_op_retries = op_by_op_retries_.load();
  c.errors = errors_created_.load();
  c.blocking_calls = blocking_calls_.load();
  c.blocking_waits = blocking_waits_.load();
  c.blocked_ns = blocked_ns_.load();
  return c;
}

void Materializer::ResetCounters() {
  values_recorded_.store(0);
  materializations_.store(0);
  nodes_evaluated_.store(0);
  nodes_before_passes_.store(0);
  nodes_after_passes_.store(0);
  graphs_reused_.store(0);
  for (auto& f : flushes_) f.store(0);
  op_by_op_retries_.store(0);
  errors_created_.store(0);
  blocking_calls_.store(0);
  blocking_waits_.store(0);
  blocked_ns_.store(0);
}

}  // namespace ndjit::runtime
