// ndjit's benchmarks (Google Benchmark, one binary so every ratio comes from one run).
//
// The fusion workloads of issue #4, each in up to four variants that compute the same result
// from the same input data:
//   Wk/ndjit  the expression as a user writes it, one statement ending in the accessor
//             (`(a * b + c).wait_to_read();`, W4 `.asscalar<float>()`, W5 with named mean and
//             variance), on the default backend, the CPU JIT: fused kernels, warm kernel cache
//             after the first iteration.
//   Wk/ndjit_scoped  the same expression returned by a function and then read, so that none of
//             its temporaries is alive (the figure the store policy must match).
//   W1/ndjit_asnumpy  W1 read with asnumpy() (the host array shares the computed buffer).
//   Wk/eager  the same with `ndjit::set_eager(true)`: every primitive op is computed at once, one
//             kernel per primitive (the unfused baseline).
//   Wk/hand   a hand-written C++ loop with OpenMP on the same number of threads as ndjit (2),
//             writing into preallocated std::vector<float> outputs; tanh, erf and exp are
//             std::tanh, std::erf and std::exp, which GCC leaves scalar (no -ffast-math): the
//             honest hand baseline.
//   W1/hand_stream  the hand loop with non-temporal stores (intrinsics of the widest vectors the
//             build targets, an sfence at the end), what a C++ programmer who knows the trick
//             writes.
//   Wk/ndjit_cached  Wk/ndjit with NDJIT_FLAGS=--streaming-stores=0 (W1, W2, W2erf, Wpow: those
//             whose output is streamed), to show what streaming stores give.
//   Wk/ndjit_noprefetch  Wk/ndjit with NDJIT_FLAGS=--prefetch=0 (every workload), to show what
//             the kernels' software prefetches give (codegen/cpu/prefetch.h).
//   Wk/ndjit_glibc  Wk/ndjit with NDJIT_FLAGS=--vector-math=glibc (W2, W2erf, W3: glibc's tanh,
//             erf and exp, vectorized by libmvec, instead of the prelude's own vector math).
//   Paired/Wk (W1-W5, W2erf, Wpow)  hand, ndjit, ndjit_cached (W1, W2, W2erf, Wpow),
//             ndjit_noprefetch, ndjit_glibc (W2, W2erf, W3), hand_stream (W1), eigen and eigen2
//             in 15 rounds, each round timing every variant once; reports the median per-round
//             ratio of each to the hand loop (the robust figure on a VM whose bandwidth drifts).
//   Wk/eigen2  the same Eigen expression on 2 threads, each over its own contiguous part
//             (elements; rows for W3; a block of columns for W5), as a user threads Eigen with
//             OpenMP.
//   Wk/eigen  Eigen 3.4 array expressions (only when Eigen is found; Eigen does not thread
//             coefficient-wise expressions, so these run on one thread).
// hand and eigen are compiled with -march=native (bench/CMakeLists.txt), as the JIT targets the
// host CPU.
//
//   W1  a*b+c                                                    float32, N = 2^24
//   W2  0.5*x*(1+tanh(0.7978845608*(x+0.044715*x^3)))  (gelu)    float32, N = 2^24
//   W2erf  0.5*x*(1+erf(x*0.70710678))  (gelu, exact form)          float32, N = 2^24
//   Wpow  pow(x, y), x and y in [0.25, 4]                         float32, N = 2^24
//   W3  softmax over the rows of a 4096x1024 matrix
//   W4  mean((a-b)^2)                                            float32, N = 2^24
//   W5  (X - mean(X, 0)) / sqrt(var(X, 0) + 1e-5)                8192x512
//   W6  a*b+c at N = 1024: the whole record + materialize round trip with a warm cache
//   W7  a*b+c at N = 2^17: a kernel that runs on one thread (below the executor's threshold)
//
// Every variant of one workload reports the same SetBytesProcessed: the bytes a single fused
// kernel must move (each input read once, each output written once), so bytes/s compares
// directly. The ndjit and eager cases report `kernels` (kernels launched per iteration, from
// ndjit::stats()) to show what fusion did, and every case reports `err`, the largest
// |y - ref| / (1 + |ref|) of its result against a double-precision reference.
//
// Then: Loop/scalar and Loop/lr_schedule (loops that change only a float scalar: time and
// compiles per iteration), Compile/W2_cold and Compile/W2_hit (the latency of the first
// materialization of a new kernel vs one found in the cache), Record/* (recording one op), Graph/*
// (a long chain built by a loop and materialized), TrainLoop/ndjit (steps per second of the
// tutorial's training loop; bench/mxnet_peer.sh compares it with MXNet 1.9.1).
//
// `ndjit::set_backend("interp")` selects the reference interpreter; these cases use the default.
#include <benchmark/benchmark.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bench/hand_loops.h"
#include "ndjit/ndjit.h"
#include "runtime/executor.h"
#include "tests/runtime/differential_corpus.h"

#ifdef NDJIT_BENCH_HAVE_EIGEN
#include <Eigen/Core>
#include <unsupported/Eigen/SpecialFunctions>
#endif

namespace nd = ndjit::nd;
namespace gluon = ndjit::gluon;

namespace {

// ndjit's kernels and the hand loops both run on this many threads (2; the machine has 2 cores).
// The W1-W5 loops are in bench/hand_loops.cc (with the serial threshold, kParallelMin), which
// bench/peers.py also loads, so that both time the same code.
constexpr int kThreads = ndjit_hand::kThreads;

using HostInputs = std::vector<const float*>;

// One workload: its inputs, its expression in each variant and a double-precision reference.
struct Workload {
  std::string name;
  std::vector<std::vector<int64_t>> input_shapes;
  double low = -1, high = 1;   // inputs are uniform in [low, high)
  int64_t rows = 0, cols = 0;  // for the 2-d workloads (W3, W5)
  int64_t out_size = 0;        // elements of the result
  // The expression as a function: its temporaries are gone when it returns (W*/ndjit_scoped
  // reads the result afterwards, and the other variants reuse it).
  std::function<ndjit::NDArray(const std::vector<ndjit::NDArray>&)> ndjit_expr;
  // The same computation as a user writes it (W*/ndjit): one statement that ends in the
  // accessor, so the statement's temporaries are alive while it computes, and named
  // intermediates where a user would name them (W5's mean and variance).
  std::function<void(const std::vector<ndjit::NDArray>&)> ndjit_statement;
  std::function<void(const HostInputs&, float*)> hand;
  // W1 only: the hand loop with streaming (non-temporal) stores (W1/hand_stream).
  std::function<void(const HostInputs&, float*)> hand_stream;
  std::function<void(const HostInputs&, float*)> eigen;  // empty without Eigen
  // The Eigen expression on kThreads threads: each thread evaluates it over its own contiguous
  // part (elements, rows, or a block of columns for W5), what a user of Eigen writes with
  // OpenMP since Eigen threads only its matrix products.
  std::function<void(const HostInputs&, float*)> eigen2;
  std::function<void(const HostInputs&, double*)> reference;
  int64_t bytes = 0;  // bytes a fused kernel moves per evaluation
  int64_t flops = 0;  // floating-point operations per evaluation (MM only)
  benchmark::TimeUnit unit = benchmark::kMillisecond;
  double min_time = 1.0;  // seconds per case (W2/hand and W2/eager take ~0.1-0.3 s
                          // per iteration)
};

// The inputs of the workload being measured, built on first use and kept until another workload
// asks (cases are registered workload by workload, so each is built once and only one workload's
// arrays are alive at a time).
struct Fixture {
  const Workload* w = nullptr;
  std::vector<ndjit::NDArray> nd_inputs;        // computed before any timing loop
  std::vector<std::vector<float>> host_inputs;  // the same values, for hand/eigen
  std::vector<double> ref;
  HostInputs host_ptrs() const {
    HostInputs p;
    for (const auto& h : host_inputs) p.push_back(h.data());
    return p;
  }
};

// The workload's inputs as ndjit arrays (the same values on every call).
std::vector<ndjit::NDArray> MakeNdInputs(const Workload& w) {
  std::vector<ndjit::NDArray> inputs;
  uint64_t seed = 1;
  for (const auto& shape : w.input_shapes) {
    inputs.push_back(nd::random::uniform(w.low, w.high, shape, seed++));
  }
  ndjit::waitall();
  return inputs;
}

Fixture& GetFixture(const Workload& w) {
  static Fixture f;
  if (f.w == &w) return f;
  f = Fixture{};
  f.w = &w;
  f.nd_inputs = MakeNdInputs(w);
  for (const auto& a : f.nd_inputs) {
    ndjit::HostArray h = a.asnumpy();
    const float* p = h.data<float>();
    f.host_inputs.emplace_back(p, p + h.size());
  }
  f.ref.assign(w.out_size, 0.0);
  w.reference(f.host_ptrs(), f.ref.data());
  return f;
}

double MaxError(const float* y, const std::vector<double>& ref) {
  double err = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    const double e = std::abs(static_cast<double>(y[i]) - ref[i]) / (1 + std::abs(ref[i]));
    err = std::isnan(e) ? INFINITY : std::max(err, e);
  }
  return err;
}

#ifdef NDJIT_BENCH_HAVE_EIGEN
// Calls part(lo, m) for kThreads contiguous parts [lo, lo + m) of [0, n), one per thread of an
// OpenMP team (the eigen2 variants).
template <typename Part>
void ForEachPart(int64_t n, const Part& part) {
#pragma omp parallel num_threads(kThreads)
  {
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    const int64_t lo = n * t / nt, hi = n * (t + 1) / nt;
    if (lo < hi) part(lo, hi - lo);
  }
}
#endif

// ---- The workloads ----

// W1 / W6: a*b+c.
Workload MakeAxpy(const std::string& name, int64_t n, benchmark::TimeUnit unit, double min_time) {
  Workload w;
  w.name = name;
  w.input_shapes = {{n}, {n}, {n}};
  w.out_size = n;
  w.bytes = 4 * n * sizeof(float);
  w.unit = unit;
  w.min_time = min_time;
  w.ndjit_expr = [](const std::vector<ndjit::NDArray>& in) { return in[0] * in[1] + in[2]; };
  w.ndjit_statement = [](const std::vector<ndjit::NDArray>& in) {
    (in[0] * in[1] + in[2]).wait_to_read();
  };
  // The loops live in bench/hand_loops.cc, which bench/peers.py also loads (libndjit_hand.so).
  w.hand = [n](const HostInputs& in, float* out) { ndjit_hand_w1(in[0], in[1], in[2], out, n); };
  // W1 only (W6 and W7's outputs stay in the caches), on x86-64.
#if defined(__x86_64__)
  if (name == "W1") {
    w.hand_stream = [n](const HostInputs& in, float* out) {
      ndjit_hand_w1_stream(in[0], in[1], in[2], out, n);
    };
  }
#endif
#ifdef NDJIT_BENCH_HAVE_EIGEN
  w.eigen = [n](const HostInputs& in, float* out) {
    Eigen::Map<const Eigen::ArrayXf> a(in[0], n), b(in[1], n), c(in[2], n);
    Eigen::Map<Eigen::ArrayXf> y(out, n);
    y = a * b + c;
  };
  // (W6's 1024 elements stay on one thread, as its hand loop does.)
  if (n >= ndjit_hand::kParallelMin) {
    w.eigen2 = [n](const HostInputs& in, float* out) {
      ForEachPart(n, [&](int64_t lo, int64_t m) {
        Eigen::Map<const Eigen::ArrayXf> a(in[0] + lo, m), b(in[1] + lo, m), c(in[2] + lo, m);
        Eigen::Map<Eigen::ArrayXf>(out + lo, m) = a * b + c;
      });
    };
  }
#endif
  w.reference = [n](const HostInputs& in, double* ref) {
    for (int64_t i = 0; i < n; ++i) ref[i] = double{in[0][i]} * in[1][i] + in[2][i];
  };
  return w;
}

// W2: gelu, tanh form. The hand loop calls std::tanh, which GCC does not vectorize without
// -ffast-math: that is what a hand-written loop gets, and it is the honest baseline. (ndjit's
// kernel inlines the prelude's own vector tanh; ndjit_glibc calls libmvec's.)
// A float32 vector in, one of the same size out (W2, W2erf).
Workload MakeUnary(const std::string& name, int64_t n, double low, double high) {
  Workload w;
  w.name = name;
  w.input_shapes = {{n}};
  w.low = low;
  w.high = high;
  w.out_size = n;
  w.bytes = 2 * n * sizeof(float);
  return w;
}

Workload MakeGelu(int64_t n) {
  Workload w = MakeUnary("W2", n, -4, 4);
  w.ndjit_expr = [](const std::vector<ndjit::NDArray>& in) {
    const ndjit::NDArray& x = in[0];
    return 0.5f * x * (1.0f + nd::tanh(0.7978845608f * (x + 0.044715f * x * x * x)));
  };
  w.ndjit_statement = [](const std::vector<ndjit::NDArray>& in) {
    const ndjit::NDArray& x = in[0];
    (0.5f * x * (1.0f + nd::tanh(0.7978845608f * (x + 0.044715f * x * x * x)))).wait_to_read();
  };
  w.hand = [n](const HostInputs& in, float* out) { ndjit_hand_w2(in[0], out, n); };
#ifdef NDJIT_BENCH_HAVE_EIGEN
  w.eigen = [n](const HostInputs& in, float* out) {
    Eigen::Map<const Eigen::ArrayXf> x(in[0], n);
    Eigen::Map<Eigen::ArrayXf> y(out, n);
    y = 0.5f * x * (1.0f + (0.7978845608f * (x + 0.044715f * x.cube())).tanh());
  };
  w.eigen2 = [n](const HostInputs& in, float* out) {
    ForEachPart(n, [&](int64_t lo, int64_t m) {
      Eigen::Map<const Eigen::ArrayXf> x(in[0] + lo, m);
      Eigen::Map<Eigen::ArrayXf>(out + lo, m) =
          0.5f * x * (1.0f + (0.7978845608f * (x + 0.044715f * x.cube())).tanh());
    });
  };
#endif
  w.reference = [n](const HostInputs& in, double* ref) {
    for (int64_t i = 0; i < n; ++i) {
      const double v = in[0][i];
      ref[i] = 0.5 * v * (1.0 + std::tanh(0.7978845608 * (v + 0.044715 * v * v * v)));
    }
  };
  return w;
}

// W2erf: gelu in its exact form, 0.5*x*(1+erf(x/sqrt(2))) (the hand loop calls std::erf, which
// GCC leaves scalar, as W2's std::tanh; Eigen's erf is its rational approximation).
Workload MakeGeluErf(int64_t n) {
  Workload w = MakeUnary("W2erf", n, -4, 4);
  w.ndjit_expr = [](const std::vector<ndjit::NDArray>& in) {
    const ndjit::NDArray& x = in[0];
    return 0.5f * x * (1.0f + nd::erf(x * 0.70710678f));
  };
  w.ndjit_statement = [](const std::vector<ndjit::NDArray>& in) {
    const ndjit::NDArray& x = in[0];
    (0.5f * x * (1.0f + nd::erf(x * 0.70710678f))).wait_to_read();
  };
  w.hand = [n](const HostInputs& in, float* out) {
    const float* x = in[0];
#pragma omp parallel for num_threads(kThreads) schedule(static)
    for (int64_t i = 0; i < n; ++i) out[i] = 0.5f * x[i] * (1.0f + std::erf(x[i] * 0.70710678f));
  };
#ifdef NDJIT_BENCH_HAVE_EIGEN
  w.eigen = [n](const HostInputs& in, float* out) {
    Eigen::Map<const Eigen::ArrayXf> x(in[0], n);
    Eigen::Map<Eigen::ArrayXf>(out, n) = 0.5f * x * (1.0f + (x * 0.70710678f).erf());
  };
  w.eigen2 = [n](const HostInputs& in, float* out) {
    ForEachPart(n, [&](int64_t lo, int64_t m) {
      Eigen::Map<const Eigen::ArrayXf> x(in[0] + lo, m);
      Eigen::Map<Eigen::ArrayXf>(out + lo, m) = 0.5f * x * (1.0f + (x * 0.70710678f).erf());
    });
  };
#endif
  w.reference = [n](const HostInputs& in, double* ref) {
    for (int64_t i = 0; i < n; ++i) {
      const double v = in[0][i];
      ref[i] = 0.5 * v * (1.0 + std::erf(v * 0.70710678));
    }
  };
  return w;
}

// Wpow: pow(x, y) elementwise, x and y in [0.25, 4]: ndjit calls glibc's powf (libmvec's in vector
// loops; ndjit has no pow of its own), Eigen its own vectorized pow; the hand loop calls std::pow,
// which GCC leaves scalar (as W2's std::tanh).
Workload MakePow(int64_t n) {
  Workload w;
  w.name = "Wpow";
  w.input_shapes = {{n}, {n}};
  w.low = 0.25;
  w.high = 4;
  w.out_size = n;
  w.bytes = 3 * n * sizeof(float);
  w.ndjit_expr = [](const std::vector<ndjit::NDArray>& in) { return nd::power(in[0], in[1]); };
  w.ndjit_statement = [](const std::vector<ndjit::NDArray>& in) {
    nd::power(in[0], in[1]).wait_to_read();
  };
  w.hand = [n](const HostInputs& in, float* out) {
    const float* x = in[0];
    const float* y = in[1];
#pragma omp parallel for num_threads(kThreads) schedule(static)
    for (int64_t i = 0; i < n; ++i) out[i] = std::pow(x[i], y[i]);
  };
#ifdef NDJIT_BENCH_HAVE_EIGEN
  w.eigen = [n](const HostInputs& in, float* out) {
    Eigen::Map<const Eigen::ArrayXf> x(in[0], n), y(in[1], n);
    Eigen::Map<Eigen::ArrayXf>(out, n) = x.pow(y);
  };
  w.eigen2 = [n](const HostInputs& in, float* out) {
    ForEachPart(n, [&](int64_t lo, int64_t m) {
      Eigen::Map<const Eigen::ArrayXf> x(in[0] + lo, m), y(in[1] + lo, m);
      Eigen::Map<Eigen::ArrayXf>(out + lo, m) = x.pow(y);
    });
  };
#endif
  w.reference = [n](const HostInputs& in, double* ref) {
    for (int64_t i = 0; i < n; ++i) ref[i] = std::pow(double{in[0][i]}, double{in[1][i]});
  };
  return w;
}

// W3: softmax over each row of a rows x cols matrix (hand: std::exp, see W2).
Workload MakeSoftmax(int64_t rows, int64_t cols) {
  Workload w;
  w.name = "W3";
  w.input_shapes = {{rows, cols}};
  w.low = -4;
  w.high = 4;
  w.rows = rows;
  w.cols = cols;
  w.out_size = rows * cols;
  w.bytes = 2 * rows * cols * sizeof(float);
  w.ndjit_expr = [](const std::vector<ndjit::NDArray>& in) { return nd::softmax(in[0], 1); };
  w.ndjit_statement = [](const std::vector<ndjit::NDArray>& in) {
    nd::softmax(in[0], 1).wait_to_read();
  };
  w.hand = [rows, cols](const HostInputs& in, float* out) {
    ndjit_hand_w3(in[0], out, rows, cols);
  };
#ifdef NDJIT_BENCH_HAVE_EIGEN
  w.eigen = [rows, cols](const HostInputs& in, float* out) {
    using RowArray = Eigen::Array<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    Eigen::Map<const RowArray> x(in[0], rows, cols);
    Eigen::Map<RowArray> y(out, rows, cols);
    Eigen::ArrayXf m = x.rowwise().maxCoeff();
    y = (x.colwise() - m).exp();
    Eigen::ArrayXf s = y.rowwise().sum();
    y.colwise() /= s;
  };
  w.eigen2 = [rows, cols](const HostInputs& in, float* out) {
    using RowArray = Eigen::Array<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    ForEachPart(rows, [&](int64_t lo, int64_t m) {
      Eigen::Map<const RowArray> x(in[0] + lo * cols, m, cols);
      Eigen::Map<RowArray> y(out + lo * cols, m, cols);
      Eigen::ArrayXf mx = x.rowwise().maxCoeff();
      y = (x.colwise() - mx).exp();
      Eigen::ArrayXf s = y.rowwise().sum();
      y.colwise() /= s;
    });
  };
#endif
  w.reference = [rows, cols](const HostInputs& in, double* ref) {
    for (int64_t r = 0; r < rows; ++r) {
      const float* x = in[0] + r * cols;
      double m = -INFINITY, s = 0;
      for (int64_t j = 0; j < cols; ++j) m = std::max(m, double{x[j]});
      for (int64_t j = 0; j < cols; ++j) s += ref[r * cols + j] = std::exp(x[j] - m);
      for (int64_t j = 0; j < cols; ++j) ref[r * cols + j] /= s;
    }
  };
  return w;
}

// W4: mean((a-b)^2), a 0-d result. The hand loop accumulates in double (float partial sums over
// 2^24 terms lose digits); the loop stays memory-bound either way.
Workload MakeMse(int64_t n) {
  Workload w;
  w.name = "W4";
  w.input_shapes = {{n}, {n}};
  w.out_size = 1;
  w.bytes = 2 * n * sizeof(float) + sizeof(float);
  w.ndjit_expr = [](const std::vector<ndjit::NDArray>& in) {
    ndjit::NDArray d = in[0] - in[1];
    return nd::mean(d * d);
  };
  w.ndjit_statement = [](const std::vector<ndjit::NDArray>& in) {
    benchmark::DoNotOptimize(nd::mean(nd::square(in[0] - in[1])).asscalar<float>());
  };
  w.hand = [n](const HostInputs& in, float* out) { out[0] = ndjit_hand_w4(in[0], in[1], n); };
#ifdef NDJIT_BENCH_HAVE_EIGEN
  w.eigen = [n](const HostInputs& in, float* out) {
    Eigen::Map<const Eigen::ArrayXf> a(in[0], n), b(in[1], n);
    out[0] = (a - b).square().mean();
  };
  w.eigen2 = [n](const HostInputs& in, float* out) {
    double parts[kThreads] = {};
    ForEachPart(n, [&](int64_t lo, int64_t m) {
      Eigen::Map<const Eigen::ArrayXf> a(in[0] + lo, m), b(in[1] + lo, m);
      parts[omp_get_thread_num()] = (a - b).square().sum();
    });
    double s = 0;
    for (double p : parts) s += p;
    out[0] = static_cast<float>(s / static_cast<double>(n));
  };
#endif
  w.reference = [n](const HostInputs& in, double* ref) {
    double s = 0;
    for (int64_t i = 0; i < n; ++i) {
      const double d = double{in[0][i]} - in[1][i];
      s += d * d;
    }
    ref[0] = s / static_cast<double>(n);
  };
  return w;
}

// Scan/cumsum: the running sum of a float32 vector, nd::cumsum(x) read with wait_to_read(). The
// hand loop is the two-pass parallel scan a C++ programmer writes with OpenMP: each thread sums
// its half, then scans its half from the total of the halves before it (it reads x twice and
// writes y once, as ndjit's split scan does). Both accumulate in float32 within a run; the error
// column compares with a double reference, relative to 1 + |ref|.
Workload MakeCumsum(int64_t n) {
  Workload w;
  w.name = "Scan/cumsum";
  w.input_shapes = {{n}};
  w.out_size = n;
  w.bytes = 2 * n * sizeof(float);
  w.ndjit_expr = [](const std::vector<ndjit::NDArray>& in) { return nd::cumsum(in[0]); };
  w.ndjit_statement = [](const std::vector<ndjit::NDArray>& in) {
    nd::cumsum(in[0]).wait_to_read();
  };
  w.hand = [n](const HostInputs& in, float* out) {
    const float* x = in[0];
    double totals[kThreads] = {};
#pragma omp parallel num_threads(kThreads)
    {
      const int t = omp_get_thread_num(), threads = omp_get_num_threads();
      const int64_t begin = n * t / threads, end = n * (t + 1) / threads;
      float s = 0;
      for (int64_t i = begin; i < end; ++i) s += x[i];
      totals[t] = s;
#pragma omp barrier
      double carry = 0;
      for (int k = 0; k < t; ++k) carry += totals[k];
      float acc = static_cast<float>(carry);
      for (int64_t i = begin; i < end; ++i) {
        acc += x[i];
        out[i] = acc;
      }
    }
  };
  w.reference = [n](const HostInputs& in, double* ref) {
    double s = 0;
    for (int64_t i = 0; i < n; ++i) ref[i] = s += in[0][i];
  };
  w.low = 0;  // a running sum of positive values: the relative error stays meaningful
  return w;
}

// W5: normalize each column of a rows x cols matrix by its mean and (biased) variance. The hand
// loop splits the columns between the threads; each thread walks the rows over its column block
// (three passes: mean, variance, output), so every inner loop is contiguous and vectorized.
Workload MakeColumnNorm(int64_t rows, int64_t cols) {
  Workload w;
  w.name = "W5";
  w.input_shapes = {{rows, cols}};
  w.low = 0;
  w.high = 1;
  w.rows = rows;
  w.cols = cols;
  w.out_size = rows * cols;
  w.bytes = 2 * rows * cols * sizeof(float);
  w.ndjit_expr = [](const std::vector<ndjit::NDArray>& in) {
    const ndjit::NDArray& x = in[0];
    return (x - nd::mean(x, 0)) / nd::sqrt(nd::var(x, 0) + 1e-5f);
  };
  w.ndjit_statement = [](const std::vector<ndjit::NDArray>& in) {
    const ndjit::NDArray& x = in[0];
    auto m = nd::mean(x, 0);
    auto v = nd::var(x, 0);
    ((x - m) / nd::sqrt(v + 1e-5f)).wait_to_read();
  };
  w.hand = [rows, cols](const HostInputs& in, float* out) {
    ndjit_hand_w5(in[0], out, rows, cols);
  };
#ifdef NDJIT_BENCH_HAVE_EIGEN
  w.eigen = [rows, cols](const HostInputs& in, float* out) {
    using RowArray = Eigen::Array<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    Eigen::Map<const RowArray> x(in[0], rows, cols);
    Eigen::Map<RowArray> y(out, rows, cols);
    Eigen::Array<float, 1, Eigen::Dynamic> mu = x.colwise().mean();
    Eigen::Array<float, 1, Eigen::Dynamic> var = (x.rowwise() - mu).square().colwise().mean();
    y = (x.rowwise() - mu).rowwise() / (var + 1e-5f).sqrt();
  };
  w.eigen2 = [rows, cols](const HostInputs& in, float* out) {
    using RowArray = Eigen::Array<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    ForEachPart(cols, [&](int64_t c0, int64_t m) {
      auto x = Eigen::Map<const RowArray>(in[0], rows, cols).middleCols(c0, m);
      auto y = Eigen::Map<RowArray>(out, rows, cols).middleCols(c0, m);
      Eigen::Array<float, 1, Eigen::Dynamic> mu = x.colwise().mean();
      Eigen::Array<float, 1, Eigen::Dynamic> var = (x.rowwise() - mu).square().colwise().mean();
      y = (x.rowwise() - mu).rowwise() / (var + 1e-5f).sqrt();
    });
  };
#endif
  w.reference = [rows, cols](const HostInputs& in, double* ref) {
    const float* x = in[0];
    std::vector<double> mean(cols, 0.0), var(cols, 0.0);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < cols; ++j) mean[j] += x[r * cols + j];
    for (int64_t j = 0; j < cols; ++j) mean[j] /= static_cast<double>(rows);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < cols; ++j) {
        const double d = x[r * cols + j] - mean[j];
        var[j] += d * d;
      }
    for (int64_t j = 0; j < cols; ++j) var[j] /= static_cast<double>(rows);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < cols; ++j)
        ref[r * cols + j] = (x[r * cols + j] - mean[j]) / std::sqrt(var[j] + 1e-5);
  };
  return w;
}

// MM: an n x n x n float32 matmul, the bar for matmul kernels (bytes: the operands and result
// once; the FLOP rate is the `items` counter). The hand loop is the i-k-j order with the rows
// split between the threads (contiguous, vectorized inner loop, no register blocking); Eigen's
// product is its blocked GEMM on one thread.
Workload MakeMatmul(int64_t n) {
  Workload w;
  w.name = "MM512";
  w.input_shapes = {{n, n}, {n, n}};
  w.out_size = n * n;
  w.bytes = 3 * n * n * sizeof(float);
  w.flops = 2 * n * n * n;
  w.ndjit_expr = [](const std::vector<ndjit::NDArray>& in) { return nd::matmul(in[0], in[1]); };
  w.ndjit_statement = [](const std::vector<ndjit::NDArray>& in) {
    nd::matmul(in[0], in[1]).wait_to_read();
  };
  w.hand = [n](const HostInputs& in, float* out) {
    const float *a = in[0], *b = in[1];
#pragma omp parallel for num_threads(kThreads) schedule(static)
    for (int64_t i = 0; i < n; ++i) {
      float* c = out + i * n;
      for (int64_t j = 0; j < n; ++j) c[j] = 0;
      for (int64_t k = 0; k < n; ++k) {
        const float aik = a[i * n + k];
        const float* bk = b + k * n;
#pragma omp simd
        for (int64_t j = 0; j < n; ++j) c[j] += aik * bk[j];
      }
    }
  };
#ifdef NDJIT_BENCH_HAVE_EIGEN
  w.eigen = [n](const HostInputs& in, float* out) {
    using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    Eigen::Map<const RowMatrix> a(in[0], n, n), b(in[1], n, n);
    Eigen::Map<RowMatrix> c(out, n, n);
    c.noalias() = a * b;
  };
#endif
  w.reference = [n](const HostInputs& in, double* ref) {
    const float *a = in[0], *b = in[1];
    for (int64_t i = 0; i < n; ++i)
      for (int64_t k = 0; k < n; ++k)
        for (int64_t j = 0; j < n; ++j) ref[i * n + j] += double(a[i * n + k]) * b[k * n + j];
  };
  return w;
}

// ---- The variants ----

// How a W*/ndjit variant records and reads the workload.
enum class Form {
  kStatement,  // ndjit: the user's statement, accessor included (Workload::ndjit_statement)
  kScoped,     // ndjit_scoped and eager: the expression's function, then wait_to_read()
  kAsnumpy,    // ndjit_asnumpy: the expression's function, then asnumpy() (host data)
};

// ndjit (eager = false) or eager (eager = true): record the expression and materialize it.
void RunNdjit(benchmark::State& state, const Workload& w, bool eager, Form form) {
  Fixture& f = GetFixture(w);
  ndjit::set_eager(eager);
  // One untimed evaluation: compiles the kernels (cold cache on the first run) and checks the
  // result; the timing loop then measures the warm path.
  {
    ndjit::HostArray h = w.ndjit_expr(f.nd_inputs).asnumpy();
    state.counters["err"] = MaxError(h.data<float>(), f.ref);
  }
  const ndjit::Stats before = ndjit::stats();
  for (auto _ : state) {
    switch (form) {
      case Form::kStatement:
        w.ndjit_statement(f.nd_inputs);
        break;
      case Form::kScoped: {
        ndjit::NDArray y = w.ndjit_expr(f.nd_inputs);
        y.wait_to_read();
        benchmark::DoNotOptimize(y);
        break;
      }
      case Form::kAsnumpy: {
        ndjit::HostArray h = w.ndjit_expr(f.nd_inputs).asnumpy();
        benchmark::DoNotOptimize(h.raw_data());
        break;
      }
    }
  }
  const ndjit::Stats after = ndjit::stats();
  ndjit::set_eager(false);
  const double iters = static_cast<double>(state.iterations());
  state.counters["kernels"] =
      static_cast<double>(after.kernels_launched - before.kernels_launched) / iters;
  state.counters["compiles"] =
      static_cast<double>(after.kernels_compiled - before.kernels_compiled) / iters;
  state.counters["fresh_MB"] =
      static_cast<double>(after.bytes_fresh - before.bytes_fresh) / iters / (1 << 20);
  state.SetBytesProcessed(state.iterations() * w.bytes);
  if (w.flops) state.SetItemsProcessed(state.iterations() * w.flops);
}

// ndjit_cuda: the same expression on gpu(0), inputs copied there once; device-memory bandwidth
// is the limit (bytes/s counts the fused kernel's bytes, as for W*/ndjit). Without a device the
// case reports "skipped: no CUDA device".
// Whether the workload's output is streamed by default (an elementwise kernel's 64 MiB output,
// over the 32 MiB cap of codegen/cpu's streaming threshold).
bool Streams(const Workload& w) {
  return w.name == "W1" || w.name == "W2" || w.name == "W2erf" || w.name == "Wpow";
}

// Whether the workload calls a function of the prelude's vector math (W2 tanh, W2erf erf, W3 exp).
bool UsesVectorMath(const Workload& w) {
  return w.name == "W2" || w.name == "W2erf" || w.name == "W3";
}

// The fusion workloads with Paired and ndjit_cuda cases.
bool IsFusionWorkload(const Workload& w) {
  return w.name == "W2erf" || w.name == "Wpow" ||
         (w.name.size() == 2 && w.name[0] == 'W' && w.name[1] >= '1' && w.name[1] <= '5');
}

// Paired/Wk: the variants of one workload in rounds. Each iteration is one round that times every
// variant once, starting from a different one each round; the counters are the medians over
// rounds of each variant's time divided by the hand loop's time in the same round. The VM's
// memory bandwidth drifts by tens of percent within minutes, so the cases above, measured one
// after the other, can disagree on a ratio that these rounds measure side by side.
//
// Every variant reads its own copy of the inputs, and the host variants write their own outputs
// (ndjit's statements return theirs to the buffer pool, so the next ndjit variant of a round may
// write the same buffer, as a user's next statement would). Variants that shared
// memory would find each other's data in the last-level cache, which on a VM can hold much of a
// round's working set (480 MiB reported on one): the hand loop and Eigen, reading the same
// vectors, ran up to 1.4x faster than with copies of their own, and ndjit, reading its own
// arrays, did not gain. Host copies are plain std::vectors; ndjit's arrays are its own
// allocations (huge pages: runtime/buffer_pool.h), which is what each gives its users.
void RunPaired(benchmark::State& state, const Workload& w) {
  Fixture& f = GetFixture(w);
  struct HostCopy {
    std::vector<std::vector<float>> inputs;
    HostInputs ptrs;
    std::vector<float> out;
  };
  std::deque<HostCopy> host_copies;  // stable addresses
  auto host_copy = [&]() -> HostCopy& {
    HostCopy& c = host_copies.emplace_back();
    c.inputs = f.host_inputs;
    for (const auto& h : c.inputs) c.ptrs.push_back(h.data());
    c.out.resize(w.out_size);
    return c;
  };
  std::deque<std::vector<ndjit::NDArray>> nd_copies;
  auto nd_copy = [&]() -> const std::vector<ndjit::NDArray>& {
    return nd_copies.emplace_back(MakeNdInputs(w));
  };
  struct Variant {
    std::string name;
    std::function<void()> run;
  };
  using HostFn = std::function<void(const HostInputs&, float*)>;
  auto host = [&](const HostFn& fn) {
    HostCopy& c = host_copy();
    return [fn, &c] { fn(c.ptrs, c.out.data()); };
  };
  auto with_flags = [&](const char* flags) {
    const std::vector<ndjit::NDArray>& in = nd_copy();
    return [&w, &in, flags] {
      ndjit::set_flags(flags);
      w.ndjit_statement(in);
      ndjit::set_flags("");
    };
  };
  std::vector<Variant> variants = {
      {"hand", host(w.hand)},
      {"ndjit", [&w, &in = f.nd_inputs] { w.ndjit_statement(in); }},
  };
  if (Streams(w)) variants.push_back({"ndjit_cached", with_flags("--streaming-stores=0")});
  variants.push_back({"ndjit_noprefetch", with_flags("--prefetch=0")});
  if (UsesVectorMath(w)) variants.push_back({"ndjit_glibc", with_flags("--vector-math=glibc")});
  if (w.hand_stream) variants.push_back({"hand_stream", host(w.hand_stream)});
  if (w.eigen) variants.push_back({"eigen", host(w.eigen)});
  if (w.eigen2) variants.push_back({"eigen2", host(w.eigen2)});
  for (const Variant& v : variants) v.run();  // compiles, first touches
  std::vector<std::vector<double>> ratios(variants.size());
  size_t round = 0;
  for (auto _ : state) {
    std::vector<double> seconds(variants.size());
    for (size_t k = 0; k < variants.size(); ++k) {
      const size_t v = (round + k) % variants.size();
      const auto start = std::chrono::steady_clock::now();
      variants[v].run();
      seconds[v] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
    for (size_t v = 0; v < variants.size(); ++v) ratios[v].push_back(seconds[v] / seconds[0]);
    ++round;
  }
  for (size_t v = 1; v < variants.size(); ++v) {
    std::vector<double>& r = ratios[v];
    std::nth_element(r.begin(), r.begin() + r.size() / 2, r.end());
    state.counters[variants[v].name + "/hand"] = r[r.size() / 2];
  }
}

void RunNdjitCuda(benchmark::State& state, const Workload& w) {
  if (ndjit::num_gpus() == 0) {
    state.SkipWithError("skipped: no CUDA device");
    return;
  }
  Fixture& f = GetFixture(w);
  std::vector<ndjit::NDArray> on_gpu;
  for (const ndjit::NDArray& a : f.nd_inputs) on_gpu.push_back(a.copyto(ndjit::gpu(0)));
  ndjit::waitall();
  {
    ndjit::HostArray h = w.ndjit_expr(on_gpu).asnumpy();
    state.counters["err"] = MaxError(h.data<float>(), f.ref);
  }
  const ndjit::Stats before = ndjit::stats();
  for (auto _ : state) {
    ndjit::NDArray y = w.ndjit_expr(on_gpu);
    y.wait_to_read();
    benchmark::DoNotOptimize(y);
  }
  const ndjit::Stats after = ndjit::stats();
  state.counters["kernels"] =
      static_cast<double>(after.kernels_launched - before.kernels_launched) /
      static_cast<double>(state.iterations());
  state.SetBytesProcessed(state.iterations() * w.bytes);
}

// hand / eigen: the same computation into a preallocated output.
void RunHost(benchmark::State& state, const Workload& w,
             const std::function<void(const HostInputs&, float*)>& fn) {
  Fixture& f = GetFixture(w);
  const HostInputs in = f.host_ptrs();
  std::vector<float> out(w.out_size);
  for (auto _ : state) {
    fn(in, out.data());
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.counters["err"] = MaxError(out.data(), f.ref);
  state.SetBytesProcessed(state.iterations() * w.bytes);
  if (w.flops) state.SetItemsProcessed(state.iterations() * w.flops);
}

void RegisterWorkload(const Workload& w) {
  auto reg = [&w](const std::string& variant, auto fn) {
    benchmark::RegisterBenchmark((w.name + "/" + variant).c_str(), fn)
        ->Unit(w.unit)
        ->UseRealTime()
        ->MinTime(w.min_time);
  };
  reg("ndjit", [&w](benchmark::State& s) { RunNdjit(s, w, false, Form::kStatement); });
  reg("ndjit_scoped", [&w](benchmark::State& s) { RunNdjit(s, w, false, Form::kScoped); });
  if (w.name == "W1") {
    reg("ndjit_asnumpy", [&w](benchmark::State& s) { RunNdjit(s, w, false, Form::kAsnumpy); });
  }
  reg("eager", [&w](benchmark::State& s) { RunNdjit(s, w, true, Form::kScoped); });
  if (Streams(w)) {
    reg("ndjit_cached", [&w](benchmark::State& s) {
      ndjit::set_flags("--streaming-stores=0");
      RunNdjit(s, w, false, Form::kStatement);
      ndjit::set_flags("");
    });
  }
  reg("ndjit_noprefetch", [&w](benchmark::State& s) {
    ndjit::set_flags("--prefetch=0");
    RunNdjit(s, w, false, Form::kStatement);
    ndjit::set_flags("");
  });
  if (UsesVectorMath(w)) {
    reg("ndjit_glibc", [&w](benchmark::State& s) {
      ndjit::set_flags("--vector-math=glibc");
      RunNdjit(s, w, false, Form::kStatement);
      ndjit::set_flags("");
    });
  }

  reg("hand", [&w](benchmark::State& s) { RunHost(s, w, w.hand); });
  if (w.hand_stream) {
    reg("hand_stream", [&w](benchmark::State& s) { RunHost(s, w, w.hand_stream); });
  }
  if (IsFusionWorkload(w)) {
    benchmark::RegisterBenchmark(("Paired/" + w.name).c_str(),
                                 [&w](benchmark::State& s) { RunPaired(s, w); })
        ->Unit(w.unit)
        ->UseRealTime()
        ->Iterations(15);
  }
  if (w.eigen) reg("eigen", [&w](benchmark::State& s) { RunHost(s, w, w.eigen); });
  if (w.eigen2) reg("eigen2", [&w](benchmark::State& s) { RunHost(s, w, w.eigen2); });
  if (IsFusionWorkload(w)) {
    reg("ndjit_cuda", [&w](benchmark::State& s) { RunNdjitCuda(s, w); });
  }
}

// ---- Compile latency ----

constexpr int64_t kCompileN = 1024;

ndjit::NDArray Gelu(const ndjit::NDArray& x, float c) {
  return 0.5f * x * (1.0f + nd::tanh(0.7978845608f * (x + c * x * x * x)));
}

// W2's first materialization with a cold cache. Float constants are kernel parameters, so a new
// float would find the kernel compiled; an integer constant is part of the kernel's code, so a
// term `(iota % k) * 0` with a k that differs in every iteration (and across runs of this
// function, hence the static counter) makes every iteration compile a new kernel (W2 plus an
// iota, a remainder, a cast and two ops). N = 1024 keeps the run itself negligible: this is
// record + passes + lowering + LLVM compile + one launch.
void BM_CompileW2Cold(benchmark::State& state) {
  ndjit::NDArray x = nd::random::uniform(-4, 4, {kCompileN}, 7);
  x.wait_to_read();
  static int64_t salt = 1;
  const ndjit::Stats before = ndjit::stats();
  for (auto _ : state) {
    const ndjit::NDArray iota = nd::arange(0, kCompileN, 1);
    ndjit::NDArray y = Gelu(x, 0.044715f) + (iota % ++salt).astype(ndjit::DType::kFloat32) * 0.0f;
    y.wait_to_read();
  }
  const ndjit::Stats after = ndjit::stats();
  const double iters = static_cast<double>(state.iterations());
  state.counters["compiles"] =
      static_cast<double>(after.kernels_compiled - before.kernels_compiled) / iters;
  state.counters["compile_ms"] = 1e3 * (after.compile_seconds - before.compile_seconds) / iters;
  state.counters["kernels"] =
      static_cast<double>(after.kernels_launched - before.kernels_launched) / iters;
}

// The same expression with the same structure again: the kernel comes from the cache.
void BM_CompileW2Hit(benchmark::State& state) {
  ndjit::NDArray x = nd::random::uniform(-4, 4, {kCompileN}, 7);
  Gelu(x, 0.044715f).wait_to_read();  // compiles (or finds) the kernel
  const ndjit::Stats before = ndjit::stats();
  for (auto _ : state) {
    ndjit::NDArray y = Gelu(x, 0.044715f);
    y.wait_to_read();
  }
  const ndjit::Stats after = ndjit::stats();
  const double iters = static_cast<double>(state.iterations());
  state.counters["compiles"] =
      static_cast<double>(after.kernels_compiled - before.kernels_compiled) / iters;
  state.counters["hits"] =
      static_cast<double>(after.kernel_cache_hits - before.kernel_cache_hits) / iters;
  state.counters["kernels"] =
      static_cast<double>(after.kernels_launched - before.kernels_launched) / iters;
}

// Kernels compiled and launched per iteration, from the stats before the timing loop.
void CountPerIteration(benchmark::State& state, const ndjit::Stats& before,
                       const ndjit::Stats& after) {
  const double iters = static_cast<double>(state.iterations());
  state.counters["compiles"] =
      static_cast<double>(after.kernels_compiled - before.kernels_compiled) / iters;
  state.counters["kernels"] =
      static_cast<double>(after.kernels_launched - before.kernels_launched) / iters;
}

// ---- Loops that change only a value ----

// Loop/scalar: `(x * (0.01f * i) + 1.0f).asnumpy()` for i cycling through 1..50, N = 2^16, the
// way a user sweeps a scale. Time and compiles per iteration (float scalars are kernel
// parameters: no compile after the untimed first one).
void BM_LoopScalar(benchmark::State& state) {
  ndjit::NDArray x = nd::random::uniform(-1, 1, {int64_t{1} << 16}, 13);
  x.wait_to_read();
  (x * 0.5f + 1.0f).asnumpy();  // the first compile, untimed
  const ndjit::Stats before = ndjit::stats();
  int i = 0;
  for (auto _ : state) {
    const float s = 0.01f * static_cast<float>(i++ % 50 + 1);
    const ndjit::HostArray h = (x * s + 1.0f).asnumpy();
    benchmark::DoNotOptimize(h.raw_data());
  }
  CountPerIteration(state, before, ndjit::stats());
}

// Loop/lr_schedule: an SGD update with a learning rate that changes every step,
// `w -= g * lr; w.wait_to_read();` on 256 x 256 float32. Time and compiles per step.
void BM_LoopLrSchedule(benchmark::State& state) {
  ndjit::NDArray w = nd::random::uniform(-1, 1, {256, 256}, 14);
  const ndjit::NDArray g = nd::random::uniform(-1, 1, {256, 256}, 15);
  ndjit::waitall();
  (w - g * 0.1f).wait_to_read();  // the first compile, untimed
  const ndjit::Stats before = ndjit::stats();
  int step = 0;
  for (auto _ : state) {
    const float lr = 0.1f / static_cast<float>(1 + step++ % 1000);
    w -= g * lr;
    w.wait_to_read();
  }
  CountPerIteration(state, before, ndjit::stats());
}

// A cold cumsum: each iteration scans an operand of a dtype, rank and axis not seen before in
// the process (kernel texts differ in all three, never in sizes), so it compiles its kernels:
// one scan kernel at 1024 elements; at 2^20 the chunk totals, the totals' scan and the chunked
// scan (fewer where an earlier variant's totals kernels match). The operands are computed before
// the timing loop. compile_ms is the compile time per cumsum (mean, summed over its kernels,
// which compile in parallel), worst_ms the longest wall time of one cold cumsum (record, compile
// and run: what the user waits), compiles the kernels compiled per cumsum.
void BM_CompileCumsumCold(benchmark::State& state, int64_t n) {
  struct Variant {
    ndjit::NDArray x;
    int64_t axis;
  };
  std::vector<Variant> variants;
  const std::vector<std::pair<std::vector<int64_t>, int64_t>> layouts = {
      {{n}, 0}, {{2, n / 2}, 1}, {{n / 2, 2}, 0}, {{4, 8, n / 32}, 2}, {{n / 32, 8, 4}, 0}};
  for (ndjit::DType dt : {ndjit::DType::kFloat32, ndjit::DType::kFloat64, ndjit::DType::kInt32,
                          ndjit::DType::kInt64, ndjit::DType::kUInt8, ndjit::DType::kFloat16}) {
    for (const auto& [shape, axis] : layouts) {
      variants.push_back({nd::random::uniform(0, 2, shape, 9).astype(dt), axis});
    }
  }
  ndjit::waitall();
  static int64_t used = 0;  // variants compiled by an earlier run of this case (same process)
  const ndjit::Stats before = ndjit::stats();
  int64_t runs = 0;
  double worst = 0;
  for (auto _ : state) {
    const Variant& v = variants[(used + runs++) % static_cast<int64_t>(variants.size())];
    const auto start = std::chrono::steady_clock::now();
    nd::cumsum(v.x, v.axis).wait_to_read();
    worst = std::max(
        worst, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  used += runs;
  const ndjit::Stats after = ndjit::stats();
  const double iters = static_cast<double>(state.iterations());
  state.counters["compiles"] =
      static_cast<double>(after.kernels_compiled - before.kernels_compiled) / iters;
  state.counters["compile_ms"] = 1e3 * (after.compile_seconds - before.compile_seconds) / iters;
  state.counters["worst_ms"] = 1e3 * worst;
}

// Concat/512x64: nd::concatenate of 512 arrays of 64 elements, read with wait_to_read(). It
// records a tree of 8-part concats (64, then 8, then the root: 73 kernels of at most 8 inputs).
// warm: the same dtype every time (kernels cached); cold: each iteration a dtype not
// concatenated before in the process, so its kernels compile.
void BM_Concat(benchmark::State& state, bool cold) {
  const std::vector<ndjit::DType> dtypes = {ndjit::DType::kFloat32, ndjit::DType::kFloat64,
                                            ndjit::DType::kInt32,   ndjit::DType::kInt64,
                                            ndjit::DType::kUInt8,   ndjit::DType::kInt8,
                                            ndjit::DType::kFloat16, ndjit::DType::kBFloat16};
  std::vector<std::vector<ndjit::NDArray>> parts(cold ? dtypes.size() : 1);
  for (size_t d = 0; d < parts.size(); ++d) {
    for (int i = 0; i < 512; ++i) {
      parts[d].push_back(nd::random::uniform(0, 1, {64}, 100 + i).astype(dtypes[d]));
    }
  }
  ndjit::waitall();
  if (!cold) nd::concatenate(parts[0]).wait_to_read();  // compiles the kernels once
  const ndjit::Stats before = ndjit::stats();
  size_t next = 0;
  for (auto _ : state) {
    nd::concatenate(parts[next++ % parts.size()]).wait_to_read();
  }
  const ndjit::Stats after = ndjit::stats();
  const double iters = static_cast<double>(state.iterations());
  state.counters["kernels"] =
      static_cast<double>(after.kernels_launched - before.kernels_launched) / iters;
  state.counters["compiles"] =
      static_cast<double>(after.kernels_compiled - before.kernels_compiled) / iters;
  if (!cold) state.SetBytesProcessed(state.iterations() * 2 * 512 * 64 * 4);
}

// Compile/worst: the slowest single kernel compile over the first 300 graphs of the differential
// corpus (CI's generator: scans, scan chains, shift chains, wide concatenations, rows...), each
// compiled once on a cold cache, with the kernel's size. worst_ms is that compile's time,
// worst_instrs its kernel IR instructions; mean_ms the average over every kernel compiled.
void BM_CompileWorst(benchmark::State& state) {
  namespace rt = ndjit::runtime;
  constexpr uint64_t kGraphs = 300;
  int64_t failures = 0;
  rt::ExecutorCounters e;
  for (auto _ : state) {
    rt::ResetExecutorCounters();
    for (uint64_t seed = 1; seed <= kGraphs; ++seed) {
      const rt::testing::Case c = rt::testing::RandomCase(seed);
      failures += !rt::ExecuteCompiled(*c.graph, rt::testing::MakeInputs(c.specs, seed),
                                       rt::testing::DefaultOptions())
                       .ok();
    }
    e = rt::GetExecutorCounters();
  }
  state.counters["worst_ms"] = 1e3 * e.slowest_compile_seconds;
  state.counters["worst_instrs"] = static_cast<double>(e.slowest_compile_instrs);
  state.counters["kernels"] = static_cast<double>(e.kernels_compiled);
  state.counters["mean_ms"] =
      e.kernels_compiled > 0 ? 1e3 * e.compile_seconds / static_cast<double>(e.kernels_compiled)
                             : 0;
  // Graphs whose run raised (a gather out of range is part of the corpus): compiled all the same.
  state.counters["raised"] = static_cast<double>(failures);
}

// ---- Recording ----

// Recording one binary op: the cost a user pays per call before anything runs.
void BM_RecordOp(benchmark::State& state) {
  ndjit::NDArray a = nd::zeros({1024});
  ndjit::NDArray b = nd::ones({1024});
  for (auto _ : state) {
    ndjit::NDArray c = a * b;
    benchmark::DoNotOptimize(c);
  }
}

// Recording one op with a C++ scalar (adds a constant node).
void BM_RecordScalarOp(benchmark::State& state) {
  ndjit::NDArray a = nd::zeros({1024});
  for (auto _ : state) {
    ndjit::NDArray c = a * 2.0f;
    benchmark::DoNotOptimize(c);
  }
}

// ---- Long graphs ----

// A chain of `nodes` recorded ops (x = x * 0.999f + 0.001f, nodes / 2 times, on 1024 floats)
// built by a loop and then materialized. Each timed iteration measures recording + the passes +
// fusion planning + lowering + the kernel-cache lookup + the run. The chain's structure is the
// same in every iteration, so after the untimed first one its kernels come from the cache: the
// timed number is the warm cost (`compiles` shows it). The cold cost of the first
// materialization (including the LLVM compile of the kernels) is reported as `first_s`.
void BM_Graph(benchmark::State& state, int64_t nodes) {
  ndjit::NDArray x0 = nd::random::uniform(0, 1, {1024}, 11);
  x0.wait_to_read();
  auto build = [&] {
    ndjit::NDArray x = x0;
    for (int64_t i = 0; i < nodes / 2; ++i) x = x * 0.999f + 0.001f;
    return x;
  };
  // Google Benchmark calls this function several times (growing iteration counts); only the
  // very first materialization is cold.
  static std::map<int64_t, double> first_s;
  if (!first_s.count(nodes)) {
    const auto t0 = std::chrono::steady_clock::now();
    build().wait_to_read();
    first_s[nodes] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  state.counters["first_s"] = first_s[nodes];
  const ndjit::Stats before = ndjit::stats();
  for (auto _ : state) {
    ndjit::NDArray x = build();
    x.wait_to_read();
  }
  const ndjit::Stats after = ndjit::stats();
  const double iters = static_cast<double>(state.iterations());
  state.counters["recorded"] =
      static_cast<double>(after.nodes_recorded - before.nodes_recorded) / iters;
  state.counters["compiles"] =
      static_cast<double>(after.kernels_compiled - before.kernels_compiled) / iters;
  state.counters["kernels"] =
      static_cast<double>(after.kernels_launched - before.kernels_launched) / iters;
}

// ---- The tutorial's training loop ----

// Training steps per second of the MXNet tutorial's loop (examples/gluon_train.cc): 1024 x 100
// uniform data, random labels, batch 128, shuffle, Dense(10), SoftmaxCELoss, SGD, the loss read
// one iteration late. One benchmark iteration is one epoch (8 steps); items/s is steps/s.
// bench/mxnet_peer.sh runs the same loop in MXNet 1.9.1 and prints the ratio.
void BM_TrainLoop(benchmark::State& state) {
  nd::random::seed(42);
  ndjit::NDArray data = nd::random::uniform(0, 1, {1024, 100});
  ndjit::NDArray label = nd::random::randint(0, 10, {1024}, std::nullopt, ndjit::DType::kInt32);
  gluon::data::ArrayDataset dataset(data, label);
  gluon::data::DataLoader loader(dataset, 128, /*shuffle=*/true);
  gluon::nn::Dense net(10);
  net.initialize();
  gluon::loss::SoftmaxCELoss ce;
  gluon::Trainer trainer(net.collect_params(), "sgd");
  std::optional<ndjit::NDArray> pending;  // the LossBuffer
  double last = 0;
  int64_t steps = 0;
  auto epoch = [&] {
    for (const gluon::data::Batch& batch : loader) {
      std::optional<ndjit::NDArray> prev = pending;
      {
        ndjit::autograd::Record record;
        pending = ce(net(batch.data), batch.label);
      }
      pending->backward();
      trainer.step(batch.data.shape()[0]);
      if (prev) {
        const ndjit::HostArray h = prev->asnumpy();
        last = h.data<float>()[0];
      }
      ++steps;
    }
  };
  epoch();  // warm-up: compiles the step's kernels
  ndjit::waitall();
  const ndjit::Stats before = ndjit::stats();
  steps = 0;
  for (auto _ : state) epoch();
  ndjit::waitall();
  const ndjit::Stats after = ndjit::stats();
  state.SetItemsProcessed(steps);
  const double n = static_cast<double>(std::max<int64_t>(steps, 1));
  state.counters["kernels"] =
      static_cast<double>(after.kernels_launched - before.kernels_launched) / n;
  state.counters["compiles"] =
      static_cast<double>(after.kernels_compiled - before.kernels_compiled);
  state.counters["loss"] = last;
}

// The console reporter, printing each case under its registered name ("W1/ndjit"): Google
// Benchmark would append "/min_time:0.500/real_time" or "/iterations:20/real_time". Every W*,
// Compile/* and Graph/* case uses real (wall-clock) time, the only honest clock when kernels run
// on several threads; Record/* uses CPU time (it is single-threaded).
class NameReporter : public benchmark::ConsoleReporter {
 public:
  // Counters as columns (kernels, compiles, err, ...); no color codes, so a tee'd log stays clean.
  NameReporter() : ConsoleReporter(OO_Tabular) {}
  void ReportRuns(const std::vector<Run>& runs) override {
    std::vector<Run> renamed = runs;
    for (Run& r : renamed) {
      r.run_name.min_time.clear();
      r.run_name.iterations.clear();
      r.run_name.time_type.clear();
    }
    ConsoleReporter::ReportRuns(renamed);
  }
};

}  // namespace

int main(int argc, char** argv) {
  ndjit::set_num_threads(kThreads);
  // The Compile/* cases measure compiles: a disk cache warm from an earlier run would turn them
  // into loads. Startup with the disk cache is measured by bench/startup.sh.
  ndjit::set_cache(false);

  static const Workload w1 = MakeAxpy("W1", int64_t{1} << 24, benchmark::kMillisecond, 1.0);
  static const Workload w2 = MakeGelu(int64_t{1} << 24);
  static const Workload w2erf = MakeGeluErf(int64_t{1} << 24);
  static const Workload wpow = MakePow(int64_t{1} << 24);
  static const Workload w3 = MakeSoftmax(4096, 1024);
  static const Workload w4 = MakeMse(int64_t{1} << 24);
  static const Workload w5 = MakeColumnNorm(8192, 512);
  static const Workload w6 = MakeAxpy("W6", 1024, benchmark::kMicrosecond, 0.5);
  // A mid-size kernel (2^17 elements), below the executor's threshold for running a kernel on
  // several threads: what that threshold costs an otherwise idle machine.
  static const Workload w7 = MakeAxpy("W7", int64_t{1} << 17, benchmark::kMicrosecond, 0.5);
  static const Workload mm = MakeMatmul(512);
  static const Workload scan = MakeCumsum(int64_t{1} << 24);
  for (const Workload* w : {&w1, &w2, &w2erf, &wpow, &w3, &w4, &w5, &w6, &w7, &mm, &scan})
    RegisterWorkload(*w);

  benchmark::RegisterBenchmark("Compile/W2_cold", BM_CompileW2Cold)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime()
      ->Iterations(20);
  benchmark::RegisterBenchmark("Compile/W2_hit", BM_CompileW2Hit)
      ->Unit(benchmark::kMicrosecond)
      ->UseRealTime()
      ->MinTime(0.2);
  benchmark::RegisterBenchmark("Loop/scalar", BM_LoopScalar)
      ->Unit(benchmark::kMicrosecond)
      ->UseRealTime()
      ->MinTime(0.5);
  benchmark::RegisterBenchmark("Loop/lr_schedule", BM_LoopLrSchedule)
      ->Unit(benchmark::kMicrosecond)
      ->UseRealTime()
      ->MinTime(0.5);
  for (int64_t n : {int64_t{1024}, int64_t{1} << 20}) {
    benchmark::RegisterBenchmark(("Compile/cumsum_cold/" + std::to_string(n)).c_str(),
                                 [n](benchmark::State& s) { BM_CompileCumsumCold(s, n); })
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime()
        ->Iterations(30);
  }
  benchmark::RegisterBenchmark("Concat/512x64/warm",
                               [](benchmark::State& s) { BM_Concat(s, false); })
      ->Unit(benchmark::kMicrosecond)
      ->UseRealTime()
      ->MinTime(0.5);
  benchmark::RegisterBenchmark("Concat/512x64/cold",
                               [](benchmark::State& s) { BM_Concat(s, true); })
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime()
      ->Iterations(8);
  benchmark::RegisterBenchmark("Compile/worst", BM_CompileWorst)
      ->Unit(benchmark::kSecond)
      ->UseRealTime()
      ->Iterations(1);
  benchmark::RegisterBenchmark("Record/op", BM_RecordOp)->MinTime(0.2);
  benchmark::RegisterBenchmark("Record/scalar_op", BM_RecordScalarOp)->MinTime(0.2);
  benchmark::RegisterBenchmark("TrainLoop/ndjit", BM_TrainLoop)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime()
      ->MinTime(0.5);
  for (int64_t nodes : {10000, 20000}) {
    benchmark::RegisterBenchmark(("Graph/" + std::to_string(nodes)).c_str(),
                                 [nodes](benchmark::State& s) { BM_Graph(s, nodes); })
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime()
        ->MinTime(0.5);
  }

  // Read before Initialize, which removes the flags it knows from argv.
  bool console = true;  // the default format; another --benchmark_format gets its own reporter
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--benchmark_format=", 0) == 0 && arg != "--benchmark_format=console") {
      console = false;
    }
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  if (console) {
    NameReporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
  } else {
    benchmark::RunSpecifiedBenchmarks();
  }
  benchmark::Shutdown();
  return 0;
}
