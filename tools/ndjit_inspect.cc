// ndjit-inspect: reads graph IR text, verifies it, optionally runs passes over it, and prints it
// in canonical form, as stats, or as the fused kernels the CPU backend would run (--emit). The
// project's opt-style driver (issue #5 adds --dot, --html, explain and the remaining passes).
//
//   ndjit-inspect graph.ir                          # verify, print canonical text
//   ndjit-inspect --passes=cse,dce graph.ir         # run passes in order, print the result
//   ndjit-inspect --passes=default --print_after_all graph.ir
//   ndjit-inspect --no_locations graph.ir           # without loc(...) call sites
//   ndjit-inspect --stats graph.ir                  # node, op and byte counts
//   ndjit-inspect -                                 # read standard input
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "ir/parser.h"
#include "ir/printer.h"
#include "ir/status_macros.h"
#include "ir/verifier.h"
#include "passes/fusion.h"
#include "passes/pipeline.h"
#include "runtime/executor.h"

ABSL_FLAG(bool, stats, false, "print node, op and byte counts instead of the IR");
ABSL_FLAG(bool, no_locations, false, "omit loc(...) call sites when printing");
ABSL_FLAG(std::string, passes, "",
          "comma-separated passes to run in order, or 'default' for the materialization "
          "pipeline; each is verified after it changes the graph");
ABSL_FLAG(bool, print_after_all, false, "print the graph after every pass");
ABSL_FLAG(std::string, emit, "graph",
          "what to print: graph (the IR after the passes), fusion (the kernels the CPU backend "
          "would run, by node), kernel (their kernel IR with call sites), llvm (kernel IR "
          "followed by the optimized LLVM IR of each kernel)");

namespace {

int Fail(const std::string& message) {
  std::cerr << message << "\n";
  return 1;
}

void PrintStats(const ndjit::ir::Graph& g) {
  std::map<std::string, int> ops;
  int64_t bytes = 0;
  for (const auto& node : g.nodes()) {
    ++ops[ndjit::ir::OpName(node->op())];
    bytes += ndjit::ir::NumElements(node->shape()) * ndjit::DTypeSize(node->dtype());
  }
  std::cout << "graph @" << g.name() << ": " << g.num_nodes() << " nodes, " << g.num_inputs()
            << " inputs, " << g.outputs().size() << " outputs, " << bytes
            << " bytes if every node were stored\n";
  for (const auto& [op, count] : ops) std::cout << "  " << op << ": " << count << "\n";
}

// Builds the pipeline the --passes flag names.
absl::StatusOr<ndjit::passes::Pipeline> MakePipeline(const std::string& spec, bool locations) {
  ndjit::passes::PipelineOptions options;
  options.print_after_all = absl::GetFlag(FLAGS_print_after_all);
  options.print_sink = [](const std::string& text) { std::cout << text; };
  options.print_options.locations = locations;
  if (spec == "default") return ndjit::passes::DefaultPipeline(options);
  ndjit::passes::Pipeline pipeline(options);
  for (absl::string_view name : absl::StrSplit(spec, ',', absl::SkipEmpty())) {
    absl::StatusOr<std::unique_ptr<ndjit::passes::Pass>> pass =
        ndjit::passes::CreatePass(ndjit::StdView(name));
    if (!pass.ok()) return pass.status();
    pipeline.Add(*std::move(pass));
  }
  return pipeline;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "verifies graph IR text and prints it canonically.\n"
      "usage: ndjit-inspect [--passes=LIST|default] [--print_after_all] [--stats]\n"
      "                     [--emit=graph|fusion|kernel|llvm] [--no_locations] FILE.ir|-\n"
      "examples:\n"
      "  ndjit-inspect graph.ir\n"
      "  ndjit-inspect --passes=cse,dce graph.ir\n"
      "  ndjit-inspect --passes=default --print_after_all graph.ir\n"
      "  ndjit-inspect --stats graph.ir\n"
      "  ndjit-inspect --passes=default --emit=kernel graph.ir");
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() != 2) return Fail("ndjit-inspect: expected one input file (see --help)");
  const std::string path = args[1];
  std::stringstream text;
  if (path == "-") {
    text << std::cin.rdbuf();
  } else {
    std::ifstream in(path);
    if (!in) return Fail(absl::StrCat(path, ": error: cannot open file"));
    text << in.rdbuf();
  }
  auto graphs = ndjit::ir::ParseGraphs(text.str(), path == "-" ? "<stdin>" : path);
  if (!graphs.ok()) return Fail(std::string(graphs.status().message()));
  const bool locations = !absl::GetFlag(FLAGS_no_locations);
  for (const auto& g : *graphs) {
    absl::Status verified = ndjit::ir::VerifyGraph(*g);
    if (!verified.ok()) return Fail(absl::StrCat(path, ": error: ", verified.message()));
    if (!absl::GetFlag(FLAGS_passes).empty()) {
      absl::StatusOr<ndjit::passes::Pipeline> pipeline =
          MakePipeline(absl::GetFlag(FLAGS_passes), locations);
      if (!pipeline.ok()) return Fail(absl::StrCat("ndjit-inspect: ", pipeline.status().message()));
      absl::Status ran = pipeline->Run(*g);
      if (!ran.ok()) return Fail(absl::StrCat(path, ": error: ", ran.message()));
      if (absl::GetFlag(FLAGS_print_after_all)) continue;  // the last print is the result
    }
    const std::string emit = absl::GetFlag(FLAGS_emit);
    if (absl::GetFlag(FLAGS_stats)) {
      PrintStats(*g);
    } else if (emit == "fusion") {
      std::cout << ndjit::passes::PrintFusionPlan(*g, ndjit::passes::PlanFusion(*g));
    } else if (emit == "kernel" || emit == "llvm") {
      ndjit::runtime::DescribeOptions describe;
      describe.execute.split_reductions = false;
      describe.llvm_ir = emit == "llvm";
      auto kernels = ndjit::runtime::DescribeKernels(*g, describe);
      if (!kernels.ok()) return Fail(absl::StrCat(path, ": error: ", kernels.status().message()));
      for (const auto& k : kernels->kernels) {
        std::cout << k.kernel_ir;
        if (!k.llvm_ir.empty()) std::cout << "\n" << k.llvm_ir;
        std::cout << "\n";
      }
    } else if (emit != "graph") {
      return Fail(absl::StrCat("ndjit-inspect: unknown --emit=", emit,
                               "; expected graph, fusion, kernel or llvm"));
    } else {
      std::cout << ndjit::ir::PrintGraph(*g, {.locations = locations});
    }
  }
  return 0;
}
