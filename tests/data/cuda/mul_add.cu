#include "ndjit_cuda.h"

// kernel mul_add
//   %2 = broadcast : f32[64,128] at <unknown>
//   %3 = mul : f32[64,128] at model.cc:13:11
//   %4 = constant : f32[] at <unknown>
//   %5 = broadcast : f32[64,128] at <unknown>
//   %6 = add : f32[64,128] at model.cc:13:15
template <typename I>
__device__ __forceinline__ void ndj_mul_add_k0_body(float* __restrict__ b0, const float* __restrict__ b1, const float* __restrict__ b2, long long p0, long long p1, long long q0, long long* __restrict__ status) {
  (void)status;
  const I v0 = I(p0);
  const I v1 = I(p1);
  const int64_t v4 = int64_t(0ll);
  const float v10 = __builtin_bit_cast(float, static_cast<uint32_t>(q0));
  const I ndj_points = v0 * v1;
  auto ndj_point = [&](I ndj_p) {
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
  };
  const bool ndj_vector = v1 % 4 == 0 && reinterpret_cast<unsigned long long>(b0) % (4 * sizeof(*b0)) == 0 && reinterpret_cast<unsigned long long>(b1) % (4 * sizeof(*b1)) == 0 && reinterpret_cast<unsigned long long>(b2) % (4 * sizeof(*b2)) == 0;
  const I ndj_tid = I(blockIdx.x) * I(blockDim.x) + I(threadIdx.x);
  const I ndj_stride = I(blockDim.x) * I(gridDim.x);
  if (ndj_vector) {
    for (I ndj_q = ndj_tid; ndj_q < ndj_points / 4; ndj_q += ndj_stride) {
      const I ndj_p = ndj_q * 4;
      I ndj_rest = ndj_p;
      const I i1 = ndj_rest % v1;
      ndj_rest /= v1;
      const I i0 = ndj_rest;
      const I v2_l0 = i0;
      const I v3_l0 = i1;
      const I v5_l0 = I(v2_l0 * v1);
      const I v6_l0 = I(v5_l0 + v3_l0);
      if (((v6_l0 | v3_l0 | v6_l0) & 3) == 0) {
        const I i1_l1 = i1 + 1;
        const I i1_l2 = i1 + 2;
        const I i1_l3 = i1 + 3;
        const I v2_l1 = i0;
        const I v2_l2 = i0;
        const I v2_l3 = i0;
        const I v3_l1 = i1_l1;
        const I v3_l2 = i1_l2;
        const I v3_l3 = i1_l3;
        const I v5_l1 = I(v2_l1 * v1);
        const I v5_l2 = I(v2_l2 * v1);
        const I v5_l3 = I(v2_l3 * v1);
        const I v6_l1 = I(v5_l1 + v3_l1);
        const I v6_l2 = I(v5_l2 + v3_l2);
        const I v6_l3 = I(v5_l3 + v3_l3);
        const ndj_vec4<float> v7_vec = *reinterpret_cast<const ndj_vec4<float>*>(b1 + v6_l0);
        const float v7_l0 = v7_vec.v[0];
        const float v7_l1 = v7_vec.v[1];
        const float v7_l2 = v7_vec.v[2];
        const float v7_l3 = v7_vec.v[3];
        const ndj_vec4<float> v8_vec = *reinterpret_cast<const ndj_vec4<float>*>(b2 + v3_l0);
        const float v8_l0 = v8_vec.v[0];
        const float v8_l1 = v8_vec.v[1];
        const float v8_l2 = v8_vec.v[2];
        const float v8_l3 = v8_vec.v[3];
        const float v9_l0 = ndj_mul_f32(v7_l0, v8_l0);
        const float v9_l1 = ndj_mul_f32(v7_l1, v8_l1);
        const float v9_l2 = ndj_mul_f32(v7_l2, v8_l2);
        const float v9_l3 = ndj_mul_f32(v7_l3, v8_l3);
        const float v11_l0 = ndj_add_f32(v9_l0, v10);
        const float v11_l1 = ndj_add_f32(v9_l1, v10);
        const float v11_l2 = ndj_add_f32(v9_l2, v10);
        const float v11_l3 = ndj_add_f32(v9_l3, v10);
        *reinterpret_cast<ndj_vec4<float>*>(b0 + v6_l0) = ndj_vec4<float>{{float(v11_l0), float(v11_l1), float(v11_l2), float(v11_l3)}};
      } else {
        for (int ndj_j = 0; ndj_j < 4; ++ndj_j) ndj_point(ndj_p + I(ndj_j));
      }
    }
  } else {
    for (I ndj_p = ndj_tid; ndj_p < ndj_points; ndj_p += ndj_stride) ndj_point(ndj_p);
  }
}
extern "C" __global__ void __launch_bounds__(256) ndj_mul_add_k0_i32(float* __restrict__ b0, const float* __restrict__ b1, const float* __restrict__ b2, long long p0, long long p1, long long q0, long long* __restrict__ status) {
  ndj_mul_add_k0_body<int32_t>(b0, b1, b2, p0, p1, q0, status);
}
extern "C" __global__ void __launch_bounds__(256) ndj_mul_add_k0_i64(float* __restrict__ b0, const float* __restrict__ b1, const float* __restrict__ b2, long long p0, long long p1, long long q0, long long* __restrict__ status) {
  ndj_mul_add_k0_body<int64_t>(b0, b1, b2, p0, p1, q0, status);
}
