// Randomized tests of the engine: random interleavings of lazy reads and in-place writes against
// an eager model, and MXNet's RandSumExpr-style stress test on 1, 2 and 8 threads.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "ndjit/ndjit.h"
#include "tests/test_util.h"

namespace ndjit {
namespace {

// ---- Random interleavings against an eager model ----

// The model: a variable's six values (a handle of shape (6,) or a (2, 3) view over it names
// them in row-major order). Values stay small integers, so float32 results are exact.
struct ModelVar {
  std::vector<double> data;
};
struct Slot {
  NDArray array;
  std::shared_ptr<ModelVar> var;
  bool matrix = false;  // shape (2, 3) rather than (6,)
};

class Interleavings {
 public:
  explicit Interleavings(uint64_t seed) : rng_(seed) {}

  // Runs one random program of `steps` operations; returns the number of mismatching reads.
  int Run(int steps) {
    slots_.clear();
    for (int i = 0; i < 3; ++i) slots_.push_back(NewSlot(false));
    int mismatches = 0;
    for (int step = 0; step < steps; ++step) mismatches += Step();
    for (Slot& s : slots_) mismatches += Check(s);
    return mismatches;
  }

 private:
  int Pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  int SmallInt() { return Pick(7) - 3; }  // -3..3

  Slot NewSlot(bool matrix) {
    std::vector<float> values(6);
    auto var = std::make_shared<ModelVar>();
    for (float& v : values) {
      v = static_cast<float>(SmallInt());
      var->data.push_back(v);
    }
    NDArray a = nd::array(values, {6}) * 1.0f;  // pending
    if (matrix) a = nd::reshape(a, {2, 3});
    return Slot{a, var, matrix};
  }

  // An operand of the target's shape: another slot's array when the shapes match, or a new one.
  std::pair<NDArray, std::vector<double>> OperandLike(const Slot& target) {
    const Slot& other = slots_[Pick(static_cast<int>(slots_.size()))];
    if (other.matrix == target.matrix) return {other.array, other.var->data};
    Slot fresh = NewSlot(target.matrix);
    return {fresh.array, fresh.var->data};
  }

  int Check(const Slot& s) {
    const std::vector<float> got = s.array.asnumpy().to_vector<float>();
    int bad = 0;
    for (size_t i = 0; i < 6; ++i) bad += got[i] != static_cast<float>(s.var->data[i]);
    if (bad > 0) {
      std::string detail;
      for (size_t i = 0; i < 6; ++i) {
        detail += std::to_string(got[i]) + " vs " + std::to_string(s.var->data[i]) + "; ";
      }
      ADD_FAILURE() << bad << " of 6 values differ from the model (got vs expected): " << detail;
    }
    return bad > 0 ? 1 : 0;
  }

  int Step() {
    const int n = static_cast<int>(slots_.size());
    Slot& t = slots_[Pick(n)];
    switch (Pick(12)) {
      case 0:  // a new array
        if (n < 6) slots_.push_back(NewSlot(Pick(2) == 1));
        return 0;
      case 1:  // another name for an array
        if (n < 6) slots_.push_back(t);
        return 0;
      case 2: {  // a reshape view sharing the variable
        if (n >= 6) return 0;
        Slot v = t;
        v.matrix = !t.matrix;
        v.array = t.matrix ? t.array.reshape({6}) : t.array.reshape({2, 3});
        slots_.push_back(v);
        return 0;
      }
      case 3: {  // t op= array
        auto [b, values] = OperandLike(t);
        int op = Pick(3);
        // Products only of small values, so that every result stays an exact float32.
        const auto small = [](const std::vector<double>& v) {
          return std::all_of(v.begin(), v.end(), [](double x) { return std::abs(x) <= 64; });
        };
        if (op == 2 && !(small(values) && small(t.var->data))) op = 0;
        if (op == 0) t.array += b;
        if (op == 1) t.array -= b;
        if (op == 2) t.array *= b;
        for (size_t i = 0; i < 6; ++i) {
          double& x = t.var->data[i];
          x = op == 0 ? x + values[i] : op == 1 ? x - values[i] : x * values[i];
        }
        return 0;
      }
      case 4: {  // t op= scalar
        const int k = Pick(2) == 0 ? -1 : 2;
        if (Pick(2) == 0) {
          t.array += static_cast<float>(k);
          for (double& x : t.var->data) x += k;
        } else {
          t.array *= static_cast<float>(k);
          for (double& x : t.var->data) x *= k;
        }
        return 0;
      }
      case 5: {  // a new array computed from the current values
        auto [b, values] = OperandLike(t);
        Slot r{t.array * 2.0f - b, std::make_shared<ModelVar>(), t.matrix};
        for (size_t i = 0; i < 6; ++i) r.var->data.push_back(t.var->data[i] * 2 - values[i]);
        if (n < 6) {
          slots_.push_back(r);
        } else {
          slots_[Pick(n)] = r;  // the old handle may die while its value is pending
        }
        return 0;
      }
      case 6: {  // slice assignment
        const int value = SmallInt();
        if (!t.matrix) {
          const int64_t start = Pick(6), stop = Pick(7), step = Pick(2) == 0 ? 1 : -2;
          t.array.slice_assign({Slice(start, stop, step)}, static_cast<float>(value));
          for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) {
            t.var->data[i] = value;
          }
        } else {
          const int64_t row = Pick(2), col = Pick(3);
          t.array.slice_assign({Slice(row, row + 1), Slice(col, None)}, static_cast<float>(value));
          for (int64_t c = col; c < 3; ++c) t.var->data[row * 3 + c] = value;
        }
        return 0;
      }
      case 7: {  // fill
        const int value = SmallInt();
        t.array.fill(value);
        std::fill(t.var->data.begin(), t.var->data.end(), value);
        return 0;
      }
      case 8: {  // copyto
        const Slot& src = slots_[Pick(n)];
        if (src.matrix != t.matrix) return 0;
        const std::vector<double> values = src.var->data;
        src.array.copyto(t.array);
        t.var->data = values;
        return 0;
      }
      case 9:  // an independent copy
        if (n < 6) {
          slots_.push_back(Slot{t.array.copy(), std::make_shared<ModelVar>(*t.var), t.matrix});
        }
        return 0;
      case 10:  // hand work to the engine
        if (Pick(2) == 0) {
          t.array.eval_async();
        } else {
          flush();
        }
        return 0;
      default:  // a lazy read
        return Check(t);
    }
  }

  std::mt19937_64 rng_;
  std::vector<Slot> slots_;
};

TEST(EngineStressTest, RandomInterleavingsMatchAnEagerModel) {
  // 5,000 programs on the reference interpreter, then 300 with compiled kernels (the dependency
  // order lives above the backend; the compiled run checks it with real fusion boundaries).
  int mismatches = 0;
  set_backend("interp");
  Interleavings interp(42);
  for (int i = 0; i < 5000 && mismatches == 0; ++i) mismatches += interp.Run(12);
  set_backend("cpu");
  Interleavings cpu(7);
  for (int i = 0; i < 300 && mismatches == 0; ++i) mismatches += cpu.Run(12);
  EXPECT_EQ(mismatches, 0);
  waitall();
}

// ---- RandSumExpr: many threads recording, writing and reading at once ----

constexpr int kArrays = 100;
constexpr int kLength = 32;
constexpr int kRounds = 10;
constexpr int kWorkloadsPerRound = 300;

struct Workload {
  int target, a, b, kind;
  bool read;
};

std::vector<std::vector<Workload>> MakeWorkloads() {
  std::mt19937_64 rng(2026);
  std::uniform_int_distribution<int> array(0, kArrays - 1), kind(0, 3), percent(0, 99);
  std::vector<std::vector<Workload>> rounds(kRounds);
  for (auto& round : rounds) {
    for (int i = 0; i < kWorkloadsPerRound; ++i) {
      round.push_back(Workload{array(rng), array(rng), array(rng), kind(rng), percent(rng) < 5});
    }
  }
  return rounds;
}

// The arrays after every workload, and the checksums of the reads made along the way (by
// round and workload), on `threads` threads. Within a round, workloads read the round's
// snapshots and write the arrays of their own thread (target % threads), in list order, so the
// result does not depend on the thread count or the interleaving.
struct StressResult {
  std::vector<std::vector<int32_t>> arrays;
  std::vector<int64_t> reads;
};

StressResult RunStress(int threads, const std::vector<std::vector<Workload>>& rounds) {
  std::vector<NDArray> arrays;
  for (int i = 0; i < kArrays; ++i) {
    arrays.push_back(nd::arange(i, i + kLength).astype(DType::kInt32) * 1);
  }
  StressResult out;
  out.reads.assign(static_cast<size_t>(kRounds) * kWorkloadsPerRound, 0);
  for (int r = 0; r < kRounds; ++r) {
    std::vector<NDArray> snapshot;
    for (const NDArray& a : arrays) snapshot.push_back(a.copy());
    auto work = [&](int me) {
      for (int w = 0; w < kWorkloadsPerRound; ++w) {
        const Workload& k = rounds[r][w];
        if (k.target % threads != me) continue;
        NDArray& t = arrays[k.target];
        const NDArray& a = snapshot[k.a];
        const NDArray& b = snapshot[k.b];
        switch (k.kind) {
          case 0:
            t += a + b;
            break;
          case 1:
            t -= a * 3;
            break;
          case 2:
            t *= 5;
            t += b;
            break;
          default:
            t.slice_assign({Slice(k.a % kLength, None, 3)}, a.slice({Slice(0, 1)}));
            break;
        }
        if (k.read) {
          // A read of the own array and one of a shared snapshot, both deterministic.
          const int64_t mine = t.sum().asscalar<int64_t>();
          const std::vector<int32_t> shared = b.asnumpy().to_vector<int32_t>();
          out.reads[static_cast<size_t>(r) * kWorkloadsPerRound + w] =
              mine * 31 + shared[w % kLength];
        }
      }
    };
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t) pool.emplace_back(work, t);
    work(0);
    for (std::thread& th : pool) th.join();
  }
  waitall();
  for (const NDArray& a : arrays) out.arrays.push_back(a.asnumpy().to_vector<int32_t>());
  return out;
}

// The same workloads on plain vectors (int32 wraparound through uint32).
std::vector<std::vector<int32_t>> RunModel(const std::vector<std::vector<Workload>>& rounds) {
  std::vector<std::vector<uint32_t>> arrays(kArrays, std::vector<uint32_t>(kLength));
  for (int i = 0; i < kArrays; ++i) {
    for (int j = 0; j < kLength; ++j) arrays[i][j] = static_cast<uint32_t>(i + j);
  }
  for (const auto& round : rounds) {
    const std::vector<std::vector<uint32_t>> snap = arrays;
    for (const Workload& k : round) {
      std::vector<uint32_t>& t = arrays[k.target];
      for (int j = 0; j < kLength; ++j) {
        switch (k.kind) {
          case 0:
            t[j] += snap[k.a][j] + snap[k.b][j];
            break;
          case 1:
            t[j] -= snap[k.a][j] * 3u;
            break;
          case 2:
            t[j] = t[j] * 5u + snap[k.b][j];
            break;
          default:
            if (j >= k.a % kLength && (j - k.a % kLength) % 3 == 0) t[j] = snap[k.a][0];
            break;
        }
      }
    }
  }
  std::vector<std::vector<int32_t>> out;
  for (const auto& a : arrays) out.emplace_back(a.begin(), a.end());
  return out;
}

TEST(EngineStressTest, RandSumExprIsBitIdenticalOnOneTwoAndEightThreads) {
  const std::vector<std::vector<Workload>> rounds = MakeWorkloads();
  const StressResult serial = RunStress(1, rounds);
  EXPECT_EQ(serial.arrays, RunModel(rounds));
  for (int threads : {2, 8}) {
    SCOPED_TRACE(threads);
    const StressResult parallel = RunStress(threads, rounds);
    EXPECT_EQ(parallel.arrays, serial.arrays);
    EXPECT_EQ(parallel.reads, serial.reads);
  }
}

}  // namespace
}  // namespace ndjit
