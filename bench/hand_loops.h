// The hand-written OpenMP loops of the fusion workloads W1-W5, behind a C ABI.
//
// One source serves two callers, so that both time the same machine code: bench/ndjit_bench.cc
// (the W*/hand, W1/hand_stream and Paired/W* cases, linked statically) and bench/peers.py, which
// loads the shared library libndjit_hand.so with ctypes and times the Python peers (NumPy, JAX,
// MLX, ...) beside these loops in the same process. Both builds use -march=native and OpenMP
// (bench/CMakeLists.txt).
//
// Every function writes a preallocated, contiguous row-major float32 output and runs on
// ndjit_hand::kThreads threads (2, as ndjit's kernels); W1 and W2 stay on the calling thread
// below ndjit_hand::kParallelMin elements. Inputs and outputs must not overlap.
#ifndef NDJIT_BENCH_HAND_LOOPS_H_
#define NDJIT_BENCH_HAND_LOOPS_H_

#include <stdint.h>

#ifdef __cplusplus
namespace ndjit_hand {
// ndjit's kernels and the hand loops both run on this many threads (the machine has 2 cores);
// bench/ndjit_bench.cc sets ndjit's thread count from this constant.
inline constexpr int kThreads = 2;
// Below this many elements the hand loops stay on the calling thread, as ndjit's launcher does
// (runtime/executor.cc, kParallelWork): forking a team for 1024 elements costs more than the loop.
inline constexpr int64_t kParallelMin = int64_t{1} << 15;
}  // namespace ndjit_hand

extern "C" {
#endif

// ndjit_hand::kThreads and ndjit_hand::kParallelMin, for callers in C or through ctypes.
int ndjit_hand_threads(void);
int64_t ndjit_hand_parallel_min(void);

// W1 (and W6, W7): out = a*b + c over n elements.
void ndjit_hand_w1(const float* a, const float* b, const float* c, float* out, int64_t n);
#if defined(__x86_64__)
// W1 with streaming (non-temporal) stores for the whole 64-byte lines of `out` (x86-64 only).
void ndjit_hand_w1_stream(const float* a, const float* b, const float* c, float* out, int64_t n);
#endif
// W2: out = 0.5*x*(1 + tanh(0.7978845608*(x + 0.044715*x^3))) over n elements (std::tanh).
void ndjit_hand_w2(const float* x, float* out, int64_t n);
// W3: the softmax of each row of a rows x cols matrix (std::exp).
void ndjit_hand_w3(const float* x, float* out, int64_t rows, int64_t cols);
// W4: mean((a-b)^2) over n elements, accumulated in double.
float ndjit_hand_w4(const float* a, const float* b, int64_t n);
// W5: (X - mean(X, 0)) / sqrt(var(X, 0) + 1e-5) of a rows x cols matrix (biased variance).
void ndjit_hand_w5(const float* x, float* out, int64_t rows, int64_t cols);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // NDJIT_BENCH_HAND_LOOPS_H_
