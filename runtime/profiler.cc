// Blocking-call statistics and the Chrome trace (see profiler.h).
#include "runtime/profiler.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <mutex>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace ndjit::runtime::profiler {

namespace {

using Clock = std::chrono::steady_clock;

Clock::time_point Epoch() {
  static const Clock::time_point epoch = Clock::now();
  return epoch;
}
// Taken during static initialization, so the epoch is the process start.
[[maybe_unused]] const Clock::time_point kEpochInit = Epoch();

// A call site by pointers (string literals and source_location file names have static
// storage), so that recording a call formats no string; CallSites() merges equal texts.
struct SiteKey {
  const char* api;
  const char* file;
  uint32_t line, column;
  bool operator==(const SiteKey&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const SiteKey& k) {
    return H::combine(std::move(h), k.api, k.file, k.line, k.column);
  }
};

struct State {
  std::mutex mu;
  absl::flat_hash_map<SiteKey, SiteStats> sites;
  // Tracing.
  std::atomic<bool> tracing{false};
  std::string path;
  nlohmann::json events = nlohmann::json::array();
  absl::flat_hash_map<int, std::string> thread_names;
};

State& GetState() {
  static auto* state = new State();  // used from exit handlers: never destroyed
  return *state;
}

std::atomic<int>& NextThreadId() {
  static std::atomic<int> next{1};
  return next;
}

int ThisThreadId() {
  thread_local const int id = NextThreadId().fetch_add(1);
  return id;
}

double Micros(int64_t ns) { return static_cast<double>(ns) / 1e3; }

}  // namespace

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - Epoch()).count();
}

std::string SiteText(const ir::SourceLoc& site) {
  return site.known() ? site.ToString() : "unknown";
}

void RecordWait(const Wait& wait, int64_t end_ns) {
  State& s = GetState();
  const int64_t total = std::max<int64_t>(0, end_ns - wait.start_ns);
  {
    std::lock_guard<std::mutex> lock(s.mu);
    SiteStats& st = s.sites[SiteKey{wait.api, wait.site.file, wait.site.line, wait.site.column}];
    if (st.calls == 0) {
      st.api = wait.api;
      st.site = SiteText(wait.site);
    }
    ++st.calls;
    if (wait.waited) ++st.waits;
    st.total_ns += total;
    st.collect_ns += wait.collect_ns;
    st.queued_ns += wait.queued_ns;
    st.compile_ns += wait.compile_ns;
    st.run_ns += wait.run_ns;
    st.copy_ns += wait.copy_ns;
  }
  if (Tracing()) {
    AddEvent("wait", wait.api, wait.start_ns, end_ns,
             {{"site", SiteText(wait.site)},
              {"collect_us", Micros(wait.collect_ns)},
              {"queued_us", Micros(wait.queued_ns)},
              {"compile_us", Micros(wait.compile_ns)},
              {"run_us", Micros(wait.run_ns)},
              {"copy_us", Micros(wait.copy_ns)}});
  }
}

std::vector<SiteStats> CallSites() {
  State& s = GetState();
  std::vector<SiteStats> out;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    absl::flat_hash_map<std::pair<std::string, std::string>, size_t> index;
    for (const auto& [key, st] : s.sites) {
      auto [it, inserted] = index.try_emplace({st.api, st.site}, out.size());
      if (inserted) {
        out.push_back(st);
        continue;
      }
      SiteStats& merged = out[it->second];
      merged.calls += st.calls;
      merged.waits += st.waits;
      merged.total_ns += st.total_ns;
      merged.collect_ns += st.collect_ns;
      merged.queued_ns += st.queued_ns;
      merged.compile_ns += st.compile_ns;
      merged.run_ns += st.run_ns;
      merged.copy_ns += st.copy_ns;
    }
  }
  std::sort(out.begin(), out.end(), [](const SiteStats& a, const SiteStats& b) {
    if (a.total_ns != b.total_ns) return a.total_ns > b.total_ns;
    return std::tie(a.site, a.api) < std::tie(b.site, b.api);
  });
  return out;
}

void ResetCallSites() {
  State& s = GetState();
  std::lock_guard<std::mutex> lock(s.mu);
  s.sites.clear();
}

bool Tracing() { return GetState().tracing.load(std::memory_order_relaxed); }

void StartTrace(std::string path) {
  State& s = GetState();
  std::lock_guard<std::mutex> lock(s.mu);
  s.path = std::move(path);
  s.events = nlohmann::json::array();
  s.tracing.store(true, std::memory_order_relaxed);
}

std::string TracePath() {
  State& s = GetState();
  std::lock_guard<std::mutex> lock(s.mu);
  return s.tracing.load(std::memory_order_relaxed) ? s.path : std::string();
}

absl::Status StopTrace() {
  State& s = GetState();
  nlohmann::json events;
  std::string path;
  absl::flat_hash_map<int, std::string> names;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    if (!s.tracing.load(std::memory_order_relaxed)) {
      return absl::FailedPreconditionError("no trace is being recorded");
    }
    s.tracing.store(false, std::memory_order_relaxed);
    events = std::move(s.events);
    s.events = nlohmann::json::array();
    path = std::move(s.path);
    names = s.thread_names;
  }
  nlohmann::json trace;
  nlohmann::json all = nlohmann::json::array();
  all.push_back({{"ph", "M"}, {"name", "process_name"}, {"pid", 1}, {"args", {{"name", "ndjit"}}}});
  for (const auto& [tid, name] : names) {
    all.push_back({{"ph", "M"},
                   {"name", "thread_name"},
                   {"pid", 1},
                   {"tid", tid},
                   {"args", {{"name", name}}}});
  }
  for (nlohmann::json& e : events) all.push_back(std::move(e));
  trace["traceEvents"] = std::move(all);
  trace["displayTimeUnit"] = "ms";
  std::ofstream out(path);
  // Invalid UTF-8 (a source path in another encoding) is replaced rather than thrown: this runs
  // at exit.
  out << trace.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  out.close();
  if (!out) return absl::UnavailableError(absl::StrCat("cannot write the trace file ", path));
  return absl::OkStatus();
}

void AddEvent(const char* category, std::string name, int64_t start_ns, int64_t end_ns,
              std::vector<Arg> args) {
  if (!Tracing()) return;
  nlohmann::json e = {{"ph", "X"},
                      {"cat", category},
                      {"name", std::move(name)},
                      {"pid", 1},
                      {"tid", ThisThreadId()},
                      {"ts", Micros(start_ns)},
                      {"dur", Micros(std::max<int64_t>(0, end_ns - start_ns))}};
  if (!args.empty()) {
    nlohmann::json a = nlohmann::json::object();
    for (Arg& arg : args) {
      std::visit([&](auto&& v) { a[arg.key] = std::move(v); }, arg.value);
    }
    e["args"] = std::move(a);
  }
  State& s = GetState();
  std::lock_guard<std::mutex> lock(s.mu);
  if (s.tracing.load(std::memory_order_relaxed)) s.events.push_back(std::move(e));
}

void NameThisThread(std::string name) {
  State& s = GetState();
  const int id = ThisThreadId();
  std::lock_guard<std::mutex> lock(s.mu);
  s.thread_names[id] = std::move(name);
}

}  // namespace ndjit::runtime::profiler
