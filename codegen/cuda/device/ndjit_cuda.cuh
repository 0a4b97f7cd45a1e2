// ndjit's CUDA kernel runtime (codegen/cuda/device/ndjit_cuda.cuh, embedded in the library and
// included by every program as "ndjit_cuda.h").
#pragma once
#if defined(__CUDACC__)
#include <cuda_bf16.h>  // the prelude's 16-bit conversions on the device
#include <cuda_fp16.h>
#endif
#include "ndjit_prelude.h"

// A value of a team fold travels through shuffles and shared memory as 64 bits.
template <typename T>
__device__ __forceinline__ T ndj_shfl_xor(T v, int mask, int width) {
  if constexpr (sizeof(T) < 4) {
    return static_cast<T>(__shfl_xor_sync(0xffffffffu, static_cast<int>(v), mask, width));
  } else {
    return __shfl_xor_sync(0xffffffffu, v, mask, width);
  }
}

template <typename T>
__device__ __forceinline__ unsigned long long ndj_to_slot(T v) {
  unsigned long long s = 0;
  memcpy(&s, &v, sizeof(T));
  return s;
}
template <typename T>
__device__ __forceinline__ T ndj_from_slot(unsigned long long s) {
  T v;
  memcpy(&v, &s, sizeof(T));
  return v;
}

// Folds `v` over the blockDim.x lanes of each team (threadIdx.y) with `combine`; every lane gets
// the result. All threads of the block must call it (the caller's control flow is uniform).
// Within a warp: xor butterflies. Wider teams: each warp's result goes through shared memory and
// every lane folds the warps' results in warp order (the same result in every lane).
template <typename T, typename F>
__device__ __forceinline__ T ndj_team_fold(T v, F combine) {
  const int lanes = static_cast<int>(blockDim.x);
  const int width = lanes < 32 ? lanes : 32;
  for (int o = width / 2; o > 0; o /= 2) v = combine(v, ndj_shfl_xor(v, o, width));
  if (lanes > 32) {
    __shared__ unsigned long long ndj_slots[32];
    const int warps = lanes / 32;
    const int first = static_cast<int>(threadIdx.y) * warps;
    __syncthreads();
    if (threadIdx.x % 32 == 0)
      ndj_slots[first + static_cast<int>(threadIdx.x) / 32] = ndj_to_slot(v);
    __syncthreads();
    v = ndj_from_slot<T>(ndj_slots[first]);
    for (int w = 1; w < warps; ++w) v = combine(v, ndj_from_slot<T>(ndj_slots[first + w]));
  }
  return v;
}

// argmax/argmin partial results (value, position; position -1: none yet). Of two candidates the
// better value wins, a NaN beats any number, and ties (NaN with NaN included) go to the lower
// position: the first extreme, as a sequential scan finds it.
template <typename T>
__device__ __forceinline__ bool ndj_arg_takes(T best, long long best_i, T x, long long x_i,
                                              bool is_max) {
  if (x_i < 0) return false;
  if (best_i < 0) return true;
  const bool best_nan = best != best, x_nan = x != x;
  if (best_nan || x_nan) return best_nan && x_nan ? x_i < best_i : x_nan;
  if (is_max ? x > best : x < best) return true;
  return x == best && x_i < best_i;
}

template <typename T>
__device__ __forceinline__ void ndj_team_fold_arg(T& v, long long& i, bool is_max) {
  const int lanes = static_cast<int>(blockDim.x);
  const int width = lanes < 32 ? lanes : 32;
  for (int o = width / 2; o > 0; o /= 2) {
    const T ov = ndj_shfl_xor(v, o, width);
    const long long oi = ndj_shfl_xor(i, o, width);
    if (ndj_arg_takes(v, i, ov, oi, is_max)) {
      v = ov;
      i = oi;
    }
  }
  if (lanes > 32) {
    __shared__ unsigned long long ndj_vslots[32];
    __shared__ long long ndj_islots[32];
    const int warps = lanes / 32;
    const int first = static_cast<int>(threadIdx.y) * warps;
    __syncthreads();
    if (threadIdx.x % 32 == 0) {
      ndj_vslots[first + static_cast<int>(threadIdx.x) / 32] = ndj_to_slot(v);
      ndj_islots[first + static_cast<int>(threadIdx.x) / 32] = i;
    }
    __syncthreads();
    v = ndj_from_slot<T>(ndj_vslots[first]);
    i = ndj_islots[first];
    for (int w = 1; w < warps; ++w) {
      const T ov = ndj_from_slot<T>(ndj_vslots[first + w]);
      const long long oi = ndj_islots[first + w];
      if (ndj_arg_takes(v, i, ov, oi, is_max)) {
        v = ov;
        i = oi;
      }
    }
  }
}

// Four consecutive elements, moved as one vector access (the address must be aligned to its size).
template <typename T>
struct alignas(4 * sizeof(T)) ndj_vec4 {
  T v[4];
};

// A failed run-time check: the first failure stores its code, value and graph node.
__device__ __forceinline__ void ndj_fail(long long* status, long long code, long long value,
                                         long long node) {
  if (atomicCAS(reinterpret_cast<unsigned long long*>(status), 0ull,
                static_cast<unsigned long long>(code)) == 0ull) {
    status[1] = value;
    status[2] = node;
  }
}
