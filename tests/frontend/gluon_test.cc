// Gluon-style layers, losses, data loading and optimizers against MXNet 1.x's definitions
// (../shared/reference/mxnet-semantics.md §3), computed by hand on the host.
#include "ndjit/gluon.h"

#include <cmath>
#include <filesystem>
#include <map>
#include <random>
#include <set>

#include "gtest/gtest.h"
#include "ndjit/ndjit.h"
#include "tests/test_util.h"

namespace ndjit {
namespace {

namespace gluon = ndjit::gluon;

std::vector<float> F32(const NDArray& a) {
  HostArray h = a.astype(DType::kFloat32).asnumpy();
  return std::vector<float>(h.data<float>(), h.data<float>() + h.size());
}

std::vector<float> RandomVector(size_t n, uint32_t seed, float lo = -1, float hi = 1) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

// Softmax cross-entropy of one row and its gradient with respect to the logits, in double.
double RowLoss(const std::vector<double>& z, int label, std::vector<double>* grad) {
  double m = z[0];
  for (double v : z) m = std::max(m, v);
  double s = 0;
  for (double v : z) s += std::exp(v - m);
  grad->resize(z.size());
  for (size_t c = 0; c < z.size(); ++c) {
    (*grad)[c] = std::exp(z[c] - m) / s - (static_cast<int>(c) == label ? 1.0 : 0.0);
  }
  return -(z[label] - m - std::log(s));
}

TEST(GluonTest, DenseInfersInUnitsAndInitializesAsMxnet) {
  nd::random::seed(7);
  gluon::nn::Dense net(10);
  EXPECT_EQ(net.weight().shape(), (std::vector<int64_t>{10, 0}));
  net.initialize();
  EXPECT_FALSE(net.weight().initialized());  // deferred until the first forward pass
  EXPECT_TRUE(net.bias().initialized());
  EXPECT_THROW(net.weight().data(), ValueError);
  NDArray y = net(nd::ones({4, 5, 20}));  // flatten: (4, 100)
  EXPECT_EQ(y.shape(), (std::vector<int64_t>{4, 10}));
  EXPECT_EQ(net.weight().shape(), (std::vector<int64_t>{10, 100}));
  const std::vector<float> w = F32(net.weight().data());
  float lo = 1, hi = -1;
  for (float v : w) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  EXPECT_GE(lo, -0.07f);
  EXPECT_LT(hi, 0.07f);
  EXPECT_LT(lo, -0.05f);  // 1000 draws span the range
  EXPECT_GT(hi, 0.05f);
  for (float v : F32(net.bias().data())) EXPECT_EQ(v, 0.0f);
  // The parameter names carry the block's prefix.
  const std::vector<std::string> keys = net.collect_params().keys();
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0], net.prefix() + "weight");
  EXPECT_EQ(keys[1], net.prefix() + "bias");
  EXPECT_EQ(net.prefix().rfind("dense", 0), 0u);
  // Forward without initialize: a clear error.
  gluon::nn::Dense raw(3);
  EXPECT_THROW(
      {
        try {
          raw(nd::ones({2, 4}));
        } catch (const ValueError& e) {
          EXPECT_NE(std::string(e.what()).find("has not been initialized"), std::string::npos);
          throw;
        }
      },
      ValueError);
}

TEST(GluonTest, DenseFlattenFalseActsOnTheLastAxis) {
  gluon::nn::Dense::Options o;
  o.flatten = false;
  o.activation = "relu";
  gluon::nn::Dense net(3, o);
  net.initialize(gluon::init::Constant(0.5));
  NDArray x = nd::array<float>({1, -2, 3, 4, 5, -6, 1, 1}, {2, 2, 2});
  NDArray y = net(x);
  ASSERT_EQ(y.shape(), (std::vector<int64_t>{2, 2, 3}));
  const std::vector<float> v = F32(y);
  // Weight 0.5 everywhere, bias 0 (the bias keeps its own zero initializer): 0.5 * (a + b).
  const float sums[4] = {-1, 7, -1, 2};
  for (int r = 0; r < 4; ++r) {
    for (int c = 0; c < 3; ++c) EXPECT_FLOAT_EQ(v[r * 3 + c], std::max(0.0f, 0.5f * sums[r]));
  }
}

TEST(GluonTest, DenseAndSoftmaxCEGradientsMatchTheHandDerivedFormulas) {
  const int B = 6, D = 5, C = 4;
  gluon::nn::Dense net(C);
  net.initialize();
  const std::vector<float> xs = RandomVector(B * D, 1);
  NDArray x = nd::array<float>(xs, {B, D});
  NDArray label = nd::array<int32_t>({0, 3, 1, 2, 3, 0});
  gluon::loss::SoftmaxCELoss ce;
  NDArray loss;
  {
    autograd::Record rec;
    loss = ce(net(x), label);
  }
  ASSERT_EQ(loss.shape(), (std::vector<int64_t>{B}));
  loss.backward();  // ones: the gradients sum over the batch
  const std::vector<float> w = F32(net.weight().data()), b = F32(net.bias().data());
  const std::vector<float> gw = F32(net.weight().grad()), gb = F32(net.bias().grad());
  const std::vector<float> lv = F32(loss);
  const int labels[B] = {0, 3, 1, 2, 3, 0};
  std::vector<double> want_gw(C * D, 0.0), want_gb(C, 0.0);
  for (int i = 0; i < B; ++i) {
    std::vector<double> z(C);
    for (int c = 0; c < C; ++c) {
      z[c] = b[c];
      for (int d = 0; d < D; ++d) z[c] += double(w[c * D + d]) * xs[i * D + d];
    }
    std::vector<double> dz;
    EXPECT_NEAR(lv[i], RowLoss(z, labels[i], &dz), 1e-5) << i;
    for (int c = 0; c < C; ++c) {
      want_gb[c] += dz[c];
      for (int d = 0; d < D; ++d) want_gw[c * D + d] += dz[c] * xs[i * D + d];
    }
  }
  for (int k = 0; k < C * D; ++k) EXPECT_NEAR(gw[k], want_gw[k], 1e-5) << k;
  for (int c = 0; c < C; ++c) EXPECT_NEAR(gb[c], want_gb[c], 1e-5) << c;
}

TEST(GluonTest, OneSgdStepIsMxnetsSgdUpdateExactly) {
  gluon::nn::Dense net(3);
  net.initialize();
  NDArray x = nd::array<float>(RandomVector(8 * 4, 2), {8, 4});
  NDArray label = nd::array<int32_t>({0, 1, 2, 0, 1, 2, 0, 1});
  gluon::loss::SoftmaxCELoss ce;
  gluon::Trainer trainer(net.collect_params(), "sgd");
  EXPECT_DOUBLE_EQ(trainer.learning_rate(), 0.01);
  NDArray loss;
  {
    autograd::Record rec;
    loss = ce(net(x), label);
  }
  loss.backward();
  const std::vector<float> w0 = F32(net.weight().data()), g = F32(net.weight().grad());
  const std::vector<float> b0 = F32(net.bias().data()), gb = F32(net.bias().grad());
  trainer.step(8);
  // sgd_update with wd = 0: w - (lr * rescale_grad) * g, lr and rescale_grad = 1/8 as float32.
  const float scale = 0.01f * static_cast<float>(1.0 / 8);
  const std::vector<float> w1 = F32(net.weight().data()), b1 = F32(net.bias().data());
  for (size_t k = 0; k < w0.size(); ++k) {
    const float step = scale * g[k];
    EXPECT_EQ(w1[k], w0[k] - step) << k;
  }
  for (size_t k = 0; k < b0.size(); ++k) EXPECT_EQ(b1[k], b0[k] - scale * gb[k]) << k;
  // A second step without a new backward: the gradients are stale.
  EXPECT_THROW(
      {
        try {
          trainer.step(8);
        } catch (const ValueError& e) {
          EXPECT_NE(std::string(e.what()).find("ignore_stale_grad"), std::string::npos);
          throw;
        }
      },
      ValueError);
  trainer.step(8, /*ignore_stale_grad=*/true);  // skips both: nothing changes
  EXPECT_EQ(F32(net.weight().data()), w1);
}

TEST(GluonTest, SgdMomentumWeightDecayAndAdamFollowMxnetsUpdateRules) {
  for (const std::string opt : {"sgd", "adam"}) {
    SCOPED_TRACE(opt);
    NDArray w = nd::array<float>({0.5f, -1.0f, 2.0f});
    gluon::Parameter p("w", {3}, DType::kFloat32, gluon::init::Zero());
    p.initialize();
    p.set_data(w);
    gluon::ParameterDict params;
    params.add(p);
    std::map<std::string, double> options = {{"learning_rate", 0.1}, {"wd", 0.01}};
    if (opt == "sgd") options["momentum"] = 0.9;
    gluon::Trainer trainer(params, opt, options);
    std::vector<double> wv = {0.5, -1.0, 2.0}, m(3, 0), v(3, 0);
    const std::vector<double> x = {1.0, 2.0, -3.0};
    for (int t = 1; t <= 3; ++t) {
      NDArray loss;
      {
        autograd::Record rec;
        loss = nd::sum(nd::square(p.data() * nd::array<double>(x).astype(DType::kFloat32)));
      }
      loss.backward();
      trainer.step(2);
      for (int i = 0; i < 3; ++i) {
        const double grad = 2 * wv[i] * x[i] * x[i] / 2;  // rescaled by 1 / batch_size
        if (opt == "sgd") {
          m[i] = 0.9 * m[i] - 0.1 * 0.01 * wv[i] - 0.1 * grad;
          wv[i] += m[i];
        } else {
          const double gt = grad + 0.01 * wv[i];
          m[i] = 0.9 * m[i] + 0.1 * gt;
          v[i] = 0.999 * v[i] + 0.001 * gt * gt;
          const double lr = 0.1 * std::sqrt(1 - std::pow(0.999, t)) / (1 - std::pow(0.9, t));
          wv[i] -= lr * m[i] / (std::sqrt(v[i]) + 1e-8);
        }
      }
      const std::vector<float> got = F32(p.data());
      for (int i = 0; i < 3; ++i) EXPECT_NEAR(got[i], wv[i], 2e-5 * (1 + std::abs(wv[i]))) << t;
    }
  }
}

TEST(GluonTest, TrainerRejectsUnknownOptimizersAndOptions) {
  gluon::nn::Dense net(2);
  EXPECT_THROW(gluon::Trainer(net.collect_params(), "rmsprop"), ValueError);
  EXPECT_THROW(gluon::Trainer(net.collect_params(), "sgd", {{"beta1", 0.9}}), ValueError);
  gluon::Trainer ok(net.collect_params(), "adam", {{"beta1", 0.8}});
  EXPECT_DOUBLE_EQ(ok.learning_rate(), 0.001);
}

// The Optimizer interface: a Trainer built from an optimizer object updates as one built by
// name, and a user's own optimizer plugs in with its own state.
TEST(GluonTest, OptimizerObjectsAndAUserOptimizer) {
  auto run = [](std::unique_ptr<gluon::Optimizer> opt) {
    gluon::Parameter p("w", {3}, DType::kFloat32, gluon::init::Zero());
    p.initialize();
    p.set_data(nd::array<float>({0.5f, -1.0f, 2.0f}));
    gluon::ParameterDict params;
    params.add(p);
    gluon::Trainer trainer(params, std::move(opt));
    for (int t = 0; t < 3; ++t) {
      NDArray loss;
      {
        autograd::Record rec;
        loss = nd::sum(nd::square(p.data()));
      }
      loss.backward();
      trainer.step(2);
    }
    return F32(p.data());
  };
  gluon::OptimizerCommon common;
  common.wd = 0.01;
  EXPECT_EQ(run(std::make_unique<gluon::SGD>(0.1, 0.9, common)),
            run(gluon::CreateOptimizer("sgd",
                                       {{"learning_rate", 0.1}, {"momentum", 0.9}, {"wd", 0.01}})));
  EXPECT_EQ(run(std::make_unique<gluon::Adam>(0.05)),
            run(gluon::CreateOptimizer("adam", {{"learning_rate", 0.05}})));

  // Sign descent with a step counter kept in the optimizer's state: w <- w - lr * sign(g).
  class SignDescent : public gluon::Optimizer {
   public:
    SignDescent() : gluon::Optimizer(0.25, {}) {}
    const std::string& name() const override {
      static const std::string kName = "sign";
      return kName;
    }
    NDArray Update(const NDArray& w, const NDArray& g, float, std::vector<NDArray>& state,
                   int64_t t, const SourceLocation&) override {
      if (state.empty()) state.push_back(nd::zeros({1}));
      state[0] = state[0] + 1.0f;
      EXPECT_EQ(state[0].asscalar<float>(), static_cast<float>(t));  // one state per parameter
      return w - nd::sign(g) * static_cast<float>(lr_);
    }
    std::unique_ptr<gluon::Optimizer> Clone() const override {
      return std::make_unique<SignDescent>(*this);
    }
  };
  gluon::Trainer named(gluon::ParameterDict(), std::make_unique<SignDescent>());
  EXPECT_EQ(named.optimizer(), "sign");
  EXPECT_DOUBLE_EQ(named.learning_rate(), 0.25);
  // 0.5 reaches 0 after two steps, where the sign of the gradient is 0.
  EXPECT_EQ(run(std::make_unique<SignDescent>()), (std::vector<float>{0.0f, -0.25f, 1.25f}));
  EXPECT_THROW(gluon::Trainer(gluon::ParameterDict(), std::unique_ptr<gluon::Optimizer>()),
               ValueError);
  // A copied Trainer has its own optimizer: its learning rate is its own.
  gluon::Trainer copy = named;
  copy.set_learning_rate(0.5);
  EXPECT_DOUBLE_EQ(named.learning_rate(), 0.25);
  EXPECT_DOUBLE_EQ(copy.learning_rate(), 0.5);
  EXPECT_EQ(copy.optimizer(), "sign");
}

TEST(GluonTest, DataLoaderBatchesKeepDiscardRollover) {
  auto dataset = [](int64_t n) {
    std::vector<float> d(n * 2);
    std::vector<int32_t> l(n);
    for (int64_t i = 0; i < n; ++i) {
      d[i * 2] = static_cast<float>(i);
      d[i * 2 + 1] = static_cast<float>(-i);
      l[i] = static_cast<int32_t>(i);
    }
    return gluon::data::ArrayDataset(nd::array<float>(d, {n, 2}), nd::array<int32_t>(l));
  };
  {
    gluon::data::DataLoader loader(dataset(1024), 128, /*shuffle=*/true);
    EXPECT_EQ(loader.size(), 8);
    std::set<int32_t> seen;
    int batches = 0;
    bool shuffled = false;
    for (const gluon::data::Batch& b : loader) {
      ++batches;
      ASSERT_EQ(b.data.shape(), (std::vector<int64_t>{128, 2}));
      ASSERT_EQ(b.label.shape(), (std::vector<int64_t>{128}));
      EXPECT_EQ(b.label.dtype(), DType::kInt32);
      const HostArray l = b.label.asnumpy();
      const std::vector<float> d = F32(b.data);
      for (int64_t i = 0; i < 128; ++i) {
        const int32_t s = l.data<int32_t>()[i];
        EXPECT_EQ(d[i * 2], static_cast<float>(s));  // data and label stay paired
        seen.insert(s);
        shuffled = shuffled || s != (batches - 1) * 128 + i;
      }
    }
    EXPECT_EQ(batches, 8);
    EXPECT_EQ(seen.size(), 1024u);  // every sample once
    EXPECT_TRUE(shuffled);
  }
  {
    gluon::data::DataLoader keep(dataset(1000), 128);
    std::vector<int64_t> sizes;
    for (const gluon::data::Batch& b : keep) sizes.push_back(b.data.shape()[0]);
    EXPECT_EQ(sizes, (std::vector<int64_t>{128, 128, 128, 128, 128, 128, 128, 104}));
    EXPECT_EQ(F32((*keep.begin()).data)[2], 1.0f);  // in order: row 1 is sample 1
  }
  {
    gluon::data::DataLoader discard(dataset(1000), 128, false, "discard");
    EXPECT_EQ(discard.size(), 7);
    int n = 0;
    for (const gluon::data::Batch& b : discard) n += static_cast<int>(b.data.shape()[0]);
    EXPECT_EQ(n, 7 * 128);
  }
  {
    gluon::data::DataLoader roll(dataset(10), 4, false, "rollover");
    std::vector<int32_t> first, second;
    for (const gluon::data::Batch& b : roll) {
      const HostArray l = b.label.asnumpy();
      for (int64_t i = 0; i < l.size(); ++i) first.push_back(l.data<int32_t>()[i]);
    }
    for (const gluon::data::Batch& b : roll) {
      const HostArray l = b.label.asnumpy();
      for (int64_t i = 0; i < l.size(); ++i) second.push_back(l.data<int32_t>()[i]);
    }
    EXPECT_EQ(first, (std::vector<int32_t>{0, 1, 2, 3, 4, 5, 6, 7}));
    // 8 and 9 roll over and start the second pass: 12 samples, 3 batches.
    EXPECT_EQ(second, (std::vector<int32_t>{8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  }
  EXPECT_THROW(gluon::data::DataLoader(dataset(4), 0), ValueError);
  EXPECT_THROW(gluon::data::DataLoader(dataset(4), 2, false, "drop"), ValueError);
  EXPECT_THROW(gluon::data::ArrayDataset(nd::zeros({4, 2}), nd::zeros({5})), ValueError);
}

TEST(GluonTest, SequentialActivationsAndSaveLoadRoundTrip) {
  gluon::nn::Sequential net;
  net.add(gluon::nn::Dense(8)).add(gluon::nn::Activation("tanh")).add(gluon::nn::Dense(2));
  EXPECT_EQ(net.size(), 3u);
  EXPECT_THROW(gluon::nn::Activation("swish"), ValueError);
  net.initialize(gluon::init::Xavier());
  NDArray x = nd::array<float>(RandomVector(3 * 5, 3), {3, 5});
  const std::vector<float> y = F32(net(x));
  EXPECT_EQ(net.collect_params().size(), 4u);
  const std::string dir = ::testing::TempDir() + "/ndjit_gluon_params";
  std::filesystem::remove_all(dir);
  net.save_parameters(dir);
  EXPECT_TRUE(std::filesystem::exists(dir + "/0.weight.npy"));
  EXPECT_TRUE(std::filesystem::exists(dir + "/2.bias.npy"));

  gluon::nn::Sequential copy;
  copy.add(gluon::nn::Dense(8)).add(gluon::nn::Activation("tanh")).add(gluon::nn::Dense(2));
  copy.load_parameters(dir);  // shapes come from the files
  EXPECT_EQ(F32(copy(x)), y);

  gluon::nn::Sequential wrong;
  gluon::nn::Dense::Options four_inputs;
  four_inputs.in_units = 4;
  wrong.add(gluon::nn::Dense(8, four_inputs));
  EXPECT_THROW(wrong.load_parameters(dir), ShapeError);  // (8, 5) in the file
  std::filesystem::remove(dir + "/2.bias.npy");
  EXPECT_THROW(copy.load_parameters(dir), ValueError);
  std::filesystem::remove_all(dir);
}

TEST(GluonTest, LossesAreMeansOverAllButTheBatchAxis) {
  NDArray pred = nd::array<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  NDArray label = nd::array<float>({1, 1, 1, 2, 2, 2}, {2, 3});
  const std::vector<float> l2 = F32(gluon::loss::L2Loss()(pred, label));
  EXPECT_FLOAT_EQ(l2[0], 0.5f * (0 + 1 + 4) / 3);
  EXPECT_FLOAT_EQ(l2[1], 0.5f * (4 + 9 + 16) / 3);
  const std::vector<float> l1 = F32(gluon::loss::L1Loss(2.0)(pred, label));
  EXPECT_FLOAT_EQ(l1[1], 2.0f * (2 + 3 + 4) / 3);
  // Dense labels equal to the one-hot of sparse ones give the same loss.
  NDArray logits = nd::array<float>({0.1f, 2, -1, 3, 0, 0.5f}, {2, 3});
  const std::vector<float> sparse =
      F32(gluon::loss::SoftmaxCELoss()(logits, nd::array<int32_t>({1, 0})));
  const std::vector<float> dense = F32(gluon::loss::SoftmaxCELoss(-1, /*sparse_label=*/false)(
      logits, nd::array<float>({0, 1, 0, 1, 0, 0}, {2, 3})));
  ASSERT_EQ(sparse.size(), 2u);
  for (int i = 0; i < 2; ++i) EXPECT_NEAR(sparse[i], dense[i], 1e-6);
}

TEST(GluonTest, GradReqNullFreezesAParameter) {
  gluon::nn::Dense net(2);
  net.initialize();
  NDArray x = nd::ones({3, 4});
  net(x);
  net.weight().set_grad_req(GradReq::kNull);
  EXPECT_EQ(net.weight().grad_req(), GradReq::kNull);
  EXPECT_THROW(net.weight().grad(), ValueError);
  NDArray loss;
  {
    autograd::Record rec;
    loss = nd::sum(net(x));
  }
  loss.backward();
  gluon::Trainer trainer(net.collect_params(), "sgd");
  const std::vector<float> w0 = F32(net.weight().data());
  trainer.step(3);  // only the bias has a gradient; the weight is not stale, it is frozen
  EXPECT_EQ(F32(net.weight().data()), w0);
  EXPECT_EQ(F32(net.bias().data())[0], -0.01f);
}

TEST(GluonTest, BadInputsAreClearErrors) {
  // An empty dataset is allowed and yields no batches, shuffled or not.
  gluon::data::ArrayDataset empty(nd::zeros({0, 3}), nd::zeros({0}));
  for (bool shuffle : {false, true}) {
    gluon::data::DataLoader loader(empty, 4, shuffle);
    int n = 0;
    for (const gluon::data::Batch& b : loader) n += static_cast<int>(b.data.shape()[0]);
    EXPECT_EQ(n, 0);
  }
  gluon::Parameter p("p", {2}, DType::kFloat32);
  p.initialize(gluon::init::One());
  EXPECT_THROW(p.set_data(nd::zeros({2}, DType::kFloat64)), DTypeError);
  EXPECT_THROW(p.set_data(nd::zeros({3})), ShapeError);
  EXPECT_THROW(gluon::nn::Dense(0), ValueError);
  gluon::nn::Sequential seq;
  EXPECT_THROW(seq[0], ValueError);
  gluon::ParameterDict d;
  d.add(p);
  EXPECT_THROW(d.add(p), ValueError);
  try {
    d.get("q");
    ADD_FAILURE() << "no error";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("gluon_test.cc"), std::string::npos) << e.what();
  }
  gluon::nn::Dense::Options no_bias;
  no_bias.use_bias = false;
  EXPECT_THROW(gluon::nn::Dense(2, no_bias).bias(), ValueError);
  // A layer's error names the caller's line.
  gluon::nn::Dense net(2);
  net.initialize();
  net(nd::ones({1, 3}));
  try {
    net(nd::ones({1, 5}));
    ADD_FAILURE() << "no error";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("gluon_test.cc"), std::string::npos) << e.what();
  }
}

TEST(GluonTest, ClipGradientZeroMeansNoClipping) {
  for (double clip : {0.0, 0.5}) {
    gluon::Parameter p("w", {1}, DType::kFloat32, gluon::init::Zero());
    p.initialize();
    gluon::ParameterDict params;
    params.add(p);
    gluon::Trainer trainer(params, "sgd", {{"learning_rate", 1.0}, {"clip_gradient", clip}});
    NDArray loss;
    {
      autograd::Record rec;
      loss = nd::sum(p.data() * 3.0f);
    }
    loss.backward();
    trainer.step(1);
    EXPECT_EQ(F32(p.data())[0], clip == 0 ? -3.0f : -0.5f) << clip;
  }
}

TEST(GluonTest, ALearningRateScheduleCompilesOnce) {
  for (const std::string optimizer : {"sgd", "adam"}) {
    SCOPED_TRACE(optimizer);
    nd::random::seed(5);
    NDArray x = nd::random::uniform(-1, 1, {32, 8});
    NDArray y = nd::random::uniform(-1, 1, {32, 4});
    waitall();  // the data, computed before training (as a data loader hands it over)
    gluon::nn::Dense net(4);
    net.initialize();
    gluon::Trainer trainer(net.collect_params(), optimizer, {{"learning_rate", 0.1}});
    int64_t after_first = -1;
    double first_loss = 0, last_loss = 0;
    for (int step = 0; step < 20; ++step) {
      trainer.set_learning_rate(0.1 * std::pow(0.9, step));
      NDArray loss;
      {
        autograd::Record rec;
        loss = nd::mean(nd::square(net(x) - y));
      }
      loss.backward();
      trainer.step(1);
      const double l = loss.asscalar<float>();
      if (step == 0) {
        waitall();  // the first step's update, compiled
        first_loss = l;
        after_first = stats().kernels_compiled;
      }
      last_loss = l;
    }
    EXPECT_EQ(stats().kernels_compiled, after_first);
    EXPECT_LT(last_loss, first_loss);  // the schedule's rates were applied
  }
}

TEST(GluonTest, LaterTrainingStepsCompileNoKernels) {
  struct Case {
    std::string optimizer;
    std::map<std::string, double> options;
    int64_t kernels_per_step;  // -1: not pinned
  };
  // Plain SGD is the tutorial's step: its 17 kernels are listed and explained in
  // docs/training.md (a fusion change that changes the number should update that table too).
  const Case cases[] = {
      {"sgd", {}, 17}, {"sgd", {{"momentum", 0.9}, {"wd", 1e-4}}, -1}, {"adam", {}, -1}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.optimizer + (c.options.empty() ? "" : " with options"));
    nd::random::seed(3);
    NDArray data = nd::random::uniform(0, 1, {256, 20});
    NDArray label = nd::random::randint(0, 10, {256}, std::nullopt, DType::kInt32);
    gluon::data::ArrayDataset ds(data, label);
    gluon::data::DataLoader loader(ds, 64, /*shuffle=*/true);
    gluon::nn::Dense net(10);
    net.initialize();
    gluon::loss::SoftmaxCELoss ce;
    gluon::Trainer trainer(net.collect_params(), c.optimizer, c.options);
    int64_t after_first = -1, launched_after_first = -1;
    int steps = 0;
    std::optional<NDArray> prev;
    for (int epoch = 0; epoch < 3; ++epoch) {
      for (const gluon::data::Batch& batch : loader) {
        NDArray loss;
        {
          autograd::Record rec;
          loss = ce(net(batch.data), batch.label);
        }
        loss.backward();
        trainer.step(batch.data.shape()[0]);
        if (prev) {  // read on the host: a mean kernel would be compiled at the second step
          const std::vector<float> l = F32(*prev);
          double mean = 0;
          for (float v : l) mean += v / static_cast<double>(l.size());
          EXPECT_NEAR(mean, std::log(10.0), 0.3);
        }
        prev = loss;
        if (++steps == 1) {
          waitall();
          after_first = stats().kernels_compiled;
          launched_after_first = stats().kernels_launched;
        }
      }
    }
    waitall();
    EXPECT_EQ(steps, 12);
    EXPECT_EQ(stats().kernels_compiled, after_first);
    if (c.kernels_per_step >= 0) {
      EXPECT_EQ(stats().kernels_launched - launched_after_first, c.kernels_per_step * (steps - 1));
    }
  }
}

}  // namespace
}  // namespace ndjit
