// ndjit::profiler: the public face of runtime/profiler.h.
#include "ndjit/profiler.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "ndjit/error.h"
#include "ndjit/ndjit.h"
#include "runtime/compile_log.h"
#include "runtime/materializer.h"
#include "runtime/profiler.h"

namespace ndjit::profiler {

namespace {
double Seconds(int64_t ns) { return static_cast<double>(ns) * 1e-9; }
}  // namespace

std::vector<CallSite> call_sites() {
  std::vector<CallSite> out;
  for (const runtime::profiler::SiteStats& s : runtime::profiler::CallSites()) {
    out.push_back(CallSite{s.api, s.site, s.calls, s.waits, Seconds(s.total_ns),
                           Seconds(s.collect_ns), Seconds(s.queued_ns), Seconds(s.compile_ns),
                           Seconds(s.run_ns), Seconds(s.copy_ns)});
  }
  return out;
}

std::string summary() {
  const std::vector<CallSite> sites = call_sites();
  std::string out = "ndjit profile: blocking calls by total time blocked (ms)\n";
  absl::StrAppendFormat(&out, "%-40s %-12s %7s %7s %9s %9s %9s %9s %9s %9s\n", "call site", "api",
                        "calls", "waited", "total", "collect", "queued", "compile", "run", "copy");
  double total = 0;
  for (const CallSite& c : sites) {
    std::string site = c.site;
    if (site.size() > 40) site = "..." + site.substr(site.size() - 37);
    absl::StrAppendFormat(&out, "%-40s %-12s %7d %7d %9.3f %9.3f %9.3f %9.3f %9.3f %9.3f\n", site,
                          c.api, c.calls, c.waits, c.total_seconds * 1e3, c.collect_seconds * 1e3,
                          c.queued_seconds * 1e3, c.compile_seconds * 1e3, c.run_seconds * 1e3,
                          c.copy_seconds * 1e3);
    total += c.total_seconds;
  }
  if (sites.empty()) absl::StrAppend(&out, "(no blocking calls)\n");
  const Stats s = stats();
  absl::StrAppendFormat(&out, "total blocked: %.3f ms in %d calls\n", total * 1e3,
                        s.blocking_calls);
  absl::StrAppendFormat(&out,
                        "engine: %d graphs computed (%d nodes recorded, %d after the optimizer); "
                        "kernels: %d compiled in %.3f ms, %d loaded from disk in %.3f ms, %d "
                        "cache hits, %d launches\n",
                        s.materializations, s.nodes_recorded, s.nodes_after_passes,
                        s.kernels_compiled, s.compile_seconds * 1e3, s.kernels_loaded,
                        s.load_seconds * 1e3, s.kernel_cache_hits, s.kernels_launched);
  absl::StrAppendFormat(&out,
                        "flushes: %d by accessors, %d by flush/eval_async, %d by waitall, %d at "
                        "the node limit, %d at the byte limit, %d eager\n",
                        s.flushes_accessor, s.flushes_explicit, s.flushes_waitall,
                        s.flushes_node_limit, s.flushes_byte_limit, s.flushes_eager);
  // Compiles by reason, and the lines that needed the most kernels.
  const std::vector<Compile> records = compiles();
  if (!records.empty()) {
    std::map<std::string, int64_t> by_reason, by_site;
    int64_t loaded = 0;
    for (const Compile& c : records) {
      by_reason[c.reason] += 1;
      by_site[absl::StrCat(c.site, " (", c.backend, ")")] += 1;
      loaded += c.loaded;
    }
    std::vector<std::string> reasons;
    for (const auto& [reason, n] : by_reason) reasons.push_back(absl::StrCat(n, " ", reason));
    absl::StrAppendFormat(&out, "compiles: %d (%d of them loaded from the disk cache): %s\n",
                          records.size(), loaded, absl::StrJoin(reasons, ", "));
    std::vector<std::pair<int64_t, std::string>> top;
    for (const auto& [site, n] : by_site) top.emplace_back(-n, site);
    std::sort(top.begin(), top.end());
    for (size_t i = 0; i < top.size() && i < 3; ++i) {
      absl::StrAppendFormat(&out, "  %4d kernel%s for %s\n", -top[i].first,
                            top[i].first == -1 ? "" : "s", top[i].second);
    }
  }
  if (s.deferred_errors > 0) {
    absl::StrAppendFormat(&out, "errors: %d raised while computing (%d graphs redone op by op)\n",
                          s.deferred_errors, s.op_by_op_retries);
  }
  return out;
}

void reset() {
  runtime::profiler::ResetCallSites();
  runtime::ResetCompileRecords();
}

std::vector<Compile> compiles() {
  std::vector<Compile> out;
  for (const runtime::CompileRecord& r : runtime::CompileRecords()) {
    out.push_back(Compile{r.backend, r.kernel, r.site, runtime::CompileReasonName(r.reason),
                          r.detail, r.loaded, r.seconds});
  }
  return out;
}

void start_trace(const std::string& path) {
  if (path.empty()) throw ValueError("profiler::start_trace: the path is empty");
  runtime::profiler::StartTrace(path);
}

void stop_trace() {
  const absl::Status s = runtime::profiler::StopTrace();
  if (!s.ok()) throw Error(absl::StrCat("profiler::stop_trace: ", s.message()));
}

bool tracing() { return runtime::profiler::Tracing(); }

}  // namespace ndjit::profiler
