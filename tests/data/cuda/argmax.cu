#include "ndjit_cuda.h"

// kernel argmax
//   %1 = argmax : i64[16] at <unknown>
template <typename I>
__device__ __forceinline__ void ndj_argmax_k0_body(int64_t* __restrict__ b0, const double* __restrict__ b1, long long p0, long long p1, long long* __restrict__ status) {
  (void)status;
  const I v0 = I(p0);
  const I v2 = I(p1);
  const int64_t v4 = int64_t(0ll);
  const I ndj_points = v0;
  const I ndj_lane = I(threadIdx.x), ndj_lanes = I(blockDim.x);
  const I ndj_teams = I(blockDim.y);
  for (I ndj_base = I(blockIdx.x) * ndj_teams; ndj_base < ndj_points; ndj_base += I(gridDim.x) * ndj_teams) {
    const I ndj_p0 = ndj_base + I(threadIdx.y);
    const bool ndj_active = ndj_p0 < ndj_points;
    const I ndj_p = ndj_active ? ndj_p0 : ndj_points - 1;
    const I i0 = ndj_p;
    const I v1 = i0;
    const I v5 = I(v1 * v2);
    double v8_acc = 0x0p+0;
    long long v8_pos = -1;
    for (I ndj_f8 = ndj_lane; ndj_f8 < v2; ndj_f8 += ndj_lanes) {
      const I i1 = ndj_f8;
      const I v3 = i1;
      const I v6 = I(v5 + v3);
      const double v7 = b1[v6];
      if (ndj_arg_takes(v8_acc, v8_pos, v7, (long long)i1, true)) { v8_acc = v7; v8_pos = i1; }
    }
    ndj_team_fold_arg(v8_acc, v8_pos, true);
    const int64_t v8 = int64_t(v8_pos);
    if (ndj_active && ndj_lane == 0) b0[v1] = v8;
  }
}
extern "C" __global__ void __launch_bounds__(256) ndj_argmax_k0_i32(int64_t* __restrict__ b0, const double* __restrict__ b1, long long p0, long long p1, long long* __restrict__ status) {
  ndj_argmax_k0_body<int32_t>(b0, b1, p0, p1, status);
}
extern "C" __global__ void __launch_bounds__(256) ndj_argmax_k0_i64(int64_t* __restrict__ b0, const double* __restrict__ b1, long long p0, long long p1, long long* __restrict__ status) {
  ndj_argmax_k0_body<int64_t>(b0, b1, p0, p1, status);
}
