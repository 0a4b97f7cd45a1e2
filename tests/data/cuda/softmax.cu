#include "ndjit_cuda.h"

// kernel reduce_max_sub_exp_reduce_sum_div
//   %1 = reduce_max : f32[64] at <unknown>
//   %2 = reshape : f32[64,1] at <unknown>
//   %3 = broadcast : f32[64,100] at <unknown>
//   %4 = sub : f32[64,100] at <unknown>
//   %5 = exp : f32[64,100] at <unknown>
//   %6 = reduce_sum : f32[64] at <unknown>
//   %7 = reshape : f32[64,1] at <unknown>
//   %8 = broadcast : f32[64,100] at <unknown>
//   %9 = div : f32[64,100] at net.cc:7:20
template <typename I>
__device__ __forceinline__ void ndj_reduce_max_sub_exp_reduce_sum_div_k0_body(float* __restrict__ b0, const float* __restrict__ b1, long long p0, long long p1, long long* __restrict__ status) {
  (void)status;
  const I v0 = I(p0);
  const int64_t v2 = int64_t(0ll);
  const I v3 = I(p1);
  const int64_t v12 = int64_t(1ll);
  const I ndj_points = v0;
  const I ndj_lane = I(threadIdx.x), ndj_lanes = I(blockDim.x);
  const I ndj_teams = I(blockDim.y);
  for (I ndj_base = I(blockIdx.x) * ndj_teams; ndj_base < ndj_points; ndj_base += I(gridDim.x) * ndj_teams) {
    const I ndj_p0 = ndj_base + I(threadIdx.y);
    const bool ndj_active = ndj_p0 < ndj_points;
    const I ndj_p = ndj_active ? ndj_p0 : ndj_points - 1;
    const I i0 = ndj_p;
    const I v1 = i0;
    const I v5 = I(v1 * v3);
    float v8_acc = __builtin_bit_cast(float, 0xff800000u);
    for (I ndj_f8 = ndj_lane; ndj_f8 < v3; ndj_f8 += ndj_lanes) {
      const I i1 = ndj_f8;
      const I v4 = i1;
      const I v6 = I(v5 + v4);
      const float v7 = b1[v6];
      v8_acc = ndj_max_f32(v8_acc, v7);
    }
    v8_acc = ndj_team_fold(v8_acc, [](float a, float b) { return float(ndj_max_f32(a, b)); });
    const float v8 = v8_acc;
    float v15_acc = 0x0p+0f;
    for (I ndj_f15 = ndj_lane; ndj_f15 < v3; ndj_f15 += ndj_lanes) {
      const I i2 = ndj_f15;
      const I v9 = i2;
      const I v10 = I(v5 + v9);
      const float v11 = b1[v10];
      const float v13 = ndj_sub_f32(v11, v8);
      const float v14 = ndj_exp_f32(v13);
      if (ndj_active) b0[v10] = v14;
      v15_acc = v15_acc + v14;
    }
    v15_acc = ndj_team_fold(v15_acc, [](float a, float b) { return float(a + b); });
    __syncthreads();
    const float v15 = v15_acc;
    for (I ndj_f4_loop = ndj_lane; ndj_f4_loop < v3; ndj_f4_loop += ndj_lanes) {
      const I i3 = ndj_f4_loop;
      const I v16 = i3;
      const I v18 = I(v5 + v16);
      const float v19 = b0[v18];
      const float v20 = ndj_div_f32(v19, v15);
      if (ndj_active) b0[v18] = v20;
    }
    __syncthreads();
  }
}
extern "C" __global__ void __launch_bounds__(256) ndj_reduce_max_sub_exp_reduce_sum_div_k0_i32(float* __restrict__ b0, const float* __restrict__ b1, long long p0, long long p1, long long* __restrict__ status) {
  ndj_reduce_max_sub_exp_reduce_sum_div_k0_body<int32_t>(b0, b1, p0, p1, status);
}
extern "C" __global__ void __launch_bounds__(256) ndj_reduce_max_sub_exp_reduce_sum_div_k0_i64(float* __restrict__ b0, const float* __restrict__ b1, long long p0, long long p1, long long* __restrict__ status) {
  ndj_reduce_max_sub_exp_reduce_sum_div_k0_body<int64_t>(b0, b1, p0, p1, status);
}
