// Why each kernel was compiled (see compile_log.h).
#include "runtime/compile_log.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "ir/dtype.h"
#include "runtime/disk_cache.h"

namespace ndjit::runtime {

namespace {

constexpr size_t kMaxRecords = 4096;
// Kernels of one structure kept for comparison (the most recent).
constexpr size_t kHistoryPerStructure = 16;
constexpr int kReasons = 5;

// The canonical text split at spaces and punctuation: equal-length token lists of two kernels
// line up instruction by instruction when only constants, dtypes or counts differ.
std::vector<std::string> Tokens(const std::string& text) {
  std::vector<std::string> out;
  for (absl::string_view t :
       absl::StrSplit(text, absl::ByAnyChar(" \n,()[]{}:="), absl::SkipEmpty())) {
    out.emplace_back(t);
  }
  return out;
}

bool IsDType(const std::string& token) { return ir::ParseDType(token).has_value(); }

bool IsNumber(const std::string& token) {
  double v = 0;
  return absl::SimpleAtod(token, &v);
}

// A kernel as the comparison sees it: its signature and the tokens of its body.
struct Seen {
  std::string text;  // ir::PrintKernel(kernel), the cache key's text
  std::vector<DType> buffers;
  std::vector<bool> outputs;
  int params = 0, values = 0, vars = 0;
  std::vector<std::string> body;  // the tokens after the header line
};

std::shared_ptr<const Seen> MakeSeen(const ir::Kernel& k, std::string text) {
  auto seen = std::make_shared<Seen>();
  for (const ir::KBuffer& b : k.buffers) {
    seen->buffers.push_back(b.dtype);
    seen->outputs.push_back(b.output);
  }
  seen->params = k.num_params;
  seen->values = k.num_values;
  seen->vars = k.num_vars;
  const size_t header_end = text.find('\n');
  seen->body = Tokens(header_end == std::string::npos ? std::string() : text.substr(header_end));
  seen->text = std::move(text);
  return seen;
}

struct Comparison {
  CompileReason reason = CompileReason::kNewLayout;
  std::string detail;
  int64_t distance = 0;  // smaller: nearer
};

// How `now` differs from `before`, a kernel of the same structure.
Comparison Compare(const Seen& now, const Seen& before) {
  Comparison c;
  std::vector<std::string> dtypes, counts, constants;
  auto note = [](std::vector<std::string>* list, std::string change) {
    if (list->size() < 3 && std::find(list->begin(), list->end(), change) == list->end()) {
      list->push_back(std::move(change));
    }
  };
  // The signature: buffers and their element types, then the parameter and loop counts.
  if (now.buffers.size() != before.buffers.size() || now.outputs != before.outputs) {
    c.reason = CompileReason::kNewLayout;
    c.detail =
        absl::StrFormat("other buffers (%d -> %d)", before.buffers.size(), now.buffers.size());
    c.distance = 100000;
    return c;
  }
  for (size_t i = 0; i < now.buffers.size(); ++i) {
    if (now.buffers[i] == before.buffers[i]) continue;
    c.distance += 100;
    note(&dtypes, absl::StrCat(ir::DTypeShortName(before.buffers[i]), " -> ",
                               ir::DTypeShortName(now.buffers[i])));
  }
  auto count = [&](const char* what, int b, int a) {
    if (a == b) return;
    c.distance += 100;
    counts.push_back(absl::StrCat(what, " ", b, " -> ", a));
  };
  count("params", before.params, now.params);
  count("vars", before.vars, now.vars);
  // A change of dtype may turn a float constant (a kernel parameter) into an integer one (code):
  // the value count follows the dtypes then, and is no layout of its own.
  if (dtypes.empty()) count("values", before.values, now.values);
  const std::vector<std::string>& ta = now.body;
  const std::vector<std::string>& tb = before.body;
  c.distance += std::abs(static_cast<int64_t>(ta.size()) - static_cast<int64_t>(tb.size())) * 1000;
  bool other = false;
  int differing = 0;
  if (ta.size() == tb.size()) {
    for (size_t i = 0; i < ta.size(); ++i) {
      if (ta[i] == tb[i]) continue;
      ++differing;
      const std::string& prev = i > 0 ? ta[i - 1] : ta[i];
      if ((prev == "const" || prev == "node") && IsNumber(ta[i]) && IsNumber(tb[i])) {
        // A literal, or the graph node a run-time check names.
        note(&constants,
             absl::StrCat(prev == "node" ? "check node" : prev, " ", tb[i], " -> ", ta[i]));
      } else if (IsDType(ta[i]) && IsDType(tb[i])) {
        note(&dtypes, absl::StrCat(tb[i], " -> ", ta[i]));
      } else {
        other = true;
      }
    }
    c.distance += differing;
  } else {
    other = true;
  }
  std::vector<std::string> parts = dtypes;
  if (!dtypes.empty()) {
    c.reason = CompileReason::kNewDType;
    if (!counts.empty())
      parts.push_back(absl::StrCat("rank or layout: ", absl::StrJoin(counts, ", ")));
  } else if (!counts.empty()) {
    c.reason = CompileReason::kNewLayout;
    parts.push_back(absl::StrCat("rank or layout: ", absl::StrJoin(counts, ", ")));
  } else if (other) {
    c.reason = CompileReason::kNewLayout;
    parts.push_back(ta.size() == tb.size()
                        ? absl::StrFormat("other index arithmetic (%d tokens differ)", differing)
                        : absl::StrFormat("another loop nest or index arithmetic (%d tokens -> %d)",
                                          tb.size(), ta.size()));
  } else if (!constants.empty()) {
    c.reason = CompileReason::kConstant;
    parts = constants;
  } else {
    c.reason = CompileReason::kNewStructure;
    parts.push_back("the same text as a kernel compiled before in this process");
  }
  c.detail = absl::StrJoin(parts, ", ");
  return c;
}

// The user's line of the kernel's last op with a known one ("%12 = exp : f32[4] at f.cc:3:9").
std::string Site(const ir::Kernel& kernel) {
  for (auto it = kernel.notes.rbegin(); it != kernel.notes.rend(); ++it) {
    const size_t at = it->rfind(" at ");
    if (at == std::string::npos) continue;
    std::string site = it->substr(at + 4);
    if (!site.empty() && site != "<unknown>") return site;
  }
  return "unknown";
}

struct SiteState {
  absl::flat_hash_set<uint64_t> kernels;  // hashes of the distinct kernel texts
  int64_t by_reason[kReasons] = {};
  std::string last_detail[kReasons];
};

struct Log {
  std::mutex mu;
  // "backend name" -> the kernels of that structure seen last.
  absl::flat_hash_map<std::string, std::deque<std::shared_ptr<const Seen>>> history;
  std::deque<CompileRecord> records;
  absl::flat_hash_map<std::string, SiteState> sites;  // "backend site"
  // Sites warned about; kept across ResetCompileRecords, so a site warns once per process.
  absl::flat_hash_set<std::string> warned;
  std::function<void(const CompileRecord&)> observer;
};
Log& TheLog() {
  static auto* log = new Log();
  return *log;
}

std::atomic<bool>& LogFlag() {
  static auto* flag = [] {
    bool on = false;
    if (const char* v = std::getenv("NDJIT_LOG"); v != nullptr && *v != '\0') {
      for (absl::string_view topic : absl::StrSplit(v, ',', absl::SkipEmpty())) {
        if (topic == "compiles") {
          on = true;
        } else {
          std::cerr << "ndjit: warning: NDJIT_LOG: unknown topic \"" << topic
                    << "\" (known: compiles)\n";
        }
      }
    }
    return new std::atomic<bool>(on);
  }();
  return *flag;
}

std::string Advice(CompileReason reason) {
  switch (reason) {
    case CompileReason::kConstant:
      return "An integer or boolean value that changes there is compiled into each kernel: pass "
             "it as an array (float scalars are kernel parameters already)";
    case CompileReason::kNewDType:
      return "The arrays' dtypes change there: convert them once, outside the loop";
    case CompileReason::kNewLayout:
      return "The arrays' ranks or layouts change there: keep one rank, or make views contiguous "
             "once";
    case CompileReason::kNewStructure:
    case CompileReason::kUnfusedRetry:
      return "The computation itself changes there";
  }
  return "";
}

}  // namespace

const char* CompileReasonName(CompileReason reason) {
  switch (reason) {
    case CompileReason::kNewStructure:
      return "new-structure";
    case CompileReason::kNewDType:
      return "new-dtype";
    case CompileReason::kNewLayout:
      return "new-layout";
    case CompileReason::kConstant:
      return "constant";
    case CompileReason::kUnfusedRetry:
      return "unfused-retry";
  }
  return "?";
}

CompileRecord NoteCompile(const ir::Kernel& kernel, std::string text, std::string_view backend,
                          bool unfused_retry, bool loaded, double seconds) {
  CompileRecord r;
  r.backend = std::string(backend);
  r.kernel = kernel.name;
  r.site = Site(kernel);
  r.loaded = loaded;
  r.seconds = seconds;
  const uint64_t hash = Fnv1a(std::string_view(text));
  std::shared_ptr<const Seen> now = MakeSeen(kernel, std::move(text));
  const std::string structure = absl::StrCat(r.backend, " ", kernel.name);
  Log& log = TheLog();
  // The comparison runs outside the lock, over the history as it was (compiles on other threads
  // are compared and recorded side by side).
  std::vector<std::shared_ptr<const Seen>> history;
  {
    std::lock_guard<std::mutex> lock(log.mu);
    if (auto it = log.history.find(structure); it != log.history.end()) {
      history.assign(it->second.begin(), it->second.end());
    }
  }
  std::optional<Comparison> nearest;
  for (const std::shared_ptr<const Seen>& before : history) {
    Comparison c = Compare(*now, *before);
    // Ties go to the most recent kernel ("const 4 -> 5" in a loop, not "const 1 -> 5").
    if (!nearest || c.distance <= nearest->distance) nearest = std::move(c);
  }
  if (unfused_retry) {
    r.reason = CompileReason::kUnfusedRetry;
    r.detail = "the fused kernels of its graph failed to compile";
  } else if (nearest) {
    r.reason = nearest->reason;
    r.detail = nearest->detail;
  } else {
    r.reason = CompileReason::kNewStructure;
  }
  std::string warning;
  std::function<void(const CompileRecord&)> observer;
  {
    std::lock_guard<std::mutex> lock(log.mu);
    std::deque<std::shared_ptr<const Seen>>& seen = log.history[structure];
    if (std::none_of(seen.begin(), seen.end(),
                     [&](const std::shared_ptr<const Seen>& k) { return k->text == now->text; })) {
      seen.push_back(now);
      if (seen.size() > kHistoryPerStructure) seen.pop_front();
    }
    log.records.push_back(r);
    if (log.records.size() > kMaxRecords) log.records.pop_front();
    const std::string site_key = absl::StrCat(r.backend, " ", r.site);
    SiteState& site = log.sites[site_key];
    site.by_reason[static_cast<int>(r.reason)] += 1;
    site.last_detail[static_cast<int>(r.reason)] = r.detail;
    site.kernels.insert(hash);
    if (r.site != "unknown" && static_cast<int>(site.kernels.size()) > kCompilesBeforeWarning &&
        log.warned.insert(site_key).second) {
      int top = 0;
      std::vector<std::string> parts;
      for (int i = 0; i < kReasons; ++i) {
        if (site.by_reason[i] == 0) continue;
        if (site.by_reason[i] > site.by_reason[top]) top = i;
        std::string part =
            absl::StrCat(CompileReasonName(static_cast<CompileReason>(i)), " ", site.by_reason[i]);
        if (!site.last_detail[i].empty()) {
          absl::StrAppend(&part, " (last: ", site.last_detail[i], ")");
        }
        parts.push_back(std::move(part));
      }
      warning = absl::StrCat(
          "ndjit: warning: ", r.site, " needed ", site.kernels.size(), " distinct ", r.backend,
          " kernels; what kept changing: ", absl::StrJoin(parts, ", "), ". ",
          Advice(static_cast<CompileReason>(top)), ". NDJIT_LOG=compiles lists every compile.\n");
    }
    observer = log.observer;
  }
  if (LogCompiles()) {
    std::cerr << absl::StrFormat("ndjit: %s %s kernel @%s at %s %sin %.3f ms: %s%s%s\n",
                                 loaded ? "loaded" : "compiled", r.backend, r.kernel, r.site,
                                 loaded ? "from the disk cache " : "", r.seconds * 1e3,
                                 CompileReasonName(r.reason), r.detail.empty() ? "" : " (",
                                 r.detail.empty() ? "" : r.detail + ")");
  }
  if (!warning.empty()) std::cerr << warning;
  if (observer) observer(r);
  return r;
}

std::vector<CompileRecord> CompileRecords() {
  Log& log = TheLog();
  std::lock_guard<std::mutex> lock(log.mu);
  return std::vector<CompileRecord>(log.records.begin(), log.records.end());
}

void ResetCompileRecords() {
  Log& log = TheLog();
  std::lock_guard<std::mutex> lock(log.mu);
  log.records.clear();
  log.sites.clear();
}

void ForgetCompileHistoryForTesting() {
  Log& log = TheLog();
  std::lock_guard<std::mutex> lock(log.mu);
  log.records.clear();
  log.sites.clear();
  log.history.clear();
  log.warned.clear();
}

void SetCompileObserver(std::function<void(const CompileRecord&)> observer) {
  Log& log = TheLog();
  std::lock_guard<std::mutex> lock(log.mu);
  log.observer = std::move(observer);
}

bool LogCompiles() { return LogFlag().load(std::memory_order_relaxed); }

void SetLogCompiles(bool on) { LogFlag().store(on, std::memory_order_relaxed); }

}  // namespace ndjit::runtime
