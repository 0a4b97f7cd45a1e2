// ndjit's benchmarks (Google Benchmark, one binary so every ratio comes from one run).
//
// Today ndjit materializes through the reference interpreter; these cases measure the costs that
// do not depend on the backend (recording an op, building the pending graph) and the
// interpreter's round trip against a hand-written loop. The fused JIT cases (W1-W6) arrive with
// the CPU JIT (issue #4).
#include <benchmark/benchmark.h>

#include <vector>

#include "ndjit/ndjit.h"

namespace nd = ndjit::nd;

// Recording one binary op: the cost a user pays per call before anything runs.
static void BM_RecordOp(benchmark::State& state) {
  ndjit::NDArray a = nd::zeros({1024});
  ndjit::NDArray b = nd::ones({1024});
  for (auto _ : state) {
    ndjit::NDArray c = a * b;
    benchmark::DoNotOptimize(c);
  }
}
BENCHMARK(BM_RecordOp);

// Recording one op with a C++ scalar (adds a constant node).
static void BM_RecordScalarOp(benchmark::State& state) {
  ndjit::NDArray a = nd::zeros({1024});
  for (auto _ : state) {
    ndjit::NDArray c = a * 2.0f;
    benchmark::DoNotOptimize(c);
  }
}
BENCHMARK(BM_RecordScalarOp);

// a*b+c recorded and materialized through the interpreter, against the same loop by hand.
static void BM_AxpyRoundTrip_Interp(benchmark::State& state) {
  const int64_t n = state.range(0);
  ndjit::NDArray a = nd::random::uniform(0, 1, {n}, 1);
  ndjit::NDArray b = nd::random::uniform(0, 1, {n}, 2);
  ndjit::NDArray c = nd::random::uniform(0, 1, {n}, 3);
  ndjit::waitall();
  for (auto _ : state) {
    ndjit::HostArray h = (a * b + c).asnumpy();
    benchmark::DoNotOptimize(h.raw_data());
  }
  state.SetBytesProcessed(state.iterations() * n * 4 * sizeof(float));
}
BENCHMARK(BM_AxpyRoundTrip_Interp)->Arg(1024)->Arg(1 << 20);

static void BM_AxpyRoundTrip_Hand(benchmark::State& state) {
  const int64_t n = state.range(0);
  std::vector<float> a(n, 0.5f), b(n, 0.25f), c(n, 1.0f);
  for (auto _ : state) {
    std::vector<float> out(n);
    for (int64_t i = 0; i < n; ++i) out[i] = a[i] * b[i] + c[i];
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * n * 4 * sizeof(float));
}
BENCHMARK(BM_AxpyRoundTrip_Hand)->Arg(1024)->Arg(1 << 20);

// A 10,000-node graph built by a loop, then materialized.
static void BM_LongChain10k_Interp(benchmark::State& state) {
  for (auto _ : state) {
    ndjit::NDArray x = nd::ones({16});
    for (int i = 0; i < 10000; ++i) x = x * 0.5f + 1.0f;
    benchmark::DoNotOptimize(x.asnumpy().raw_data());
  }
}
BENCHMARK(BM_LongChain10k_Interp)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
