// Tests of the catalog's indexing ops (issue #3) against values computed with NumPy 1.24.
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace ndjit {
namespace {

namespace nd = ndjit::nd;
using testing::ExpectPendingRoundTrip;
using I64 = std::vector<int64_t>;

I64 Ints(const NDArray& a) { return a.astype(DType::kInt64).asnumpy().to_vector<int64_t>(); }
NDArray A34() { return nd::arange(0, 12).reshape({3, 4}); }
NDArray Idx(I64 v, I64 shape) { return nd::array<int64_t>(v, shape); }

TEST(IndexingTest, TakeFlatAndAlongAnAxis) {
  NDArray t = nd::take(A34(), Idx({0, -1, 5, 2}, {2, 2}));
  ExpectPendingRoundTrip({t});
  EXPECT_EQ(t.shape(), (I64{2, 2}));
  EXPECT_EQ(Ints(t), (I64{0, 11, 5, 2}));
  EXPECT_EQ(Ints(nd::take(A34(), Idx({2, 0}, {2}), 1)), (I64{2, 0, 6, 4, 10, 8}));
  // Indices not yet computed: the range error comes at the accessor.
  NDArray lazy = nd::take(A34(), nd::arange(10, 14), std::nullopt);
  EXPECT_THROW(lazy.asnumpy(), ValueError);
}

TEST(IndexingTest, TakeAlongAxis) {
  NDArray r = nd::take_along_axis(A34(), Idx({1, 0, 3}, {3, 1}), 1);
  ExpectPendingRoundTrip({r});
  EXPECT_EQ(r.shape(), (I64{3, 1}));
  EXPECT_EQ(Ints(r), (I64{1, 4, 11}));
  EXPECT_EQ(Ints(nd::take_along_axis(A34(), Idx({2, 0, 1, 1}, {1, 4}), 0)), (I64{8, 1, 6, 7}));
  EXPECT_EQ(Ints(nd::take_along_axis(A34(), Idx({-1, -4, 0}, {3, 1}), 1)), (I64{3, 4, 8}));
  // The sort-then-gather idiom: argmax indices with keepdims pick the maxima.
  NDArray m = nd::array<float>({3, 9, 1, 7, 2, 8}, {2, 3});
  EXPECT_EQ(nd::take_along_axis(m, m.argmax(1, true), 1).asnumpy().to_vector<float>(),
            (std::vector<float>{9, 8}));
  EXPECT_THROW(nd::take_along_axis(A34(), Idx({4, 0, 0}, {3, 1}), 1).asnumpy(), ValueError);
}

TEST(IndexingTest, DiagAndDiagonal) {
  NDArray d = nd::diag(Idx({1, 2, 3}, {3}), 1);
  ExpectPendingRoundTrip({d});
  EXPECT_EQ(d.shape(), (I64{4, 4}));
  EXPECT_EQ(Ints(d), (I64{0, 1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 3, 0, 0, 0, 0}));
  EXPECT_EQ(Ints(nd::diag(Idx({1, 2}, {2}), -1)), (I64{0, 0, 0, 1, 0, 0, 0, 2, 0}));
  EXPECT_EQ(Ints(nd::diag(A34())), (I64{0, 5, 10}));
  EXPECT_EQ(Ints(nd::diag(A34(), 1)), (I64{1, 6, 11}));
  EXPECT_EQ(Ints(nd::diag(A34(), -2)), (I64{8}));
  EXPECT_EQ(nd::diag(A34(), 9).shape(), (I64{0}));  // numpy: an empty diagonal, not an error
  NDArray b = nd::arange(0, 24).reshape({2, 3, 4});
  EXPECT_EQ(Ints(nd::diagonal(b, 0, 1, 2)), (I64{0, 5, 10, 12, 17, 22}));
  NDArray off = nd::diagonal(b, 1, 0, 2);
  EXPECT_EQ(off.shape(), (I64{3, 2}));
  EXPECT_EQ(Ints(off), (I64{1, 14, 5, 18, 9, 22}));
}

TEST(IndexingTest, TrilTriu) {
  NDArray l = nd::tril(A34());
  ExpectPendingRoundTrip({l});
  EXPECT_EQ(Ints(l), (I64{0, 0, 0, 0, 4, 5, 0, 0, 8, 9, 10, 0}));
  EXPECT_EQ(Ints(nd::triu(A34(), 1)), (I64{0, 1, 2, 3, 0, 0, 6, 7, 0, 0, 0, 11}));
  EXPECT_EQ(Ints(nd::tril(A34(), -1)), (I64{0, 0, 0, 0, 4, 0, 0, 0, 8, 9, 0, 0}));
  EXPECT_EQ(nd::tril(nd::ones({2, 2, 2})).shape(), (I64{2, 2, 2}));
}

TEST(IndexingTest, RavelAndUnravelIndex) {
  NDArray r = nd::ravel_multi_index({Idx({3, 6, 6}, {3}), Idx({4, 5, 1}, {3})}, {7, 6});
  ExpectPendingRoundTrip({r});
  EXPECT_EQ(Ints(r), (I64{22, 41, 37}));
  // MXNet's layout: one (ndim, N) array.
  EXPECT_EQ(Ints(nd::ravel_multi_index(Idx({3, 6, 6, 4, 5, 1}, {2, 3}), {7, 6})),
            (I64{22, 41, 37}));
  EXPECT_THROW(nd::ravel_multi_index({Idx({7}, {1}), Idx({0}, {1})}, {7, 6}).asnumpy(), ValueError);
  std::vector<NDArray> u = nd::unravel_index(Idx({22, 41, 37}, {3}), {7, 6});
  ASSERT_EQ(u.size(), 2u);
  EXPECT_EQ(Ints(u[0]), (I64{3, 6, 6}));
  EXPECT_EQ(Ints(u[1]), (I64{4, 5, 1}));
  EXPECT_THROW(nd::unravel_index(Idx({42}, {1}), {7, 6})[0].asnumpy(), ValueError);
  EXPECT_THROW(nd::unravel_index(Idx({-1}, {1}), {7, 6})[0].asnumpy(), ValueError);
}

TEST(IndexingTest, SliceAssignIsFunctional) {
  NDArray a = nd::zeros({3, 4});
  NDArray b = nd::slice_assign(a, {Slice(1, None), Slice(None, None, 2)}, nd::array<float>({7, 8}));
  ExpectPendingRoundTrip({b});
  EXPECT_EQ(b.asnumpy().to_vector<float>(),
            (std::vector<float>{0, 0, 0, 0, 7, 0, 8, 0, 7, 0, 8, 0}));
  EXPECT_EQ(a.asnumpy().to_vector<float>(), std::vector<float>(12, 0));  // a is unchanged
  NDArray c =
      nd::slice_assign(nd::arange(0, 6).reshape({2, 3}), {Slice(), Slice(None, None, -2)}, -1);
  EXPECT_EQ(Ints(c), (I64{-1, 1, -1, -1, 4, -1}));
  EXPECT_EQ(nd::slice_assign(a, {Slice(5, 9)}, 1.0f).asnumpy().to_vector<float>(),
            std::vector<float>(12, 0));  // an empty region changes nothing
  EXPECT_EQ(nd::slice_assign(nd::zeros({2}, DType::kInt32), {Slice(0, 1)}, 2.9).dtype(),
            DType::kInt32);
}

TEST(IndexingErrorsTest, EachBadInputNamesTheOpAndTheCaller) {
  NDArray a = A34();
  EXPECT_NDJIT_THROWS(nd::take(a, Idx({12}, {1})), ValueError,
                      "take: index 12 is out of bounds for axis 0 with size 12");
  EXPECT_NDJIT_THROWS(nd::take(a, nd::zeros({1})), DTypeError,
                      "take: indices must have an integer dtype");
  EXPECT_NDJIT_THROWS(nd::take(a, Idx({0}, {1}), 2), ShapeError, "take: axis 2 is out of bounds");
  EXPECT_NDJIT_THROWS(nd::take_along_axis(a, Idx({0}, {1}), 0), ShapeError,
                      "take_along_axis: indices and arr must have the same number");
  EXPECT_NDJIT_THROWS(nd::diag(nd::zeros({2, 2, 2})), ValueError, "diag: input must be 1-D or 2-D");
  EXPECT_NDJIT_THROWS(nd::diagonal(a, 0, 1, 1), ValueError, "axis1 and axis2 cannot be the same");
  EXPECT_NDJIT_THROWS(nd::tril(nd::zeros({3})), ValueError, "tril: the array must be at least 2-D");
  EXPECT_NDJIT_THROWS(nd::ravel_multi_index({Idx({0}, {1})}, {2, 2}), ValueError,
                      "ravel_multi_index: parameter multi_index must be a sequence of length 2");
  EXPECT_NDJIT_THROWS(nd::ravel_multi_index(Idx({0, 0, 0}, {3, 1}), {2, 2}), ShapeError,
                      "one row per dim");
  EXPECT_NDJIT_THROWS(nd::unravel_index(nd::zeros({1}), {2}), DTypeError,
                      "unravel_index: indices must have an integer dtype");
  EXPECT_NDJIT_THROWS(nd::slice_assign(a, {Slice(0, 2)}, nd::zeros({3})), ShapeError,
                      "slice_assign: could not broadcast input array from shape (3,)");
}

}  // namespace
}  // namespace ndjit
