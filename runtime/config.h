// Process-wide switches: which backend computes, eager mode, thread count, pass flags, dumps.
//
// Each is read once from the environment and can be changed from C++ (ndjit::set_backend etc.):
//   NDJIT_BACKEND=cpu|interp   cpu (default): fused kernels compiled by the LLVM JIT;
//                              interp: the reference interpreter, node by node.
//   NDJIT_EAGER=1              materialize every op as soon as it is recorded (no fusion across
//                              ops: the unfused baseline, and errors at the op call).
//   NDJIT_NUM_THREADS=n        threads for kernels (default: the hardware's).
//   NDJIT_FLAGS="--flag ..."   pass-pipeline options for every materialization (see
//                              passes/pipeline.h: print, disable, bisect, verify, time).
//   NDJIT_DUMP_DIR=dir         every materialization writes numbered files there: the graph
//                              before and after each pass, the kernels, their LLVM IR and a
//                              one-line summary naming the call that forced it.
// Elsewhere: NDJIT_CACHE, NDJIT_CACHE_DIR and NDJIT_CACHE_MAX_BYTES (the compile cache on disk,
// runtime/disk_cache.h), NDJIT_LOG=compiles (runtime/compile_log.h), NDJIT_PROFILE
// (runtime/profiler.h), NDJIT_MAX_PENDING_* (runtime/materializer.h).
#ifndef NDJIT_RUNTIME_CONFIG_H_
#define NDJIT_RUNTIME_CONFIG_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "passes/pipeline.h"

namespace ndjit::runtime {

enum class Backend { kInterp, kCpu };

struct Config {
  Backend backend = Backend::kCpu;
  bool eager = false;
  int num_threads = 1;
  // Pipeline options from NDJIT_FLAGS / SetFlags, and the text they came from.
  passes::PipelineOptions pipeline;
  std::string flags;
  // Where materializations write their dumps; empty: no dumps.
  std::string dump_dir;
  // A bad environment value, reported by every materialization until the C++ setter of that
  // switch overrides it (the default is used meanwhile).
  absl::Status env_error;
  std::string env_error_variable;  // "NDJIT_BACKEND", ...
};

// A copy of the current switches (thread-safe).
Config GetConfig();
// Eager mode alone, read on every recorded op (a relaxed atomic load, no lock).
bool EagerMode();
absl::Status SetBackend(std::string_view name);
void SetEager(bool eager);
absl::Status SetNumThreads(int n);
// Replaces the pipeline flags (an empty string restores the defaults); a bad string changes
// nothing and returns the parser's error.
absl::Status SetFlags(std::string_view flags);
void SetDumpDir(std::string dir);
const char* BackendName(Backend backend);

}  // namespace ndjit::runtime

#endif  // NDJIT_RUNTIME_CONFIG_H_
