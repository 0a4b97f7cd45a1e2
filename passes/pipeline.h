// The pass pipeline: runs passes in order and owns everything around them.
//
// After every pass that reports a change the graph is verified (errors read "after pass NAME:
// ..."); with check_unchanged, a pass that reports no change must leave the printed graph
// identical. The pipeline also times each pass, prints the graph before or after one or all
// passes (or only after the passes that changed it), writes every intermediate graph to a dump
// directory, disables passes by name and stops after a bisect limit of pass executions.
//
// The same options come from a flag string (NDJIT_FLAGS in a running program): ApplyPipelineFlags
// parses it, and PipelineFlagUsages() lists every flag from the one table in pipeline.cc.
#ifndef NDJIT_PASSES_PIPELINE_H_
#define NDJIT_PASSES_PIPELINE_H_

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ir/printer.h"
#include "passes/pass.h"
#include "passes/schedule.h"

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
  bool disabled(std::string_view pass) const {
    return std::find(disable.begin(), disable.end(), pass) != disable.end();
  }
  // Run at most this many passes (-1: all); for bisecting a miscompile.
  int bisect_limit = -1;
  // Print the graph before every pass, or before the named one.
  bool print_before_all = false;
  std::string print_before;
  // Print the graph after every pass, or after the named one. print_changed restricts those to
  // the passes that changed the graph; on its own it prints after every pass that changed it.
  bool print_after_all = false;
  std::string print_after;
  bool print_changed = false;
  // Print one line per executed pass with its time and whether it changed the graph.
  bool time_passes = false;
  // When set, the graph is written to DIR/PREFIX00.input.ir before the first pass and to
  // DIR/PREFIXnn.NAME.ir after the nn-th executed pass (the directory must exist). A file that
  // cannot be written is a warning on the print sink, never an error: dumps do not change what
  // is computed.
  std::string dump_dir;
  std::string dump_prefix;
  // Kernel scheduling and buffer planning (schedule.h). The pipeline does not use them; they
  // travel with the flags so that NDJIT_FLAGS can switch them off when bisecting.
  ScheduleOptions schedule;
  // Elementwise CPU kernels write outputs as large as the last-level cache (at most 32 MiB) with
  // streaming (non-temporal) stores (codegen/cpu/cpu_backend.h); --streaming-stores=0 stores
  // everything through the caches. Travels with the flags for the same reason as `schedule`.
  bool streaming_stores = true;
  // --vector-math=glibc: CPU kernels compute exp, expm1, log, tanh and erf with glibc's functions
  // (libmvec's in vector loops, libm's in scalar remainders, as before ndjit had its own)
  // instead of ndjit's own vector math (codegen/prelude.cc; the default, --vector-math=ndjit).
  bool glibc_math = false;
  // CPU kernels prefetch the data of their contiguous loads ahead of them
  // (codegen/cpu/prefetch.h); --prefetch=0 leaves it to the hardware's prefetchers.
  bool prefetch = true;
  // Fresh host buffers of 4 MiB and more are advised as transparent huge pages
  // (runtime/buffer_pool.h); --huge-pages=0 leaves them to the system's default.
  bool huge_pages = true;
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
  void Print(const std::string& text) const;
  void Dump(const ir::Graph& graph, int index, std::string_view what) const;

  PipelineOptions options_;
  std::vector<std::unique_ptr<Pass>> passes_;
  std::vector<PassRun> runs_;
};

// The registered pass names, sorted.
std::vector<std::string_view> RegisteredPasses();
// A pass by its registered name; NotFound lists the known names.
absl::StatusOr<std::unique_ptr<Pass>> CreatePass(std::string_view name);
// The pipeline materialization runs before evaluating a graph: fold-constants, simplify, cse,
// canonicalize-views, dce.
Pipeline DefaultPipeline(PipelineOptions options = {});
// The names of the default pipeline's passes, in order.
std::vector<std::string_view> DefaultPassNames();

// Applies a flag string (flags separated by spaces, each --name or --name=value; see the top of
// this file) to `options`. Unknown flags, bad values and unknown pass names are InvalidArgument
// errors that list what is accepted.
absl::Status ApplyPipelineFlags(std::string_view flags, PipelineOptions* options);
// Every flag ApplyPipelineFlags accepts, as its help writes it ("--bisect-limit=N"), in order:
// the table the parser, its error messages and the README's switch list (checked by a test)
// follow.
std::vector<std::string_view> PipelineFlagUsages();

}  // namespace ndjit::passes

#endif  // NDJIT_PASSES_PIPELINE_H_
