// Where did my time go? Blocking-call statistics and a Chrome trace.
//
// Every blocking call (asnumpy, asscalar, wait_to_read, waitall) is measured, always: how long
// it blocked and why, attributed to the user's file:line:
//   collect  building the pending graph on the calling thread;
//   queued   waiting while the engine worked on earlier work;
//   compile  optimizing and compiling the graph it needed (or finding it in the caches);
//   run      that graph's kernels running;
//   copy     copying the values out.
// summary() prints the call sites by total time blocked, with the compile, cache and flush
// counters. A program that reads a result one iteration late (the tutorial's LossBuffer) shows
// its blocked time fall here.
//
// Tracing (NDJIT_PROFILE=trace.json, written at exit; or start_trace/stop_trace) records one
// event per recorded op, flush, compile, run and blocking wait, per thread, as a Chrome trace
// that chrome://tracing and https://ui.perfetto.dev open.
#ifndef NDJIT_PROFILER_H_
#define NDJIT_PROFILER_H_

#include <cstdint>
#include <string>
#include <vector>

namespace ndjit::profiler {

struct CallSite {
  std::string api;   // "asnumpy", ...
  std::string site;  // "file.cc:12:7"
  int64_t calls = 0;
  int64_t waits = 0;  // calls that found their values not computed yet (the rest only copied)
  double total_seconds = 0;
  double collect_seconds = 0;
  double queued_seconds = 0;
  double compile_seconds = 0;
  double run_seconds = 0;
  double copy_seconds = 0;
};
// Blocking call sites, largest total first.
std::vector<CallSite> call_sites();
// A table of call_sites() and the engine's counters (kernels compiled, cache hits, flushes by
// reason, errors), for printing.
std::string summary();
// Forgets the call-site statistics and the compile records (the Stats counters have
// ndjit::reset_stats()).
void reset();

// Why each kernel was compiled (or loaded from the disk cache): one record per compile, the most
// recent 4096, oldest first. `reason` is one of
//   "new-structure"  the first kernel of these fused ops;
//   "new-dtype"      known ops with other element types (detail: "f32 -> f16");
//   "new-layout"     known ops with another rank or layout (detail: "rank or layout: vars 2 -> 3");
//   "constant"       known ops with another integer or boolean constant in the code
//                    (detail: "const 3 -> 4"; float scalars and random seeds are kernel
//                    parameters, never this);
//   "unfused-retry"  the fused kernels failed to compile and the graph ran op by op.
// NDJIT_LOG=compiles prints each one as it happens; a line of code that needs more than 8
// distinct kernels prints one warning saying what kept changing.
struct Compile {
  std::string backend;  // "cpu", "cuda"
  std::string kernel;   // the kernel's name (its fused ops)
  std::string site;     // the user's file:line:col of the kernel's last op, or "unknown"
  std::string reason;
  std::string detail;   // what differs from the nearest kernel compiled before
  bool loaded = false;  // from the disk cache
  double seconds = 0;
};
std::vector<Compile> compiles();

// Starts recording a trace to be written to `path` by stop_trace() (or at exit).
void start_trace(const std::string& path);
// Writes the trace and stops recording; throws ndjit::Error when no trace is being recorded or
// the file cannot be written.
void stop_trace();
bool tracing();

}  // namespace ndjit::profiler

#endif  // NDJIT_PROFILER_H_
