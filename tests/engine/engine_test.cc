// The asynchronous engine: MXNet's dependency order for in-place ops, deferred errors, flushes
// and bounded graphs, blocking-time accounting, and the trace (../shared/reference/
// mxnet-semantics.md §1 and §6).
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "ndjit/ndjit.h"
#include "nlohmann/json.hpp"
#include "tests/test_util.h"

namespace ndjit {
namespace {

using F = std::vector<float>;

F Read(const NDArray& a) { return a.asnumpy().to_vector<float>(); }

NDArray Arr(F values) {
  const int64_t n = static_cast<int64_t>(values.size());
  return nd::array(values, {n}) * 1.0f;  // pending, like most arrays in a program
}

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    waitall();
    reset_stats();
  }
  void TearDown() override {
    set_eager(false);
    set_flush_limits(nodes_, bytes_);
    try {
      waitall();  // leave no pending error behind for the next test
    } catch (const Error&) {
    }
  }
  const int64_t nodes_ = max_pending_nodes();
  const int64_t bytes_ = max_pending_bytes();
};

// ---- Dependency order (mxnet-semantics.md §1.4, conformance case §6.1) ----

TEST_F(EngineTest, WriteAfterReadKeepsTheOldValueForEarlierReaders) {
  NDArray a = Arr({1, 2, 3});
  NDArray c = a * 2.0f;
  a += 1.0f;
  EXPECT_EQ(Read(c), (F{2, 4, 6}));
  EXPECT_EQ(Read(a), (F{2, 3, 4}));
}

TEST_F(EngineTest, ReshapeMethodViewSharesTheVariable) {
  NDArray a = Arr({1, 2, 3, 4, 5, 6}).reshape({2, 3});
  NDArray b = a.reshape({-1});
  a += 1.0f;  // MXNet: b shares a's variable and sees the update
  EXPECT_EQ(Read(b), (F{2, 3, 4, 5, 6, 7}));
  b *= 2.0f;  // and a write through the view is seen by a
  EXPECT_EQ(Read(a), (F{4, 6, 8, 10, 12, 14}));
  EXPECT_EQ(a.shape(), (std::vector<int64_t>{2, 3}));
  // The function form is an independent array.
  NDArray c = nd::reshape(a, {6});
  a -= 4.0f;
  EXPECT_EQ(Read(c), (F{4, 6, 8, 10, 12, 14}));
  EXPECT_EQ(Read(b), (F{0, 2, 4, 6, 8, 10}));
}

TEST_F(EngineTest, ReadAfterWriteAndWriteAfterWriteFollowProgramOrder) {
  NDArray a = Arr({1, 2});
  a += 1.0f;
  NDArray r1 = a * 10.0f;  // sees the first write
  a *= 3.0f;
  a -= 1.0f;
  NDArray r2 = a + 0.0f;  // sees both later writes, in order ((2, 3) * 3 - 1)
  EXPECT_EQ(Read(r2), (F{5, 8}));
  EXPECT_EQ(Read(r1), (F{20, 30}));
}

TEST_F(EngineTest, CopiesOfAHandleNameTheSameArray) {
  NDArray a = Arr({1, 2});
  NDArray d = a;         // the same array
  NDArray e = a.copy();  // an independent one
  a += 1.0f;
  EXPECT_EQ(Read(d), (F{2, 3}));
  EXPECT_EQ(Read(e), (F{1, 2}));
  a = a + 100.0f;  // assigning a handle rebinds the name only
  EXPECT_EQ(Read(d), (F{2, 3}));
}

TEST_F(EngineTest, WritesToAComputedArrayLeaveEarlierReadersAlone) {
  NDArray a = Arr({1, 2});
  a.wait_to_read();
  NDArray c = a * 2.0f;
  c.wait_to_read();
  a += a;  // reads the old value of a on both sides
  EXPECT_EQ(Read(a), (F{2, 4}));
  EXPECT_EQ(Read(c), (F{2, 4}));
  a /= 2.0f;
  EXPECT_EQ(Read(a), (F{1, 2}));
}

TEST_F(EngineTest, InPlaceOpsFollowNumpyCastingAndShapeRules) {
  NDArray f = nd::zeros({2, 3});
  f += 1.5;  // a weak scalar: stays float32
  EXPECT_EQ(f.dtype(), DType::kFloat32);
  f += nd::ones({3});  // broadcast to the target's shape
  EXPECT_EQ(Read(f), F(6, 2.5f));
  EXPECT_NDJIT_THROWS(f += nd::ones({4, 2, 3}), ValueError,
                      "non-broadcastable output operand with shape (2, 3)");
  NDArray i = nd::arange(0, 4);
  EXPECT_EQ(i.dtype(), DType::kInt64);
  EXPECT_NDJIT_THROWS(i /= 2, DTypeError,
                      "cannot cast the result from float64 to int64 with casting rule "
                      "'same_kind'");
  i *= 3;
  i += nd::ones({4}, DType::kUInt8);  // unsigned into signed: same kind
  EXPECT_EQ(i.asnumpy().to_vector<int64_t>(), (std::vector<int64_t>{1, 4, 7, 10}));
  NDArray u = nd::zeros({2}, DType::kUInt8);
  EXPECT_THROW(u += nd::ones({2}, DType::kInt32), DTypeError);  // signed into unsigned
  // A failed in-place op leaves the array unchanged.
  EXPECT_EQ(i.asnumpy().to_vector<int64_t>(), (std::vector<int64_t>{1, 4, 7, 10}));
  NDArray none;
  EXPECT_NDJIT_THROWS(none += 1, ValueError, "empty");
  // Functions that compute nothing still return new arrays: abs of bool is the identity, but an
  // in-place write to its input does not show through.
  NDArray b = nd::ones({2}, DType::kBool);
  NDArray same = nd::abs(b);
  b.fill(false);
  EXPECT_EQ(same.asnumpy().to_vector<bool>(), (std::vector<bool>{true, true}));
}

TEST_F(EngineTest, SliceAssignFillAndCopyto) {
  NDArray a = Arr({0, 1, 2, 3, 4, 5});
  NDArray before = a + 0.0f;
  a.slice_assign({Slice(1, 5, 2)}, Arr({10, 30}));
  EXPECT_EQ(Read(a), (F{0, 10, 2, 30, 4, 5}));
  a.slice_assign({Slice(None, None, -3)}, -1.0f);  // positions 5 and 2
  EXPECT_EQ(Read(a), (F{0, 10, -1, 30, 4, -1}));
  EXPECT_EQ(Read(before), (F{0, 1, 2, 3, 4, 5}));
  NDArray m = nd::zeros({2, 3}, DType::kInt32);
  m.slice_assign({Slice(), Slice(1, None)}, nd::array(std::vector<float>{7.9f, -2.5f}, {2}));
  EXPECT_EQ(m.asnumpy().to_vector<int32_t>(), (std::vector<int32_t>{0, 7, -2, 0, 7, -2}));
  EXPECT_NDJIT_THROWS(m.slice_assign({Slice(0, 1)}, Arr({1, 2})), ShapeError,
                      "could not broadcast input array from shape (2,) into shape (1, 3)");
  m.fill(4.7);
  EXPECT_EQ(m.asnumpy().to_vector<int32_t>(), std::vector<int32_t>(6, 4));
  // copyto: the destination's copies see it; broadcasting and same_kind casting as np.copyto.
  NDArray dst = nd::zeros({2, 2});
  NDArray alias = dst;
  NDArray reader = dst + 1.0f;
  NDArray returned = Arr({3, 4}).copyto(dst);
  EXPECT_EQ(Read(alias), (F{3, 4, 3, 4}));
  EXPECT_EQ(Read(returned), (F{3, 4, 3, 4}));
  EXPECT_EQ(Read(reader), F(4, 1.0f));
  EXPECT_NDJIT_THROWS(dst.copyto(nd::zeros({2, 2}, DType::kInt32)), DTypeError, "'same_kind'");
  EXPECT_NDJIT_THROWS(Arr({1, 2, 3}).copyto(dst), ValueError,
                      "could not broadcast input array from shape (3,) into shape (2, 2)");
  EXPECT_EQ(Read(dst.copyto(dst)), (F{3, 4, 3, 4}));  // onto itself: nothing happens
}

// ---- Flushes ----

TEST_F(EngineTest, EvalAsyncHandsWorkOverAndTheAccessorOnlyWaits) {
  NDArray a = nd::arange(0, 1000).astype(DType::kFloat32);
  NDArray b = nd::exp(a * 0.001f);
  b.eval_async();
  EXPECT_EQ(stats().flushes_explicit, 1);
  EXPECT_EQ(stats().pending_nodes, 0);
  const HostArray h = b.asnumpy();
  EXPECT_FLOAT_EQ(h.to_vector<float>()[1000 - 1], std::exp(0.999f));
  EXPECT_EQ(stats().flushes_accessor, 0);  // the accessor found it queued or done
  EXPECT_EQ(stats().materializations, 1);
  // flush() hands every pending array over.
  NDArray c = b + 1.0f, d = b * 2.0f;
  flush();
  EXPECT_EQ(stats().flushes_explicit, 2);
  EXPECT_EQ(stats().pending_nodes, 0);
  c.wait_to_read();
  d.wait_to_read();
  EXPECT_EQ(stats().materializations, 2);
}

TEST_F(EngineTest, LongLoopsStayBoundedAndReuseTheirKernels) {
  // 1,000 iterations of x = x * 0.5 + 1 with a read every 100, under the default bounds (each
  // read computes a 400-node chain as one kernel) and under a 64-node bound.
  for (const int64_t bound : {nodes_, int64_t{64}}) {
    SCOPED_TRACE(bound);
    reset_stats();
    set_flush_limits(bound, 0);
    NDArray x = nd::full({1 << 16}, 10.0f);
    float expected = 10.0f;
    int64_t live_at_200 = -1, compiled_at_200 = -1;
    for (int i = 1; i <= 1000; ++i) {
      x = x * 0.5f + 1.0f;
      expected = expected * 0.5f + 1.0f;
      if (i % 100 == 0) {
        EXPECT_EQ(x.asnumpy().to_vector<float>()[12345], expected) << i;
        if (i == 200) {
          live_at_200 = stats().bytes_live;
          compiled_at_200 = stats().kernels_compiled;
        }
      }
      ASSERT_LE(stats().pending_nodes, std::min<int64_t>(bound, 400));
    }
    waitall();
    if (bound == 64) {
      // A limit flush stores `x` only once the unstored chain behind it is long (the store
      // policy): about every other flush computes something.
      EXPECT_GT(stats().flushes_node_limit, 25);
    }
    EXPECT_LE(stats().kernels_compiled, 10);               // a handful
    EXPECT_EQ(stats().kernels_compiled, compiled_at_200);  // then only cache hits
    EXPECT_EQ(stats().bytes_live, live_at_200);            // memory stays flat
    EXPECT_EQ(stats().bytes_live, int64_t{4} << 16);       // x alone
  }
  // The byte bound: each 1 MiB result that a flush would store (a reduction's) counts until it
  // is flushed; elementwise results count nothing (they are computed where they are read).
  reset_stats();
  set_flush_limits(0, 4 << 20);
  NDArray y = nd::full({1 << 18}, 1.0f);
  for (int i = 0; i < 20; ++i) y = y + 1.0f;
  EXPECT_EQ(stats().flushes_byte_limit, 0);
  EXPECT_EQ(y.asnumpy().to_vector<float>()[7], 21.0f);
  NDArray z = nd::full({1 << 18}, 1.0f);
  for (int i = 0; i < 20; ++i) z = nd::max(nd::stack({z, z + 1.0f}), 0);
  EXPECT_GE(stats().flushes_byte_limit, 4);
  EXPECT_EQ(z.asnumpy().to_vector<float>()[7], 21.0f);
  EXPECT_THROW(set_flush_limits(-1, 0), ValueError);
}

// ---- Deferred errors (mxnet-semantics.md §1.3, conformance case §6.2) ----

NDArray BadGather(int64_t index) {
  NDArray data = Arr({1, 2});
  NDArray idx = nd::array(std::vector<int64_t>{0, index}, {2}) * int64_t{1};
  return nd::take(data, idx);
}

TEST_F(EngineTest, AnErrorIsThrownOnceAcrossTheArraysItReached) {
  NDArray bad = BadGather(7);
  NDArray c = bad * 2.0f, d = bad + 1.0f;
  NDArray fine = Arr({5, 6}) * 2.0f;
  flush();  // nothing is thrown here: errors are deferred to an accessor
  const int line = __LINE__ + 2;
  try {
    c.wait_to_read();
    ADD_FAILURE() << "no error";
  } catch (const ValueError& e) {
    const std::string what = e.what();
    // The accessor that observed it, the failing op and its kernel, the user's lines.
    EXPECT_NE(what.find("wait_to_read: gather: index 7 is out of bounds for axis 0 with size 2"),
              std::string::npos)
        << what;
    EXPECT_NE(what.find("in kernel @"), std::string::npos) << what;
    EXPECT_NE(what.find(testing::ThisFile() + ":" + std::to_string(line)), std::string::npos)
        << what;
  }
  d.wait_to_read();                    // the same error: not thrown again
  waitall();                           // nor here
  EXPECT_EQ(Read(fine), (F{10, 12}));  // independent work was computed
  // Values that do not exist are never read: asnumpy says so (with the original error's type).
  EXPECT_NDJIT_THROWS(d.asnumpy(), ValueError, "the array has no value: computing it failed");
  EXPECT_EQ(stats().deferred_errors, 1);
}

TEST_F(EngineTest, IndependentErrorsAreThrownSeparately) {
  NDArray b1 = BadGather(5), b2 = BadGather(9);
  NDArray both = b1 + b2;
  flush();
  EXPECT_NDJIT_THROWS(b2.wait_to_read(), ValueError, "index 9 is out of bounds");
  EXPECT_NDJIT_THROWS(b1.wait_to_read(), ValueError, "index 5 is out of bounds");
  both.wait_to_read();  // it inherited b1's error, already reported
  EXPECT_EQ(stats().deferred_errors, 2);
}

NDArray SumOfTwoBadGathers() {
  NDArray b1 = BadGather(5), b2 = BadGather(9);
  return b1 + b2;  // b1 and b2 die here: only the sum is stored
}

TEST_F(EngineTest, AnErrorThatReachesNoArrayIsNotLost) {
  NDArray sum = SumOfTwoBadGathers();
  // The sum inherits the first failure; the second is noted on it, not left to surface alone.
  try {
    sum.wait_to_read();
    ADD_FAILURE() << "no error";
  } catch (const ValueError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("index 5 is out of bounds"), std::string::npos) << what;
    EXPECT_NE(what.find("another op of the same graph failed too"), std::string::npos) << what;
    EXPECT_NE(what.find("index 9 is out of bounds"), std::string::npos) << what;
  }
  waitall();  // nothing else pending
  EXPECT_EQ(stats().deferred_errors, 1);
}

TEST_F(EngineTest, WaitallThrowsTheFirstPendingErrorAndClearsTheRest) {
  {
    NDArray b1 = BadGather(3);
    b1.eval_async();
    NDArray b2 = BadGather(4);
    b2.eval_async();
  }  // the arrays are gone; their errors are still pending
  EXPECT_NDJIT_THROWS(waitall(), ValueError, "index 3 is out of bounds");
  waitall();  // cleared
  NDArray b3 = BadGather(6);
  EXPECT_NDJIT_THROWS(waitall(), ValueError, "index 6 is out of bounds");
  b3.wait_to_read();  // reported by waitall
}

TEST_F(EngineTest, EagerModeThrowsAtTheOpCall) {
  set_eager(true);
  NDArray data = Arr({1, 2});
  NDArray idx = nd::array(std::vector<int64_t>{0, 8}, {2});
  EXPECT_NDJIT_THROWS(nd::take(data, idx), ValueError, "index 8 is out of bounds");
  EXPECT_GE(stats().flushes_eager, 1);
  waitall();  // thrown at the call, so nothing is pending
}

TEST_F(EngineTest, ErrorsNobodyReadAreLoggedAtExit) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        NDArray bad = BadGather(11);
        bad.eval_async();
        std::exit(0);
      },
      ::testing::ExitedWithCode(0), "error never reported.*index 11 is out of bounds");
}

// ---- Blocking time (the tutorial's LossBuffer) ----

// A forward-only step whose loss is a few milliseconds of work.
NDArray Loss(const NDArray& x, const NDArray& w, float k) {
  NDArray z = nd::dot(x * k, w);
  return nd::mean(nd::log_softmax(z, -1) * -1.0f);
}

TEST_F(EngineTest, ReadingTheLossOneIterationLateBlocksLess) {
  const NDArray x = nd::random::uniform(0, 1, {512, 512}, 1);
  const NDArray w = nd::random::uniform(0, 0.01, {512, 512}, 2);
  waitall();
  const auto other_work = [] {  // the rest of an iteration (data loading, bookkeeping)
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  };
  profiler::reset();
  constexpr int kSteps = 6;
  const int immediate_line = __LINE__ + 5;
  for (int i = 0; i < kSteps; ++i) {
    NDArray loss = Loss(x, w, 1.0f + 0.01f * i);
    loss.eval_async();
    // Read at once: waits for the whole step.
    EXPECT_GT(loss.asscalar<float>(), 0.0f);
    other_work();
  }
  NDArray previous;
  const int delayed_line = __LINE__ + 6;
  for (int i = 0; i < kSteps + 1; ++i) {
    NDArray loss = Loss(x, w, 1.0f + 0.01f * i);
    loss.eval_async();
    // LossBuffer: read the previous step's loss, computed during the last iteration.
    if (!previous.is_none()) {
      EXPECT_GT(previous.asscalar<float>(), 0.0f);
    }
    previous = loss;
    other_work();
  }
  double immediate = -1, delayed = -1;
  for (const profiler::CallSite& s : profiler::call_sites()) {
    if (s.site.find(":" + std::to_string(immediate_line) + ":") != std::string::npos) {
      immediate = s.total_seconds;
      EXPECT_EQ(s.calls, kSteps);
      EXPECT_GT(s.compile_seconds + s.run_seconds, 0.0);
    }
    if (s.site.find(":" + std::to_string(delayed_line) + ":") != std::string::npos) {
      delayed = s.total_seconds;
      EXPECT_EQ(s.calls, kSteps);
    }
  }
  ASSERT_GE(immediate, 0) << profiler::summary();
  ASSERT_GE(delayed, 0) << profiler::summary();
  EXPECT_LT(delayed, immediate) << profiler::summary();
  const std::string summary = profiler::summary();
  EXPECT_NE(summary.find("asscalar"), std::string::npos) << summary;
  EXPECT_NE(summary.find(testing::ThisFile() + ":" + std::to_string(immediate_line)),
            std::string::npos)
      << summary;
}

// ---- The trace ----

TEST_F(EngineTest, TraceIsChromeJsonWithEveryEventKind) {
  const std::string path =
      (std::filesystem::temp_directory_path() / "ndjit_engine_test_trace.json").string();
  profiler::start_trace(path);
  EXPECT_TRUE(profiler::tracing());
  NDArray a = nd::ones({256}) * 3.0f;
  std::thread other([&] { EXPECT_EQ(Read(nd::exp(a * 0.0f))[0], 1.0f); });
  other.join();
  NDArray b = nd::sqrt(a + 1.0f);
  b.eval_async();
  waitall();
  profiler::stop_trace();
  EXPECT_FALSE(profiler::tracing());
  EXPECT_THROW(profiler::stop_trace(), Error);  // nothing is being recorded
  std::ifstream in(path);
  const nlohmann::json trace = nlohmann::json::parse(in);  // throws on malformed JSON
  std::set<std::string> categories;
  std::set<int> tids_with_waits;
  bool engine_named = false;
  for (const nlohmann::json& e : trace.at("traceEvents")) {
    if (e.at("ph") == "M") {
      if (e.at("name") == "thread_name" && e.at("args").at("name") == "ndjit engine") {
        engine_named = true;
      }
      continue;
    }
    EXPECT_EQ(e.at("ph"), "X");
    EXPECT_TRUE(e.at("ts").is_number());
    EXPECT_GE(e.at("dur").get<double>(), 0.0);
    categories.insert(e.at("cat").get<std::string>());
    if (e.at("cat") == "wait") tids_with_waits.insert(e.at("tid").get<int>());
  }
  EXPECT_TRUE(engine_named);
  for (const char* kind : {"record", "flush", "compile", "run", "wait"}) {
    EXPECT_TRUE(categories.contains(kind)) << kind;
  }
  EXPECT_EQ(tids_with_waits.size(), 2u);  // this thread and the other one
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace ndjit
