// The one header a program includes: NDArray, the nd:: functions, and process-wide calls.
#ifndef NDJIT_NDJIT_H_
#define NDJIT_NDJIT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "ndjit/dtype.h"
#include "ndjit/error.h"
#include "ndjit/host_array.h"
#include "ndjit/nd.h"
#include "ndjit/ndarray.h"

namespace ndjit {

// Blocks until every array that a live handle can reach is computed.
void waitall(SourceLocation site = SourceLocation::current());

// The pending graph that computing `arrays` would evaluate now, in the IR's text form (computed
// arrays appear as `input` leaves). Computes nothing.
std::string pending_ir(const std::vector<NDArray>& arrays);

// Process-wide counters, for tests and tools.
struct Stats {
  int64_t nodes_recorded = 0;    // ops recorded
  int64_t materializations = 0;  // graphs computed
  int64_t nodes_evaluated = 0;   // nodes computed
  // Nodes of the computed graphs before and after the optimizer (folding, simplification,
  // cse, view canonicalization, dce); the difference is work the optimizer removed.
  int64_t nodes_before_passes = 0;
  int64_t nodes_after_passes = 0;
  int64_t kernels_compiled = 0;   // CPU kernels compiled (kernel cache misses)
  int64_t kernel_cache_hits = 0;  // kernels found compiled
  int64_t kernels_launched = 0;   // kernel runs
  int64_t buffers_allocated = 0;  // kernel output buffers (pooled: see bytes_fresh)
  int64_t bytes_allocated = 0;    // their bytes
  int64_t bytes_fresh = 0;        // bytes the buffer pool had to take from the system
  double compile_seconds = 0;     // time spent compiling kernels
};
Stats stats();
void reset_stats();

// Switches (each also read once from the environment; see README "Switches").
// "cpu" (default; NDJIT_BACKEND=cpu): fused kernels compiled by the LLVM JIT.
// "interp" (NDJIT_BACKEND=interp): the reference interpreter. Other names throw ValueError.
void set_backend(const std::string& name);
std::string backend();
// Eager mode (NDJIT_EAGER=1): every op is computed as soon as it is called, one kernel per
// primitive, and errors are thrown at the op call.
void set_eager(bool eager);
bool eager();
// Threads that run kernels (NDJIT_NUM_THREADS; default: all hardware threads). n in [1, 1024].
void set_num_threads(int n);
int num_threads();
// Optimizer flags (NDJIT_FLAGS), e.g. "--disable=simplify --print-after-all": see README
// "Switches" for the list. A bad string throws ValueError and changes nothing; "" restores the
// defaults.
void set_flags(const std::string& flags);
std::string flags();
// Dump directory (NDJIT_DUMP_DIR; "" turns dumps off): each computed graph writes numbered
// files there (IR before and after each pass, kernels, LLVM IR, a summary naming the accessor
// and call site) that ndjit-inspect reads.
void set_dump_dir(const std::string& dir);
std::string dump_dir();

}  // namespace ndjit

#endif  // NDJIT_NDJIT_H_
