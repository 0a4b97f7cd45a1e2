// ndjit-inspect: reads graph IR text, verifies it, and prints it in canonical form or as stats.
//
// This is the seed of the project's opt-style driver (issue #5 adds passes, --emit, --dot and
// explain). Today it checks and normalizes .ir files: dumps, golden files, hand-written graphs.
//
//   ndjit-inspect graph.ir                 # verify, print canonical text
//   ndjit-inspect --no_locations graph.ir  # the same without loc(...) call sites
//   ndjit-inspect --stats graph.ir         # node, op and byte counts
//   ndjit-inspect -                        # read standard input
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "ir/parser.h"
#include "ir/printer.h"
#include "ir/verifier.h"

ABSL_FLAG(bool, stats, false, "print node, op and byte counts instead of the IR");
ABSL_FLAG(bool, no_locations, false, "omit loc(...) call sites when printing");

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

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "verifies graph IR text and prints it canonically.\n"
      "usage: ndjit-inspect [--stats] [--no_locations] FILE.ir|-\n"
      "examples:\n"
      "  ndjit-inspect dump/0001-main.ir\n"
      "  ndjit-inspect --stats dump/0001-main.ir");
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
  for (const auto& g : *graphs) {
    absl::Status verified = ndjit::ir::VerifyGraph(*g);
    if (!verified.ok()) return Fail(absl::StrCat(path, ": error: ", verified.message()));
    if (absl::GetFlag(FLAGS_stats)) {
      PrintStats(*g);
    } else {
      std::cout << ndjit::ir::PrintGraph(*g, {.locations = !absl::GetFlag(FLAGS_no_locations)});
    }
  }
  return 0;
}
