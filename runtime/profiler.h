// The profiler: where blocking calls spent their time, and an optional Chrome trace.
//
// Always on (a few clock reads and one map update per blocking call): every blocking accessor
// records how long it waited and why, per user call site:
//   collect  building the pending graph on the calling thread;
//   queued   waiting while the engine worked on earlier tasks;
//   compile  its own task being optimized and compiled (or found in the caches);
//   run      its own task's kernels running;
//   copy     copying the result out (asnumpy, asscalar).
//
// Tracing (NDJIT_PROFILE=trace.json, or StartTrace) additionally keeps one event per recorded
// op, flush, compile, run and wait, on the thread that did it, and writes them as a Chrome trace
// (the JSON "traceEvents" format that chrome://tracing and ui.perfetto.dev open).
#ifndef NDJIT_RUNTIME_PROFILER_H_
#define NDJIT_RUNTIME_PROFILER_H_

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "ir/graph.h"

namespace ndjit::runtime::profiler {

// Nanoseconds on a monotonic clock since the profiler's epoch (process start).
int64_t NowNs();

// One blocking call, filled in by the accessor and the materializer.
struct Wait {
  const char* api = "";
  ir::SourceLoc site;
  int64_t start_ns = 0;
  int64_t collect_ns = 0;
  int64_t queued_ns = 0;
  int64_t compile_ns = 0;
  int64_t run_ns = 0;
  int64_t copy_ns = 0;
  // Whether the call found work to wait for (values not computed yet, or for waitall, work the
  // engine had not finished); a call that found everything computed only copied.
  bool waited = false;
};
// "file:line:col", or "unknown".
std::string SiteText(const ir::SourceLoc& site);

// Adds a finished blocking call (ended at `end_ns`) to its call site's totals, and to the trace.
void RecordWait(const Wait& wait, int64_t end_ns);

struct SiteStats {
  std::string api;
  std::string site;  // file:line:col, or "unknown"
  int64_t calls = 0;
  int64_t waits = 0;  // calls that waited (Wait::waited)
  int64_t total_ns = 0, collect_ns = 0, queued_ns = 0, compile_ns = 0, run_ns = 0, copy_ns = 0;
};
// Every call site seen, by total time blocked (largest first).
std::vector<SiteStats> CallSites();
void ResetCallSites();

// ---- Tracing ----
bool Tracing();
// Starts collecting events for a trace to be written to `path` (replacing any trace in
// progress without writing it).
void StartTrace(std::string path);
// Writes the collected events to the path given to StartTrace and stops tracing. An error if no
// trace was started or the file cannot be written.
absl::Status StopTrace();
// The path of the trace in progress ("" when not tracing).
std::string TracePath();

struct Arg {
  std::string key;
  std::variant<int64_t, double, std::string> value;
};
// A complete event ("ph":"X") on the calling thread, when tracing.
void AddEvent(const char* category, std::string name, int64_t start_ns, int64_t end_ns,
              std::vector<Arg> args = {});
// The name the trace shows for the calling thread (default "thread N").
void NameThisThread(std::string name);

}  // namespace ndjit::runtime::profiler

#endif  // NDJIT_RUNTIME_PROFILER_H_
