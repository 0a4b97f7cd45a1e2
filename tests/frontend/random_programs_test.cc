// Random programs written the way people write them: named intermediates, temporaries read in
// the same statement, handle copies, in-place writes (+=, *=, slice_assign, copyto), reads at
// any point, flushes. Each program runs three times: compiled and lazy (the store policy decides
// what is kept), with the reference interpreter, and eagerly (every op computed at its call). All
// three must read the same values at every read.
//
// Values stay in [-1, 1] (products, tanh, halved differences, means), so one absolute tolerance
// covers float32 kernels against the interpreter's float64 arithmetic.
// NDJIT_RANDOM_PROGRAMS=n runs n programs (default 40).
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace ndjit {
namespace {

namespace nd = ndjit::nd;

struct Read {
  std::string what;  // the step that read it, for messages
  HostArray value;
};

class Program {
 public:
  Program(uint64_t seed, std::vector<int64_t> shape) : rng_(seed), shape_(std::move(shape)) {}

  std::vector<Read> Run(int steps) {
    for (int i = 0; i < 3; ++i) {
      pool_.push_back(nd::random::uniform(-1, 1, shape_, rng_()) * 1.0f);
    }
    for (int step = 0; step < steps; ++step) Step(step);
    for (size_t i = 0; i < pool_.size(); ++i) {
      reads_.push_back({absl::StrCat("final read of #", i), pool_[i].asnumpy()});
    }
    return std::move(reads_);
  }

 private:
  int Pick() { return static_cast<int>(rng_() % pool_.size()); }
  float Scalar() { return std::uniform_real_distribution<float>(-1.0f, 1.0f)(rng_); }

  // A new value in [-1, 1] from the pool.
  NDArray Make(const std::string& tag) {
    const NDArray& a = pool_[Pick()];
    const NDArray& b = pool_[Pick()];
    switch (rng_() % 9) {
      case 0:
        return a * b;
      case 1:
        return nd::tanh(a + b);
      case 2:
        return nd::maximum(a, b);
      case 3:
        return (a - b) * 0.5f;
      case 4:
        return a * Scalar();
      case 5:
        return nd::mean(a, -1, /*keepdims=*/true) * b;  // a row reduction broadcast back
      case 6:
        return nd::cumsum(a, -1) * (1.0f / static_cast<float>(shape_.back()));
      case 7:
        return nd::exp(a * 0.5f) * 0.5f - b * 0.25f;
      default:
        (void)tag;
        return nd::where(a > b, a, b * Scalar());
    }
  }

  void Step(int step) {
    const std::string at = absl::StrCat("step ", step);
    switch (rng_() % 12) {
      case 0:
      case 1:
      case 2:  // a named intermediate
        pool_.push_back(Make(at));
        break;
      case 3: {  // a chain of named intermediates, only the last one read now
        NDArray t = Make(at);
        NDArray u = nd::tanh(t + pool_[Pick()]);
        NDArray v = u * Scalar();
        reads_.push_back({at + ": chain end", v.asnumpy()});
        pool_.push_back(t);
        pool_.push_back(u);
        break;
      }
      case 4:  // a temporary read in the same statement
        reads_.push_back(
            {at + ": temporary", (pool_[Pick()] * Scalar() + pool_[Pick()] * 0.5f).asnumpy()});
        break;
      case 5:  // a handle copy: both names see later in-place writes
        pool_.push_back(pool_[Pick()]);
        break;
      case 6: {  // in-place arithmetic
        NDArray& a = pool_[Pick()];
        if (rng_() % 2 == 0) {
          a *= Scalar();
        } else {
          a -= pool_[Pick()];
          a *= 0.5f;
        }
        break;
      }
      case 7: {  // slice assignment of some rows
        NDArray& a = pool_[Pick()];
        const int64_t rows = shape_[0];
        const int64_t r0 = static_cast<int64_t>(rng_() % rows);
        a.slice_assign({Slice(r0, std::min(rows, r0 + 2))}, Scalar());
        break;
      }
      case 8: {  // copyto: the destination's handles see the source's values
        const int i = Pick(), j = Pick();
        if (i != j) pool_[i].copyto(pool_[j]);
        break;
      }
      case 9:  // a read of a named value, then maybe dropping it
        reads_.push_back({at + ": read", pool_[Pick()].asnumpy()});
        if (pool_.size() > 4 && rng_() % 2 == 0) pool_.erase(pool_.begin() + Pick());
        break;
      case 10:
        if (rng_() % 2 == 0) {
          flush();
        } else {
          pool_[Pick()].wait_to_read();
        }
        break;
      default:  // a scalar read through a reduction
        reads_.push_back({at + ": scalar", nd::mean(pool_[Pick()]).asnumpy()});
        break;
    }
    if (pool_.size() > 12) pool_.erase(pool_.begin() + Pick());
  }

  std::mt19937_64 rng_;
  std::vector<int64_t> shape_;
  std::vector<NDArray> pool_;
  std::vector<Read> reads_;
};

struct Mode {
  const char* name;
  const char* backend;
  bool eager;
};

std::vector<Read> RunIn(const Mode& mode, uint64_t seed, const std::vector<int64_t>& shape) {
  set_backend(mode.backend);
  set_eager(mode.eager);
  std::vector<Read> reads = Program(seed, shape).Run(40);
  waitall();
  set_eager(false);
  set_backend("cpu");
  return reads;
}

TEST(RandomProgramsTest, LazyCompiledInterpretedAndEagerRunsReadTheSameValues) {
  int programs = 40;
  if (const char* n = std::getenv("NDJIT_RANDOM_PROGRAMS")) programs = std::max(1, std::atoi(n));
  const std::vector<std::vector<int64_t>> shapes = {{3, 5}, {17, 33}, {64, 257}};
  const Mode modes[] = {
      {"compiled", "cpu", false}, {"interpreted", "interp", false}, {"eager", "cpu", true}};
  for (int p = 0; p < programs; ++p) {
    const uint64_t seed = 1000 + static_cast<uint64_t>(p);
    const std::vector<int64_t>& shape = shapes[p % shapes.size()];
    SCOPED_TRACE(absl::StrCat("program seed ", seed));
    std::vector<std::vector<Read>> runs;
    for (const Mode& m : modes) runs.push_back(RunIn(m, seed, shape));
    for (size_t m = 1; m < runs.size(); ++m) {
      ASSERT_EQ(runs[m].size(), runs[0].size()) << modes[m].name;
      for (size_t r = 0; r < runs[0].size(); ++r) {
        const HostArray& want = runs[m][r].value;
        const HostArray& got = runs[0][r].value;
        ASSERT_EQ(got.shape(), want.shape()) << runs[0][r].what;
        for (int64_t i = 0; i < got.size(); ++i) {
          ASSERT_NEAR(got.element_as_double(i), want.element_as_double(i), 2e-5)
              << runs[0][r].what << ", element " << i << ", against the " << modes[m].name
              << " run";
        }
      }
    }
  }
}

}  // namespace
}  // namespace ndjit
