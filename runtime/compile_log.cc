// Why each kernel was compiled (see compile_log.h).
#include "runtime/compile_log.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <deque>
#include <iostream>
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

// The kernel's header: "kernel @name(%b0: out f32, ...) params 2 vars 2 {".
std::string Header(const std::string& text) { return text.substr(0, text.find('\n')); }

struct Comparison {
  CompileReason reason = CompileReason::kNewLayout;
  std::string detail;
  int64_t distance = 0;  // smaller: nearer
};

// How `text` differs from `before`, a kernel of the same structure.
Comparison Compare(const std::string& text, const std::string& before) {
  Comparison c;
  const std::vector<std::string> a = Tokens(Header(text)), b = Tokens(Header(before));
  const std::vector<std::string> ta = Tokens(text), tb = Tokens(before);
  c.distance = std::abs(static_cast<int64_t>(ta.size()) - static_cast<int64_t>(tb.size())) * 1000;
  std::vector<std::string> changes;
  auto note = [&changes](std::string change) {
    if (changes.size() < 3 && std::find(changes.begin(), changes.end(), change) == changes.end()) {
      changes.push_back(std::move(change));
    }
  };
  if (a.size() != b.size()) {
    c.reason = CompileReason::kNewLayout;
    c.detail = "other buffers";
    c.distance += 10000;
    return c;
  }
  // The buffers' element types, then the size parameters and loop variables.
  std::vector<std::string> counts;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] == b[i]) continue;
    c.distance += 100;
    if (IsDType(a[i]) && IsDType(b[i])) {
      note(absl::StrCat(b[i], " -> ", a[i]));
    } else if (i > 0) {
      counts.push_back(absl::StrCat(a[i - 1], " ", b[i], " -> ", a[i]));
    }
  }
  if (!changes.empty() || !counts.empty()) {
    c.reason = changes.empty() ? CompileReason::kNewLayout : CompileReason::kNewDType;
    if (!counts.empty()) {
      changes.push_back(absl::StrCat("rank or layout: ", absl::StrJoin(counts, ", ")));
    }
    c.detail = absl::StrJoin(changes, ", ");
    return c;
  }
  if (ta.size() != tb.size()) {
    c.reason = CompileReason::kNewLayout;
    c.detail = absl::StrFormat("another loop nest or index arithmetic (%d tokens -> %d)", tb.size(),
                               ta.size());
    return c;
  }
  bool constant = false, dtype = false, other = false;
  int differing = 0;
  for (size_t i = 0; i < ta.size(); ++i) {
    if (ta[i] == tb[i]) continue;
    ++differing;
    if (i > 0 && ta[i - 1] == "const" && IsNumber(ta[i]) && IsNumber(tb[i])) {
      constant = true;
      note(absl::StrCat("const ", tb[i], " -> ", ta[i]));
    } else if (IsDType(ta[i]) && IsDType(tb[i])) {
      dtype = true;
      note(absl::StrCat(tb[i], " -> ", ta[i]));
    } else {
      other = true;
    }
  }
  c.distance += differing;
  if (other) {
    c.reason = CompileReason::kNewLayout;
    c.detail = absl::StrFormat("other index arithmetic (%d tokens differ)", differing);
  } else if (dtype) {
    c.reason = CompileReason::kNewDType;
    c.detail = absl::StrJoin(changes, ", ");
  } else if (constant) {
    c.reason = CompileReason::kConstant;
    c.detail = absl::StrJoin(changes, ", ");
  } else {
    c.reason = CompileReason::kNewStructure;
    c.detail = "the same text as a kernel compiled before in this process";
  }
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
  bool warned = false;
};

struct Log {
  std::mutex mu;
  absl::flat_hash_map<std::string, std::deque<std::string>> history;  // name -> texts
  std::deque<CompileRecord> records;
  absl::flat_hash_map<std::string, SiteState> sites;
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

CompileRecord NoteCompile(const ir::Kernel& kernel, std::string_view backend, bool unfused_retry,
                          bool loaded, double seconds) {
  CompileRecord r;
  r.backend = std::string(backend);
  r.kernel = kernel.name;
  r.site = Site(kernel);
  r.loaded = loaded;
  r.seconds = seconds;
  const std::string text = ir::PrintKernel(kernel);
  std::string warning;
  std::function<void(const CompileRecord&)> observer;
  {
    Log& log = TheLog();
    std::lock_guard<std::mutex> lock(log.mu);
    std::deque<std::string>& seen = log.history[kernel.name];
    std::optional<Comparison> nearest;
    for (const std::string& before : seen) {
      Comparison c = Compare(text, before);
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
    if (std::find(seen.begin(), seen.end(), text) == seen.end()) {
      seen.push_back(text);
      if (seen.size() > kHistoryPerStructure) seen.pop_front();
    }
    log.records.push_back(r);
    if (log.records.size() > kMaxRecords) log.records.pop_front();
    SiteState& site = log.sites[absl::StrCat(r.backend, " ", r.site)];
    site.by_reason[static_cast<int>(r.reason)] += 1;
    site.last_detail[static_cast<int>(r.reason)] = r.detail;
    site.kernels.insert(Fnv1a(std::string_view(text)));
    if (!site.warned && r.site != "unknown" &&
        static_cast<int>(site.kernels.size()) > kCompilesBeforeWarning) {
      site.warned = true;
      int top = 0;
      std::vector<std::string> parts;
      for (int i = 0; i < kReasons; ++i) {
        if (site.by_reason[i] == 0) continue;
        if (site.by_reason[i] > site.by_reason[top]) top = i;
        std::string part =
            absl::StrCat(CompileReasonName(static_cast<CompileReason>(i)), " ", site.by_reason[i]);
        if (!site.last_detail[i].empty())
          absl::StrAppend(&part, " (last: ", site.last_detail[i], ")");
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
}

void SetCompileObserver(std::function<void(const CompileRecord&)> observer) {
  Log& log = TheLog();
  std::lock_guard<std::mutex> lock(log.mu);
  log.observer = std::move(observer);
}

bool LogCompiles() { return LogFlag().load(std::memory_order_relaxed); }

void SetLogCompiles(bool on) { LogFlag().store(on, std::memory_order_relaxed); }

}  // namespace ndjit::runtime
