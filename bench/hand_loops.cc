// The hand-written OpenMP loops of W1-W5 (see hand_loops.h): what a C++ programmer writes.
//
// tanh and exp are std::tanh and std::exp, which GCC leaves scalar (no -ffast-math): that is
// what a hand-written loop gets, and it is the honest baseline (ndjit's JIT calls vector math).
// The loops are compiled with -march=native, as the JIT targets the host CPU.
#include "bench/hand_loops.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace {

using ndjit_hand::kParallelMin;
using ndjit_hand::kThreads;

}  // namespace

extern "C" {

int ndjit_hand_threads(void) { return kThreads; }

int64_t ndjit_hand_parallel_min(void) { return kParallelMin; }

void ndjit_hand_w1(const float* a, const float* b, const float* c, float* out, int64_t n) {
  if (n < kParallelMin) {  // even an `if(false)` parallel region costs ~1 us
    for (int64_t i = 0; i < n; ++i) out[i] = a[i] * b[i] + c[i];
    return;
  }
#pragma omp parallel for simd num_threads(kThreads) schedule(static)
  for (int64_t i = 0; i < n; ++i) out[i] = a[i] * b[i] + c[i];
}

#if defined(__x86_64__)
void ndjit_hand_w1_stream(const float* a, const float* b, const float* c, float* out, int64_t n) {
  // Scalar up to the first 64-byte line of `out`, whole lines with streaming stores (intrinsics
  // of the widest vectors the build targets), the rest scalar.
  const int64_t head = std::min<int64_t>(
      n, static_cast<int64_t>((64 - reinterpret_cast<uintptr_t>(out) % 64) % 64 / sizeof(float)));
  const int64_t lines = (n - head) / 16;
  for (int64_t i = 0; i < head; ++i) out[i] = a[i] * b[i] + c[i];
#pragma omp parallel num_threads(kThreads) if (n >= kParallelMin)
  {
#pragma omp for schedule(static)
    for (int64_t line = 0; line < lines; ++line) {
      const int64_t i = head + 16 * line;
#if defined(__AVX512F__)
      const __m512 p = _mm512_mul_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
      _mm512_stream_ps(out + i, _mm512_add_ps(p, _mm512_loadu_ps(c + i)));
#elif defined(__AVX__)
      for (int h = 0; h < 16; h += 8) {
        const __m256 p = _mm256_mul_ps(_mm256_loadu_ps(a + i + h), _mm256_loadu_ps(b + i + h));
        _mm256_stream_ps(out + i + h, _mm256_add_ps(p, _mm256_loadu_ps(c + i + h)));
      }
#else
      for (int h = 0; h < 16; h += 4) {
        const __m128 p = _mm_mul_ps(_mm_loadu_ps(a + i + h), _mm_loadu_ps(b + i + h));
        _mm_stream_ps(out + i + h, _mm_add_ps(p, _mm_loadu_ps(c + i + h)));
      }
#endif
    }
    // Each thread fences its own streaming stores before the region's closing barrier.
    _mm_sfence();
  }
  for (int64_t i = head + 16 * lines; i < n; ++i) out[i] = a[i] * b[i] + c[i];
}
#endif

void ndjit_hand_w2(const float* x, float* out, int64_t n) {
#pragma omp parallel for num_threads(kThreads) schedule(static) if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    out[i] = 0.5f * v * (1.0f + std::tanh(0.7978845608f * (v + 0.044715f * v * v * v)));
  }
}

void ndjit_hand_w3(const float* x, float* out, int64_t rows, int64_t cols) {
#pragma omp parallel for num_threads(kThreads) schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * cols;
    float* y = out + r * cols;
    float m = -INFINITY;
    for (int64_t j = 0; j < cols; ++j) m = std::max(m, xr[j]);
    float s = 0;
    for (int64_t j = 0; j < cols; ++j) {
      y[j] = std::exp(xr[j] - m);
      s += y[j];
    }
    const float inv = 1.0f / s;
    for (int64_t j = 0; j < cols; ++j) y[j] *= inv;
  }
}

// Float partial sums over 2^24 terms lose digits, so the sum is a double; the loop stays
// memory-bound either way.
float ndjit_hand_w4(const float* a, const float* b, int64_t n) {
  double s = 0;
#pragma omp parallel for simd num_threads(kThreads) schedule(static) reduction(+ : s)
  for (int64_t i = 0; i < n; ++i) {
    const float d = a[i] - b[i];
    s += d * d;
  }
  return static_cast<float>(s / static_cast<double>(n));
}

// The columns are split between the threads; each thread walks the rows over its column block
// (three passes: mean, variance, output), so every inner loop is contiguous and vectorized.
void ndjit_hand_w5(const float* x, float* out, int64_t rows, int64_t cols) {
#pragma omp parallel num_threads(kThreads)
  {
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    const int64_t c0 = cols * t / nt, c1 = cols * (t + 1) / nt, w = c1 - c0;
    std::vector<float> mean(w, 0.0f), scale(w, 0.0f);
    for (int64_t r = 0; r < rows; ++r) {
      const float* xr = x + r * cols + c0;
      for (int64_t j = 0; j < w; ++j) mean[j] += xr[j];
    }
    for (int64_t j = 0; j < w; ++j) mean[j] /= static_cast<float>(rows);
    for (int64_t r = 0; r < rows; ++r) {
      const float* xr = x + r * cols + c0;
      for (int64_t j = 0; j < w; ++j) {
        const float d = xr[j] - mean[j];
        scale[j] += d * d;
      }
    }
    for (int64_t j = 0; j < w; ++j) {
      scale[j] = 1.0f / std::sqrt(scale[j] / static_cast<float>(rows) + 1e-5f);
    }
    for (int64_t r = 0; r < rows; ++r) {
      const float* xr = x + r * cols + c0;
      float* yr = out + r * cols + c0;
      for (int64_t j = 0; j < w; ++j) yr[j] = (xr[j] - mean[j]) * scale[j];
    }
  }
}

}  // extern "C"
