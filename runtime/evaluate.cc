// Evaluating a task: the optimizer (or its stored result), the configured backend, the op-by-op
// retry after a failure and its error messages, and the dumps of NDJIT_DUMP_DIR (see
// materializer.h).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <new>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "codegen/cpu/cpu_backend.h"
#include "ir/interpreter.h"
#include "ir/status_macros.h"
#include "passes/dump.h"
#include "passes/pipeline.h"
#include "passes/split_reductions.h"
#include "runtime/config.h"
#include "runtime/executor.h"
#include "runtime/materializer_internal.h"
#include "runtime/optimized_graphs.h"
#include "runtime/profiler.h"
#if NDJIT_HAVE_CUDA
#include "runtime/cuda/cuda_backend.h"
#endif

namespace ndjit::runtime {
namespace materializer_internal {

absl::Status ExceptionStatus(const std::exception& e) {
  if (dynamic_cast<const std::bad_alloc*>(&e) != nullptr) {
    return absl::ResourceExhaustedError(
        "out of memory while computing the graph (an allocation failed)");
  }
  return absl::InternalError(absl::StrCat("an exception escaped the engine: ", e.what()));
}

}  // namespace materializer_internal

namespace {

using materializer_internal::ExceptionStatus;

// The files of one dumped materialization besides the pipeline's graphs: a one-line summary,
// and for the cpu backend the split graph (when split-reductions changed it), the fusion plan,
// the schedule and the kernel IR, and the kernels' LLVM IR, all from the compile driver
// (codegen::DescribeGraph), written by the pipeline's own writer.
absl::Status DumpExecution(const ir::Graph& graph, const Config& config,
                           const ExecuteOptions& execute, const Caller& caller,
                           int64_t nodes_before, int64_t nodes_after,
                           const passes::DumpWriter& dump) {
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
        RETURN_IF_ERROR(dump.Write("split-reductions.ir", d.split_graph));
      }
      std::string text = absl::StrCat("// fusion plan\n", d.fusion, "\n// ", d.schedule);
      std::string llvm;
      for (const KernelReport& k : d.kernels) {
        absl::StrAppend(&text, "\n", k.kernel_ir);
        absl::StrAppend(&llvm, "; kernel @", k.name, "\n", k.llvm_ir, "\n");
      }
      RETURN_IF_ERROR(dump.Write("kernels.txt", text));
      RETURN_IF_ERROR(dump.Write("llvm.ll", llvm));
      if (describe.cuda) RETURN_IF_ERROR(dump.Write("cuda.cu", d.cuda_program));
      kernels_line =
          absl::StrCat(", ", d.kernels.size(), d.kernels.size() == 1 ? " kernel" : " kernels");
    } else {
      // The run itself may still succeed (with the unfused retry); the dump says what failed.
      RETURN_IF_ERROR(
          dump.Write("kernels.txt", absl::StrCat("// describing the fused kernels failed: ",
                                                 described.status().message(), "\n")));
      kernels_line = ", fused kernels failed to compile";
    }
  }
  const std::string site = caller.site.known() ? caller.site.ToString() : "an unknown call site";
  return dump.Write(
      "summary.txt",
      absl::StrCat(caller.api, " at ", site, ": ", nodes_before, " nodes, ", nodes_after,
                   " after passes", kernels_line, ", backend ", BackendName(config.backend), "\n"));
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
  materializer_internal::RegisterShutdownAfterJit();
  return results;
}

// Kernels of values on GPU `device` run there (the interpreter backend, a debugging aid, still
// interprets them on the host).
absl::Status UseDevice(const Task& task, const Config& config, ExecuteOptions* execute) {
  if (config.backend == Backend::kInterp) return absl::OkStatus();
  if (task.mixed_devices) {
    return absl::InternalError(
        "ndjit put values of two devices into one task (please report); SubmitLocked splits "
        "tasks at device boundaries");
  }
  if (!task.device.is_gpu()) return absl::OkStatus();
#if NDJIT_HAVE_CUDA
  const int device = task.device.gpu_index();
  absl::StatusOr<KernelBackend> backend = cuda::DeviceBackend(device);
  if (!backend.ok()) return backend.status();
  execute->backend = *std::move(backend);
  execute->backend_key = absl::StrCat("cuda:", device);
  execute->streaming_store_bytes = 0;  // a CPU store policy
  execute->glibc_math = false;         // CUDA kernels use CUDA's math functions
  execute->prefetch = true;            // ignored by CUDA kernels; the default text
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
  execute.streaming_store_bytes =
      config.pipeline.streaming_stores ? codegen::cpu::StreamingStoreBytes() : 0;
  execute.glibc_math = config.pipeline.glibc_math;
  execute.prefetch = config.pipeline.prefetch;
  execute.huge_pages = config.pipeline.huge_pages;
  return execute;
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
  RETURN_IF_ERROR(UseDevice(task, config, &execute));
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
      counts_.nodes_before_passes.fetch_add(before, std::memory_order_relaxed);
      counts_.nodes_after_passes.fetch_add(optimized.num_nodes() - optimized.num_inputs(),
                                           std::memory_order_relaxed);
      counts_.graphs_reused.fetch_add(1, std::memory_order_relaxed);
      counts_.nodes_evaluated.fetch_add(evaluated, std::memory_order_relaxed);
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
  counts_.nodes_before_passes.fetch_add(before, std::memory_order_relaxed);
  counts_.nodes_after_passes.fetch_add(after, std::memory_order_relaxed);
  if (!prefix.empty()) {
    // Written before the kernels run, so that a crash still leaves them.
    Caller caller{task.api, task.site};
    if (absl::Status s = DumpExecution(graph, config, execute, caller, before, after,
                                       passes::DumpWriter(dir, prefix));
        !s.ok()) {
      std::cerr << "ndjit: warning: " << s.message() << "\n";
    }
  }
  if (config.backend == Backend::kInterp) task.compiled_ns = profiler::NowNs();
  absl::StatusOr<std::vector<ir::HostTensor>> results =
      RunBackend(graph, inputs, config, execute, &evaluated);
  counts_.nodes_evaluated.fetch_add(evaluated, std::memory_order_relaxed);
  return results;
}

void Materializer::EvaluateOpByOp(Task& task, const Config& config,
                                  const absl::Status& first_failure,
                                  std::vector<std::optional<ir::HostTensor>>* buffers,
                                  std::vector<ErrorPtr>* errors, std::vector<ErrorPtr>* created) {
  ExecuteOptions execute = ExecuteOptionsFor(config);
  // Without its device, every op of the task fails with the device's error (never computed
  // elsewhere).
  const absl::Status device = UseDevice(task, config, &execute);
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
      counts_.nodes_evaluated.fetch_add(evaluated, std::memory_order_relaxed);
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

}  // namespace ndjit::runtime
