// Tests of the catalog's linear algebra and NN ops (issue #3) against NumPy-computed values and
// hand-derived MXNet/Gluon semantics.
#include <cmath>

#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace ndjit {
namespace {

namespace nd = ndjit::nd;
using testing::AllClose;
using testing::ExpectPendingRoundTrip;
using testing::Values;
using D = std::vector<double>;
using I64 = std::vector<int64_t>;

NDArray X() { return nd::array<double>({1., 2., 3., -1., 0., 1000.}, {2, 3}); }

TEST(NnTest, SoftmaxAndLogSoftmaxAreStable) {
  NDArray s = nd::softmax(X());
  ExpectPendingRoundTrip({s});
  EXPECT_TRUE(
      AllClose(Values(s.asnumpy()),
               {0.09003057317038043, 0.24472847105479767, 0.6652409557748218, 0.0, 0.0, 1.0}, 1e-15,
               1e-300));
  EXPECT_TRUE(AllClose(
      Values(nd::softmax(X(), 0).asnumpy()),
      {0.8807970779778825, 0.8807970779778825, 0.0, 0.11920292202211755, 0.11920292202211755, 1.0},
      1e-15, 1e-300));
  EXPECT_TRUE(AllClose(
      Values(nd::log_softmax(X()).asnumpy()),
      {-2.4076059644443806, -1.4076059644443804, -0.40760596444438035, -1001.0, -1000.0, 0.0},
      1e-15, 1e-300));
  EXPECT_EQ(nd::softmax(nd::array<int32_t>({1, 2})).dtype(), DType::kFloat64);
  EXPECT_EQ(nd::softmax(nd::zeros({2, 3})).dtype(), DType::kFloat32);
}

TEST(NnTest, LogsumexpHandlesInfinitiesAndEmpty) {
  EXPECT_EQ(nd::logsumexp(X()).asscalar<double>(), 1000.0);
  EXPECT_TRUE(
      AllClose(Values(nd::logsumexp(X(), 1).asnumpy()), {3.4076059644443806, 1000.0}, 1e-15));
  EXPECT_EQ(nd::logsumexp(X(), 1, true).shape(), (I64{2, 1}));
  const double inf = INFINITY;
  EXPECT_EQ(nd::logsumexp(nd::array<double>({-inf, -inf})).asscalar<double>(), -inf);
  EXPECT_EQ(nd::logsumexp(nd::array<double>({1.0, inf})).asscalar<double>(), inf);
  EXPECT_EQ(nd::logsumexp(nd::zeros({0})).asscalar<float>(), -inf);
}

TEST(NnTest, PickAndOneHotFollowMXNet) {
  NDArray data = nd::array<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  NDArray p = nd::pick(data, nd::array<int32_t>({2, 0}));
  ExpectPendingRoundTrip({p});
  EXPECT_EQ(p.asnumpy().to_vector<float>(), (std::vector<float>{3, 4}));
  // clip (MXNet's default) clamps; wrap takes the index modulo the axis.
  EXPECT_EQ(nd::pick(data, nd::array<int32_t>({5, -1})).asnumpy().to_vector<float>(),
            (std::vector<float>{3, 4}));
  EXPECT_EQ(nd::pick(data, nd::array<int32_t>({4, -1}), -1, false, nd::PickMode::kWrap)
                .asnumpy()
                .to_vector<float>(),
            (std::vector<float>{2, 6}));
  // Along axis 0 with float indices (truncated), the 2 clipped to the last row.
  EXPECT_EQ(nd::pick(data, nd::array<float>({1.0f, 2.0f, 0.0f}), 0).asnumpy().to_vector<float>(),
            (std::vector<float>{4, 5, 3}));
  EXPECT_EQ(nd::pick(data, nd::array<int32_t>({1, 1}), 1, true).shape(), (I64{2, 1}));
  NDArray h = nd::one_hot(nd::array<int64_t>({1, 0, 3, -1}), 3);
  ExpectPendingRoundTrip({h});
  EXPECT_EQ(h.shape(), (I64{4, 3}));
  EXPECT_EQ(Values(h.asnumpy()), (D{0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(Values(nd::one_hot(nd::array<int32_t>({2}), 3, 5, -1, DType::kInt32).asnumpy()),
            (D{-1, -1, 5}));
}

TEST(LinalgTest, DotTensordotOuterMatchNumPy) {
  NDArray a = nd::arange(0, 24).astype(DType::kFloat64).reshape({2, 3, 4});
  NDArray b = nd::arange(0, 24).astype(DType::kFloat64).reshape({3, 4, 2});
  NDArray d = nd::dot(a, b);
  ExpectPendingRoundTrip({d});
  EXPECT_EQ(d.shape(), (I64{2, 3, 3, 2}));
  const D dv = Values(d.asnumpy());
  EXPECT_EQ(D(dv.begin(), dv.begin() + 6), (D{28, 34, 76, 82, 124, 130}));
  double total = 0;
  for (double v : dv) total += v;
  EXPECT_EQ(total, 19404.0);
  NDArray t =
      nd::tensordot(nd::arange(0, 60).astype(DType::kFloat64).reshape({3, 4, 5}),
                    nd::arange(0, 24).astype(DType::kFloat64).reshape({4, 3, 2}), {1, 0}, {0, 1});
  EXPECT_EQ(Values(t.asnumpy()), (D{4400, 4730, 4532, 4874, 4664, 5018, 4796, 5162, 4928, 5306}));
  EXPECT_EQ(Values(nd::dot(nd::arange(0, 6).astype(DType::kFloat64).reshape({2, 3}),
                           nd::array<double>({1, 2, 3}))
                       .asnumpy()),
            (D{8, 26}));
  NDArray inner = nd::dot(nd::array<int64_t>({1, 2, 3}), nd::array<int64_t>({4, 5, 6}));
  EXPECT_EQ(inner.shape(), (I64{}));
  EXPECT_EQ(inner.asscalar<int64_t>(), 32);
  EXPECT_EQ(nd::dot(nd::full({}, 2.0), X()).shape(), (I64{2, 3}));
  EXPECT_EQ(nd::outer(nd::array<int64_t>({1, 2}), nd::array<int64_t>({3, 4, 5, 6}, {2, 2}))
                .asnumpy()
                .to_vector<int64_t>(),
            (I64{3, 4, 5, 6, 6, 8, 10, 12}));
  EXPECT_EQ(nd::tensordot(nd::ones({2, 3}), nd::ones({2, 3})).shape(), (I64{}));
}

TEST(LinalgTest, BatchDotWithTransposes) {
  NDArray a = nd::arange(0, 12).astype(DType::kFloat32).reshape({2, 2, 3});
  NDArray b = nd::arange(0, 12).astype(DType::kFloat32).reshape({2, 3, 2});
  NDArray r = nd::batch_dot(a, b);
  EXPECT_EQ(r.shape(), (I64{2, 2, 2}));
  EXPECT_EQ(r.asnumpy().to_vector<float>(), nd::matmul(a, b).asnumpy().to_vector<float>());
  NDArray rt = nd::batch_dot(a, a, false, true);
  EXPECT_EQ(rt.shape(), (I64{2, 2, 2}));
  EXPECT_EQ(rt.asnumpy().to_vector<float>(),
            (std::vector<float>{5, 14, 14, 50, 149, 212, 212, 302}));
}

TEST(NnTest, DenseMatchesXWTransposePlusBias) {
  NDArray x = nd::array<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  NDArray w = nd::array<float>({1, 0, 0, 0, 1, 1}, {2, 3});  // (units, in_units)
  NDArray bias = nd::array<float>({10, 20});
  NDArray y = nd::dense(x, w, bias);
  ExpectPendingRoundTrip({y});
  EXPECT_EQ(y.shape(), (I64{2, 2}));
  EXPECT_EQ(y.asnumpy().to_vector<float>(), (std::vector<float>{11, 25, 14, 31}));
  // flatten=true: (2, 1, 3) is treated as (2, 3); flatten=false keeps the leading axes.
  EXPECT_EQ(nd::dense(x.reshape({2, 1, 3}), w).shape(), (I64{2, 2}));
  EXPECT_EQ(nd::dense(x.reshape({2, 1, 3}), w, std::nullopt, false).shape(), (I64{2, 1, 2}));
}

TEST(NnTest, SoftmaxCrossEntropyIsPerSample) {
  NDArray logits = nd::array<double>({1., 2., 3., 0., 0., 0.}, {2, 3});
  NDArray loss = nd::softmax_cross_entropy(logits, nd::array<int32_t>({2, 1}));
  ExpectPendingRoundTrip({loss});
  EXPECT_EQ(loss.shape(), (I64{2}));
  EXPECT_TRUE(AllClose(Values(loss.asnumpy()), {0.40760596444438035, std::log(3.0)}, 1e-15));
}

TEST(NnTest, CompositeNodesRecordTheCallersLine) {
  NDArray s = nd::softmax(X());
  const std::string ir = pending_ir({s});
  EXPECT_NE(ir.find(testing::ThisFile()), std::string::npos) << ir;
  EXPECT_EQ(ir.find("nn_linalg.cc"), std::string::npos) << ir;
}

TEST(NnLinalgErrorsTest, EachBadInputNamesTheOpAndTheCaller) {
  NDArray x = nd::zeros({2, 3});
  EXPECT_NDJIT_THROWS(nd::softmax(x, 2), ShapeError, "softmax: axis 2 is out of bounds");
  EXPECT_NDJIT_THROWS(nd::pick(x, nd::zeros({3})), ShapeError,
                      "pick: index shape (3,) must be (2,)");
  EXPECT_NDJIT_THROWS(nd::one_hot(nd::zeros({2}), -1), ValueError, "one_hot: depth must be");
  EXPECT_NDJIT_THROWS(nd::dot(x, x), ShapeError, "tensordot: shape-mismatch for sum");
  EXPECT_NDJIT_THROWS(nd::tensordot(x, x, 3), ValueError, "tensordot: cannot contract 3 axes");
  EXPECT_NDJIT_THROWS(nd::batch_dot(x, x), ShapeError,
                      "batch_dot: operands must have the same rank");
  EXPECT_NDJIT_THROWS(nd::batch_dot(nd::zeros({2, 2, 2}), nd::zeros({3, 2, 2})), ShapeError,
                      "batch_dot: batch dimensions differ");
  EXPECT_NDJIT_THROWS(nd::dense(x, nd::zeros({4, 5})), ShapeError,
                      "dense: data has 3 input features, weight (4, 5) expects 5");
  EXPECT_NDJIT_THROWS(nd::dense(x, nd::zeros({4, 3}), nd::zeros({3})), ShapeError,
                      "dense: bias must have 4 elements");
  EXPECT_NDJIT_THROWS(nd::dense(x, nd::zeros({3})), ShapeError, "dense: weight must be 2-D");
  EXPECT_NDJIT_THROWS(nd::softmax_cross_entropy(x, nd::zeros({3})), ShapeError,
                      "pick: index shape");
}

}  // namespace
}  // namespace ndjit
