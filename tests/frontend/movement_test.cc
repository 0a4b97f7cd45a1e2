// Tests of the catalog's movement ops (issue #3) against values computed with NumPy 1.24.
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace ndjit {
namespace {

namespace nd = ndjit::nd;
using testing::ExpectPendingRoundTrip;
using I64 = std::vector<int64_t>;

I64 Ints(const NDArray& a) { return a.asnumpy().to_vector<int64_t>(); }
NDArray Arange(int64_t n, std::vector<int64_t> shape) { return nd::arange(0, n).reshape(shape); }

TEST(MovementTest, ExpandDimsSqueezeRavel) {
  NDArray a = Arange(6, {2, 3});
  EXPECT_EQ(nd::expand_dims(a, {0}).shape(), (I64{1, 2, 3}));
  EXPECT_EQ(nd::expand_dims(a, {-1}).shape(), (I64{2, 3, 1}));
  EXPECT_EQ(nd::expand_dims(a, {0, 3}).shape(), (I64{1, 2, 3, 1}));
  NDArray b = nd::zeros({1, 3, 1});
  EXPECT_EQ(nd::squeeze(b).shape(), (I64{3}));
  EXPECT_EQ(nd::squeeze(b, I64{-1}).shape(), (I64{1, 3}));
  EXPECT_EQ(nd::squeeze(nd::zeros({1, 1})).shape(), (I64{}));
  NDArray r = nd::ravel(a.transpose());
  ExpectPendingRoundTrip({r});
  EXPECT_EQ(Ints(r), (I64{0, 3, 1, 4, 2, 5}));
}

TEST(MovementTest, FlipMoveaxisSwapaxes) {
  NDArray a = Arange(6, {2, 3});
  EXPECT_EQ(Ints(nd::flip(a)), (I64{5, 4, 3, 2, 1, 0}));
  EXPECT_EQ(Ints(nd::flip(a, I64{1})), (I64{2, 1, 0, 5, 4, 3}));
  NDArray c = Arange(24, {2, 3, 4});
  EXPECT_EQ(nd::moveaxis(c, {0}, {-1}).shape(), (I64{3, 4, 2}));
  NDArray m = nd::moveaxis(c, {0, 1}, {-1, -2});
  EXPECT_EQ(m.shape(), (I64{4, 3, 2}));
  const I64 mv = Ints(m);
  EXPECT_EQ(I64(mv.begin(), mv.begin() + 8), (I64{0, 12, 4, 16, 8, 20, 1, 13}));
  const I64 sw = Ints(nd::swapaxes(c, 0, 2));
  EXPECT_EQ(I64(sw.begin(), sw.begin() + 6), (I64{0, 12, 4, 16, 8, 20}));
}

TEST(MovementTest, ConcatenateAndStack) {
  NDArray a = Arange(4, {2, 2});
  NDArray b = nd::array<int32_t>({9, 9}, {1, 2});
  NDArray c = nd::concatenate({a, b});
  ExpectPendingRoundTrip({c});
  EXPECT_EQ(c.dtype(), DType::kInt64);  // promoted
  EXPECT_EQ(Ints(c), (I64{0, 1, 2, 3, 9, 9}));
  EXPECT_EQ(Ints(nd::concatenate({a, a}, 1)), (I64{0, 1, 0, 1, 2, 3, 2, 3}));
  EXPECT_EQ(Ints(nd::concatenate({a, b}, std::nullopt)), (I64{0, 1, 2, 3, 9, 9}));
  NDArray s = nd::stack({a, a}, 1);
  EXPECT_EQ(s.shape(), (I64{2, 2, 2}));
  EXPECT_EQ(Ints(s), (I64{0, 1, 0, 1, 2, 3, 2, 3}));
  EXPECT_EQ(nd::stack({a, a, a}, -1).shape(), (I64{2, 2, 3}));
}

TEST(MovementTest, SplitAndArraySplitFollowNumPy) {
  NDArray x = nd::arange(0, 10);
  std::vector<NDArray> parts = nd::array_split(x, 3);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(Ints(parts[0]), (I64{0, 1, 2, 3}));
  EXPECT_EQ(Ints(parts[1]), (I64{4, 5, 6}));
  EXPECT_EQ(Ints(parts[2]), (I64{7, 8, 9}));
  parts = nd::split(x, {3, 5, 20});  // braced list: indices
  ASSERT_EQ(parts.size(), 4u);
  EXPECT_EQ(Ints(parts[1]), (I64{3, 4}));
  EXPECT_EQ(Ints(parts[2]), (I64{5, 6, 7, 8, 9}));
  EXPECT_EQ(parts[3].size(), 0);
  parts = nd::split(x, {6, 4});
  EXPECT_EQ(Ints(parts[0]), (I64{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(parts[1].size(), 0);
  EXPECT_EQ(Ints(parts[2]), (I64{4, 5, 6, 7, 8, 9}));
  parts = nd::split(x, 5);  // a count: sections
  ASSERT_EQ(parts.size(), 5u);
  EXPECT_EQ(Ints(parts[4]), (I64{8, 9}));
  parts = nd::split(Arange(6, {2, 3}), 3, 1);
  EXPECT_EQ(parts[2].shape(), (I64{2, 1}));
  EXPECT_EQ(Ints(parts[2]), (I64{2, 5}));
}

TEST(MovementTest, TileAndRepeat) {
  NDArray a = nd::array<int64_t>({1, 2, 3, 4}, {2, 2});
  NDArray t = nd::tile(a, {2, 3});
  ExpectPendingRoundTrip({t});
  EXPECT_EQ(t.shape(), (I64{4, 6}));
  EXPECT_EQ(Ints(t), (I64{1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4, 1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4}));
  EXPECT_EQ(nd::tile(nd::array<int64_t>({1, 2}), {2, 1, 2}).shape(), (I64{2, 1, 4}));
  EXPECT_EQ(Ints(nd::repeat(a, 2)), (I64{1, 1, 2, 2, 3, 3, 4, 4}));
  NDArray r = nd::repeat(a, I64{1, 2}, 0);
  ExpectPendingRoundTrip({r});
  EXPECT_EQ(Ints(r), (I64{1, 2, 3, 4, 3, 4}));
  EXPECT_EQ(nd::repeat(a, 0, 1).shape(), (I64{2, 0}));
}

TEST(MovementTest, PadModesOnAnyRank) {
  NDArray v = nd::array<int64_t>({1, 2, 3});
  EXPECT_EQ(Ints(nd::pad(v, {{2, 3}}, nd::PadMode::kReflect)), (I64{3, 2, 1, 2, 3, 2, 1, 2}));
  // Widths beyond the axis reflect repeatedly, as numpy does.
  EXPECT_EQ(Ints(nd::pad(v, 5, nd::PadMode::kReflect)),
            (I64{2, 1, 2, 3, 2, 1, 2, 3, 2, 1, 2, 3, 2}));
  NDArray m = nd::array<int64_t>({1, 2, 3, 4}, {2, 2});
  NDArray e = nd::pad(m, {{1, 0}, {0, 2}}, nd::PadMode::kEdge);
  ExpectPendingRoundTrip({e});
  EXPECT_EQ(Ints(e), (I64{1, 2, 2, 2, 1, 2, 2, 2, 3, 4, 4, 4}));
  EXPECT_EQ(Ints(nd::pad(m, 1, nd::PadMode::kConstant, 9)),
            (I64{9, 9, 9, 9, 9, 1, 2, 9, 9, 3, 4, 9, 9, 9, 9, 9}));
  EXPECT_EQ(Ints(nd::pad(nd::array<int64_t>({7}), 3, nd::PadMode::kReflect)), I64(7, 7));
  // The tutorial's pad_array helper: any rank, not just 4-D/5-D.
  NDArray five = nd::zeros({1, 1, 2, 2, 2});
  EXPECT_EQ(nd::pad(five, {{0, 0}, {0, 0}, {1, 1}, {1, 1}, {1, 1}}).shape(), (I64{1, 1, 4, 4, 4}));
  EXPECT_EQ(nd::pad(nd::zeros({3}), 2).shape(), (I64{7}));
}

TEST(MovementErrorsTest, EachBadInputNamesTheOpAndTheCaller) {
  NDArray a = Arange(6, {2, 3});
  EXPECT_NDJIT_THROWS(nd::expand_dims(a, {3}), ShapeError, "expand_dims: axis 3 is out of bounds");
  EXPECT_NDJIT_THROWS(nd::squeeze(a, I64{0}), ValueError, "squeeze: cannot select axis 0");
  EXPECT_NDJIT_THROWS(nd::flip(a, I64{0, 0}), ValueError, "flip: repeated axis");
  EXPECT_NDJIT_THROWS(nd::moveaxis(a, {0}, {0, 1}), ValueError, "moveaxis: source and destination");
  EXPECT_NDJIT_THROWS(nd::swapaxes(a, 0, 2), ShapeError, "swapaxes: axis 2 is out of bounds");
  EXPECT_NDJIT_THROWS(nd::concatenate({}), ValueError, "concatenate: need at least one array");
  EXPECT_NDJIT_THROWS(nd::concatenate({a, nd::zeros({2, 2})}, 0), ShapeError,
                      "concatenate: all the input array dimensions");
  EXPECT_NDJIT_THROWS(nd::concatenate({nd::zeros({})}), ValueError,
                      "zero-dimensional arrays cannot be concatenated");
  EXPECT_NDJIT_THROWS(nd::stack({a, nd::zeros({3, 2})}), ShapeError,
                      "stack: all input arrays must have the same shape");
  EXPECT_NDJIT_THROWS(nd::split(a, 4, 1), ValueError,
                      "split: array split does not result in an equal division");
  EXPECT_NDJIT_THROWS(nd::array_split(a, 0), ValueError, "number of sections must be larger");
  EXPECT_NDJIT_THROWS(nd::tile(a, {-1}), ValueError, "tile: negative repetitions");
  EXPECT_NDJIT_THROWS(nd::repeat(a, I64{1, 2, 3}, 0), ShapeError,
                      "repeat: 3 repeat counts for an axis of size 2");
  EXPECT_NDJIT_THROWS(nd::pad(a, {{1, 1}, {1, 1}, {1, 1}}), ValueError,
                      "pad: pad_width has 3 pairs for an array of 2 dimensions");
  EXPECT_NDJIT_THROWS(nd::pad(a, -1), ValueError, "pad: index can't contain negative values");
  EXPECT_NDJIT_THROWS(nd::pad(nd::zeros({0}), 1, nd::PadMode::kEdge), ValueError,
                      "pad: can't extend empty axis 0");
}

}  // namespace
}  // namespace ndjit
