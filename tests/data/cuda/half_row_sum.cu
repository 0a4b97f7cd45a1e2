#include "ndjit_cuda.h"

// kernel reduce_sum
//   %1 = reduce_sum : f16[32] at loss.cc:40:3
template <typename I>
__device__ __forceinline__ void ndj_reduce_sum_k0_body(uint16_t* __restrict__ b0, const uint16_t* __restrict__ b1, long long p0, long long p1, long long* __restrict__ status) {
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
    float v9_acc = 0x0p+0f;
    for (I ndj_f9 = ndj_lane; ndj_f9 < v2; ndj_f9 += ndj_lanes) {
      const I i1 = ndj_f9;
      const I v3 = i1;
      const I v6 = I(v5 + v3);
      const uint16_t v7 = b1[v6];
      const float v8 = ndj_cast_f16_f32(v7);
      v9_acc = v9_acc + v8;
    }
    v9_acc = ndj_team_fold(v9_acc, [](float a, float b) { return float(a + b); });
    const uint16_t v9 = ndj_cast_f32_f16(v9_acc);
    if (ndj_active && ndj_lane == 0) b0[v1] = v9;
  }
}
extern "C" __global__ void __launch_bounds__(256) ndj_reduce_sum_k0_i32(uint16_t* __restrict__ b0, const uint16_t* __restrict__ b1, long long p0, long long p1, long long* __restrict__ status) {
  ndj_reduce_sum_k0_body<int32_t>(b0, b1, p0, p1, status);
}
extern "C" __global__ void __launch_bounds__(256) ndj_reduce_sum_k0_i64(uint16_t* __restrict__ b0, const uint16_t* __restrict__ b1, long long p0, long long p1, long long* __restrict__ status) {
  ndj_reduce_sum_k0_body<int64_t>(b0, b1, p0, p1, status);
}
