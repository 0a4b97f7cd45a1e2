// The CUDA renderer: kernel IR -> CUDA C++ source, and the launch shape of a rendered kernel.
//
// A rendered kernel is a device template over its index type plus one or two `extern "C"`
// entry points:
//
//   __global__ void ndj_<group>_i32(T0* b0, const T1* b1, ..., long long p0, ..., long long*
//   status)
//   __global__ void ndj_<group>_i64(...)   (same arguments)
//
// Buffers follow the kernel's buffer list (outputs writable, inputs const, all __restrict__),
// then the size parameters by value, then `status`: three int64s in device memory, zero on entry,
// where a failed run-time check stores its code, value and graph node (the first one wins), as on
// the CPU. The `_i32` entry does its index arithmetic in 32 bits and may be launched only when
// every extent and buffer has fewer than 2^31 elements (`LaunchShape::index64` says which to
// use); kernels whose indices come from data (gathers) have only the `_i64` entry.
//
// Two shapes of kernel:
// - Elementwise kernels (no reduction or loop at the top of the body) are grid-stride loops, one
//   thread per domain point, consecutive threads on consecutive points (coalesced accesses).
//   Where every access is contiguous (or, for loads, invariant) along the innermost domain dim
//   and there is no run-time check, a thread takes four consecutive points instead and moves
//   each contiguous access as one vector load or store when the row length is a multiple of
//   four and the addresses are aligned (checked at run time; otherwise point by point).
// - Reduce and row kernels (a reduction or loop at the top of the body: sums, softmax-like row
//   groups, matmul) give each domain point a team of blockDim.x threads (threadIdx.y numbers the
//   teams of a block). The team splits each top-level reduction's box, folds its partial results
//   with warp shuffles and, for teams wider than a warp, shared memory, so every lane holds the
//   result; it splits top-level loops the same way, with a barrier after a reduction whose block
//   stores (the row kernel's scratch). Nested reductions run sequentially in each thread. The
//   grid-stride loop over points is uniform across the block, so barriers and shuffles are
//   reached by every thread; a team past the last point recomputes the last point and stores
//   nothing.
//
// Scalar semantics come from codegen/prelude.cc, the same rules the CPU backend compiles, included
// as a header; float16/bfloat16 convert through cuda_fp16.h/cuda_bf16.h and accumulate in float.
// The source names each kernel after its fusion group and carries the user call sites of its
// nodes as comments.
#ifndef NDJIT_CODEGEN_CUDA_CUDA_SOURCE_H_
#define NDJIT_CODEGEN_CUDA_CUDA_SOURCE_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "codegen/cuda/nvrtc.h"
#include "codegen/object_store.h"
#include "ir/kernel.h"

namespace ndjit::codegen::cuda {

struct RenderedKernel {
  std::string entry;        // entry-point prefix: `entry + "_i64"` always exists
  std::string text;         // the kernel's source (without the program header)
  bool has_i32 = false;     // whether an `_i32` entry exists
  bool team = false;        // a reduce or row kernel (teams of blockDim.x threads per point)
  bool column = false;      // a team kernel whose reductions read along the points (prefer 1 lane)
  bool vectorized = false;  // an elementwise kernel with the four-point vector path
};

// Renders `kernel` with entry-point prefix `entry` (a C identifier, unique in its program).
absl::StatusOr<RenderedKernel> RenderKernel(const ir::Kernel& kernel, const std::string& entry);

// The C type a buffer of `dtype` has in the source (uint16_t holds float16/bfloat16 bits, uint8_t
// bool).
const char* CudaCType(DType dtype);

// The entry-point prefix for a kernel of `kernel_name` ("ndj_" + the name as an identifier).
std::string EntryName(const std::string& kernel_name);

// A whole translation unit: the program header's include followed by the kernels.
std::string ProgramText(const std::vector<RenderedKernel>& kernels);
// The same translation unit with every header of ProgramHeaders() that it includes with quotes
// expanded in place, once each (as `#pragma once` would), so that nvcc compiles it as is
// (`nvcc -arch=sm_90 -cubin`): what `ndjit-inspect --emit=cuda` prints and dumps write. Includes
// in angle brackets stay (a CUDA toolkit has them).
std::string StandaloneProgramText(const std::vector<RenderedKernel>& kernels);

// The headers a program includes, by name: the kernel runtime (`ndjit_cuda.h`: team folds,
// shuffles, checks), the scalar prelude and the IR rules it includes, and the small standard
// headers NVRTC lacks. `nvrtc_only` marks the ones a host compiler must not take (it has its own
// <cmath>, <cstdint> and ndjit/dtype.h).
struct SourceHeader {
  std::string name;
  std::string text;
  bool nvrtc_only = false;
};
const std::vector<SourceHeader>& ProgramHeaders();

// Compiles a program for SM `sm` with the headers above; `verbose` adds ptxas's resource usage
// (registers, spills, per entry point) to the log.
absl::StatusOr<CudaImage> CompileProgram(const std::string& program, const std::string& name,
                                         int sm, bool verbose = false);

// CompileProgram through the compile cache: in memory, then in `disk` when given (the runtime
// passes its disk cache, runtime/disk_cache.h, which compares the key in full). The key is the
// target, NVRTC's version, the compile options, every header's text and the whole program.
// `found` (optional) says where the image came from.
enum class ImageSource { kMemory, kDisk, kCompiled };
absl::StatusOr<CudaImage> CompileProgramCached(const std::string& program, const std::string& name,
                                               int sm, ObjectStore* disk = nullptr,
                                               ImageSource* found = nullptr);
// Forgets the cached image of `program` for `sm`, in memory and in `disk` (the driver rejected
// it): the next CompileProgramCached compiles it again.
void RejectCachedProgram(const std::string& program, int sm, ObjectStore* disk,
                         const std::string& why);
struct CompileCacheCounters {
  int64_t compiled = 0, memory_hits = 0, disk_hits = 0;
};
CompileCacheCounters GetCompileCacheCounters();
// Testing: forgets the in-memory entries (the disk cache stays).
void ClearMemoryCompileCacheForTesting();

// Resource usage ptxas reported for one entry point (from a verbose compile's log).
struct EntryResources {
  std::string entry;
  int registers = 0;
  int spill_stores = 0;  // bytes
  int spill_loads = 0;   // bytes
  int stack = 0;         // bytes
};
std::vector<EntryResources> ParseResources(const std::string& log);

// How to launch a rendered kernel over `points` domain points whose whole work (points x reduce
// box) is `work`.
struct LaunchShape {
  int64_t grid = 1;
  int block_x = 1;      // team width (lanes per point) for team kernels, else threads per block
  int block_y = 1;      // teams per block
  bool index64 = true;  // launch the `_i64` entry, else `_i32`
};
// Kernels are rendered for blocks of at most this many threads (__launch_bounds__).
inline constexpr int kMaxBlockThreads = 256;
// A bound on every index a kernel computes: the largest array it indexes (fused intermediates
// included: LaunchSize::max_elements), and, as a second guard, the product of its size parameters.
int64_t IndexBound(int64_t max_elements, const int64_t* params, int num_params);
// `max_index` is IndexBound's; `max_threads` the block size the occupancy calculation allows
// (clamped to kMaxBlockThreads) and `max_blocks` the number of blocks that fill the device. Every
// block has a multiple of 32 threads (whole warps), so shuffles have full warps; team widths are
// powers of two.
LaunchShape ChooseLaunch(const RenderedKernel& kernel, int64_t points, int64_t work,
                         int64_t max_index, int max_threads, int64_t max_blocks);

}  // namespace ndjit::codegen::cuda

#endif  // NDJIT_CODEGEN_CUDA_CUDA_SOURCE_H_
