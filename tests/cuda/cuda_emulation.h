// A CUDA emulation for running the CUDA backend's generated source on the CPU (tests only).
//
// The test compiles a rendered program as host C++ with this header force-included (-include),
// together with the program headers (codegen/cuda/cuda_source.h: ProgramHeaders) and a small
// adapter per kernel, into a shared library, and launches the kernels over their grid:
// - every thread of a block is a real std::thread; blockIdx, threadIdx, blockDim and gridDim are
//   thread-local;
// - __syncthreads() is a barrier over the block's threads;
// - warps are 32 consecutive threads (linear thread index x fastest, as on the GPU); a
//   __shfl_xor_sync exchanges values through the warp's slots between two warp barriers, with
//   CUDA's rule for a source lane outside the caller's `width` segment;
// - __shared__ variables are static: blocks run one after another, so each block sees them as
//   its own;
// - atomicCAS is a real atomic compare-and-swap.
// So indexing, team reductions, shuffles and barriers of the GPU code path run as they would on
// a device; a missing barrier shows up as a race (wrong values) and a barrier that not every
// thread reaches as a hang (the test's timeout).
#ifndef NDJIT_TESTS_CUDA_CUDA_EMULATION_H_
#define NDJIT_TESTS_CUDA_CUDA_EMULATION_H_

#if defined(__CUDACC__)
#error "the CUDA emulation is for host compilers"
#endif

#include <math.h>
#include <stdint.h>

#include <atomic>
#include <barrier>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__ static
#define __launch_bounds__(...)

struct dim3 {
  unsigned x = 1, y = 1, z = 1;
};

namespace ndj_emu {

struct Block {
  explicit Block(int threads) : barrier(threads), slots(static_cast<size_t>(threads)) {
    const int warps = (threads + 31) / 32;
    for (int w = 0; w < warps; ++w) {
      const int members = threads - 32 * w < 32 ? threads - 32 * w : 32;
      warp_barriers.push_back(std::make_unique<std::barrier<>>(members));
    }
  }
  std::barrier<> barrier;
  std::vector<std::unique_ptr<std::barrier<>>> warp_barriers;
  std::vector<unsigned long long> slots;  // one per thread, for shuffles
};

inline thread_local Block* current_block = nullptr;
inline thread_local int linear_tid = 0;

}  // namespace ndj_emu

inline thread_local dim3 threadIdx, blockIdx, blockDim, gridDim;

inline void __syncthreads() { ndj_emu::current_block->barrier.arrive_and_wait(); }

template <typename T>
T __shfl_xor_sync(unsigned mask, T var, int lane_mask, int width = 32) {
  static_assert(sizeof(T) <= 8, "shuffled values are at most 64 bits");
  (void)mask;  // the renderer always shuffles whole warps
  ndj_emu::Block& b = *ndj_emu::current_block;
  const int tid = ndj_emu::linear_tid;
  const int lane = tid % 32, warp = tid / 32;
  unsigned long long bits = 0;
  std::memcpy(&bits, &var, sizeof(T));
  b.slots[static_cast<size_t>(tid)] = bits;
  b.warp_barriers[static_cast<size_t>(warp)]->arrive_and_wait();
  const int src = lane ^ lane_mask;
  // CUDA: a lane may read from its own or an earlier `width` segment; a later one gives its
  // own value.
  T out = var;
  if (src / width <= lane / width && src < 32) {
    std::memcpy(&out, &b.slots[static_cast<size_t>(warp * 32 + src)], sizeof(T));
  }
  b.warp_barriers[static_cast<size_t>(warp)]->arrive_and_wait();
  return out;
}

inline unsigned long long atomicCAS(unsigned long long* address, unsigned long long compare,
                                    unsigned long long value) {
  __atomic_compare_exchange_n(address, &compare, value, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
  return compare;  // the old value
}

// Runs `kernel` (an adapter calling one entry point) over grid x (block_x, block_y). Defined here
// (not inline): the one translation unit of the emulated program exports it.
using NdjEmuKernel = void (*)(void* const* buffers, const int64_t* params, int64_t* status);
extern "C" void ndj_emu_launch(NdjEmuKernel kernel, void* const* buffers, const int64_t* params,
                               int64_t* status, int64_t grid, int block_x, int block_y) {
  const int threads = block_x * block_y;
  for (int64_t g = 0; g < grid; ++g) {
    ndj_emu::Block block(threads);
    std::vector<std::thread> pool;
    pool.reserve(static_cast<size_t>(threads));
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        ndj_emu::current_block = &block;
        ndj_emu::linear_tid = t;
        threadIdx = dim3{static_cast<unsigned>(t % block_x), static_cast<unsigned>(t / block_x), 1};
        blockIdx = dim3{static_cast<unsigned>(g), 0, 0};
        blockDim = dim3{static_cast<unsigned>(block_x), static_cast<unsigned>(block_y), 1};
        gridDim = dim3{static_cast<unsigned>(grid), 1, 1};
        kernel(buffers, params, status);
      });
    }
    for (std::thread& t : pool) t.join();
  }
}

#endif  // NDJIT_TESTS_CUDA_CUDA_EMULATION_H_
