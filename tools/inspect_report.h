// The reports of ndjit-inspect: Graphviz DOT of a fused graph, `explain`, `stats` and the
// self-contained HTML report. Each takes the graph after the passes (and, for stats and HTML,
// what the passes did) and returns text; ndjit_inspect.cc owns the command line.
#ifndef NDJIT_TOOLS_INSPECT_REPORT_H_
#define NDJIT_TOOLS_INSPECT_REPORT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ir/graph.h"
#include "passes/fusion.h"
#include "passes/pipeline.h"

namespace ndjit::tools {

// DOT: each kernel is a cluster; each node is labelled with its op, type and the user's
// file:line; stored values are bold, edges between kernels are dashed and carry their bytes.
std::string GraphToDot(const ir::Graph& graph, const passes::FusionPlan& plan);

// For every edge that crosses a kernel boundary, why the producer was stored rather than fused
// into its consumer; then the bytes the fused plan moves against the op-by-op plan.
std::string Explain(const ir::Graph& graph, const passes::FusionPlan& plan);

// Nodes, ops, kernels, buffers, planned peak bytes (scheduled and in program order) and the
// time of each pass that ran.
std::string Stats(const ir::Graph& graph, const std::vector<passes::PassRun>& runs);

// Bytes read from buffers plus bytes written by the kernels of `plan`.
int64_t BytesMoved(const ir::Graph& graph, const passes::FusionPlan& plan);

// `dot -Tsvg` of the DOT text, or an error when Graphviz is not installed or fails.
absl::StatusOr<std::string> RenderSvg(const std::string& dot);

// A self-contained HTML page: stats, the picture (SVG when Graphviz is installed, the DOT text
// otherwise), the IR before and after the passes, the fusion plan, the schedule and every kernel
// with its kernel IR, LLVM IR and assembly.
absl::StatusOr<std::string> HtmlReport(const std::string& title, const std::string& input_ir,
                                       const ir::Graph& graph,
                                       const std::vector<passes::PassRun>& runs);

}  // namespace ndjit::tools

#endif  // NDJIT_TOOLS_INSPECT_REPORT_H_
