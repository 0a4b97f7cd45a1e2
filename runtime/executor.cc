// Compiled execution of a graph (see executor.h).
#include "runtime/executor.h"

#include <algorithm>
#include <memory>
#include <mutex>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "codegen/cpu/cpu_backend.h"
#include "codegen/lower.h"
#include "ir/status_macros.h"
#include "passes/split_reductions.h"
#include "runtime/buffer_pool.h"

#if defined(NDJIT_HAVE_OPENMP)
#include <omp.h>
#endif

namespace ndjit::runtime {

namespace {

// Scalar iterations below which a kernel runs on the calling thread only.
constexpr int64_t kParallelWork = int64_t{1} << 15;

struct Counters {
  std::atomic<int64_t> compiled{0}, hits{0}, launched{0}, retries{0}, buffers{0}, bytes{0};
  std::atomic<int64_t> compile_ns{0};
};
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

  absl::StatusOr<codegen::cpu::KernelFn> Find(const ir::Kernel& kernel) {
    std::string key = absl::StrCat(codegen::cpu::TargetDescription(), "\n", ir::PrintKernel(kernel));
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (auto it = kernels_.find(key); it != kernels_.end()) {
        counters().hits.fetch_add(1, std::memory_order_relaxed);
        return it->second;
      }
    }
    ASSIGN_OR_RETURN(codegen::cpu::CompiledKernel compiled, codegen::cpu::Compile(kernel));
    counters().compiled.fetch_add(1, std::memory_order_relaxed);
    counters().compile_ns.fetch_add(static_cast<int64_t>(compiled.compile_seconds * 1e9),
                                    std::memory_order_relaxed);
    std::lock_guard<std::mutex> lock(mu_);
    // Another thread may have compiled the same kernel meanwhile; either code is fine.
    kernels_.try_emplace(std::move(key), compiled.fn);
    return compiled.fn;
  }

 private:
  std::mutex mu_;
  absl::flat_hash_map<std::string, codegen::cpu::KernelFn> kernels_;
};

void Launch(codegen::cpu::KernelFn fn, void* const* bufs, const int64_t* params, int64_t* status,
            int64_t points, int64_t work, int threads) {
  counters().launched.fetch_add(1, std::memory_order_relaxed);
#if defined(NDJIT_HAVE_OPENMP)
  if (threads > 1 && work >= kParallelWork && points > 1) {
    const int64_t t = std::min<int64_t>(threads, points);
    int64_t chunk = (points + t - 1) / t;
    if (points >= 64 * t) chunk = (chunk + 63) / 64 * 64;  // whole vectors and cache lines
#pragma omp parallel for num_threads(static_cast<int>(t)) schedule(static, 1)
    for (int64_t i = 0; i < t; ++i) {
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

absl::Status CheckFailure(const passes::FusionGroup& group, const int64_t status[2]) {
  if (status[0] == static_cast<int64_t>(ir::CheckCode::kGatherIndexOutOfRange)) {
    for (const ir::Node* m : group.members) {
      if (m->op() != ir::Op::kGather) continue;
      const int64_t axis = m->attrs().axis;
      const int64_t dim = m->operand(0)->shape()[axis];
      const int64_t j = status[1];
      if (j >= -dim && j < dim) continue;  // another gather of the group
      return absl::InvalidArgumentError(absl::StrCat(
          "gather: index ", j, " is out of bounds for axis ", axis, " with size ", dim,
          " (node %", m->id(), " created at ", m->loc().ToString(), ")"));
    }
  }
  return absl::InternalError(absl::StrCat("kernel @", group.name, " failed a run-time check (code ",
                                          status[0], ", value ", status[1], ")"));
}

// One attempt with the given fusion options. Lowering and compile errors come back with
// `compile_failed` set so the caller can retry unfused.
absl::StatusOr<std::vector<ir::HostTensor>> Run(const ir::Graph& graph,
                                                absl::Span<const ir::HostTensor> inputs,
                                                const ExecuteOptions& options,
                                                bool* compile_failed) {
  const passes::FusionPlan plan = passes::PlanFusion(graph, options.fusion);
  const int n = graph.num_nodes();
  std::vector<ir::HostTensor> values(n);
  std::vector<bool> have(n, false);
  for (const ir::Node* in : graph.inputs()) {
    values[in->id()] = inputs[in->attrs().index];
    have[in->id()] = true;
  }
  std::vector<bool> is_output(n, false);
  for (const ir::Node* o : graph.outputs()) is_output[o->id()] = true;

  // Lower everything first: the last group that reads each stored value frees it.
  std::vector<codegen::LoweredKernel> lowered;
  lowered.reserve(plan.groups.size());
  std::vector<int> last_use(n, -1);
  for (size_t g = 0; g < plan.groups.size(); ++g) {
    absl::StatusOr<codegen::LoweredKernel> k = codegen::LowerGroup(graph, plan, static_cast<int>(g));
    if (!k.ok()) {
      *compile_failed = true;
      return k.status();
    }
    for (const ir::Node* b : k->buffers) last_use[b->id()] = static_cast<int>(g);
    lowered.push_back(*std::move(k));
  }

  BufferPool& pool = BufferPool::Get();
  std::vector<void*> bufs;
  for (size_t g = 0; g < plan.groups.size(); ++g) {
    codegen::LoweredKernel& k = lowered[g];
    absl::StatusOr<codegen::cpu::KernelFn> fn =
        options.fail_fused_kernels_for_testing && plan.groups[g].members.size() > 1
            ? absl::InternalError(absl::StrCat("injected compile failure of kernel @",
                                               plan.groups[g].name))
            : KernelCache::Get().Find(k.kernel);
    if (!fn.ok()) {
      *compile_failed = true;
      return fn.status();
    }
    for (const ir::Node* r : plan.groups[g].roots) {
      ir::HostTensor t(r->type(), pool.Allocate(ir::NumElements(r->shape()) *
                                                DTypeSize(r->dtype())));
      counters().buffers.fetch_add(1, std::memory_order_relaxed);
      counters().bytes.fetch_add(static_cast<int64_t>(t.size_bytes()), std::memory_order_relaxed);
      values[r->id()] = std::move(t);
      have[r->id()] = true;
    }
    bufs.clear();
    for (const ir::Node* b : k.buffers) {
      RET_CHECK(have[b->id()], "kernel input computed after its use");
      bufs.push_back(values[b->id()].data());
    }
    int64_t status[2] = {0, 0};
    if (k.points > 0) {
      Launch(*fn, bufs.data(), k.params.data(), status, k.points, k.work, options.num_threads);
    }
    if (status[0] != 0) return CheckFailure(plan.groups[g], status);
    for (const ir::Node* b : k.buffers) {
      if (last_use[b->id()] == static_cast<int>(g) && !is_output[b->id()] &&
          b->op() != ir::Op::kInput) {
        values[b->id()] = ir::HostTensor();
      }
    }
  }
  std::vector<ir::HostTensor> out;
  for (const ir::Node* o : graph.outputs()) {
    RET_CHECK(have[o->id()], "an output was not computed");
    out.push_back(values[o->id()]);
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<ir::HostTensor>> ExecuteCompiled(const ir::Graph& source,
                                                            absl::Span<const ir::HostTensor> inputs,
                                                            const ExecuteOptions& options) {
  // Codegen strategy: large reductions with few results get a parallel first stage.
  std::optional<ir::Graph> split;
  if (options.split_reductions) {
    passes::GraphRewriter copy(source);
    for (const auto& n : source.nodes()) RETURN_IF_ERROR(copy.Copy(*n).status());
    ASSIGN_OR_RETURN(ir::Graph g, copy.Finish());
    passes::SplitReductions pass;
    ASSIGN_OR_RETURN(bool changed, pass.Run(g));
    if (changed) split = std::move(g);
  }
  const ir::Graph& graph = split ? *split : source;
  bool compile_failed = false;
  absl::StatusOr<std::vector<ir::HostTensor>> result = Run(graph, inputs, options, &compile_failed);
  if (result.ok() || !compile_failed || !options.fusion.fuse) return result;
  // A fused kernel failed to lower or compile: run op by op.
  counters().retries.fetch_add(1, std::memory_order_relaxed);
  ExecuteOptions unfused = options;
  unfused.fusion.fuse = false;
  bool unfused_failed = false;
  absl::StatusOr<std::vector<ir::HostTensor>> retry = Run(graph, inputs, unfused, &unfused_failed);
  if (retry.ok()) return retry;
  return absl::Status(retry.status().code(),
                      absl::StrCat(retry.status().message(), "\n(the fused kernels failed first: ",
                                   result.status().message(), ")"));
}

ExecutorCounters GetExecutorCounters() {
  Counters& c = counters();
  ExecutorCounters out;
  out.kernels_compiled = c.compiled.load();
  out.kernel_cache_hits = c.hits.load();
  out.kernels_launched = c.launched.load();
  out.unfused_retries = c.retries.load();
  out.buffers_allocated = c.buffers.load();
  out.bytes_allocated = c.bytes.load();
  out.compile_seconds = static_cast<double>(c.compile_ns.load()) * 1e-9;
  return out;
}

void ResetExecutorCounters() {
  Counters& c = counters();
  c.compiled = 0;
  c.hits = 0;
  c.launched = 0;
  c.retries = 0;
  c.buffers = 0;
  c.bytes = 0;
  c.compile_ns = 0;
}

absl::StatusOr<std::string> DescribeKernels(const ir::Graph& graph,
                                            const passes::FusionOptions& fusion, bool llvm_ir) {
  const passes::FusionPlan plan = passes::PlanFusion(graph, fusion);
  std::string out;
  for (size_t g = 0; g < plan.groups.size(); ++g) {
    ASSIGN_OR_RETURN(codegen::LoweredKernel k,
                     codegen::LowerGroup(graph, plan, static_cast<int>(g)));
    absl::StrAppend(&out, ir::PrintKernel(k.kernel, /*notes=*/true));
    if (llvm_ir) {
      codegen::cpu::CompileOptions opts;
      opts.keep_llvm_ir = true;
      ASSIGN_OR_RETURN(codegen::cpu::CompiledKernel c, codegen::cpu::Compile(k.kernel, opts));
      absl::StrAppend(&out, "\n", c.llvm_ir);
    }
    absl::StrAppend(&out, "\n");
  }
  return out;
}

}  // namespace ndjit::runtime
