// Compiled execution of a graph (see executor.h).
#include "runtime/executor.h"

#include <algorithm>
#include <atomic>
#include <cassert>
#include <chrono>
#include <exception>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "codegen/cpu/cpu_backend.h"
#include "ir/printer.h"
#include "ir/status_macros.h"
#include "ir/structural.h"
#include "runtime/buffer_pool.h"
#include "runtime/compile_log.h"
#include "runtime/disk_cache.h"

#if defined(NDJIT_HAVE_OPENMP)
#include <omp.h>
#endif

namespace ndjit::runtime {

namespace {

// Scalar iterations below which a kernel runs on the calling thread only.
constexpr int64_t kParallelWork = int64_t{1} << 18;

// The atomics behind ExecutorCounters (executor_counters.def): times in nanoseconds.
struct Counters {
#define NDJIT_EXECUTOR_COUNT(field, doc) std::atomic<int64_t> field{0};
#define NDJIT_EXECUTOR_SECONDS(field, doc) std::atomic<int64_t> field{0};
#define NDJIT_EXECUTOR_MAX(field, doc) std::atomic<int64_t> field{0};
#include "runtime/executor_counters.def"
#undef NDJIT_EXECUTOR_COUNT
#undef NDJIT_EXECUTOR_SECONDS
#undef NDJIT_EXECUTOR_MAX
  // The slowest single compile and that kernel's size, kept as a pair.
  std::mutex slowest_mu;
  int64_t slowest_compile_ns = 0, slowest_compile_instrs = 0;
};

void RaiseTo(std::atomic<int64_t>& to, int64_t v) {
  int64_t seen = to.load(std::memory_order_relaxed);
  while (seen < v && !to.compare_exchange_weak(seen, v, std::memory_order_relaxed)) {
  }
}
Counters& counters() {
  static auto* c = new Counters();
  return *c;
}

class KernelCache {
 public:
  static KernelCache& Get() {
    static auto* cache = new KernelCache();
    return *cache;
  }

  // The code of each of `kernels`: from memory, else from the disk cache, else compiled (and
  // stored there). Distinct misses are loaded or compiled in parallel on up to `threads` threads
  // (the calling one included); a text that occurs twice, or that another thread is compiling
  // already, is compiled once. `unfused_retry`: the kernels of the op-by-op rerun of a graph
  // whose fused kernels failed (a compile reason).
  std::vector<absl::StatusOr<codegen::cpu::KernelFn>> FindAll(
      absl::Span<const ir::Kernel* const> kernels, int threads, bool unfused_retry) {
    using Result = absl::StatusOr<codegen::cpu::KernelFn>;
    std::vector<Result> out(kernels.size(), codegen::cpu::KernelFn{nullptr});
    std::vector<std::string> keys(kernels.size());
    absl::flat_hash_map<std::string, int> first_miss;  // key -> index into `misses`
    std::vector<Miss> misses;                          // one per distinct key this call compiles
    std::vector<int> miss_of(kernels.size(), -1);
    // Kernels another call is compiling: their index and that call's result.
    std::vector<std::pair<size_t, std::shared_future<Result>>> elsewhere;
    const std::string& identity = codegen::cpu::CodeIdentity();
    {
      for (size_t i = 0; i < kernels.size(); ++i) {
        keys[i] = absl::StrCat(identity, "\n", ir::PrintKernel(*kernels[i]));
      }
      std::lock_guard<std::mutex> lock(mu_);
      for (size_t i = 0; i < kernels.size(); ++i) {
        if (auto it = kernels_.find(keys[i]); it != kernels_.end()) {
          counters().kernel_cache_hits.fetch_add(1, std::memory_order_relaxed);
          out[i] = it->second;
          continue;
        }
        if (auto it = in_flight_.find(keys[i]); it != in_flight_.end()) {
          elsewhere.emplace_back(i, it->second);
          continue;
        }
        auto [it, inserted] = first_miss.try_emplace(keys[i], static_cast<int>(misses.size()));
        if (inserted) {
          Miss miss{i, SymbolLocked(kernels[i]->name, keys[i]), {}};
          in_flight_.emplace(keys[i], miss.done.get_future().share());
          misses.push_back(std::move(miss));
        }
        miss_of[i] = it->second;
      }
    }
    const bool disk = !misses.empty() && DiskCache::Cpu().Active();
    std::vector<Result> compiled(misses.size(), codegen::cpu::KernelFn{nullptr});
    std::atomic<size_t> next{0};
    auto work = [&] {
      for (size_t m = next.fetch_add(1); m < misses.size(); m = next.fetch_add(1)) {
        const size_t i = misses[m].index;
        // Nothing may escape a helper thread (it would end the process): an allocation failure
        // becomes this kernel's error, and the plan is retried unfused like any failed compile.
        try {
          compiled[m] = Resolve(*kernels[i], keys[i], keys[i].substr(identity.size() + 1),
                                misses[m].symbol, disk && !misses[m].symbol.empty(), unfused_retry);
        } catch (const std::exception& e) {
          compiled[m] = absl::ResourceExhaustedError(
              absl::StrCat("compiling kernel @", kernels[i]->name, ": ", e.what()));
        }
        Finish(keys[i], compiled[m], misses[m].done);
      }
    };
    const size_t workers = std::min(misses.size(), static_cast<size_t>(std::max(threads, 1)));
    std::vector<std::thread> helpers;
    for (size_t t = 1; t < workers; ++t) helpers.emplace_back(work);
    work();
    for (std::thread& t : helpers) t.join();
    for (size_t i = 0; i < kernels.size(); ++i) {
      if (miss_of[i] >= 0) out[i] = compiled[miss_of[i]];
    }
    for (auto& [i, result] : elsewhere) {
      out[i] = result.get();
      counters().kernel_cache_hits.fetch_add(1, std::memory_order_relaxed);
    }
    return out;
  }

 private:
  struct Miss {
    size_t index;        // into the kernels of FindAll
    std::string symbol;  // empty: a unique one (no disk cache for this kernel)
    std::promise<absl::StatusOr<codegen::cpu::KernelFn>> done;  // for calls waiting on this one
  };

  // The kernel's symbol, a function of its key: "ndjit_<name>_h<hash of the key>", the same in
  // every process, so that an object from the disk cache links under the name it was compiled
  // with. Two keys with one hash (never seen, but possible) would share a symbol: the second gets
  // a unique one and bypasses the disk cache.
  std::string SymbolLocked(const std::string& name, const std::string& key) {
    std::string symbol = absl::StrFormat("ndjit_%s_h%016x", name, Fnv1a(key));
    auto [it, inserted] = symbol_keys_.try_emplace(symbol, key);
    if (!inserted && it->second != key) return {};
    return symbol;
  }

  // Publishes a result to the calls waiting on it; a kernel that compiled is in kernels_ then.
  void Finish(const std::string& key, const absl::StatusOr<codegen::cpu::KernelFn>& result,
              std::promise<absl::StatusOr<codegen::cpu::KernelFn>>& done) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (result.ok()) kernels_.try_emplace(key, *result);
      in_flight_.erase(key);
    }
    done.set_value(result);
  }

  absl::StatusOr<codegen::cpu::KernelFn> Resolve(const ir::Kernel& kernel, const std::string& key,
                                                 std::string text, const std::string& symbol,
                                                 bool disk, bool unfused_retry) {
    if (disk) {
      const auto start = std::chrono::steady_clock::now();
      if (std::optional<std::string> object = DiskCache::Cpu().Load(key); object.has_value()) {
        absl::StatusOr<codegen::cpu::KernelFn> fn = codegen::cpu::LoadObject(*object, symbol);
        if (fn.ok()) {
          const int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                 std::chrono::steady_clock::now() - start)
                                 .count();
          counters().kernels_loaded.fetch_add(1, std::memory_order_relaxed);
          counters().load_seconds.fetch_add(ns, std::memory_order_relaxed);
          NoteCompile(kernel, std::move(text), "cpu", unfused_retry, /*loaded=*/true,
                      static_cast<double>(ns) * 1e-9);
          return *fn;
        }
        DiskCache::Cpu().Reject(key, std::string(fn.status().message()));
      }
    }
    codegen::cpu::CompileOptions options;
    options.symbol = symbol;
    options.keep_object = disk;
    absl::StatusOr<codegen::cpu::CompiledKernel> compiled = codegen::cpu::Compile(kernel, options);
    if (!compiled.ok() && !symbol.empty()) {
      // A rejected object whose remains could not be removed from the JIT would hold the name:
      // compile under a fresh one, kept out of the disk cache.
      options.symbol.clear();
      options.keep_object = disk = false;
      absl::StatusOr<codegen::cpu::CompiledKernel> again = codegen::cpu::Compile(kernel, options);
      if (again.ok()) compiled = std::move(again);
    }
    if (!compiled.ok()) return compiled.status();
    counters().kernels_compiled.fetch_add(1, std::memory_order_relaxed);
    const int64_t ns = static_cast<int64_t>(compiled->compile_seconds * 1e9);
    counters().compile_seconds.fetch_add(ns, std::memory_order_relaxed);
    {
      Counters& c = counters();
      std::lock_guard<std::mutex> slowest(c.slowest_mu);
      if (ns > c.slowest_compile_ns) {
        c.slowest_compile_ns = ns;
        c.slowest_compile_instrs = static_cast<int64_t>(kernel.instrs.size());
      }
    }
    if (disk) DiskCache::Cpu().Store(key, Describe(kernel, *compiled), compiled->object);
    NoteCompile(kernel, std::move(text), "cpu", unfused_retry, /*loaded=*/false,
                compiled->compile_seconds);
    return compiled->fn;
  }

  // What `ndjit-inspect cache list` shows of an entry: the kernel's name, the call sites of its
  // nodes, its size and how long it took to compile.
  static std::string Describe(const ir::Kernel& kernel,
                              const codegen::cpu::CompiledKernel& compiled) {
    std::vector<std::string> sites;
    for (const std::string& note : kernel.notes) {
      const size_t at = note.rfind(" at ");
      if (at == std::string::npos) continue;
      std::string site = note.substr(at + 4);
      if (std::find(sites.begin(), sites.end(), site) == sites.end()) {
        sites.push_back(std::move(site));
      }
    }
    return absl::StrFormat("kernel %s\ninstructions %d\ncompile_ms %.1f\nsites %s\n", kernel.name,
                           kernel.instrs.size(), compiled.compile_seconds * 1e3,
                           sites.empty() ? "-" : absl::StrJoin(sites, ", "));
  }

  std::mutex mu_;
  absl::flat_hash_map<std::string, codegen::cpu::KernelFn> kernels_;
  // Keys being compiled by some call, and the result they will have.
  absl::flat_hash_map<std::string, std::shared_future<absl::StatusOr<codegen::cpu::KernelFn>>>
      in_flight_;
  absl::flat_hash_map<std::string, std::string> symbol_keys_;  // symbol -> the key it names
};

void Launch(codegen::cpu::KernelFn fn, void* const* bufs, const int64_t* params, int64_t* status,
            int64_t points, int64_t work, int threads) {
  counters().kernels_launched.fetch_add(1, std::memory_order_relaxed);
#if defined(NDJIT_HAVE_OPENMP)
  if (threads > 1 && work >= kParallelWork && points > 1) {
    // A few chunks per thread, taken dynamically: on a shared machine a thread that loses its
    // core does not hold the others up. Chunks cover whole vectors and cache lines, and every
    // point is computed the same way whichever thread takes it, so results do not depend on
    // the schedule.
    const int64_t t = std::min<int64_t>(threads, points);
    const int64_t per_point = std::max<int64_t>(1, work / points);
    const int64_t min_chunk = std::max<int64_t>(1, kParallelWork / 4 / per_point);
    int64_t chunks = std::min<int64_t>(4 * t, std::max<int64_t>(t, points / min_chunk));
    int64_t chunk = (points + chunks - 1) / chunks;
    if (points >= 64 * chunks) chunk = (chunk + 63) / 64 * 64;
    chunks = (points + chunk - 1) / chunk;
#pragma omp parallel for num_threads(static_cast <int>(t)) schedule(dynamic, 1)
    for (int64_t i = 0; i < chunks; ++i) {
      const int64_t lo = i * chunk;
      const int64_t hi = std::min(points, lo + chunk);
      if (lo < hi) fn(bufs, params, status, lo, hi);
    }
    return;
  }
#else
  (void)work;
  (void)threads;
#endif
  fn(bufs, params, status, 0, points);
}

// The kernel that failed a run-time check and the call sites of its nodes, for the message.
std::string KernelContext(const ir::Graph& graph, const std::string& name,
                          const std::vector<int>& members) {
  if (name.empty()) return "";
  std::vector<std::string> sites;
  for (int id : members) {
    const ir::SourceLoc& loc = graph.node(id)->loc();
    if (!loc.known()) continue;
    std::string site = loc.ToString();
    if (std::find(sites.begin(), sites.end(), site) == sites.end()) sites.push_back(site);
  }
  std::string out = absl::StrCat(" in kernel @", name);
  if (!sites.empty()) {
    constexpr size_t kMaxSites = 8;
    const size_t shown = std::min(sites.size(), kMaxSites);
    absl::StrAppend(
        &out, " (its nodes were created at ",
        absl::StrJoin(sites.begin(), sites.begin() + shown, ", "),
        sites.size() > shown ? absl::StrCat(" and ", sites.size() - shown, " more") : std::string(),
        ")");
  }
  return out;
}

absl::Status CheckFailure(const ir::Graph& graph, const int64_t status[3],
                          const std::string& kernel = "", const std::vector<int>& members = {}) {
  const int64_t id = status[2];
  const std::string context = KernelContext(graph, kernel, members);
  if (status[0] == static_cast<int64_t>(ir::CheckCode::kGatherIndexOutOfRange) && id >= 0 &&
      id < graph.num_nodes() && graph.node(id)->op() == ir::Op::kGather) {
    const ir::Node* m = graph.node(id);
    const int64_t axis = m->attrs().axis;
    return absl::InvalidArgumentError(
        absl::StrCat("gather: index ", status[1], " is out of bounds for axis ", axis,
                     " with size ", m->operand(0)->shape()[axis], " (node %", id, " created at ",
                     m->loc().ToString(), ")", context));
  }
  return absl::InternalError(absl::StrCat("a kernel failed a run-time check (code ", status[0],
                                          ", value ", status[1], ", node %", id, ")", context));
}

using codegen::CompiledGroup;
using codegen::CompiledPlan;

// The CPU JIT as the compile driver's backend: through the kernel cache (memory, disk, compile).
class CpuKernelCompiler final : public codegen::KernelCompiler {
 public:
  CpuKernelCompiler(int threads, bool unfused_retry)
      : threads_(threads), unfused_retry_(unfused_retry) {}
  std::vector<absl::StatusOr<codegen::KernelCode>> CompileAll(
      absl::Span<const ir::Kernel* const> kernels) override {
    std::vector<absl::StatusOr<codegen::cpu::KernelFn>> fns =
        KernelCache::Get().FindAll(kernels, threads_, unfused_retry_);
    std::vector<absl::StatusOr<codegen::KernelCode>> out;
    out.reserve(fns.size());
    for (absl::StatusOr<codegen::cpu::KernelFn>& fn : fns) {
      if (fn.ok()) {
        out.push_back(codegen::KernelCode{*fn, nullptr});
      } else {
        out.push_back(fn.status());
      }
    }
    return out;
  }

 private:
  int threads_;
  bool unfused_retry_;
};

// A KernelBackend (ExecuteOptions::backend) as the compile driver's backend: one runner per kernel.
class RunnerKernelCompiler final : public codegen::KernelCompiler {
 public:
  explicit RunnerKernelCompiler(const KernelBackend& backend) : backend_(backend) {}
  std::vector<absl::StatusOr<codegen::KernelCode>> CompileAll(
      absl::Span<const ir::Kernel* const> kernels) override {
    std::vector<absl::StatusOr<codegen::KernelCode>> out;
    out.reserve(kernels.size());
    // The driver stops at the first failure, so the kernels after it are not compiled (a device
    // compile takes seconds).
    bool failed = false;
    for (const ir::Kernel* k : kernels) {
      if (failed) {
        out.push_back(absl::CancelledError("not compiled: an earlier kernel of the plan failed"));
        continue;
      }
      absl::StatusOr<KernelRunner> runner = backend_(*k);
      if (runner.ok()) {
        out.push_back(codegen::KernelCode{nullptr, *std::move(runner)});
      } else {
        failed = true;
        out.push_back(runner.status());
      }
    }
    return out;
  }

 private:
  const KernelBackend& backend_;
};

// Plans, lowers and compiles `graph` through the compile driver, with the backend the options
// name. `*compile_failed` is set when a kernel failed to lower or compile (the caller retries
// unfused); other errors are internal ones, returned as they are.
absl::StatusOr<CompiledPlan> BuildPlan(const ir::Graph& graph, const ExecuteOptions& options,
                                       bool* compile_failed) {
  CpuKernelCompiler cpu(options.num_threads, options.unfused_retry);
  RunnerKernelCompiler runners(options.backend);
  codegen::KernelCompiler& backend =
      options.backend ? static_cast<codegen::KernelCompiler&>(runners) : cpu;
  codegen::CompileAttempt attempt;
  absl::StatusOr<CompiledPlan> plan = codegen::CompileGraph(graph, options, backend, &attempt);
  // Kept even when the plan failed: a fused kernel too big to compile is what they are for.
  RaiseTo(counters().largest_kernel_instrs, attempt.largest_kernel_instrs);
  RaiseTo(counters().most_kernel_buffers, attempt.most_kernel_buffers);
  *compile_failed = attempt.kernel_failed;
  return plan;
}

// Runs a plan. A failed run-time check leaves its code, value and node in `check` (the caller
// builds the message from the graph).
std::vector<ir::HostTensor> RunPlan(const CompiledPlan& plan, const ir::Graph& graph,
                                    absl::Span<const ir::HostTensor> inputs, int num_threads,
                                    bool huge_pages, int64_t check[3], int* failed_group,
                                    absl::Status* run_error) {
  std::vector<ir::HostTensor> values(plan.num_nodes);
  for (const auto& [id, index] : plan.inputs) values[id] = inputs[index];
  BufferPool& pool = BufferPool::Get();
  // One allocation per slot of the buffer plan, made when the slot is first written; values
  // in a slot are tensors laid over its storage.
  std::vector<std::shared_ptr<std::byte>> slots(plan.slot_bytes.size());
  std::vector<void*> bufs;
  std::vector<int64_t> params;
  for (const CompiledGroup& k : plan.groups) {
    for (size_t r = 0; r < k.roots.size(); ++r) {
      std::shared_ptr<std::byte>& storage = slots[k.root_slots[r]];
      if (storage == nullptr) {
        const int64_t bytes = plan.slot_bytes[k.root_slots[r]];
        storage = pool.Allocate(static_cast<size_t>(bytes), huge_pages);
        counters().buffers_allocated.fetch_add(1, std::memory_order_relaxed);
        counters().bytes_allocated.fetch_add(bytes, std::memory_order_relaxed);
      }
      values[k.roots[r]] = ir::HostTensor(k.root_types[r], storage);
    }
    bufs.clear();
    for (int b : k.buffers) bufs.push_back(values[b].data());
    // The sizes, then this graph's values of the value parameters.
    const int64_t* param_data = k.params.data();
    if (!k.values.empty()) {
      params.assign(k.params.begin(), k.params.end());
      for (int id : k.values) {
        const ir::Node* c = graph.node(id);
        params.push_back(ir::ValueParameterBitsOf(*c));
      }
      param_data = params.data();
    }
    if (k.points > 0 && k.code.runner) {
      counters().kernels_launched.fetch_add(1, std::memory_order_relaxed);
      *run_error = k.code.runner(bufs.data(), param_data, check,
                                 LaunchSize{k.points, k.work, k.max_elements, k.buffer_bytes});
      if (!run_error->ok()) {
        *failed_group = static_cast<int>(&k - plan.groups.data());
        return {};
      }
    } else if (k.points > 0) {
      Launch(k.code.fn, bufs.data(), param_data, check, k.points, k.work, num_threads);
    }
    if (check[0] != 0) {
      *failed_group = static_cast<int>(&k - plan.groups.data());
      return {};
    }
    // Dead values, then the slots nothing later uses: their memory goes back to the pool now
    // (an output laid over a slot keeps it through its own tensor).
    for (int id : k.release) values[id] = ir::HostTensor();
    for (int slot : k.free_slots) slots[slot].reset();
  }
  std::vector<ir::HostTensor> out;
  out.reserve(plan.outputs.size());
  for (int id : plan.outputs) out.push_back(values[id]);
  return out;
}

// Plans by graph structure (value parameters aside: see CompiledGroup::values) and by the
// options that shape a plan; bounded (cleared when full, which only a program with an unbounded
// variety of graphs reaches).
class PlanCache {
 public:
  static PlanCache& Get() {
    static auto* cache = new PlanCache();
    return *cache;
  }
  // The key's hash: the graph's structure, every compile option and the backend; equality
  // (Matches) compares the same.
  // `structural_hash`: the graph's, when known (0: computed here).
  static size_t HashOf(const ir::Graph& g, const ExecuteOptions& options, size_t structural_hash) {
    if (structural_hash == 0) {
      structural_hash = ir::StructuralHash(g, /*parameter_values=*/false);
    } else {
      assert(structural_hash == ir::StructuralHash(g, /*parameter_values=*/false));
    }
    return absl::HashOf(structural_hash, static_cast<const codegen::GraphCompileOptions&>(options),
                        options.backend_key);
  }
  std::shared_ptr<const CompiledPlan> Find(const ir::Graph& g, const ExecuteOptions& options,
                                           size_t hash) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = plans_.find(hash);
    if (it == plans_.end()) return nullptr;
    for (const Entry& e : it->second) {
      if (e.Matches(options) && ir::StructurallyEqual(*e.graph, g, /*parameter_values=*/false)) {
        return e.plan;
      }
    }
    return nullptr;
  }
  void Add(const ir::Graph& g, const ExecuteOptions& options, size_t hash,
           std::shared_ptr<const CompiledPlan> plan) {
    Entry e{g.Clone(), options, options.backend_key, std::move(plan)};
    std::lock_guard<std::mutex> lock(mu_);
    if (size_ >= kMaxPlans) {
      plans_.clear();
      size_ = 0;
    }
    plans_[hash].push_back(std::move(e));
    ++size_;
  }

 private:
  static constexpr size_t kMaxPlans = 512;
  struct Entry {
    std::shared_ptr<ir::Graph> graph;
    // The options that shape the plan: every compile option (compared as a whole, so that a new
    // one is part of the key without a change here) and the backend.
    codegen::GraphCompileOptions compile;
    std::string backend_key;
    std::shared_ptr<const CompiledPlan> plan;

    bool Matches(const ExecuteOptions& o) const {
      return compile == static_cast<const codegen::GraphCompileOptions&>(o) &&
             backend_key == o.backend_key;
    }
  };
  std::mutex mu_;
  absl::flat_hash_map<size_t, std::vector<Entry>> plans_;
  size_t size_ = 0;
};

// One attempt with the given fusion options.
// `structural_hash`: the graph's, when the caller knows it (0: computed here).
absl::StatusOr<std::vector<ir::HostTensor>> Run(const ir::Graph& graph,
                                                absl::Span<const ir::HostTensor> inputs,
                                                const ExecuteOptions& options, bool* compile_failed,
                                                bool use_cache, size_t structural_hash) {
  std::shared_ptr<const CompiledPlan> plan;
  size_t hash = 0;
  if (use_cache) {
    hash = PlanCache::HashOf(graph, options, structural_hash);
    plan = PlanCache::Get().Find(graph, options, hash);
  }
  if (plan) {
    // The kernels of a cached plan count as kernel-cache hits.
    counters().plan_cache_hits.fetch_add(1, std::memory_order_relaxed);
    counters().kernel_cache_hits.fetch_add(static_cast<int64_t>(plan->groups.size()),
                                           std::memory_order_relaxed);
  } else {
    absl::StatusOr<CompiledPlan> built = BuildPlan(graph, options, compile_failed);
    if (!built.ok()) return built.status();
    plan = std::make_shared<const CompiledPlan>(*std::move(built));
    if (use_cache) PlanCache::Get().Add(graph, options, hash, plan);
  }
  if (options.on_compiled) options.on_compiled();
  int64_t check[3] = {0, 0, 0};
  int failed = -1;
  absl::Status run_error;
  std::vector<ir::HostTensor> out = RunPlan(*plan, graph, inputs, options.num_threads,
                                            options.huge_pages, check, &failed, &run_error);
  if (!run_error.ok()) {
    const CompiledGroup& k = plan->groups[failed];
    return absl::Status(run_error.code(),
                        absl::StrCat(run_error.message(), KernelContext(graph, k.name, k.members)));
  }
  if (check[0] != 0) {
    if (failed < 0) return CheckFailure(graph, check);
    const CompiledGroup& k = plan->groups[failed];
    return CheckFailure(graph, check, k.name, k.members);
  }
  return out;
}

}  // namespace

absl::StatusOr<std::optional<ir::Graph>> SplitForExecution(const ir::Graph& source,
                                                           const ExecuteOptions& options) {
  return codegen::SplitGraph(source, options);
}

absl::StatusOr<std::vector<ir::HostTensor>> ExecuteCompiled(const ir::Graph& source,
                                                            absl::Span<const ir::HostTensor> inputs,
                                                            const ExecuteOptions& options) {
  ASSIGN_OR_RETURN(std::optional<ir::Graph> split, SplitForExecution(source, options));
  const ir::Graph& graph = split ? *split : source;
  // Kernels trust their buffers: check them here, as the interpreter does.
  for (const ir::Node* in : graph.inputs()) {
    const int64_t index = in->attrs().index;
    if (index < 0 || index >= static_cast<int64_t>(inputs.size()) ||
        !(inputs[index].type() == in->type())) {
      return absl::InvalidArgumentError(
          absl::StrCat("input ", index, " must be ", ir::TypeToString(in->type()), ", got ",
                       index >= 0 && index < static_cast<int64_t>(inputs.size())
                           ? ir::TypeToString(inputs[index].type())
                           : std::string("nothing")));
    }
  }
  const bool cache =
      !options.fail_fused_kernels_for_testing && (!options.backend || !options.backend_key.empty());
  bool compile_failed = false;
  // The caller's structural hash is the source graph's, not the split one's.
  absl::StatusOr<std::vector<ir::HostTensor>> result =
      Run(graph, inputs, options, &compile_failed, cache, split ? 0 : options.structural_hash);
  if (result.ok() || !compile_failed || !options.fusion.fuse) return result;
  // A fused kernel failed to lower or compile: run op by op.
  counters().unfused_retries.fetch_add(1, std::memory_order_relaxed);
  ExecuteOptions unfused = options;
  unfused.fusion.fuse = false;
  unfused.unfused_retry = true;
  bool unfused_failed = false;
  absl::StatusOr<std::vector<ir::HostTensor>> retry =
      Run(graph, inputs, unfused, &unfused_failed, /*use_cache=*/false, 0);
  if (retry.ok()) return retry;
  return absl::Status(retry.status().code(),
                      absl::StrCat(retry.status().message(), "\n(the fused kernels failed first: ",
                                   result.status().message(), ")"));
}

ExecutorCounters GetExecutorCounters() {
  Counters& c = counters();
  ExecutorCounters out;
#define NDJIT_EXECUTOR_COUNT(field, doc) out.field = c.field.load();
#define NDJIT_EXECUTOR_SECONDS(field, doc) out.field = static_cast<double>(c.field.load()) * 1e-9;
#define NDJIT_EXECUTOR_MAX(field, doc) out.field = c.field.load();
#include "runtime/executor_counters.def"
#undef NDJIT_EXECUTOR_COUNT
#undef NDJIT_EXECUTOR_SECONDS
#undef NDJIT_EXECUTOR_MAX
  std::lock_guard<std::mutex> slowest(c.slowest_mu);
  out.slowest_compile_seconds = static_cast<double>(c.slowest_compile_ns) * 1e-9;
  out.slowest_compile_instrs = c.slowest_compile_instrs;
  return out;
}

void ResetExecutorCounters() {
  Counters& c = counters();
#define NDJIT_EXECUTOR_COUNT(field, doc) c.field = 0;
#define NDJIT_EXECUTOR_SECONDS(field, doc) c.field = 0;
#define NDJIT_EXECUTOR_MAX(field, doc) c.field = 0;
#include "runtime/executor_counters.def"
#undef NDJIT_EXECUTOR_COUNT
#undef NDJIT_EXECUTOR_SECONDS
#undef NDJIT_EXECUTOR_MAX
  std::lock_guard<std::mutex> slowest(c.slowest_mu);
  c.slowest_compile_ns = 0;
  c.slowest_compile_instrs = 0;
}

absl::StatusOr<KernelsDescription> DescribeKernels(const ir::Graph& graph,
                                                   const DescribeOptions& options) {
  codegen::DescribeOptions describe;
  describe.llvm_ir = options.llvm_ir;
  describe.assembly = options.assembly;
  describe.cuda = options.cuda;
  return codegen::DescribeGraph(graph, options.execute, describe);
}

}  // namespace ndjit::runtime
