// Autograd: MXNet's interface and semantics (attach_grad, Record, backward, grad_req,
// retain_graph, autograd::grad, detach, Pause), against hand-computed gradients.

#include "ndjit/autograd.h"

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
#include "ndjit/ndjit.h"
#include "tests/test_util.h"

namespace ndjit {
namespace {

namespace nd = ndjit::nd;
using nd::Shape;
using D = std::vector<double>;

using testing::Doubles;

// ---- MXNet semantics (mxnet-semantics.md §3) ----

TEST(AutogradTest, ExpTimesVariable) {
  NDArray x = nd::array<double>({0.5, -1.0, 2.0});
  NDArray w = nd::array<double>({1.5, 0.25, -0.5});
  w.attach_grad();
  NDArray loss;
  {
    autograd::Record rec;
    loss = nd::exp(x * w);
  }
  loss.backward();
  const D g = Doubles(w.grad());
  const D xs = {0.5, -1.0, 2.0}, ws = {1.5, 0.25, -0.5};
  ASSERT_EQ(g.size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(g[i], xs[i] * std::exp(xs[i] * ws[i]), 1e-12) << i;
}

// d/dx_i of sum_k w_k * prod_{j <= k} x_j, by brute force: the product of every x_j (j <= k)
// but x_i, summed over k >= i; rows with no zero, one zero and several zeros.
// Recording a binary op reads each operand once: one node for the op, plus one leaf read per
// differentiation variable while recording (checking the operands' shapes reads nothing).
TEST(AutogradTest, ABinaryOpReadsEachOperandOnce) {
  NDArray w = nd::ones({4});
  NDArray x = nd::ones({4});
  w.attach_grad();
  waitall();
  reset_stats();
  NDArray plain = w * x;
  EXPECT_EQ(stats().nodes_recorded, 1);
  reset_stats();
  {
    autograd::Record rec;
    NDArray y = w * x;
    EXPECT_EQ(stats().nodes_recorded, 2);  // w's leaf read and the multiply
  }
}

TEST(AutogradTest, CumprodGradientIsExactWithZeros) {
  const std::vector<D> rows = {{2, 3, -1, 0.5, 4}, {2, 0, 3, -2, 5},  {0, 2, 3, 1, 2},
                               {2, 0, 3, 0, 5},    {1, 2, 3, 4, 0},   {0, 0, 2, 3, 1},
                               {3, -2, 0, 0, 0},   {1.5, 1, 1, 1, 1}, {0, 1, 0, 1, 0}};
  const D w = {0.5, -1.0, 2.0, 1.5, -0.25};
  const int64_t n = 5;
  D flat;
  for (const D& r : rows) flat.insert(flat.end(), r.begin(), r.end());
  NDArray x = nd::array<double>(flat, {static_cast<int64_t>(rows.size()), n});
  NDArray weights = nd::array<double>(w, {n});
  x.attach_grad();
  NDArray loss;
  {
    autograd::Record rec;
    loss = nd::sum(nd::cumprod(x, 1) * weights);
  }
  loss.backward();
  const D g = Doubles(x.grad());
  for (size_t r = 0; r < rows.size(); ++r) {
    for (int64_t i = 0; i < n; ++i) {
      double want = 0;
      for (int64_t k = i; k < n; ++k) {
        double p = w[k];
        for (int64_t j = 0; j <= k; ++j) p *= j == i ? 1.0 : rows[r][j];
        want += p;
      }
      EXPECT_NEAR(g[r * n + i], want, 1e-12 * (1 + std::fabs(want)))
          << "row " << r << " element " << i;
    }
  }
}

// cumsum's gradient is the reverse cumulative sum of the head's gradient, along either axis.
TEST(AutogradTest, CumsumGradientIsAReverseCumsum) {
  NDArray x = nd::array<double>({1, 2, 3, 4, 5, 6}, {2, 3});
  NDArray w = nd::array<double>({1, 10, 100, 1000, 10000, 100000}, {2, 3});
  for (int64_t axis : {0, 1}) {
    x.attach_grad();
    NDArray loss;
    {
      autograd::Record rec;
      loss = nd::sum(nd::cumsum(x, axis) * w);
    }
    loss.backward();
    const D want = axis == 1 ? D{111, 110, 100, 111000, 110000, 100000}
                             : D{1001, 10010, 100100, 1000, 10000, 100000};
    EXPECT_EQ(Doubles(x.grad()), want) << axis;
  }
}

TEST(AutogradTest, NonScalarHeadGetsOnes) {
  // A batch of per-sample losses: the gradient is their sum's.
  NDArray x = nd::array<double>({1, 2, 3, 4, 5, 6}, {3, 2});
  NDArray w = nd::array<double>({0.5, -1});
  w.attach_grad();
  NDArray y;
  {
    autograd::Record rec;
    y = nd::sum(x * w, 1);  // (3,)
  }
  y.backward();
  EXPECT_EQ(Doubles(w.grad()), D({9, 12}));
  EXPECT_EQ(w.grad().dtype(), DType::kFloat64);
  EXPECT_EQ(w.grad().shape(), Shape({2}));
}

TEST(AutogradTest, HeadGradient) {
  NDArray x = nd::array<double>({1, 2, 3});
  x.attach_grad();
  NDArray y;
  {
    autograd::Record rec;
    y = x * x;
  }
  y.backward(nd::array<double>({1, 10, 100}));
  EXPECT_EQ(Doubles(x.grad()), D({2, 40, 600}));
  // A float32 head gradient for a float64 head is cast.
  {
    autograd::Record rec;
    y = x * 3.0;
  }
  y.backward(nd::array<float>({1, 2, 0.5}));
  EXPECT_EQ(Doubles(x.grad()), D({3, 6, 1.5}));
  // A head gradient of another shape is an error.
  {
    autograd::Record rec;
    y = x * 3.0;
  }
  EXPECT_NDJIT_THROWS(y.backward(nd::array<double>({1, 2})), ShapeError, "head gradient shape");
  // autograd::grad takes one too.
  {
    autograd::Record rec;
    y = x * x;
  }
  const std::vector<NDArray> g = autograd::grad(y, {x}, nd::array<double>({0, 1, -1}));
  EXPECT_EQ(Doubles(g[0]), D({0, 4, -6}));
}

TEST(AutogradTest, GradReqAddAccumulatesAndWriteOverwrites) {
  NDArray a = nd::array<double>({1, 2});
  NDArray b = nd::array<double>({1, 2});
  a.attach_grad(GradReq::kAdd);
  b.attach_grad(GradReq::kWrite);
  for (int pass = 1; pass <= 2; ++pass) {
    NDArray loss;
    {
      autograd::Record rec;
      loss = nd::sum(a * 3.0 + b * b);
    }
    loss.backward();
    EXPECT_EQ(Doubles(a.grad()), D({3.0 * pass, 3.0 * pass})) << pass;
    EXPECT_EQ(Doubles(b.grad()), D({2, 4})) << pass;
  }
  // attach_grad again resets the buffer to zeros (and sets the request).
  a.attach_grad(GradReq::kWrite);
  EXPECT_EQ(Doubles(a.grad()), D({0, 0}));
}

TEST(AutogradTest, GradReqNullLeavesGradAlone) {
  NDArray a = nd::array<double>({1, 2});
  NDArray b = nd::array<double>({3, 4});
  a.attach_grad(GradReq::kNull);
  b.attach_grad();
  NDArray loss;
  {
    autograd::Record rec;
    loss = nd::sum(a * b);
  }
  loss.backward();
  EXPECT_EQ(Doubles(a.grad()), D({0, 0}));
  EXPECT_EQ(Doubles(b.grad()), D({1, 2}));
}

// kWrite writes the gradient of every variable the head was computed from, also where it is
// zero (MXNet's floor, sign, round... have zero-gradient nodes): no stale value survives.
TEST(AutogradTest, WriteStoresZeroGradientOfPiecewiseConstantOps) {
  const std::vector<std::pair<std::string, std::function<NDArray(const NDArray&)>>> ops = {
      {"floor", [](const NDArray& w) { return nd::floor(w); }},
      {"sign", [](const NDArray& w) { return nd::sign(w); }},
      {"round", [](const NDArray& w) { return nd::round(w); }},
      {"floor_divide", [](const NDArray& w) { return nd::floor_divide(w, 0.5); }},
  };
  for (const auto& [name, f] : ops) {
    SCOPED_TRACE(name);
    NDArray w = nd::array<double>({1.25, -0.75});
    w.attach_grad();
    NDArray loss;
    {
      autograd::Record rec;
      loss = nd::sum(w * 5.0);
    }
    loss.backward();
    EXPECT_EQ(Doubles(w.grad()), D({5, 5}));
    {
      autograd::Record rec;
      loss = nd::sum(f(w) * 5.0);
    }
    loss.backward();
    EXPECT_EQ(Doubles(w.grad()), D({0, 0}));
  }
}

// The same through a comparison: MXNet's comparison ops have zero-gradient nodes, so a
// variable read only by a comparison gets zeros written.
TEST(AutogradTest, WriteStoresZeroGradientThroughComparisons) {
  NDArray x = nd::array<double>({1.5, -2});
  NDArray w = nd::array<double>({1.25, -0.75});
  x.attach_grad();
  w.attach_grad();
  NDArray loss;
  {
    autograd::Record rec;
    loss = nd::sum(w * x);
  }
  loss.backward();
  EXPECT_EQ(Doubles(w.grad()), D({1.5, -2}));
  {
    autograd::Record rec;
    loss = nd::sum(nd::where(w > 0, x, x * 2.0));
  }
  loss.backward();
  EXPECT_EQ(Doubles(x.grad()), D({1, 2}));
  EXPECT_EQ(Doubles(w.grad()), D({0, 0}));
}

// At ties and kinks the gradient is MXNet's: maximum/minimum give it to the first operand
// (backward ge/lt, le/gt), max/min reductions to every tied element (eq), relu'(0) = 0
// (relu_grad: out > 0), abs'(0) = 0, and clip passes it at its bounds.
TEST(AutogradTest, TiesAndKinksFollowMXNet) {
  NDArray a = nd::array<double>({1, 2, 3});
  NDArray b = nd::array<double>({1, 5, 0});
  a.attach_grad();
  b.attach_grad();
  NDArray y;
  {
    autograd::Record rec;
    y = nd::maximum(a, b);
  }
  y.backward();
  EXPECT_EQ(Doubles(a.grad()), D({1, 0, 1}));
  EXPECT_EQ(Doubles(b.grad()), D({0, 1, 0}));
  {
    autograd::Record rec;
    y = nd::minimum(a, b);
  }
  y.backward();
  EXPECT_EQ(Doubles(a.grad()), D({1, 1, 0}));
  EXPECT_EQ(Doubles(b.grad()), D({0, 0, 1}));
  // maximum(x, x): the derivative of x.
  {
    autograd::Record rec;
    y = nd::maximum(a, a);
  }
  y.backward();
  EXPECT_EQ(Doubles(a.grad()), D({1, 1, 1}));

  NDArray m = nd::array<double>({3, 1, 3, 2, 2, 0}, {2, 3});
  m.attach_grad();
  {
    autograd::Record rec;
    y = nd::max(m, 1);
  }
  y.backward();
  EXPECT_EQ(Doubles(m.grad()), D({1, 0, 1, 1, 1, 0}));
  {
    autograd::Record rec;
    y = nd::min(m);
  }
  y.backward();
  EXPECT_EQ(Doubles(m.grad()), D({0, 0, 0, 0, 0, 1}));

  NDArray k = nd::array<double>({-1, 0, 2, 5, 7});
  k.attach_grad();
  {
    autograd::Record rec;
    y = nd::abs(k);
  }
  y.backward();
  EXPECT_EQ(Doubles(k.grad()), D({-1, 0, 1, 1, 1}));
  {
    autograd::Record rec;
    y = nd::clip(k, 0, 5);
  }
  y.backward();
  EXPECT_EQ(Doubles(k.grad()), D({0, 1, 1, 1, 0}));
  {
    autograd::Record rec;
    y = nd::relu(k);
  }
  y.backward();
  EXPECT_EQ(Doubles(k.grad()), D({0, 0, 1, 1, 1}));
}

TEST(AutogradTest, NanAwareReductions) {
  const double nan = std::nan("");
  NDArray x = nd::array<double>({1, nan, 4, 2}, {2, 2});
  x.attach_grad();
  NDArray y;
  {
    autograd::Record rec;
    y = nd::nansum(x * 3.0);
  }
  y.backward();
  EXPECT_EQ(Doubles(x.grad()), D({3, 0, 3, 3}));
  {
    autograd::Record rec;
    y = nd::nanmax(x, 1);
  }
  y.backward();
  EXPECT_EQ(Doubles(x.grad()), D({1, 0, 1, 0}));
}

// detach() cuts an attached variable itself off too, not only recorded results.
TEST(AutogradTest, DetachOfVariableInsideRecord) {
  NDArray x = nd::array<double>({1, 2, 3});
  x.attach_grad();
  NDArray y;
  {
    autograd::Record rec;
    NDArray c = x.detach();
    y = nd::sum(c * x);  // d/dx = c = x
  }
  y.backward();
  EXPECT_EQ(Doubles(x.grad()), D({1, 2, 3}));
}

TEST(AutogradTest, HalfPrecisionVariables) {
  for (DType dtype : {DType::kFloat16, DType::kBFloat16}) {
    SCOPED_TRACE(DTypeName(dtype));
    NDArray x = nd::array<double>({1, -2, 0.5}).astype(dtype);
    x.attach_grad();
    NDArray y;
    {
      autograd::Record rec;
      y = nd::sum(x * x * 3.0);
    }
    y.backward();
    EXPECT_EQ(x.grad().dtype(), dtype);
    EXPECT_EQ(Doubles(x.grad()), D({6, -12, 3}));
  }
}

TEST(AutogradTest, EagerMode) {
  const bool was_eager = eager();
  set_eager(true);
  struct Restore {
    bool eager;
    ~Restore() { set_eager(eager); }
  } restore{was_eager};
  NDArray x = nd::array<double>({0.5, 1, 2});
  x.attach_grad();
  NDArray y;
  {
    autograd::Record rec;
    y = nd::sum(nd::log(x) * x);  // d/dx = log(x) + 1
  }
  y.backward();
  const D g = Doubles(x.grad());
  for (int i = 0; i < 3; ++i) {
    const double xi = (D{0.5, 1, 2})[i];
    EXPECT_NEAR(g[i], std::log(xi) + 1, 1e-14);
  }
}

TEST(AutogradTest, BackwardTwiceNeedsRetainGraph) {
  NDArray x = nd::array<double>({1, 2});
  x.attach_grad(GradReq::kAdd);
  NDArray y;
  {
    autograd::Record rec;
    y = nd::sum(x * x);
  }
  y.backward(std::nullopt, /*retain_graph=*/true);
  y.backward(std::nullopt, /*retain_graph=*/true);
  y.backward();
  EXPECT_EQ(Doubles(x.grad()), D({6, 12}));
  EXPECT_NDJIT_THROWS(y.backward(), ValueError, "retain_graph");
  EXPECT_NDJIT_THROWS(autograd::grad(y, {x}), ValueError, "retain_graph");
  // The freed graph is the whole graph: an intermediate cannot be differentiated either.
  NDArray z, h;
  {
    autograd::Record rec;
    h = x * 2.0;
    z = nd::sum(h * h);
  }
  z.backward();
  EXPECT_NDJIT_THROWS(h.backward(), ValueError, "retain_graph");
}

TEST(AutogradTest, BackwardErrors) {
  NDArray x = nd::array<double>({1, 2});
  x.attach_grad();
  // Computed outside any Record scope.
  NDArray y = nd::sum(x * x);
  EXPECT_NDJIT_THROWS(y.backward(), ValueError, "not in a recorded graph");
  // Recorded, but from no variable.
  NDArray z;
  {
    autograd::Record rec;
    z = nd::sum(nd::array<double>({1, 2}) * 2.0);
  }
  EXPECT_NDJIT_THROWS(z.backward(), ValueError, "not in a recorded graph");
  // An integer head.
  NDArray i;
  {
    autograd::Record rec;
    i = nd::argmax(x * 2.0);
  }
  EXPECT_NDJIT_THROWS(i.backward(), DTypeError, "int64");
  // Integer variables.
  NDArray n = nd::array<int32_t>({1, 2});
  EXPECT_NDJIT_THROWS(n.attach_grad(), DTypeError, "int32");
  EXPECT_NDJIT_THROWS(nd::array<bool>({true}).attach_grad(), DTypeError, "bool");
  // No gradient buffer.
  EXPECT_TRUE(nd::array<double>({1.0}).grad().is_none());
  EXPECT_TRUE(NDArray().grad().is_none());
  // autograd::grad with respect to an array that is neither a variable nor recorded.
  NDArray w;
  {
    autograd::Record rec;
    w = nd::sum(x * 2.0);
  }
  EXPECT_NDJIT_THROWS(autograd::grad(w, {nd::array<double>({1, 2})}), ValueError,
                      "neither an array with attach_grad()");
}

TEST(AutogradTest, GradFunctionLeavesBuffersAlone) {
  NDArray x = nd::array<double>({1, 2, 3}, {3, 1});
  NDArray w = nd::array<double>({0.5, -1}, {1, 2});
  NDArray b = nd::array<double>({0.25, 0.75});
  w.attach_grad();
  b.attach_grad();
  NDArray loss;
  {
    autograd::Record rec;
    loss = nd::sum(nd::square(nd::matmul(x, w) + b));
  }
  const std::vector<NDArray> g = autograd::grad(loss, {w, b});
  ASSERT_EQ(g.size(), 2u);
  // out[i][j] = x_i w_j + b_j; d/dw_j = sum_i 2 out_ij x_i, d/db_j = sum_i 2 out_ij.
  const D xs = {1, 2, 3}, ws = {0.5, -1}, bs = {0.25, 0.75};
  D gw(2, 0.0), gb(2, 0.0);
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 2; ++j) {
      const double out = xs[i] * ws[j] + bs[j];
      gw[j] += 2 * out * xs[i];
      gb[j] += 2 * out;
    }
  }
  EXPECT_TRUE(testing::AllClose(Doubles(g[0]), gw, 1e-14, 0));
  EXPECT_TRUE(testing::AllClose(Doubles(g[1]), gb, 1e-14, 0));
  EXPECT_EQ(g[0].shape(), Shape({1, 2}));
  EXPECT_EQ(Doubles(w.grad()), D({0, 0}));
  EXPECT_EQ(Doubles(b.grad()), D({0, 0}));
}

TEST(AutogradTest, GradOfUnusedVariableIsZeros) {
  NDArray x = nd::array<double>({1, 2});
  NDArray unused = nd::array<float>({5, 6, 7});
  x.attach_grad();
  unused.attach_grad();
  NDArray y;
  {
    autograd::Record rec;
    y = nd::sum(x * 4.0);
  }
  const std::vector<NDArray> g = autograd::grad(y, {unused, x});
  EXPECT_EQ(g[0].dtype(), DType::kFloat32);
  EXPECT_EQ(Doubles(g[0]), D({0, 0, 0}));
  EXPECT_EQ(Doubles(g[1]), D({4, 4}));
}

TEST(AutogradTest, GradWithRespectToIntermediate) {
  NDArray x = nd::array<double>({1, 2, 3});
  x.attach_grad();
  NDArray h, y;
  {
    autograd::Record rec;
    h = x * x;           // 1, 4, 9
    y = nd::sum(h * h);  // d/dh = 2h; d/dx = 4x^3
  }
  const std::vector<NDArray> g = autograd::grad(y, {h, x});
  EXPECT_EQ(Doubles(g[0]), D({2, 8, 18}));
  EXPECT_EQ(Doubles(g[1]), D({4, 32, 108}));
}

TEST(AutogradTest, DetachStopsGradient) {
  NDArray x = nd::array<double>({1, 2, 3});
  x.attach_grad();
  NDArray y;
  {
    autograd::Record rec;
    NDArray c = (x * x).detach();  // a constant: 1, 4, 9
    y = nd::sum(c * x);            // d/dx = c
  }
  y.backward();
  EXPECT_EQ(Doubles(x.grad()), D({1, 4, 9}));
  // A fully detached head is not recorded.
  NDArray z;
  {
    autograd::Record rec;
    z = nd::sum(x * 2.0).detach();
  }
  EXPECT_THROW(z.backward(), ValueError);
}

TEST(AutogradTest, PauseStopsRecording) {
  NDArray x = nd::array<double>({1, 2});
  x.attach_grad();
  NDArray y;
  EXPECT_FALSE(autograd::is_recording());
  {
    autograd::Record rec;
    EXPECT_TRUE(autograd::is_recording());
    EXPECT_TRUE(autograd::is_training());
    NDArray c;
    {
      autograd::Pause pause;
      EXPECT_FALSE(autograd::is_recording());
      EXPECT_FALSE(autograd::is_training());
      c = x * x;  // not recorded: a constant below
    }
    EXPECT_TRUE(autograd::is_recording());
    EXPECT_TRUE(autograd::is_training());
    y = nd::sum(c * x);
  }
  EXPECT_FALSE(autograd::is_recording());
  EXPECT_FALSE(autograd::is_training());
  y.backward();
  EXPECT_EQ(Doubles(x.grad()), D({1, 4}));
  // Record(false) records without training mode; nested scopes restore.
  {
    autograd::Record rec(/*train_mode=*/false);
    EXPECT_TRUE(autograd::is_recording());
    EXPECT_FALSE(autograd::is_training());
    {
      autograd::Record inner;
      EXPECT_TRUE(autograd::is_training());
    }
    EXPECT_FALSE(autograd::is_training());
    EXPECT_TRUE(autograd::is_recording());
  }
  EXPECT_FALSE(autograd::is_recording());
}

TEST(AutogradTest, OpsOutsideRecordAreNotRecorded) {
  NDArray x = nd::array<double>({1, 2});
  x.attach_grad();
  NDArray before = x * 10.0;  // not recorded: a constant inside the scope
  NDArray y;
  {
    autograd::Record rec;
    y = nd::sum(before * x);
  }
  NDArray after = y * 2.0;  // not recorded
  EXPECT_THROW(after.backward(), ValueError);
  y.backward();
  EXPECT_EQ(Doubles(x.grad()), D({10, 20}));
}

TEST(AutogradTest, VariableUsedTwiceAccumulates) {
  NDArray x = nd::array<double>({1.5, -2, 3});
  x.attach_grad();
  NDArray y;
  {
    autograd::Record rec;
    y = x * x;
  }
  y.backward();
  EXPECT_EQ(Doubles(x.grad()), D({3, -4, 6}));
  // Through two paths of different lengths.
  {
    autograd::Record rec;
    NDArray e = nd::exp(x);
    y = nd::sum(e * x + x);  // d/dx = e (x + 1) + 1
  }
  y.backward();
  const D g = Doubles(x.grad());
  const D xs = {1.5, -2, 3};
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(g[i], std::exp(xs[i]) * (xs[i] + 1) + 1, 1e-12);
}

TEST(AutogradTest, ReshapeMethodViewCarriesGradient) {
  NDArray x = nd::array<double>({1, 2, 3, 4, 5, 6}, {2, 3});
  x.attach_grad();
  NDArray y;
  {
    autograd::Record rec;
    NDArray v = x.reshape({3, 2});  // a view sharing x's variable
    y = nd::sum(v * nd::array<double>({1, 2}));
  }
  y.backward();
  EXPECT_EQ(Doubles(x.grad()), D({1, 2, 1, 2, 1, 2}));
  EXPECT_EQ(x.grad().shape(), Shape({2, 3}));
  // A view made before recording, read while recording; its grad() is the variable's, viewed.
  NDArray v = x.reshape({6});
  {
    autograd::Record rec;
    y = nd::sum(v * v);
  }
  y.backward();
  EXPECT_EQ(Doubles(x.grad()), D({2, 4, 6, 8, 10, 12}));
  EXPECT_EQ(v.grad().shape(), Shape({6}));
  EXPECT_EQ(Doubles(v.grad()), D({2, 4, 6, 8, 10, 12}));
  // autograd::grad with respect to the view: the variable's gradient in the view's shape.
  {
    autograd::Record rec;
    y = nd::sum(x * 3.0);
  }
  const std::vector<NDArray> g = autograd::grad(y, {v});
  EXPECT_EQ(g[0].shape(), Shape({6}));
  EXPECT_EQ(Doubles(g[0]), D(6, 3.0));
}

TEST(AutogradTest, InPlaceOpOnRecordedArray) {
  NDArray x = nd::array<double>({1, 2});
  x.attach_grad();
  NDArray y;
  {
    autograd::Record rec;
    y = x * 2.0;
    y += x;  // y = 3x
    y *= x;  // y = 3x^2
  }
  y.backward();
  EXPECT_EQ(Doubles(x.grad()), D({6, 12}));
  // A copy of the handle taken before the in-place op is the same array (it sees 3x).
  NDArray z, alias;
  {
    autograd::Record rec;
    z = x * 2.0;
    alias = z;
    z += x;
  }
  alias.backward();
  EXPECT_EQ(Doubles(x.grad()), D({3, 3}));
}

TEST(AutogradTest, GradientsAreLazy) {
  NDArray x = nd::array<double>({1, 2, 3});
  NDArray w = nd::array<double>({0.5, 1.5, -1});
  x.wait_to_read();
  w.wait_to_read();
  w.attach_grad();
  NDArray loss;
  {
    autograd::Record rec;
    loss = nd::sum(nd::exp(x * w));
  }
  const int64_t launched = stats().kernels_launched;
  const int64_t materializations = stats().materializations;
  loss.backward();
  EXPECT_EQ(stats().kernels_launched, launched);
  EXPECT_EQ(stats().materializations, materializations);
  EXPECT_FALSE(w.grad().is_computed());
  EXPECT_FALSE(loss.is_computed());
  const D g = Doubles(w.grad());
  EXPECT_TRUE(w.grad().is_computed());
  EXPECT_GT(stats().materializations, materializations);
  for (int i = 0; i < 3; ++i) {
    const double xi = 1.0 + i, wi = (D{0.5, 1.5, -1})[i];
    EXPECT_NEAR(g[i], xi * std::exp(xi * wi), 1e-12);
  }
}

TEST(AutogradTest, TrainingLoopUpdatesInPlace) {
  // Least squares y = x . w by gradient descent: attach once, record every step, update w in
  // place outside recording; each step's gradient is 2 x^T (x w - y).
  const D xs = {1, 2, 0.5, -1, 3, 0.25};  // (3, 2)
  const D ys = {1, -1, 2};
  NDArray x = nd::array<double>(xs, {3, 2});
  NDArray y = nd::array<double>(ys, {3});
  NDArray w = nd::zeros({2}, DType::kFloat64);
  w.attach_grad();
  NDArray w_alias = w;  // a handle: it sees the updates
  D host_w = {0, 0};
  for (int step = 0; step < 4; ++step) {
    SCOPED_TRACE("step " + std::to_string(step));
    NDArray loss;
    {
      autograd::Record rec;
      NDArray r = nd::matmul(x, w) - y;
      loss = nd::sum(r * r);
    }
    loss.backward();
    D expected = {0, 0};
    for (int i = 0; i < 3; ++i) {
      const double r = xs[2 * i] * host_w[0] + xs[2 * i + 1] * host_w[1] - ys[i];
      expected[0] += 2 * r * xs[2 * i];
      expected[1] += 2 * r * xs[2 * i + 1];
    }
    EXPECT_TRUE(testing::AllClose(Doubles(w.grad()), expected, 1e-13, 1e-13));
    w -= 0.1 * w.grad();
    for (int j = 0; j < 2; ++j) host_w[j] -= 0.1 * expected[j];
    EXPECT_TRUE(testing::AllClose(Doubles(w_alias), host_w, 1e-13, 1e-13));
  }
}

TEST(AutogradTest, SeveralHeads) {
  NDArray x = nd::array<double>({1, 2});
  x.attach_grad();
  NDArray a, b;
  {
    autograd::Record rec;
    a = x * 3.0;
    b = nd::sum(x * x);
  }
  autograd::backward({a, b});
  EXPECT_EQ(Doubles(x.grad()), D({5, 7}));
  {
    autograd::Record rec;
    a = x * 3.0;
    b = nd::sum(x * x);
  }
  autograd::backward({a, b}, {nd::array<double>({1, -1}), nd::array<double>(D{2}, Shape{})});
  EXPECT_EQ(Doubles(x.grad()), D({7, 5}));
}

}  // namespace
}  // namespace ndjit
