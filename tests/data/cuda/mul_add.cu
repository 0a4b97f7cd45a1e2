#include "ndjit_cuda.h"

// kernel mul_add
//   %2 = broadcast : f32[64,128] at <unknown>
//   %3 = mul : f32[64,128] at model.cc:13:11
//   %4 = constant : f32[] at <unknown>
//   %5 = broadcast : f32[64,128] at <unknown>
//   %6 = add : f32[64,128] at model.cc:13:15
template <typename I>
__device__ __forceinline__ void ndj_mul_add_k0_body(float* __restrict__ b0, const float* __restrict__ b1, const float* __restrict__ b2, long long p0, long long p1, long long* __restrict__ status) {
  (void)status;
  const I v0 = I(p0);
  const I v1 = I(p1);
  const int64_t v4 = int64_t(0ll);
  const float v10 = 0x1p+0f;
  const I ndj_points = v0 * v1;
  for (I ndj_p = I(blockIdx.x) * I(blockDim.x) + I(threadIdx.x); ndj_p < ndj_points; ndj_p += I(blockDim.x) * I(gridDim.x)) {
    I ndj_rest = ndj_p;
    const I i1 = ndj_rest % v1;
    ndj_rest /= v1;
    const I i0 = ndj_rest;
    const I v2 = i0;
    const I v3 = i1;
    const I v5 = I(v2 * v1);
    const I v6 = I(v5 + v3);
    const float v7 = b1[v6];
    const float v8 = b2[v3];
    const float v9 = ndj_mul_f32(v7, v8);
    const float v11 = ndj_add_f32(v9, v10);
    b0[v6] = v11;
  }
}
extern "C" __global__ void __launch_bounds__(1024) ndj_mul_add_k0_i32(float* __restrict__ b0, const float* __restrict__ b1, const float* __restrict__ b2, long long p0, long long p1, long long* __restrict__ status) {
  ndj_mul_add_k0_body<int32_t>(b0, b1, b2, p0, p1, status);
}
extern "C" __global__ void __launch_bounds__(1024) ndj_mul_add_k0_i64(float* __restrict__ b0, const float* __restrict__ b1, const float* __restrict__ b2, long long p0, long long p1, long long* __restrict__ status) {
  ndj_mul_add_k0_body<int64_t>(b0, b1, b2, p0, p1, status);
}
