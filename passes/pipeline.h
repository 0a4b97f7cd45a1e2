// The pass pipeline: runs passes in order and owns everything around them.
//
// After every pass that reports a change the graph is verified (errors read "after pass NAME:
// ..."); with check_unchanged, a pass that reports no change must leave the printed graph
// identical. The pipeline also times each pass, prints the graph after one or all passes,
// disables passes by name and stops after a bisect limit of pass executions.
#ifndef NDJIT_PASSES_PIPELINE_H_
#define NDJIT_PASSES_PIPELINE_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ir/printer.h"
#include "passes/pass.h"

namespace ndjit::passes {

struct PipelineOptions {
  // Verify after every pass that changed the graph.
  bool verify_each = true;
  // Check that a pass reporting "no change" changed nothing (prints the graph twice per pass).
  // On in debug builds, which are the test builds.
#ifdef NDEBUG
  bool check_unchanged = false;
#else
  bool check_unchanged = true;
#endif
  // Names of passes to skip.
  std::vector<std::string> disable;
  // Run at most this many passes (-1: all); for bisecting a miscompile.
  int bisect_limit = -1;
  // Print the graph after every pass, or after the named one.
  bool print_after_all = false;
  std::string print_after;
  // Receives printed graphs ("// after pass NAME\n<graph>"); standard error when empty.
  std::function<void(const std::string&)> print_sink;
  // How those graphs are printed.
  ir::PrintOptions print_options;
};

struct PassRun {
  std::string name;
  bool changed = false;
  double seconds = 0;
};

class Pipeline {
 public:
  explicit Pipeline(PipelineOptions options = {}) : options_(std::move(options)) {}
  void Add(std::unique_ptr<Pass> pass) { passes_.push_back(std::move(pass)); }
  absl::Status Run(ir::Graph& graph);
  // One entry per pass executed by the last Run.
  const std::vector<PassRun>& runs() const { return runs_; }

 private:
  PipelineOptions options_;
  std::vector<std::unique_ptr<Pass>> passes_;
  std::vector<PassRun> runs_;
};

// The registered pass names, sorted.
std::vector<std::string_view> RegisteredPasses();
// A pass by its registered name; NotFound lists the known names.
absl::StatusOr<std::unique_ptr<Pass>> CreatePass(std::string_view name);
// The pipeline materialization runs before evaluating a graph: cse, dce.
Pipeline DefaultPipeline(PipelineOptions options = {});

}  // namespace ndjit::passes

#endif  // NDJIT_PASSES_PIPELINE_H_
