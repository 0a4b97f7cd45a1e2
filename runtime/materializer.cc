// Materialization through the reference interpreter.
#include "runtime/materializer.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ir/interpreter.h"
#include "ir/status_macros.h"
#include "passes/pipeline.h"
#include "passes/split_reductions.h"
#include "runtime/config.h"
#include "runtime/executor.h"

namespace ndjit::runtime {

struct Materializer::Collected {
  std::unique_ptr<ir::Graph> graph;
  std::vector<Value*> pending;         // in topological order
  std::vector<ir::HostTensor> inputs;  // buffers of the realized leaves, by input index
  absl::flat_hash_map<Value*, ir::Node*> node_of;
  absl::flat_hash_map<Value*, int> internal_refs;  // references from pending operand lists
  absl::Status status;
};

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
// holds (so that a second run never mixes its files with stale ones). Caller holds mu_.
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

Materializer& Materializer::Get() {
  static auto* instance = new Materializer();  // never destroyed: used by handles at exit
  return *instance;
}

ValuePtr Materializer::Record(ir::Op op, ir::TensorType type, std::vector<ValuePtr> operands,
                              ir::Attrs attrs, ir::SourceLoc loc) {
  ValuePtr v = Value::Pending(op, std::move(type), std::move(operands), std::move(attrs), loc);
  values_recorded_.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(registry_mu_);
  registry_.push_back(v);
  if (registry_.size() >= prune_at_) {
    std::erase_if(registry_, [](const std::weak_ptr<Value>& w) { return w.expired(); });
    prune_at_ = std::max<size_t>(1024, registry_.size() * 2);
  }
  return v;
}

// Post-order walk over pending values; realized operands become input leaves. Iterative, so
// chains of any length are fine. Caller holds mu_.
Materializer::Collected Materializer::Collect(absl::Span<const ValuePtr> values) {
  Collected c;
  c.graph = std::make_unique<ir::Graph>("main");
  absl::flat_hash_map<Value*, bool> visited;
  std::vector<std::pair<Value*, size_t>> stack;  // value, next operand to visit
  auto add_leaf = [&](Value* v) {
    if (c.node_of.contains(v)) return;
    c.node_of[v] = c.graph->AddInput(v->type(), v->loc());
    c.inputs.push_back(*v->buffer_);
  };
  for (const ValuePtr& root : values) {
    if (root->buffer_) {
      add_leaf(root.get());
      continue;
    }
    if (visited.contains(root.get())) continue;
    visited[root.get()] = true;
    stack.push_back({root.get(), 0});
    while (!stack.empty()) {
      auto& [v, next] = stack.back();
      if (next < v->operands_.size()) {
        Value* operand = v->operands_[next++].get();
        if (operand->buffer_) {
          add_leaf(operand);
        } else {
          ++c.internal_refs[operand];
          if (!visited.contains(operand)) {
            visited[operand] = true;
            stack.push_back({operand, 0});
          }
        }
        continue;
      }
      Value* done = v;
      stack.pop_back();
      std::vector<ir::Node*> operands;
      for (const ValuePtr& o : done->operands_) operands.push_back(c.node_of.at(o.get()));
      absl::StatusOr<ir::Node*> node = c.graph->AddNode(done->op(), std::move(operands),
                                                        done->attrs(), done->type(), done->loc());
      if (!node.ok()) {
        c.status = absl::InternalError(
            absl::StrCat("recording produced an invalid node: ", node.status().message()));
        return c;
      }
      c.node_of[done] = *node;
      c.pending.push_back(done);
    }
  }
  return c;
}

absl::StatusOr<std::vector<ir::HostTensor>> Materializer::Evaluate(Collected& c,
                                                                   const Caller& caller) {
  const Config config = GetConfig();
  RETURN_IF_ERROR(config.env_error);
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
  const int64_t before = c.graph->num_nodes() - c.graph->num_inputs();
  passes::Pipeline pipeline = passes::DefaultPipeline(options);
  absl::Status optimized = pipeline.Run(*c.graph);
  if (!optimized.ok()) {
    return absl::InternalError(absl::StrCat("optimizing the graph: ", optimized.message()));
  }
  const int64_t after = c.graph->num_nodes() - c.graph->num_inputs();
  nodes_before_passes_.fetch_add(before, std::memory_order_relaxed);
  nodes_after_passes_.fetch_add(after, std::memory_order_relaxed);
  ExecuteOptions execute;
  execute.num_threads = config.num_threads;
  execute.split_reductions = !config.pipeline.disabled(passes::SplitReductions::kName);
  execute.schedule = config.pipeline.schedule;
  if (!prefix.empty()) {
    // Written before the kernels run, so that a crash still leaves them.
    if (absl::Status s =
            DumpExecution(*c.graph, config, execute, caller, before, after, dir + "/" + prefix);
        !s.ok()) {
      std::cerr << "ndjit: warning: " << s.message() << "\n";
    }
  }
  if (config.backend == Backend::kInterp) {
    ir::InterpretStats stats;
    absl::StatusOr<std::vector<ir::HostTensor>> results = ir::Interpret(*c.graph, c.inputs, &stats);
    nodes_evaluated_.fetch_add(stats.nodes_evaluated, std::memory_order_relaxed);
    return results;
  }
  nodes_evaluated_.fetch_add(after, std::memory_order_relaxed);
  return ExecuteCompiled(*c.graph, c.inputs, execute);
}

absl::Status Materializer::Materialize(absl::Span<const ValuePtr> values, bool force,
                                       const Caller& caller) {
  std::lock_guard<std::mutex> lock(mu_);
  Collected c = Collect(values);
  RETURN_IF_ERROR(c.status);
  if (c.pending.empty()) return absl::OkStatus();
  // Outputs: the requested values and every pending value referenced from outside the subgraph
  // (use_count counts owners; the ones inside the subgraph are its operand lists).
  std::vector<Value*> stored;
  absl::flat_hash_map<Value*, long> requested;
  for (const ValuePtr& v : values) ++requested[v.get()];
  for (Value* v : c.pending) {
    const auto it = c.internal_refs.find(v);
    const long internal = it == c.internal_refs.end() ? 0 : it->second;
    const auto req = requested.find(v);
    const long in_request = req == requested.end() ? 0 : req->second;
    if (force && in_request > 0) {
      stored.push_back(v);
    } else if (v->weak_from_this().use_count() > internal + in_request) {
      stored.push_back(v);
    }
  }
  if (stored.empty()) return absl::OkStatus();
  for (Value* v : stored) c.graph->AddOutput(c.node_of.at(v));
  absl::StatusOr<std::vector<ir::HostTensor>> results = Evaluate(c, caller);
  materializations_.fetch_add(1, std::memory_order_relaxed);
  RETURN_IF_ERROR(results.status());
  for (size_t i = 0; i < stored.size(); ++i) {
    stored[i]->buffer_ = std::move((*results)[i]);
  }
  // Drop operands only after every result is stored: clearing may free pending values.
  std::vector<std::vector<ValuePtr>> released;
  for (Value* v : stored) released.push_back(std::move(v->operands_));
  return absl::OkStatus();
}

absl::StatusOr<ir::HostTensor> Materializer::Read(const ValuePtr& value, const Caller& caller) {
  RETURN_IF_ERROR(Materialize({value}, /*force=*/true, caller));
  std::lock_guard<std::mutex> lock(mu_);
  return *value->buffer_;
}

bool Materializer::IsRealized(const ValuePtr& value) {
  std::lock_guard<std::mutex> lock(mu_);
  return value->buffer_.has_value();
}

absl::Status Materializer::WaitAll(const Caller& caller) {
  std::vector<ValuePtr> live;
  {
    std::lock_guard<std::mutex> lock(registry_mu_);
    for (const std::weak_ptr<Value>& w : registry_) {
      if (ValuePtr v = w.lock()) live.push_back(std::move(v));
    }
    registry_.clear();
  }
  // Values that only the registry kept alive are gone now; the rest are reachable from handles.
  absl::Status status = Materialize(live, /*force=*/false, caller);
  if (!status.ok()) {
    // Keep the unfinished values so that a later WaitAll sees them again.
    std::lock_guard<std::mutex> lock(registry_mu_);
    for (const ValuePtr& v : live) registry_.push_back(v);
  }
  return status;
}

std::unique_ptr<ir::Graph> Materializer::PendingGraph(absl::Span<const ValuePtr> values) {
  std::lock_guard<std::mutex> lock(mu_);
  Collected c = Collect(values);
  for (const ValuePtr& v : values) {
    if (c.node_of.contains(v.get())) c.graph->AddOutput(c.node_of.at(v.get()));
  }
  return std::move(c.graph);
}

Counters Materializer::counters() {
  return Counters{values_recorded_.load(), materializations_.load(), nodes_evaluated_.load(),
                  nodes_before_passes_.load(), nodes_after_passes_.load()};
}

void Materializer::ResetCounters() {
  values_recorded_.store(0);
  materializations_.store(0);
  nodes_evaluated_.store(0);
  nodes_before_passes_.store(0);
  nodes_after_passes_.store(0);
}

}  // namespace ndjit::runtime
