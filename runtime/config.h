// Process-wide switches: which backend computes, eager mode, thread count.
//
// Each is read once from the environment and can be changed from C++ (ndjit::set_backend etc.):
//   NDJIT_BACKEND=cpu|interp   cpu (default): fused kernels compiled by the LLVM JIT;
//                              interp: the reference interpreter, node by node.
//   NDJIT_EAGER=1              materialize every op as soon as it is recorded (no fusion across
//                              ops: the unfused baseline, and errors at the op call).
//   NDJIT_NUM_THREADS=n        threads for kernels (default: the hardware's).
#ifndef NDJIT_RUNTIME_CONFIG_H_
#define NDJIT_RUNTIME_CONFIG_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace ndjit::runtime {

enum class Backend { kInterp, kCpu };

struct Config {
  Backend backend = Backend::kCpu;
  bool eager = false;
  int num_threads = 1;
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
const char* BackendName(Backend backend);

}  // namespace ndjit::runtime

#endif  // NDJIT_RUNTIME_CONFIG_H_
