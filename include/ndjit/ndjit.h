// The one header a program includes: NDArray, the nd:: functions, and process-wide calls.
#ifndef NDJIT_NDJIT_H_
#define NDJIT_NDJIT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "ndjit/autograd.h"
#include "ndjit/context.h"
#include "ndjit/dtype.h"
#include "ndjit/error.h"
#include "ndjit/gluon.h"
#include "ndjit/host_array.h"
#include "ndjit/nd.h"
#include "ndjit/ndarray.h"
#include "ndjit/profiler.h"

namespace ndjit {

// Blocks until every array that a live handle can reach is computed and the engine is idle.
// Throws the first error of a failed computation that no accessor reported yet, and clears the
// others (MXNet's waitall).
void waitall(SourceLocation site = SourceLocation::current());

// Hands every pending array that a live handle can reach to the engine and returns at once.
void flush(SourceLocation site = SourceLocation::current());

// Bounds of the pending graph: when the arrays recorded and not yet handed to the engine reach
// `max_nodes` nodes or `max_bytes` bytes of results, the op that crossed the bound flushes them
// all (Stats::flushes_node_limit / flushes_byte_limit count these). 0 means no bound. Defaults:
// 16384 nodes and 4 GiB, or NDJIT_MAX_PENDING_NODES / NDJIT_MAX_PENDING_BYTES. Negative values
// throw ValueError.
void set_flush_limits(int64_t max_nodes, int64_t max_bytes);
int64_t max_pending_nodes();
int64_t max_pending_bytes();

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
  // Materializations of a graph optimized before, which reused its optimized form instead of
  // running the optimizer again (an exact repeat: same structure and constant values).
  int64_t graphs_reused = 0;
  int64_t kernels_compiled = 0;   // CPU kernels compiled (misses of every cache)
  int64_t kernel_cache_hits = 0;  // kernels found compiled in this process
  int64_t kernels_loaded = 0;     // CPU kernels loaded from the disk cache (see set_cache)
  double load_seconds = 0;        // time spent loading them
  int64_t kernels_launched = 0;   // kernel runs
  int64_t buffers_allocated = 0;  // kernel output buffers (pooled: see bytes_fresh)
  int64_t bytes_allocated = 0;    // their bytes
  int64_t bytes_fresh = 0;        // bytes the buffer pool had to take from the system
  // Of those, the bytes advised as transparent huge pages (buffers of 4 MiB and more, where the
  // system's THP mode is `always` or `madvise`; NDJIT_FLAGS=--huge-pages=0 turns the advice off).
  int64_t bytes_huge_pages = 0;
  double compile_seconds = 0;  // time spent compiling kernels
  // The largest kernel planned (kernel IR instructions, see ndjit-inspect --emit=kernel) and
  // the most buffers one kernel bound: bounded by the fusion caps (README, "Fusion").
  int64_t largest_kernel_instrs = 0;
  int64_t most_kernel_buffers = 0;
  // The slowest single kernel compile and that kernel's size (kernel IR instructions).
  double slowest_compile_seconds = 0;
  int64_t slowest_compile_instrs = 0;
  int64_t bytes_live = 0;  // buffer-pool bytes in use now (not a counter)
  // Graphs handed to the engine, by what handed them over: a blocking accessor, flush() or
  // eval_async(), waitall(), the pending-graph bounds (set_flush_limits), eager mode.
  int64_t flushes_accessor = 0;
  int64_t flushes_explicit = 0;
  int64_t flushes_waitall = 0;
  int64_t flushes_node_limit = 0;
  int64_t flushes_byte_limit = 0;
  int64_t flushes_eager = 0;
  int64_t pending_nodes = 0;     // recorded and not handed to the engine yet (not a counter)
  int64_t pending_bytes = 0;     // their result bytes (not a counter)
  int64_t deferred_errors = 0;   // errors raised while computing (stored on arrays)
  int64_t op_by_op_retries = 0;  // failed graphs computed again op by op to localize errors
  int64_t blocking_calls = 0;    // accessor calls (asnumpy, asscalar, wait_to_read, waitall)
  int64_t blocking_waits = 0;    // the ones that found their values not computed yet
  double blocked_seconds = 0;    // time they spent blocked (see ndjit/profiler.h)
  int64_t unfused_retries = 0;   // graphs whose fused kernels failed and ran one op per kernel
  int64_t plan_cache_hits = 0;   // graphs that reused a whole compiled plan (kernels, buffers)
};
Stats stats();
// Waits for the graphs already handed to the engine, then zeroes the counters.
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
// The compile cache on disk (NDJIT_CACHE=0 turns it off): compiled CPU kernels and CUDA images
// are kept across processes, so a program started again loads its kernels instead of compiling
// them. Entries live in NDJIT_CACHE_DIR (default $XDG_CACHE_HOME/ndjit or ~/.cache/ndjit), are
// used only when their whole key (kernel text, LLVM version, CPU and features, ndjit build)
// matches, and are kept under NDJIT_CACHE_MAX_BYTES (default 1 GiB) by removing the least
// recently used. `ndjit-inspect cache stats|list|clear` looks inside.
void set_cache(bool enabled);
bool cache_enabled();
// "" restores the default directory.
void set_cache_dir(const std::string& dir);
std::string cache_dir();
// A limit <= 0 throws ValueError.
void set_cache_max_bytes(int64_t max_bytes);
int64_t cache_max_bytes();

}  // namespace ndjit

#endif  // NDJIT_NDJIT_H_
