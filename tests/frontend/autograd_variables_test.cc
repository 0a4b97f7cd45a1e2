// Autograd with variables, views, aliases and in-place writes; lifetimes of recorded graphs;
// recording is per thread.

#include <algorithm>
#include <atomic>
#include <cmath>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "ndjit/autograd.h"
#include "ndjit/ndjit.h"
#include "tests/test_util.h"

namespace ndjit {
namespace {

namespace nd = ndjit::nd;
using nd::Shape;
using D = std::vector<double>;

using testing::Doubles;

// ---- Variables, views, aliases and lifetimes ----

TEST(AutogradTest, InPlaceWriteToAVariableWhileRecordingIsAnError) {
  NDArray w = nd::array<double>({1, 2});
  w.attach_grad();
  {
    autograd::Record rec;
    EXPECT_THROW(
        {
          try {
            w *= 0.5;
          } catch (const ValueError& e) {
            EXPECT_NE(std::string(e.what()).find("attach_grad"), std::string::npos);
            throw;
          }
        },
        ValueError);
    EXPECT_THROW(w.fill(0), ValueError);
    EXPECT_THROW(nd::ones({2}, DType::kFloat64).copyto(w), ValueError);
    EXPECT_THROW(w.slice_assign({Slice(0, 1)}, 3.0), ValueError);
    {
      autograd::Pause pause;
      w -= 1.0;  // allowed: not recorded
    }
  }
  w += 1.0;  // allowed outside the scope
  NDArray y;
  {
    autograd::Record rec;
    y = nd::sum(w * w);
  }
  y.backward();
  EXPECT_EQ(Doubles(w.grad()), D({2, 4}));  // with respect to the current values
}

TEST(AutogradTest, InPlaceOpThroughAViewOfARecordedResult) {
  NDArray x = nd::array<double>({1, 2, 3, 4}, {2, 2});
  x.attach_grad();
  NDArray y;
  {
    autograd::Record rec;
    y = x * 2.0;
    NDArray v = y.reshape({4});
    v += x.reshape({4});  // y = 2x + x through the view
  }
  nd::sum(y).asscalar<double>();
  NDArray loss;
  {
    autograd::Record rec;
    loss = nd::sum(y);
  }
  loss.backward();
  EXPECT_EQ(Doubles(x.grad()), D({3, 3, 3, 3}));
}

TEST(AutogradTest, ViewOfARecordedResultTakenOutsideTheScope) {
  NDArray w = nd::array<double>({1, 2, 3, 4});
  w.attach_grad();
  NDArray y;
  {
    autograd::Record rec;
    y = w * w;
  }
  NDArray v = y.reshape({2, 2});  // after the scope: a view still carries y's history
  std::vector<NDArray> g = autograd::grad(v, {w}, std::nullopt, /*retain_graph=*/true);
  EXPECT_EQ(Doubles(g[0]), D({2, 4, 6, 8}));
  NDArray flat;
  {
    autograd::Record rec;
    flat = (w * 3.0).reshape({-1});
  }
  flat.backward();
  EXPECT_EQ(Doubles(w.grad()), D({3, 3, 3, 3}));
}

TEST(AutogradTest, AnAliasOfAVariablesValueIsNotTheVariable) {
  NDArray w = nd::array<double>({1, 2});
  w.attach_grad();
  NDArray c = w.detach();           // outside the scope: the same values, not the variable
  NDArray r = nd::reshape(w, {2});  // a no-op reshape shares nothing with the variable either
  NDArray y;
  {
    autograd::Record rec;
    y = nd::sum(w * c + r);
  }
  y.backward();
  EXPECT_EQ(Doubles(w.grad()), D({1, 2}));  // d/dw (w * c + r) = c
}

TEST(AutogradTest, AttachGradOnARecordedResultCutsItsHistory) {
  NDArray x = nd::array<double>({1, 2});
  x.attach_grad();
  NDArray h;
  {
    autograd::Record rec;
    h = x * 2.0;
  }
  h.attach_grad();
  NDArray y;
  {
    autograd::Record rec;
    y = nd::sum(h * h);
  }
  y.backward();
  EXPECT_EQ(Doubles(h.grad()), D({4, 8}));  // 2h
  EXPECT_EQ(Doubles(x.grad()), D({0, 0}));  // untouched: the graph stops at h
}

TEST(AutogradTest, ALongRecordedChainIsDestroyedWithoutRecursion) {
  NDArray w = nd::array<double>({1});
  w.attach_grad();
  NDArray y;
  {
    autograd::Record rec;
    y = w;
    for (int i = 0; i < 60000; ++i) y = y * 1.0;
  }
  y.wait_to_read();  // computed values keep their history for backward
  y = NDArray();     // dropping it must not recurse 60,000 levels deep
  SUCCEED();
}

TEST(AutogradTest, OfTwoConcurrentBackwardPassesThroughOneGraphExactlyOneSucceeds) {
  for (int round = 0; round < 20; ++round) {
    NDArray w = nd::array<double>({1, 2, 3});
    w.attach_grad(GradReq::kAdd);
    NDArray y;
    {
      autograd::Record rec;
      y = nd::sum(nd::exp(w) * w);
    }
    std::atomic<int> ready{0}, succeeded{0}, refused{0};
    auto run = [&] {
      ++ready;
      while (ready.load() < 2) std::this_thread::yield();
      try {
        y.backward();
        ++succeeded;
      } catch (const ValueError&) {
        ++refused;
      }
    };
    std::thread a(run), b(run);
    a.join();
    b.join();
    ASSERT_EQ(succeeded.load(), 1) << round;
    ASSERT_EQ(refused.load(), 1) << round;
    const D g = Doubles(w.grad());  // added once: (1 + w) e^w
    for (int i = 0; i < 3; ++i) EXPECT_NEAR(g[i], (2.0 + i) * std::exp(1.0 + i), 1e-9);
  }
}

TEST(AutogradTest, AGradientBufferAloneDoesNotKeepItsVariable) {
  // The documented lifetime rule (ndjit/autograd.h): the recorded graph refers to a variable
  // weakly, so a gradient whose variable is gone is not written.
  NDArray g, y;
  {
    NDArray w = nd::array<double>({1, 2});
    w.attach_grad();
    g = w.grad();
    autograd::Record rec;
    y = nd::sum(w * w);
  }
  y.backward();
  EXPECT_EQ(Doubles(g), D({0, 0}));
}

// ---- Thread-locality ----

TEST(AutogradThreadTest, RecordingIsThreadLocal) {
  NDArray x = nd::array<double>({1, 2});
  x.attach_grad();
  NDArray y, other;
  bool other_recording = true;
  {
    autograd::Record rec;
    std::thread t([&] {
      other_recording = autograd::is_recording();
      other = nd::sum(x * 5.0);  // not recorded: this thread is not recording
    });
    t.join();
    y = nd::sum(x * x);
  }
  EXPECT_FALSE(other_recording);
  EXPECT_NEAR(other.asscalar<double>(), 15.0, 0);
  EXPECT_THROW(other.backward(), ValueError);
  y.backward();
  EXPECT_EQ(Doubles(x.grad()), D({2, 4}));

  // A thread's Record does not make the main thread record.
  bool main_recording = true;
  std::atomic<int> stage{0};
  NDArray z;
  std::thread t([&] {
    autograd::Record rec;
    stage = 1;
    while (stage.load() != 2) std::this_thread::yield();
    z = nd::sum(x * 7.0);
  });
  while (stage.load() != 1) std::this_thread::yield();
  main_recording = autograd::is_recording();
  NDArray plain = nd::sum(x * 3.0);
  stage = 2;
  t.join();
  EXPECT_FALSE(main_recording);
  EXPECT_THROW(plain.backward(), ValueError);
  z.backward();
  EXPECT_EQ(Doubles(x.grad()), D({7, 7}));

  // Two threads recording and differentiating their own variables at once.
  NDArray a = nd::array<double>({1, 2, 3});
  NDArray b = nd::array<double>({4, 5, 6});
  a.attach_grad();
  b.attach_grad();
  auto work = [](NDArray v, double k) {
    for (int i = 0; i < 20; ++i) {
      NDArray l;
      {
        autograd::Record rec;
        l = nd::sum(v * v * k);
      }
      l.backward();
    }
  };
  std::thread ta(work, a, 1.0), tb(work, b, 2.0);
  ta.join();
  tb.join();
  EXPECT_EQ(Doubles(a.grad()), D({2, 4, 6}));
  EXPECT_EQ(Doubles(b.grad()), D({16, 20, 24}));
}

}  // namespace
}  // namespace ndjit
