// Why each kernel was compiled: every compile or disk-cache load of a kernel, CPU or CUDA, is
// recorded with its reason, so "why is my loop slow" has an answer at the user's line.
//
// Reasons, found by comparing the kernel's canonical text with the kernels of the same structure
// (the same fused ops: the same kernel name) compiled before in this process:
//   new-structure  no kernel of this structure was seen before;
//   new-dtype      a known structure with other element types ("f32 -> f16");
//   new-layout     a known structure with another rank or layout (other index arithmetic,
//                  other loop nests: "vars 2 -> 3");
//   constant       a known structure with another integer or boolean constant compiled into the
//                  code ("const 3 -> 4") or a run-time check of another graph node ("check
//                  node 12 -> 15"): float constants and random seeds are kernel parameters and
//                  never do this;
//   unfused-retry  the fused kernel failed to compile, and this one is part of the op-by-op rerun.
// The detail names what differs from the nearest kernel seen before.
//
// Where they appear: CompileRecords() (ndjit::profiler::compiles()), the profiler's summary, the
// Chrome trace (the observer below), and with NDJIT_LOG=compiles one line per compile on stderr.
// A call site (the user's line of the kernel's last op) that needs more than 8 distinct kernels
// of one backend, compiled or loaded from the disk cache, prints one warning per process naming
// the site and what kept changing. Sites without a known line are not warned about.
#ifndef NDJIT_RUNTIME_COMPILE_LOG_H_
#define NDJIT_RUNTIME_COMPILE_LOG_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "ir/kernel.h"

namespace ndjit::runtime {

enum class CompileReason { kNewStructure, kNewDType, kNewLayout, kConstant, kUnfusedRetry };
const char* CompileReasonName(CompileReason reason);

struct CompileRecord {
  std::string backend;  // "cpu", "cuda"
  std::string kernel;   // the kernel's name (its fused ops)
  std::string site;     // the user's file:line:col of the kernel's last op, or "unknown"
  CompileReason reason = CompileReason::kNewStructure;
  std::string detail;   // what differs from the nearest kernel seen before ("f32 -> f16")
  bool loaded = false;  // loaded from the disk cache rather than compiled
  double seconds = 0;   // compile or load time
};

// Distinct kernels one call site may need before the warning.
inline constexpr int kCompilesBeforeWarning = 8;

// Records the compile (or disk load, `loaded`) of `kernel` on `backend` that took `seconds`, and
// returns its record. `text` is ir::PrintKernel(kernel) (the caller has it: its cache key).
// `unfused_retry`: the compile is part of the op-by-op rerun of a graph whose fused kernels
// failed. Thread-safe.
CompileRecord NoteCompile(const ir::Kernel& kernel, std::string text, std::string_view backend,
                          bool unfused_retry, bool loaded, double seconds);

// The records so far (the most recent 4096).
std::vector<CompileRecord> CompileRecords();
// Forgets the records and per-site counts (the comparison history, and the sites already warned
// about, stay: a kernel seen before is still not new, and a site warns once per process).
void ResetCompileRecords();

// Testing: also forgets the kernels seen, so the next compile of any structure is new.
void ForgetCompileHistoryForTesting();

// Called on the compiling thread after each record (the profiler adds a trace event).
void SetCompileObserver(std::function<void(const CompileRecord&)> observer);

// NDJIT_LOG=compiles (read once; or SetLogCompiles): one stderr line per compile or load.
bool LogCompiles();
void SetLogCompiles(bool on);

}  // namespace ndjit::runtime

#endif  // NDJIT_RUNTIME_COMPILE_LOG_H_
