// The compile driver (see compile.h).
#include "codegen/compile.h"
#if NDJIT_HAVE_CUDA
#include "codegen/cuda/cuda_source.h"
#endif

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "ir/printer.h"
#include "ir/status_macros.h"
#include "passes/pass.h"
#include "passes/split_reductions.h"

namespace ndjit::codegen {

absl::StatusOr<std::optional<ir::Graph>> SplitGraph(const ir::Graph& source,
                                                    const GraphCompileOptions& options) {
  if (!options.split_reductions || !passes::SplitReductions::Applies(source)) {
    return std::nullopt;
  }
  passes::GraphRewriter copy(source);
  for (const auto& n : source.nodes()) RETURN_IF_ERROR(copy.Copy(*n).status());
  ASSIGN_OR_RETURN(ir::Graph g, copy.Finish());
  passes::SplitReductions pass;
  ASSIGN_OR_RETURN(bool changed, pass.Run(g));
  if (!changed) return std::nullopt;
  return std::optional<ir::Graph>(std::move(g));
}

absl::StatusOr<LoweredGraph> LowerGraph(const ir::Graph& graph, const GraphCompileOptions& options,
                                        CompileAttempt* attempt) {
  CompileAttempt ignored;
  if (attempt == nullptr) attempt = &ignored;
  LoweredGraph out;
  out.plan = passes::PlanFusion(graph, options.fusion, options.optional_outputs);
  out.schedule = passes::ScheduleKernels(graph, out.plan, options.schedule);
  RET_CHECK(out.schedule.order.size() == out.plan.groups.size(), "the schedule runs ",
            out.schedule.order.size(), " of ", out.plan.groups.size(), " kernels");
  out.kernels.reserve(out.schedule.order.size());
  for (const int g : out.schedule.order) {
    LowerOptions lower;
    lower.streaming_store_bytes = options.streaming_store_bytes;
    lower.glibc_math = options.glibc_math;
    lower.prefetch = options.prefetch;
    const int in_place = out.schedule.in_place_of[g];
    if (in_place >= 0) lower.in_place_of = graph.node(in_place);
    absl::StatusOr<LoweredKernel> k = LowerGroup(graph, out.plan, g, lower);
    if (!k.ok()) {
      attempt->kernel_failed = true;
      return k.status();
    }
    attempt->largest_kernel_instrs =
        std::max(attempt->largest_kernel_instrs, static_cast<int64_t>(k->kernel.instrs.size()));
    attempt->most_kernel_buffers =
        std::max(attempt->most_kernel_buffers, static_cast<int64_t>(k->kernel.buffers.size()));
    out.kernels.push_back(*std::move(k));
  }
  return out;
}

absl::StatusOr<CompiledPlan> CompileGraph(const ir::Graph& graph,
                                          const GraphCompileOptions& options,
                                          KernelCompiler& backend, CompileAttempt* attempt) {
  CompileAttempt ignored;
  if (attempt == nullptr) attempt = &ignored;
  ASSIGN_OR_RETURN(LoweredGraph lowered, LowerGraph(graph, options, attempt));
  const passes::FusionPlan& plan = lowered.plan;
  const passes::Schedule& schedule = lowered.schedule;
  CompiledPlan out;
  out.num_nodes = graph.num_nodes();
  out.slot_bytes = schedule.slot_bytes;
  for (const ir::Node* in : graph.inputs()) out.inputs.push_back({in->id(), in->attrs().index});
  for (const ir::Node* o : graph.outputs()) out.outputs.push_back(o->id());
  auto injected = [&](int g) {
    return options.fail_fused_kernels_for_testing && plan.groups[g].members.size() > 1;
  };
  // The kernels to compile, all in one call so that the backend may compile them together. An
  // empty domain has nothing to run, so nothing to compile.
  std::vector<const ir::Kernel*> to_compile;
  std::vector<int> compiled_index(lowered.kernels.size(), -1);
  for (size_t pos = 0; pos < lowered.kernels.size(); ++pos) {
    const LoweredKernel& k = lowered.kernels[pos];
    if (k.points == 0) continue;
    if (injected(schedule.order[pos])) {
      attempt->kernel_failed = true;
      return absl::InternalError(absl::StrCat("injected compile failure of kernel @",
                                              plan.groups[schedule.order[pos]].name));
    }
    compiled_index[pos] = static_cast<int>(to_compile.size());
    to_compile.push_back(&k.kernel);
  }
  std::vector<absl::StatusOr<KernelCode>> code = backend.CompileAll(to_compile);
  RET_CHECK(code.size() == to_compile.size(), "the backend compiled ", code.size(), " of ",
            to_compile.size(), " kernels");
  for (size_t pos = 0; pos < schedule.order.size(); ++pos) {
    const int g = schedule.order[pos];
    LoweredKernel& k = lowered.kernels[pos];
    CompiledGroup cg;
    if (compiled_index[pos] >= 0) {
      absl::StatusOr<KernelCode>& c = code[compiled_index[pos]];
      if (!c.ok()) {
        attempt->kernel_failed = true;
        return c.status();
      }
      cg.code = *std::move(c);
    }
    cg.name = plan.groups[g].name;
    for (const ir::Node* m : plan.groups[g].members) cg.members.push_back(m->id());
    cg.params = std::move(k.params);
    for (const ir::Node* v : k.values) cg.values.push_back(v->id());
    for (const ir::Node* b : k.buffers) {
      cg.buffers.push_back(b->id());
      cg.buffer_bytes.push_back(ir::SizeBytes(b->type()));
    }
    for (const ir::Node* r : plan.groups[g].roots) {
      cg.roots.push_back(r->id());
      cg.root_types.push_back(r->type());
      cg.root_slots.push_back(schedule.slot[r->id()]);
    }
    cg.release = schedule.release_after[pos];
    cg.free_slots = schedule.slots_free_after[pos];
    cg.points = k.points;
    cg.max_elements = k.max_elements;
    cg.work = k.work;
    out.groups.push_back(std::move(cg));
  }
  return out;
}

absl::StatusOr<GraphDescription> DescribeGraph(const ir::Graph& source,
                                               const GraphCompileOptions& options,
                                               const DescribeOptions& describe) {
  GraphDescription out;
#if !NDJIT_HAVE_CUDA
  if (describe.cuda)
    return absl::FailedPreconditionError("this build of ndjit has no CUDA backend");
#endif
  ASSIGN_OR_RETURN(std::optional<ir::Graph> split, SplitGraph(source, options));
  if (split) out.split_graph = ir::PrintGraph(*split);
  const ir::Graph& graph = split ? *split : source;
  ASSIGN_OR_RETURN(LoweredGraph lowered, LowerGraph(graph, options));
  out.fusion = passes::PrintFusionPlan(graph, lowered.plan);
  out.schedule = passes::PrintSchedule(lowered.plan, lowered.schedule);
#if NDJIT_HAVE_CUDA
  std::vector<cuda::RenderedKernel> rendered;
  absl::flat_hash_set<std::string> entries;  // one program: entry names must be distinct
#endif
  for (size_t pos = 0; pos < lowered.kernels.size(); ++pos) {
    const int g = lowered.schedule.order[pos];
    const LoweredKernel& k = lowered.kernels[pos];
    KernelReport report;
    report.name = lowered.plan.groups[g].name;
    report.kernel_ir = ir::PrintKernel(k.kernel, /*notes=*/true);
    if (describe.llvm_ir || describe.assembly) {
      cpu::CompileOptions opts;
      opts.keep_llvm_ir = describe.llvm_ir;
      opts.keep_assembly = describe.assembly;
      ASSIGN_OR_RETURN(cpu::CompiledKernel c, cpu::Compile(k.kernel, opts));
      report.llvm_ir = std::move(c.llvm_ir);
      report.assembly = std::move(c.assembly);
    }
#if NDJIT_HAVE_CUDA
    if (describe.cuda) {
      std::string entry = cuda::EntryName(k.kernel.name);
      if (!entries.insert(entry).second) absl::StrAppend(&entry, "_k", g);
      ASSIGN_OR_RETURN(cuda::RenderedKernel r, cuda::RenderKernel(k.kernel, entry));
      report.cuda = r.text;
      rendered.push_back(std::move(r));
    }
#endif
    out.kernels.push_back(std::move(report));
  }
#if NDJIT_HAVE_CUDA
  if (describe.cuda) out.cuda_program = cuda::StandaloneProgramText(rendered);
#endif
  return out;
}

}  // namespace ndjit::codegen
