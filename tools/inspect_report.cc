// Reports of ndjit-inspect (see inspect_report.h).
#include "tools/inspect_report.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "codegen/cpu/cpu_backend.h"
#include "ir/printer.h"
#include "ir/status_macros.h"
#include "passes/schedule.h"
#include "runtime/executor.h"

namespace ndjit::tools {
namespace {

std::string DotEscape(const std::string& s) {
  return absl::StrReplaceAll(s, {{"\\", "\\\\"}, {"\"", "\\\""}});
}

std::string HtmlEscape(const std::string& s) {
  return absl::StrReplaceAll(s, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}});
}

std::string NodeLabel(const ir::Node& n) {
  std::string label = absl::StrCat("%", n.id(), " ", ir::OpName(n.op()), "\\n",
                                   DotEscape(ir::TypeToString(n.type())));
  if (n.loc().known()) absl::StrAppend(&label, "\\n", DotEscape(n.loc().ShortString()));
  return label;
}

// Why `producer` has a buffer of its own.
std::string StoredBecause(const ir::Graph& graph, const passes::FusionPlan& plan,
                          const ir::Node& producer) {
  if (!plan.reason[producer.id()].empty()) return plan.reason[producer.id()];
  for (const ir::Node* o : graph.outputs()) {
    if (o == &producer) return "it is a graph output (its array keeps the buffer)";
  }
  return "it is the root of its kernel";
}

std::string GroupName(const passes::FusionPlan& plan, int g) {
  return absl::StrCat("kernel ", g, " @", plan.groups[g].name);
}

}  // namespace

std::string GraphToDot(const ir::Graph& graph, const passes::FusionPlan& plan) {
  std::string out = absl::StrCat("digraph \"", DotEscape(graph.name()), "\" {\n",
                                 "  rankdir=TB;\n"
                                 "  node [shape=box, style=rounded, fontname=\"monospace\", "
                                 "fontsize=10];\n"
                                 "  edge [fontname=\"monospace\", fontsize=9];\n");
  // Each node is drawn once, in the first kernel that computes it; a node recomputed by other
  // kernels says so in its label.
  std::vector<int> home(graph.num_nodes(), -1);
  for (const auto& n : graph.nodes()) {
    const std::vector<int>& in = plan.computed_in[n->id()];
    if (!in.empty()) home[n->id()] = in.front();
  }
  auto node_line = [&](const ir::Node& n) {
    std::string label = NodeLabel(n);
    const std::vector<int>& in = plan.computed_in[n.id()];
    if (in.size() > 1) {
      absl::StrAppend(&label, "\\nrecomputed in kernels ", absl::StrJoin(in, ", "));
    }
    std::string attrs = absl::StrCat("label=\"", label, "\"");
    if (n.op() == ir::Op::kInput) absl::StrAppend(&attrs, ", shape=ellipse");
    if (plan.stored_by[n.id()] >= 0) absl::StrAppend(&attrs, ", penwidth=2");
    return absl::StrCat("n", n.id(), " [", attrs, "];\n");
  };
  for (size_t g = 0; g < plan.groups.size(); ++g) {
    absl::StrAppend(&out, "  subgraph cluster_", g, " {\n    label=\"",
                    DotEscape(GroupName(plan, static_cast<int>(g))),
                    plan.groups[g].row_kernel ? " (rows)" : "",
                    "\";\n    style=rounded;\n    color=\"#3465a4\";\n");
    for (const ir::Node* m : plan.groups[g].members) {
      if (home[m->id()] == static_cast<int>(g)) absl::StrAppend(&out, "    ", node_line(*m));
    }
    absl::StrAppend(&out, "  }\n");
  }
  for (const auto& n : graph.nodes()) {
    if (home[n->id()] < 0) absl::StrAppend(&out, "  ", node_line(*n));
  }
  for (const auto& n : graph.nodes()) {
    for (const ir::Node* o : n->operands()) {
      const bool crosses = home[o->id()] != home[n->id()];
      const bool buffer = o->op() == ir::Op::kInput || plan.stored_by[o->id()] >= 0;
      absl::StrAppend(&out, "  n", o->id(), " -> n", n->id());
      if (crosses && buffer) {
        absl::StrAppend(&out, " [style=dashed, label=\"", ir::SizeBytes(o->type()), " B\"]");
      } else if (crosses) {  // computed again in this kernel: no bytes travel
        absl::StrAppend(&out, " [style=dotted, label=\"recomputed\"]");
      }
      absl::StrAppend(&out, ";\n");
    }
  }
  absl::StrAppend(&out, "}\n");
  return out;
}

int64_t BytesMoved(const ir::Graph& graph, const passes::FusionPlan& plan) {
  int64_t bytes = 0;
  for (size_t g = 0; g < plan.groups.size(); ++g) {
    for (int b : passes::GroupReads(plan, static_cast<int>(g)))
      bytes += ir::SizeBytes(graph.node(b)->type());
    for (const ir::Node* r : plan.groups[g].roots) bytes += ir::SizeBytes(r->type());
  }
  return bytes;
}

std::string Explain(const ir::Graph& graph, const passes::FusionPlan& plan) {
  std::string out;
  int edges = 0;
  for (size_t g = 0; g < plan.groups.size(); ++g) {
    for (int b : passes::GroupReads(plan, static_cast<int>(g))) {
      const ir::Node& producer = *graph.node(b);
      const int from = plan.stored_by[b];
      if (from < 0) continue;  // a graph input: a buffer before any kernel runs
      ++edges;
      absl::StrAppend(&out, GroupName(plan, from), " -> ", GroupName(plan, static_cast<int>(g)),
                      ": %", b, " ", ir::OpName(producer.op()), " : ",
                      ir::TypeToString(producer.type()), " (", ir::SizeBytes(producer.type()),
                      " bytes)");
      if (producer.loc().known()) absl::StrAppend(&out, " at ", producer.loc().ToString());
      absl::StrAppend(&out, " is stored: ", StoredBecause(graph, plan, producer), "\n");
    }
  }
  if (edges == 0) absl::StrAppend(&out, "no value crosses a kernel boundary\n");
  const passes::FusionPlan unfused = passes::PlanFusion(graph, {.fuse = false});
  const int64_t fused_bytes = BytesMoved(graph, plan);
  const int64_t unfused_bytes = BytesMoved(graph, unfused);
  absl::StrAppend(&out, "bytes moved: fused ", fused_bytes, " in ", plan.groups.size(),
                  " kernels, op by op ", unfused_bytes, " in ", unfused.groups.size(), " kernels");
  if (fused_bytes > 0) {
    absl::StrAppend(&out, absl::StrFormat(" (%.2fx)", static_cast<double>(unfused_bytes) /
                                                          static_cast<double>(fused_bytes)));
  }
  absl::StrAppend(&out, "\n");
  return out;
}

std::string Stats(const ir::Graph& graph, const std::vector<passes::PassRun>& runs) {
  std::map<std::string, int> ops;
  for (const auto& node : graph.nodes()) ++ops[ir::OpName(node->op())];
  const passes::FusionPlan plan = passes::PlanFusion(graph);
  const passes::Schedule scheduled = passes::ScheduleKernels(graph, plan);
  const passes::Schedule program = passes::ScheduleKernels(
      graph, plan, {.reorder = false, .reuse_buffers = false, .in_place = false});
  std::string out =
      absl::StrCat("graph @", graph.name(), ": ", graph.num_nodes(), " nodes, ", graph.num_inputs(),
                   " inputs, ", graph.outputs().size(), " outputs\n");
  absl::StrAppend(&out, "ops: ",
                  absl::StrJoin(ops, ", ",
                                [](std::string* s, const auto& op) {
                                  absl::StrAppend(s, op.first, " ", op.second);
                                }),
                  "\n");
  absl::StrAppend(&out, "kernels: ", plan.groups.size(), "\n");
  absl::StrAppend(&out, "buffers: ", scheduled.slot_bytes.size(), ", ", scheduled.planned_bytes,
                  " bytes planned (without reuse: ", program.slot_bytes.size(), ", ",
                  program.planned_bytes, " bytes)\n");
  absl::StrAppend(&out, "peak live bytes: ", scheduled.peak_bytes, " scheduled, ",
                  program.peak_bytes, " in program order\n");
  absl::StrAppend(&out, "bytes moved: ", BytesMoved(graph, plan), " fused, ",
                  BytesMoved(graph, passes::PlanFusion(graph, {.fuse = false})), " op by op\n");
  for (const passes::PassRun& run : runs) {
    absl::StrAppend(&out, absl::StrFormat("pass %-20s %9.3f ms  %s\n", run.name, run.seconds * 1e3,
                                          run.changed ? "changed" : "no change"));
  }
  return out;
}

absl::StatusOr<std::string> RenderSvg(const std::string& dot) {
  char path[] = "/tmp/ndjit-inspect-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) return absl::UnavailableError("cannot create a temporary file for dot");
  close(fd);
  {
    std::ofstream out(path);
    out << dot;
  }
  const std::string command = absl::StrCat("dot -Tsvg '", path, "' 2>&1");
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    std::remove(path);
    return absl::UnavailableError("cannot run dot");
  }
  std::string svg;
  char buffer[4096];
  size_t n = 0;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) svg.append(buffer, n);
  const int status = pclose(pipe);
  std::remove(path);
  if (status != 0) {
    return absl::UnavailableError(WIFEXITED(status) && WEXITSTATUS(status) == 127
                                      ? std::string("Graphviz's dot is not installed")
                                      : absl::StrCat("dot failed: ", svg));
  }
  // Drop the XML prologue so that the SVG can sit inside HTML.
  if (const size_t at = svg.find("<svg"); at != std::string::npos) svg.erase(0, at);
  return svg;
}

absl::StatusOr<std::string> HtmlReport(const std::string& title, const std::string& input_ir,
                                       const ir::Graph& graph,
                                       const std::vector<passes::PassRun>& runs) {
  const passes::FusionPlan plan = passes::PlanFusion(graph);
  const std::string dot = GraphToDot(graph, plan);
  absl::StatusOr<std::string> svg = RenderSvg(dot);
  runtime::DescribeOptions describe;
  describe.llvm_ir = true;
  describe.assembly = true;
  describe.execute.streaming_store_bytes = codegen::cpu::StreamingStoreBytes();
  ASSIGN_OR_RETURN(runtime::KernelsDescription kernels, runtime::DescribeKernels(graph, describe));
  auto pre = [](const std::string& text) {
    return absl::StrCat("<pre>", HtmlEscape(text), "</pre>\n");
  };
  std::string out = absl::StrCat(
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>ndjit-inspect: ",
      HtmlEscape(title),
      "</title>\n<style>body{font-family:sans-serif;margin:2em;max-width:110em}"
      "pre{background:#f6f6f6;padding:.6em;overflow:auto;font-size:12px}"
      "summary{cursor:pointer;font-weight:bold;margin:.4em 0}</style></head><body>\n",
      "<h1>", HtmlEscape(title), "</h1>\n<h2>Summary</h2>\n", pre(Stats(graph, runs)),
      "<h2>Fused graph</h2>\n<p>Each box is a kernel; bold nodes are stored, dashed edges cross "
      "kernels.</p>\n");
  if (svg.ok()) {
    absl::StrAppend(&out, *svg, "\n");
  } else {
    absl::StrAppend(&out, "<p>(", HtmlEscape(std::string(svg.status().message())),
                    ": the DOT text follows)</p>\n", pre(dot));
  }
  absl::StrAppend(&out, "<h2>Why values are stored</h2>\n", pre(Explain(graph, plan)),
                  "<h2>IR before the passes</h2>\n", pre(input_ir),
                  "<h2>IR after the passes</h2>\n", pre(ir::PrintGraph(graph)),
                  "<h2>Fusion plan and schedule</h2>\n",
                  pre(absl::StrCat(kernels.fusion, "\n", kernels.schedule)));
  if (!kernels.split_graph.empty()) {
    absl::StrAppend(&out,
                    "<h2>IR after split-reductions (the kernels' node ids refer to it)</h2>\n",
                    pre(kernels.split_graph));
  }
  absl::StrAppend(&out, "<h2>Kernels</h2>\n");
  for (const runtime::KernelReport& k : kernels.kernels) {
    absl::StrAppend(&out, "<details><summary>@", HtmlEscape(k.name), "</summary>\n",
                    "<h3>Kernel IR</h3>\n", pre(k.kernel_ir), "<h3>LLVM IR</h3>\n", pre(k.llvm_ir),
                    "<h3>Assembly</h3>\n", pre(k.assembly), "</details>\n");
  }
  absl::StrAppend(&out, "</body></html>\n");
  return out;
}

}  // namespace ndjit::tools
