#include "ndjit_cuda.h"

// kernel gather
//   %2 = gather : f32[32,64] at embed.cc:3:5
template <typename I>
__device__ __forceinline__ void ndj_gather_k0_body(float* __restrict__ b0, const int64_t* __restrict__ b1, const float* __restrict__ b2, long long p0, long long p1, long long p2, long long* __restrict__ status) {
  (void)status;
  const I v0 = I(p0);
  const I v1 = I(p1);
  const int64_t v4 = int64_t(0ll);
  const I v6 = I(p2);
  const int64_t v14 = int64_t(1ll);
  const I v15 = I(v6 - I(v14));
  const I ndj_points = v0 * v1;
  for (I ndj_p = I(blockIdx.x) * I(blockDim.x) + I(threadIdx.x); ndj_p < ndj_points; ndj_p += I(blockDim.x) * I(gridDim.x)) {
    I ndj_rest = ndj_p;
    const I i1 = ndj_rest % v1;
    ndj_rest /= v1;
    const I i0 = ndj_rest;
    const I v2 = i0;
    const I v3 = i1;
    const int64_t v5 = b1[v2];
    const uint8_t v7 = uint8_t(I(v5) < I(v4));
    const I v8 = I(I(v5) + v6);
    const int64_t v9 = ndj_select_i64(v7, v8, v5);
    const uint8_t v10 = uint8_t(I(v9) < v6);
    const uint8_t v11 = uint8_t(I(v9) >= I(v4));
    const uint8_t v12 = uint8_t(v11 & v10);
    if (!v12) ndj_fail(status, 1, (long long)v5, 2);
    const I v16 = I(I(v9) > I(v4) ? I(v9) : I(v4));
    const I v17 = I(v16 < v15 ? v16 : v15);
    const I v18 = I(v17 * v1);
    const I v19 = I(v18 + v3);
    const float v20 = b2[v19];
    const I v21 = I(v2 * v1);
    const I v22 = I(v21 + v3);
    b0[v22] = v20;
  }
}
extern "C" __global__ void __launch_bounds__(256) ndj_gather_k0_i64(float* __restrict__ b0, const int64_t* __restrict__ b1, const float* __restrict__ b2, long long p0, long long p1, long long p2, long long* __restrict__ status) {
  ndj_gather_k0_body<int64_t>(b0, b1, b2, p0, p1, p2, status);
}
