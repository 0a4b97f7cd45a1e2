// Runs every ndjit expression of docs/mxnet-mapping.md (one test per row) and checks the row's
// claim.
#include <cctype>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace ndjit {
namespace {

namespace nd = ndjit::nd;
using testing::AllClose;
using testing::Values;
using B = std::vector<bool>;
using D = std::vector<double>;
using F = std::vector<float>;
using I64 = std::vector<int64_t>;

// [[1, 2, 3], [4, 5, 6]] as float32: the `x` of the doc's rows.
NDArray X() { return nd::array<float>({1, 2, 3, 4, 5, 6}, {2, 3}); }
// 0, 1, ..., 23 as float64 with shape (2, 3, 4).
NDArray X234() { return nd::arange(0, 24).astype(DType::kFloat64).reshape({2, 3, 4}); }
D Vals(const NDArray& a) { return Values(a.asnumpy()); }
I64 Shape(const NDArray& a) { return a.shape(); }
// An int64 array that is not computed yet (its range errors come at the accessor).
NDArray Pending(I64 v) { return nd::array<int64_t>(v) + 0; }

// ---- Creation, conversion, in-place ----

TEST(MxnetMappingTest, Array) {
  NDArray x = nd::array<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_EQ(x.dtype(), DType::kFloat32);
  EXPECT_EQ(Shape(x), (I64{2, 3}));
  EXPECT_EQ(x.asnumpy().to_vector<float>(), (F{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(nd::array<int32_t>({1, 2}).dtype(), DType::kInt32);
  // The data are copied.
  std::vector<float> src = {1, 2};
  NDArray y = nd::array<float>(src);
  src[0] = 9;
  EXPECT_EQ(y.asnumpy().to_vector<float>(), (F{1, 2}));
}

TEST(MxnetMappingTest, ArrayOfRandintLabels) {
  NDArray labels = nd::random::randint(0, 10, {1024}, std::nullopt, ndjit::DType::kInt32);
  EXPECT_EQ(labels.dtype(), DType::kInt32);
  EXPECT_EQ(Shape(labels), (I64{1024}));
  for (double v : Vals(labels)) {
    ASSERT_GE(v, 0);
    ASSERT_LT(v, 10);
  }
  // Reproducible with an explicit seed.
  EXPECT_EQ(Vals(nd::random::randint(0, 10, {16}, 7, DType::kInt32)),
            Vals(nd::random::randint(0, 10, {16}, 7, DType::kInt32)));
}

TEST(MxnetMappingTest, Zeros) {
  NDArray z = nd::zeros({2, 3});
  EXPECT_EQ(z.dtype(), DType::kFloat32);
  EXPECT_EQ(Vals(z), (D{0, 0, 0, 0, 0, 0}));
}

TEST(MxnetMappingTest, Ones) {
  NDArray o = nd::ones({6});
  EXPECT_EQ(o.dtype(), DType::kFloat32);
  EXPECT_EQ(Vals(o), (D{1, 1, 1, 1, 1, 1}));
}

TEST(MxnetMappingTest, Full) {
  NDArray f = nd::full({2, 3}, 7, ndjit::DType::kFloat32);
  EXPECT_EQ(f.dtype(), DType::kFloat32);
  EXPECT_EQ(Shape(f), (I64{2, 3}));
  EXPECT_EQ(Vals(f), (D{7, 7, 7, 7, 7, 7}));
  // Without a dtype the fill value's C++ type decides.
  EXPECT_EQ(nd::full({2}, 7).dtype(), DType::kInt64);
  EXPECT_EQ(nd::full({2}, 7.0).dtype(), DType::kFloat64);
  EXPECT_EQ(nd::full({2}, 7.0f).dtype(), DType::kFloat32);
}

TEST(MxnetMappingTest, Arange) {
  NDArray r = nd::arange(0, 6);
  EXPECT_EQ(r.dtype(), DType::kInt64);
  EXPECT_EQ(Vals(r), (D{0, 1, 2, 3, 4, 5}));
  // MXNet's repeat=2.
  EXPECT_EQ(Vals(nd::repeat(nd::arange(0, 3), 2)), (D{0, 0, 1, 1, 2, 2}));
}

TEST(MxnetMappingTest, ZerosLike) {
  NDArray x = X();
  NDArray z = nd::zeros_like(x);
  EXPECT_EQ(z.dtype(), DType::kFloat32);
  EXPECT_EQ(Shape(z), (I64{2, 3}));
  EXPECT_EQ(Vals(z), (D{0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(nd::zeros_like(x, DType::kInt32).dtype(), DType::kInt32);
}

TEST(MxnetMappingTest, OnesLike) {
  NDArray x = X();
  NDArray o = nd::ones_like(x);
  EXPECT_EQ(o.dtype(), DType::kFloat32);
  EXPECT_EQ(Shape(o), (I64{2, 3}));
  EXPECT_EQ(Vals(o), (D{1, 1, 1, 1, 1, 1}));
  EXPECT_EQ(nd::ones_like(x, DType::kInt32).dtype(), DType::kInt32);
}

TEST(MxnetMappingTest, FullLike) {
  NDArray x = nd::arange(0, 6);  // int64, as np.arange(6)
  NDArray f = nd::full_like(x, 10);
  EXPECT_EQ(f.dtype(), DType::kInt64);  // x's dtype, as np.full_like
  EXPECT_EQ(Vals(f), (D{10, 10, 10, 10, 10, 10}));
  EXPECT_EQ(nd::full_like(X(), 10).dtype(), DType::kFloat32);
}

TEST(MxnetMappingTest, MulScalar) {
  NDArray y = nd::ones({6}) * 10;
  EXPECT_EQ(y.dtype(), DType::kFloat32);  // a C++ scalar is weak
  EXPECT_EQ(Vals(y), (D{10, 10, 10, 10, 10, 10}));
  NDArray h = nd::array<int32_t>({1, 2}) * 0.5;
  EXPECT_EQ(h.dtype(), DType::kFloat64);
  EXPECT_EQ(Vals(h), (D{0.5, 1}));
}

TEST(MxnetMappingTest, Astype) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  NDArray x = nd::array<float>({1.7f, -1.7f, 3e10f, -3e10f, nan});
  NDArray y = x.astype(ndjit::DType::kInt32);
  EXPECT_EQ(y.dtype(), DType::kInt32);
  EXPECT_EQ(y.asnumpy().to_vector<int32_t>(),
            (std::vector<int32_t>{1, -1, std::numeric_limits<int32_t>::max(),
                                  std::numeric_limits<int32_t>::min(), 0}));
  // Always a new array, even for an unchanged dtype.
  NDArray same = x.astype(DType::kFloat32);
  EXPECT_NE(same.value(), x.value());
}

TEST(MxnetMappingTest, Copy) {
  NDArray x = X();
  NDArray c = x.copy();
  EXPECT_NE(c.value(), x.value());
  EXPECT_EQ(c.dtype(), DType::kFloat32);
  EXPECT_EQ(Vals(c), Vals(x));
}

TEST(MxnetMappingTest, PlusEquals) {
  NDArray a = nd::array<float>({1, 2});
  NDArray b = nd::array<float>({10, 20});
  NDArray old = a;                   // a second handle to the same array
  NDArray view = a.reshape({2, 1});  // in MXNet a view sharing a's var
  a = a + b;
  EXPECT_EQ(Vals(a), (D{11, 22}));
  EXPECT_EQ(Vals(old), (D{1, 2}));  // not updated in place (issue #6)
  EXPECT_EQ(Vals(view), (D{1, 2}));
}

TEST(MxnetMappingTest, SliceAssign) {
  NDArray a = nd::array<float>({0, 1, 2, 3, 4});
  NDArray v = nd::array<int32_t>({7, 8});
  NDArray r = nd::slice_assign(a, {ndjit::Slice(1, 3)}, v);
  EXPECT_EQ(r.dtype(), DType::kFloat32);  // cast to a's dtype
  EXPECT_EQ(Vals(r), (D{0, 7, 8, 3, 4}));
  EXPECT_EQ(Vals(a), (D{0, 1, 2, 3, 4}));  // a is unchanged
  // a[:] = 0: a scalar broadcast to the region.
  EXPECT_EQ(Vals(nd::slice_assign(a, {ndjit::Slice()}, 0)), (D{0, 0, 0, 0, 0}));
}

// ---- Elementwise and broadcasting ----

TEST(MxnetMappingTest, BroadcastAdd) {
  NDArray a = nd::array<int32_t>({1, 2, 3, 4, 5, 6}, {2, 3});
  NDArray b = nd::array<float>({0.5f, 1.5f, 2.5f});
  NDArray r = a + b;
  EXPECT_EQ(r.dtype(), DType::kFloat64);  // int32 + float32 promotes (NumPy 2)
  EXPECT_EQ(Shape(r), (I64{2, 3}));
  EXPECT_EQ(Vals(r), (D{1.5, 3.5, 5.5, 4.5, 6.5, 8.5}));
}

TEST(MxnetMappingTest, BroadcastSub) {
  NDArray a = X();
  NDArray b = nd::array<float>({1, 1, 2}, {1, 3});
  NDArray r = a - b;
  EXPECT_EQ(r.dtype(), DType::kFloat32);
  EXPECT_EQ(Vals(r), (D{0, 1, 1, 3, 4, 4}));
  EXPECT_EQ((nd::array<int32_t>({3}) - nd::array<int8_t>({1})).dtype(), DType::kInt32);
}

TEST(MxnetMappingTest, BroadcastMul) {
  NDArray a = X();
  NDArray b = nd::array<float>({2, 3}, {2, 1});
  NDArray r = a * b;
  EXPECT_EQ(Shape(r), (I64{2, 3}));
  EXPECT_EQ(Vals(r), (D{2, 4, 6, 12, 15, 18}));
  EXPECT_EQ((nd::array<float>({1}) * nd::array<double>({2})).dtype(), DType::kFloat64);
}

TEST(MxnetMappingTest, BroadcastDiv) {
  NDArray a = nd::array<int32_t>({1, 2});
  NDArray b = nd::array<int32_t>({2, 4});
  NDArray r = a / b;
  EXPECT_EQ(r.dtype(), DType::kFloat64);  // true division
  EXPECT_EQ(Vals(r), (D{0.5, 0.5}));
}

TEST(MxnetMappingTest, BroadcastMod) {
  NDArray a = nd::array<int64_t>({5, -5, 5, -5, 7});
  NDArray b = nd::array<int64_t>({3, 3, -3, -3, 0});
  NDArray r = a % b;
  EXPECT_EQ(r.dtype(), DType::kInt64);
  EXPECT_EQ(Vals(r), (D{2, 1, -1, -2, 0}));  // the divisor's sign; x % 0 is 0
}

TEST(MxnetMappingTest, BroadcastPower) {
  NDArray a = nd::array<int32_t>({2, 3});
  NDArray b = nd::array<float>({2, 0.5f});
  NDArray r = nd::power(a, b);
  EXPECT_EQ(r.dtype(), DType::kFloat64);
  EXPECT_TRUE(AllClose(Vals(r), {4.0, 1.7320508075688772}, 1e-15));
  EXPECT_THROW(nd::power(a, -1), ValueError);
}

TEST(MxnetMappingTest, BroadcastMaximum) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  NDArray a = nd::array<float>({1, nan, 3});
  NDArray b = nd::array<float>({2, 0, nan});
  EXPECT_TRUE(AllClose(Vals(nd::maximum(a, b)), {2, NAN, NAN}));
}

TEST(MxnetMappingTest, BroadcastMinimum) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  NDArray a = nd::array<float>({1, nan, 3});
  NDArray b = nd::array<float>({2, 0, nan});
  EXPECT_TRUE(AllClose(Vals(nd::minimum(a, b)), {1, NAN, NAN}));
}

TEST(MxnetMappingTest, BroadcastHypot) {
  NDArray a = nd::array<int32_t>({3, 5});
  NDArray b = nd::array<int32_t>({4, 12});
  NDArray r = nd::hypot(a, b);
  EXPECT_EQ(r.dtype(), DType::kFloat64);
  EXPECT_EQ(Vals(r), (D{5, 13}));
}

// Operands of the comparison rows: a = [1, 2, 3], b = [2, 0, 3].
NDArray CmpA() { return nd::array<float>({1, 2, 3}); }
NDArray CmpB() { return nd::array<float>({2, 0, 3}); }
B Bools(const NDArray& r) {
  EXPECT_EQ(r.dtype(), DType::kBool);
  B out;
  for (double v : Vals(r)) out.push_back(v != 0);
  return out;
}

TEST(MxnetMappingTest, BroadcastEqual) {
  NDArray a = CmpA(), b = CmpB();
  EXPECT_EQ(Bools(a == b), (B{false, false, true}));
  // MXNet's 0/1 in the input dtype.
  NDArray m = (a == b).astype(a.dtype());
  EXPECT_EQ(m.dtype(), DType::kFloat32);
  EXPECT_EQ(Vals(m), (D{0, 0, 1}));
}

TEST(MxnetMappingTest, BroadcastNotEqual) {
  NDArray a = CmpA(), b = CmpB();
  EXPECT_EQ(Bools(a != b), (B{true, true, false}));
}

TEST(MxnetMappingTest, BroadcastGreater) {
  NDArray a = CmpA(), b = CmpB();
  EXPECT_EQ(Bools(a > b), (B{false, true, false}));
}

TEST(MxnetMappingTest, BroadcastGreaterEqual) {
  NDArray a = CmpA(), b = CmpB();
  EXPECT_EQ(Bools(a >= b), (B{false, true, true}));
}

TEST(MxnetMappingTest, BroadcastLesser) {
  NDArray a = CmpA(), b = CmpB();
  EXPECT_EQ(Bools(a < b), (B{true, false, false}));
}

TEST(MxnetMappingTest, BroadcastLesserEqual) {
  NDArray a = CmpA(), b = CmpB();
  EXPECT_EQ(Bools(a <= b), (B{true, false, true}));
}

// Operands of the logical rows: nonzero is true.
NDArray LogicA() { return nd::array<float>({0, 1, 2, 0}); }
NDArray LogicB() { return nd::array<float>({0, 0, 3, 5}); }

TEST(MxnetMappingTest, BroadcastLogicalAnd) {
  NDArray a = LogicA(), b = LogicB();
  EXPECT_EQ(Bools(nd::logical_and(a, b)), (B{false, false, true, false}));
}

TEST(MxnetMappingTest, BroadcastLogicalOr) {
  NDArray a = LogicA(), b = LogicB();
  EXPECT_EQ(Bools(nd::logical_or(a, b)), (B{false, true, true, true}));
}

TEST(MxnetMappingTest, BroadcastLogicalXor) {
  NDArray a = LogicA(), b = LogicB();
  EXPECT_EQ(Bools(nd::logical_xor(a, b)), (B{false, true, false, true}));
}

TEST(MxnetMappingTest, BroadcastTo) {
  NDArray x = nd::array<float>({1, 2}, {2, 1});
  NDArray r = nd::broadcast_to(x, {2, 3});
  EXPECT_EQ(Shape(r), (I64{2, 3}));
  EXPECT_EQ(Vals(r), (D{1, 1, 1, 2, 2, 2}));
  EXPECT_EQ(Shape(nd::broadcast_to(x, {4, 2, 3})), (I64{4, 2, 3}));  // leading axes added
  EXPECT_THROW(nd::broadcast_to(x, {0, 3}), ShapeError);             // 0 is a length, not "keep"
}

TEST(MxnetMappingTest, BroadcastAxis) {
  NDArray x = nd::array<float>({1, 2}, {2, 1});
  NDArray r = nd::broadcast_to(x, {x.shape()[0], 3});
  EXPECT_EQ(Shape(r), (I64{2, 3}));
  EXPECT_EQ(Vals(r), (D{1, 1, 1, 2, 2, 2}));
}

TEST(MxnetMappingTest, BroadcastLike) {
  NDArray a = nd::array<float>({1, 2}, {2, 1});
  NDArray b = nd::zeros({2, 3});
  NDArray r = nd::broadcast_to(a, b.shape());
  EXPECT_EQ(Shape(r), (I64{2, 3}));
  EXPECT_EQ(Vals(r), (D{1, 1, 1, 2, 2, 2}));
}

TEST(MxnetMappingTest, Clip) {
  NDArray x = X();
  NDArray r = nd::clip(x, 2, 5);
  EXPECT_EQ(r.dtype(), DType::kFloat32);
  EXPECT_EQ(Vals(r), (D{2, 2, 3, 4, 5, 5}));
  EXPECT_EQ(Vals(nd::clip(x, std::nullopt, 5)), (D{1, 2, 3, 4, 5, 5}));
  NDArray i = nd::array<int32_t>({1, 3});
  NDArray p = nd::clip(i, 2.5, std::nullopt);
  EXPECT_EQ(p.dtype(), DType::kFloat64);  // bounds promote as in NumPy 2
  EXPECT_EQ(Vals(p), (D{2.5, 3}));
}

TEST(MxnetMappingTest, Where) {
  NDArray a = X();
  NDArray b = nd::array<float>({-1, -2, -3});
  {
    NDArray c = nd::array<bool>({true, false, true, false, true, false}, {2, 3});
    NDArray r = nd::where(c, a, b);  // b broadcasts
    EXPECT_EQ(r.dtype(), DType::kFloat32);
    EXPECT_EQ(Vals(r), (D{1, -2, 3, -1, 5, -3}));
  }
  {
    // MXNet's 1-D condition selects rows.
    NDArray c = nd::array<float>({1, 0});
    NDArray r = nd::where(c.reshape({-1, 1}), a, b);
    EXPECT_EQ(Vals(r), (D{1, 2, 3, -1, -2, -3}));
    EXPECT_THROW(nd::where(c, a, b), ShapeError);  // (2,) broadcasts against the last axis
  }
  EXPECT_EQ(nd::where(nd::array<bool>({true}), nd::array<int32_t>({1}), b).dtype(),
            DType::kFloat64);
}

// ---- Reductions ----

TEST(MxnetMappingTest, Sum) {
  NDArray x = X();
  NDArray s = nd::sum(x);
  EXPECT_EQ(Shape(s), (I64{}));  // 0-d; MXNet gives (1,)
  EXPECT_EQ(s.dtype(), DType::kFloat32);
  EXPECT_EQ(s.asscalar<float>(), 21.0f);
  NDArray si = nd::sum(nd::array<int32_t>({1, 2, 3}));
  EXPECT_EQ(si.dtype(), DType::kInt64);
  EXPECT_EQ(si.asscalar<int64_t>(), 6);
  EXPECT_EQ(nd::sum(nd::array<bool>({true, true, false})).asscalar<int64_t>(), 2);
}

TEST(MxnetMappingTest, SumAxisKeepdims) {
  NDArray x = X();
  NDArray s = nd::sum(x, 1, true);
  EXPECT_EQ(Shape(s), (I64{2, 1}));
  EXPECT_EQ(Vals(s), (D{6, 15}));
  // An empty axis list reduces every axis, like MXNet's axis=().
  NDArray all = nd::sum(x, {});
  EXPECT_EQ(Shape(all), (I64{}));
  EXPECT_EQ(all.asscalar<float>(), 21.0f);
}

TEST(MxnetMappingTest, SumExclude) {
  NDArray x = X234();
  NDArray s = nd::sum(x, {0, 2});
  EXPECT_EQ(Shape(s), (I64{3}));
  EXPECT_EQ(Vals(s), (D{60, 92, 124}));
}

TEST(MxnetMappingTest, Mean) {
  NDArray x = X();
  NDArray m = nd::mean(x, 0);
  EXPECT_EQ(m.dtype(), DType::kFloat32);
  EXPECT_EQ(Vals(m), (D{2.5, 3.5, 4.5}));
  NDArray mi = nd::mean(nd::array<int32_t>({1, 2}));
  EXPECT_EQ(mi.dtype(), DType::kFloat64);
  EXPECT_EQ(Shape(mi), (I64{}));
  EXPECT_EQ(mi.asscalar<double>(), 1.5);
}

TEST(MxnetMappingTest, Max) {
  NDArray x = X();
  NDArray m = nd::max(x, 1);
  EXPECT_EQ(Shape(m), (I64{2}));
  EXPECT_EQ(Vals(m), (D{3, 6}));
  EXPECT_THROW(nd::max(nd::zeros({2, 0}), 1), ValueError);
}

TEST(MxnetMappingTest, Min) {
  NDArray x = X();
  NDArray m = nd::min(x);
  EXPECT_EQ(Shape(m), (I64{}));
  EXPECT_EQ(m.asscalar<float>(), 1.0f);
}

TEST(MxnetMappingTest, Prod) {
  NDArray x = X();
  NDArray p = nd::prod(x);
  EXPECT_EQ(Shape(p), (I64{}));
  EXPECT_EQ(p.asscalar<float>(), 720.0f);
  NDArray pi = nd::prod(nd::array<int32_t>({100000, 100000}));
  EXPECT_EQ(pi.dtype(), DType::kInt64);
  EXPECT_EQ(pi.asscalar<int64_t>(), 10000000000);
}

TEST(MxnetMappingTest, Nansum) {
  NDArray x = nd::array<float>({2, NAN, 3});
  NDArray s = nd::nansum(x);
  EXPECT_EQ(Shape(s), (I64{}));
  EXPECT_EQ(s.asscalar<float>(), 5.0f);
}

TEST(MxnetMappingTest, Nanprod) {
  NDArray x = nd::array<float>({2, NAN, 3});
  NDArray p = nd::prod(nd::where(nd::isnan(x), 1, x));
  EXPECT_EQ(p.dtype(), DType::kFloat32);
  EXPECT_EQ(Shape(p), (I64{}));
  EXPECT_EQ(p.asscalar<float>(), 6.0f);  // np.nanprod
}

TEST(MxnetMappingTest, Argmax) {
  NDArray x = X();
  NDArray i = nd::argmax(x, 1);
  EXPECT_EQ(i.dtype(), DType::kInt64);
  EXPECT_EQ(Vals(i), (D{2, 2}));
  NDArray flat = nd::argmax(x);
  EXPECT_EQ(Shape(flat), (I64{}));
  EXPECT_EQ(flat.asscalar<int64_t>(), 5);
  EXPECT_EQ(nd::argmax(nd::array<float>({1, 3, 3})).asscalar<int64_t>(), 1);  // first maximum
  EXPECT_EQ(nd::argmax(nd::array<float>({1, NAN, 3, NAN})).asscalar<int64_t>(), 1);  // first NaN
}

TEST(MxnetMappingTest, Argmin) {
  NDArray x = X();
  NDArray i = nd::argmin(x, 1);
  EXPECT_EQ(i.dtype(), DType::kInt64);
  EXPECT_EQ(Vals(i), (D{0, 0}));
}

TEST(MxnetMappingTest, MeanOfAsnumpyMetric) {
  NDArray loss = nd::array<float>({2.0f, 2.5f, 2.25f, 2.25f});
  EXPECT_EQ(nd::mean(loss).asscalar<float>(), 2.25f);
}

// ---- Shapes, joining, splitting, padding ----

TEST(MxnetMappingTest, Reshape) {
  NDArray x = X();
  NDArray r = nd::reshape(x, {3, -1});
  EXPECT_EQ(Shape(r), (I64{3, 2}));
  EXPECT_EQ(Vals(r), (D{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(Vals(x.reshape({3, -1})), Vals(r));       // the method is the same op
  EXPECT_THROW(nd::reshape(x, {0, -1}), ShapeError);  // 0 is not MXNet's "copy" code
  EXPECT_THROW(nd::reshape(x, {-2}), ValueError);
}

TEST(MxnetMappingTest, ReshapeCode0) {
  NDArray x = X234();
  NDArray r = nd::reshape(x, {x.shape()[0], -1});
  EXPECT_EQ(Shape(r), (I64{2, 12}));
}

TEST(MxnetMappingTest, ReshapeCodeMinus2) {
  NDArray x = X234();
  EXPECT_EQ(Shape(nd::reshape(x, {2, x.shape()[1], x.shape()[2]})), (I64{2, 3, 4}));
}

TEST(MxnetMappingTest, ReshapeCodeMinus3) {
  NDArray x = X234();
  NDArray r = nd::reshape(x, {x.shape()[0] * x.shape()[1], 4});
  EXPECT_EQ(Shape(r), (I64{6, 4}));
  EXPECT_EQ(Vals(r), Vals(x));
}

TEST(MxnetMappingTest, ReshapeCodeMinus4) {
  NDArray x = X234();
  EXPECT_EQ(Shape(nd::reshape(x, {1, 2, x.shape()[1], x.shape()[2]})), (I64{1, 2, 3, 4}));
}

TEST(MxnetMappingTest, ReshapeReverse) {
  NDArray x = nd::zeros({10, 5, 4});
  EXPECT_EQ(Shape(nd::reshape(x, {-1, x.shape()[2]})), (I64{50, 4}));
}

TEST(MxnetMappingTest, ReshapeTutorialPadArray) {
  NDArray data = nd::array<float>({1, 2, 3});
  NDArray r = nd::reshape(data, {1, 1, 1, data.shape()[0]});
  EXPECT_EQ(Shape(r), (I64{1, 1, 1, 3}));
  EXPECT_EQ(Vals(r), (D{1, 2, 3}));
}

TEST(MxnetMappingTest, Transpose) {
  NDArray x = X234();
  NDArray t = nd::transpose(x);
  EXPECT_EQ(Shape(t), (I64{4, 3, 2}));
  EXPECT_EQ(Vals(t), (D{0, 12, 4, 16, 8,  20, 1, 13, 5, 17, 9,  21,
                        2, 14, 6, 18, 10, 22, 3, 15, 7, 19, 11, 23}));
  NDArray p = nd::transpose(x, {1, 0, 2});
  EXPECT_EQ(Shape(p), (I64{3, 2, 4}));
  EXPECT_EQ(Vals(p), (D{0,  1,  2,  3,  12, 13, 14, 15, 4,  5,  6,  7,
                        16, 17, 18, 19, 8,  9,  10, 11, 20, 21, 22, 23}));
}

TEST(MxnetMappingTest, ExpandDims) {
  NDArray x = X();
  EXPECT_EQ(Shape(nd::expand_dims(x, {1})), (I64{2, 1, 3}));
  // MXNet's range [-ndim-1, ndim].
  EXPECT_EQ(Shape(nd::expand_dims(x, {2})), (I64{2, 3, 1}));
  EXPECT_EQ(Shape(nd::expand_dims(x, {-3})), (I64{1, 2, 3}));
  EXPECT_THROW(nd::expand_dims(x, {3}), ShapeError);
}

TEST(MxnetMappingTest, Squeeze) {
  NDArray x = nd::zeros({1, 3, 1});
  EXPECT_EQ(Shape(nd::squeeze(x)), (I64{3}));
  EXPECT_EQ(Shape(nd::squeeze(x, std::vector<int64_t>{0})), (I64{3, 1}));
  EXPECT_THROW(nd::squeeze(x, std::vector<int64_t>{1}), ValueError);
}

TEST(MxnetMappingTest, Slice) {
  NDArray x = X();
  NDArray s = nd::slice(x, {ndjit::Slice(0, 2), ndjit::Slice(1, ndjit::None, 2)});
  EXPECT_EQ(Shape(s), (I64{2, 1}));
  EXPECT_EQ(Vals(s), (D{2, 5}));
  EXPECT_EQ(Vals(x.slice({ndjit::Slice(0, 2), ndjit::Slice(1, ndjit::None, 2)})), (D{2, 5}));
  // Out-of-range bounds clip and negative ones count from the end, as in NumPy.
  EXPECT_EQ(Vals(nd::slice(x, {ndjit::Slice(-1, 9)})), (D{4, 5, 6}));
}

TEST(MxnetMappingTest, SliceAxis) {
  NDArray x = X();
  NDArray s = nd::slice(x, {ndjit::Slice(), ndjit::Slice(1, 3)});
  EXPECT_EQ(Shape(s), (I64{2, 2}));
  EXPECT_EQ(Vals(s), (D{2, 3, 5, 6}));
  EXPECT_EQ(Shape(nd::slice(x, {ndjit::Slice(), ndjit::Slice(1, 1)})), (I64{2, 0}));
}

TEST(MxnetMappingTest, Concat) {
  NDArray a = X();
  NDArray b = nd::array<int32_t>({7, 8}, {2, 1});
  NDArray r = nd::concatenate({a, b}, 1);
  EXPECT_EQ(r.dtype(), DType::kFloat64);  // float32 with int32 promotes
  EXPECT_EQ(Shape(r), (I64{2, 4}));
  EXPECT_EQ(Vals(r), (D{1, 2, 3, 7, 4, 5, 6, 8}));
  EXPECT_EQ(Shape(nd::concatenate({a, a})), (I64{4, 3}));  // default axis 0
  EXPECT_EQ(Shape(nd::concatenate({a, b}, std::nullopt)), (I64{8}));
}

TEST(MxnetMappingTest, Stack) {
  NDArray a = X();
  NDArray b = X() * 2.0f;
  NDArray r = nd::stack({a, b});
  EXPECT_EQ(Shape(r), (I64{2, 2, 3}));
  EXPECT_EQ(r.dtype(), DType::kFloat32);
  EXPECT_EQ(Vals(r), (D{1, 2, 3, 4, 5, 6, 2, 4, 6, 8, 10, 12}));
  EXPECT_EQ(nd::stack({a, nd::ones({2, 3}, DType::kFloat64)}).dtype(), DType::kFloat64);
}

TEST(MxnetMappingTest, Split) {
  NDArray x = nd::arange(0, 6).astype(DType::kFloat32).reshape({3, 2, 1});
  std::vector<NDArray> parts = nd::split(x, 2, 1);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(Shape(parts[0]), (I64{3, 1, 1}));
  EXPECT_EQ(Vals(parts[0]), (D{0, 2, 4}));
  EXPECT_EQ(Vals(parts[1]), (D{1, 3, 5}));
  EXPECT_EQ(nd::split(x, 3).size(), 3u);      // default axis 0
  EXPECT_THROW(nd::split(x, 2), ValueError);  // 3 rows do not split in 2
  EXPECT_EQ(nd::split(x, 1).size(), 1u);      // still a vector
  EXPECT_EQ(Shape(nd::squeeze(parts[0], std::vector<int64_t>{1})), (I64{3, 1}));  // squeeze_axis
  std::vector<NDArray> uneven = nd::array_split(x, 2);
  EXPECT_EQ(Shape(uneven[0]), (I64{2, 2, 1}));
  EXPECT_EQ(Shape(uneven[1]), (I64{1, 2, 1}));
}

TEST(MxnetMappingTest, SplitV2) {
  NDArray x = nd::arange(0, 6).astype(DType::kFloat32).reshape({3, 2, 1});
  std::vector<NDArray> parts = nd::split(x, {1});
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(Shape(parts[0]), (I64{1, 2, 1}));
  EXPECT_EQ(Shape(parts[1]), (I64{2, 2, 1}));
  EXPECT_EQ(Vals(parts[1]), (D{2, 3, 4, 5}));
}

NDArray X1123() { return nd::array<float>({1, 2, 3, 4, 5, 6}, {1, 1, 2, 3}); }

TEST(MxnetMappingTest, Pad) {
  NDArray x = X1123();
  NDArray p = nd::pad(x, {{0, 0}, {0, 0}, {1, 1}, {2, 2}});
  EXPECT_EQ(Shape(p), (I64{1, 1, 4, 7}));
  EXPECT_EQ(p.dtype(), DType::kFloat32);
  EXPECT_EQ(Vals(p), (D{0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 0, 0,
                        0, 0, 4, 5, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  // Any rank, and one pair for every axis.
  EXPECT_EQ(Shape(nd::pad(X(), {{1, 2}})), (I64{5, 6}));
}

TEST(MxnetMappingTest, PadEdge) {
  NDArray x = X1123();
  NDArray p = nd::pad(x, {{0, 0}, {0, 0}, {1, 1}, {2, 2}}, nd::PadMode::kEdge);
  EXPECT_EQ(Shape(p), (I64{1, 1, 4, 7}));
  EXPECT_EQ(Vals(p), (D{1, 1, 1, 2, 3, 3, 3, 1, 1, 1, 2, 3, 3, 3,
                        4, 4, 4, 5, 6, 6, 6, 4, 4, 4, 5, 6, 6, 6}));
}

TEST(MxnetMappingTest, PadReflect) {
  NDArray x = X1123();
  NDArray p = nd::pad(x, {{0, 0}, {0, 0}, {1, 1}, {2, 2}}, nd::PadMode::kReflect);
  EXPECT_EQ(Shape(p), (I64{1, 1, 4, 7}));
  EXPECT_EQ(Vals(p), (D{6, 5, 4, 5, 6, 5, 4, 3, 2, 1, 2, 3, 2, 1,
                        6, 5, 4, 5, 6, 5, 4, 3, 2, 1, 2, 3, 2, 1}));
  // Wider than the axis: reflects repeatedly (np.pad([1, 2, 3], (0, 4), 'reflect')).
  EXPECT_EQ(Vals(nd::pad(nd::array<float>({1, 2, 3}), {{0, 4}}, nd::PadMode::kReflect)),
            (D{1, 2, 3, 2, 1, 2, 3}));
}

// ---- Indexing ----

TEST(MxnetMappingTest, Take) {
  NDArray a = nd::array<float>({4, 5, 6});
  NDArray i = nd::array<int64_t>({0, 2, -1});
  NDArray t = nd::take(a, i, 0);
  EXPECT_EQ(t.dtype(), DType::kFloat32);
  EXPECT_EQ(Vals(t), (D{4, 6, 6}));  // -1 counts from the end
  // Out of range: at the call when the indices are computed, else at the accessor.
  EXPECT_THROW(nd::take(a, nd::array<int64_t>({3}), 0), ValueError);
  NDArray lazy = nd::take(a, Pending({3}), 0);
  EXPECT_THROW(lazy.asnumpy(), ValueError);
  EXPECT_THROW(nd::take(a, nd::array<float>({0}), 0), DTypeError);  // integer indices only
  // Without an axis the flattened array (NumPy), with axis 0 whole rows (MXNet's default).
  NDArray m = X();
  NDArray row = nd::array<int64_t>({1});
  EXPECT_EQ(Vals(nd::take(m, row)), (D{2}));
  EXPECT_EQ(Vals(nd::take(m, row, 0)), (D{4, 5, 6}));
}

TEST(MxnetMappingTest, TakeClip) {
  NDArray a = nd::array<float>({4, 5, 6});
  NDArray i = nd::array<int64_t>({3, -1, 1});
  EXPECT_EQ(Vals(nd::take(a, nd::clip(i, 0, a.shape()[0] - 1), 0)), (D{6, 4, 5}));
}

TEST(MxnetMappingTest, TakeWrap) {
  NDArray a = nd::array<float>({4, 5, 6});
  NDArray i = nd::array<int64_t>({3, -1, 4});
  EXPECT_EQ(Vals(nd::take(a, i % a.shape()[0], 0)), (D{4, 6, 5}));
}

TEST(MxnetMappingTest, Pick) {
  NDArray x = X();
  NDArray i = nd::array<int32_t>({2, 0});
  NDArray p = nd::pick(x, i);
  EXPECT_EQ(p.dtype(), DType::kFloat32);
  EXPECT_EQ(Vals(p), (D{3, 4}));
  // clip by default, wrap on request, float indices truncate.
  EXPECT_EQ(Vals(nd::pick(x, nd::array<int32_t>({5, -1}))), (D{3, 4}));
  EXPECT_EQ(Vals(nd::pick(x, nd::array<int32_t>({4, -1}), -1, false, nd::PickMode::kWrap)),
            (D{2, 6}));
  EXPECT_EQ(Vals(nd::pick(x, nd::array<float>({1.9f, 0.2f}))), (D{2, 4}));
}

TEST(MxnetMappingTest, OneHot) {
  NDArray i = nd::array<int64_t>({1, 0, 3, -1});
  NDArray h = nd::one_hot(i, 3);
  EXPECT_EQ(h.dtype(), DType::kFloat32);
  EXPECT_EQ(Shape(h), (I64{4, 3}));
  EXPECT_EQ(Vals(h), (D{0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}));
}

TEST(MxnetMappingTest, Diag) {
  {
    NDArray v = nd::array<float>({1, 2, 3});
    NDArray d = nd::diag(v, 1);
    EXPECT_EQ(Shape(d), (I64{4, 4}));
    EXPECT_EQ(Vals(d), (D{0, 1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 3, 0, 0, 0, 0}));
  }
  {
    NDArray v = nd::arange(0, 9).astype(DType::kFloat32).reshape({3, 3});
    EXPECT_EQ(Vals(nd::diag(v, 1)), (D{1, 5}));
    EXPECT_EQ(Vals(nd::diag(v, -1)), (D{3, 7}));
    EXPECT_EQ(Shape(nd::diag(v, 5)), (I64{0}));  // MXNet: "Diagonal does not exist"
  }
}

TEST(MxnetMappingTest, DiagNd) {
  NDArray x = X234();
  NDArray d = nd::diagonal(x, 0, 1, 2);
  EXPECT_EQ(Shape(d), (I64{2, 3}));
  EXPECT_EQ(Vals(d), (D{0, 5, 10, 12, 17, 22}));
  EXPECT_THROW(nd::diag(x, 0), ValueError);  // nd::diag is 1-D or 2-D only
}

TEST(MxnetMappingTest, RavelMultiIndex) {
  NDArray idx = nd::array<int64_t>({3, 6, 6, 4, 5, 1}, {2, 3});
  NDArray r = nd::ravel_multi_index(idx, {7, 6});
  EXPECT_EQ(r.dtype(), DType::kInt64);
  EXPECT_EQ(Vals(r), (D{22, 41, 37}));
  // Integer indices only; an out-of-range coordinate is an error at the accessor.
  EXPECT_THROW(nd::ravel_multi_index(nd::array<float>({3, 4}, {2, 1}), {7, 6}), DTypeError);
  NDArray bad = nd::ravel_multi_index(nd::array<int64_t>({7, 0}, {2, 1}), {7, 6});
  EXPECT_THROW(bad.asnumpy(), ValueError);
  EXPECT_THROW(nd::ravel_multi_index(idx, {-1, 6}), ValueError);  // no -1 leading dim
}

TEST(MxnetMappingTest, UnravelIndex) {
  NDArray i = nd::array<int64_t>({22, 41, 37});
  NDArray r = nd::stack(nd::unravel_index(i, {7, 6}));
  EXPECT_EQ(r.dtype(), DType::kInt64);
  EXPECT_EQ(Shape(r), (I64{2, 3}));
  EXPECT_EQ(Vals(r), (D{3, 6, 6, 4, 5, 1}));
  EXPECT_EQ(nd::unravel_index(i, {7, 6}).size(), 2u);
  // 50 is outside [0, 42): an error at the accessor (MXNet gives [8, 2]).
  std::vector<NDArray> bad = nd::unravel_index(nd::array<int64_t>({50}), {7, 6});
  EXPECT_THROW(bad[0].asnumpy(), ValueError);
}

// ---- Linear algebra and NN ----

TEST(MxnetMappingTest, Dot) {
  {
    NDArray a = nd::array<float>({1, 2, 3});
    NDArray b = nd::array<float>({4, 5, 6});
    NDArray d = nd::dot(a, b);
    EXPECT_EQ(Shape(d), (I64{}));  // MXNet: (1,)
    EXPECT_EQ(d.asscalar<float>(), 32.0f);
  }
  {
    NDArray a = nd::arange(0, 6).astype(DType::kFloat64).reshape({2, 3});
    NDArray b = nd::arange(0, 6).astype(DType::kFloat64).reshape({3, 2});
    NDArray d = nd::dot(a, b);
    EXPECT_EQ(Shape(d), (I64{2, 2}));
    EXPECT_EQ(Vals(d), (D{10, 13, 28, 40}));
  }
}

TEST(MxnetMappingTest, DotNd) {
  NDArray a = nd::arange(0, 6).astype(DType::kFloat64).reshape({2, 3});
  NDArray b = nd::arange(0, 12).astype(DType::kFloat64).reshape({3, 2, 2});
  NDArray d = nd::tensordot(a, b, 1);
  EXPECT_EQ(Shape(d), (I64{2, 2, 2}));
  EXPECT_EQ(Vals(d), (D{20, 23, 26, 29, 56, 68, 80, 92}));
  EXPECT_THROW(nd::dot(a, b), ShapeError);  // np.dot contracts b's second-to-last axis
}

TEST(MxnetMappingTest, DotTransposeA) {
  NDArray a = nd::arange(0, 6).astype(DType::kFloat64).reshape({3, 2});
  NDArray b = nd::arange(0, 12).astype(DType::kFloat64).reshape({3, 4});
  NDArray d = nd::tensordot(a, b, {0}, {0});
  EXPECT_EQ(Shape(d), (I64{2, 4}));
  EXPECT_EQ(Vals(d), (D{40, 46, 52, 58, 52, 61, 70, 79}));
}

TEST(MxnetMappingTest, DotTransposeB) {
  NDArray a = nd::arange(0, 6).astype(DType::kFloat64).reshape({2, 3});
  NDArray b = nd::arange(0, 12).astype(DType::kFloat64).reshape({4, 3});
  NDArray d = nd::tensordot(a, b, {-1}, {-1});
  EXPECT_EQ(Shape(d), (I64{2, 4}));
  EXPECT_EQ(Vals(d), (D{5, 14, 23, 32, 14, 50, 86, 122}));
}

TEST(MxnetMappingTest, BatchDot) {
  NDArray a = nd::arange(0, 12).astype(DType::kFloat64).reshape({2, 2, 3});
  NDArray b = nd::arange(0, 12).astype(DType::kFloat64).reshape({2, 3, 2});
  NDArray d = nd::batch_dot(a, b);
  EXPECT_EQ(Shape(d), (I64{2, 2, 2}));
  EXPECT_EQ(Vals(d), (D{10, 13, 28, 40, 172, 193, 244, 274}));
  EXPECT_EQ(Shape(nd::batch_dot(a, a, false, true)), (I64{2, 2, 2}));
  EXPECT_THROW(nd::batch_dot(a, b.slice({ndjit::Slice(0, 1)})), ShapeError);  // no broadcasting
}

TEST(MxnetMappingTest, FullyConnected) {
  NDArray w = nd::arange(0, 12).astype(DType::kFloat32).reshape({4, 3});
  NDArray bias = nd::array<float>({1, 2, 3, 4});
  {
    NDArray x = X();
    NDArray y = nd::dense(x, w, bias);
    EXPECT_EQ(Shape(y), (I64{2, 4}));  // num_hidden = w.shape()[0]
    EXPECT_EQ(Vals(y), (D{9, 28, 47, 66, 18, 64, 110, 156}));
    EXPECT_EQ(Vals(nd::dense(x, w)), (D{8, 26, 44, 62, 17, 62, 107, 152}));
  }
  {
    NDArray x = X().reshape({1, 2, 3});  // flatten=false acts on the last axis
    NDArray y = nd::dense(x, w, bias, false);
    EXPECT_EQ(Shape(y), (I64{1, 2, 4}));
    EXPECT_EQ(Vals(y), (D{9, 28, 47, 66, 18, 64, 110, 156}));
  }
  // flatten=true (the default) treats (2, 1, 3) as (2, 3).
  EXPECT_EQ(Shape(nd::dense(X().reshape({2, 1, 3}), w, bias)), (I64{2, 4}));
}

TEST(MxnetMappingTest, Softmax) {
  NDArray x = X();
  NDArray s = nd::softmax(x);
  EXPECT_EQ(s.dtype(), DType::kFloat32);
  EXPECT_TRUE(AllClose(Vals(s),
                       {0.09003057317038043, 0.24472847105479767, 0.6652409557748218,
                        0.09003057317038043, 0.24472847105479767, 0.6652409557748218},
                       1e-6));
  // temperature 2.
  EXPECT_TRUE(AllClose(Vals(nd::softmax(x / 2.0f)),
                       {0.18632372322584762, 0.3071958857184984, 0.506480391055654,
                        0.18632372322584762, 0.3071958857184984, 0.506480391055654},
                       1e-6));
  EXPECT_EQ(nd::softmax(nd::array<int32_t>({1, 2})).dtype(), DType::kFloat64);
}

TEST(MxnetMappingTest, LogSoftmax) {
  NDArray x = X();
  NDArray l = nd::log_softmax(x);
  EXPECT_EQ(l.dtype(), DType::kFloat32);
  EXPECT_TRUE(AllClose(Vals(l),
                       {-2.4076059644443806, -1.4076059644443804, -0.40760596444438035,
                        -2.4076059644443806, -1.4076059644443804, -0.40760596444438035},
                       1e-6));
}

TEST(MxnetMappingTest, SoftmaxOutput) {
  NDArray x = X();
  NDArray label = nd::array<int32_t>({2, 0});
  EXPECT_TRUE(AllClose(Vals(nd::softmax(x)),
                       {0.09003057317038043, 0.24472847105479767, 0.6652409557748218,
                        0.09003057317038043, 0.24472847105479767, 0.6652409557748218},
                       1e-6));
  NDArray loss = nd::softmax_cross_entropy(x, label);
  EXPECT_EQ(Shape(loss), (I64{2}));
  EXPECT_TRUE(AllClose(Vals(loss), {0.40760596444438035, 2.4076059644443806}, 1e-6));
}

TEST(MxnetMappingTest, SoftmaxCrossEntropy) {
  NDArray x = X();
  NDArray label = nd::array<int32_t>({2, 0});
  NDArray s = nd::sum(nd::softmax_cross_entropy(x, label));
  EXPECT_EQ(Shape(s), (I64{}));  // MXNet: (1,)
  EXPECT_NEAR(s.asscalar<double>(), 2.815211928888761, 1e-5);
  // Labels of another dtype (float) and out of range (clipped) are accepted.
  EXPECT_NEAR(nd::sum(nd::softmax_cross_entropy(x, nd::array<float>({9, 0}))).asscalar<double>(),
              2.815211928888761, 1e-5);
}

// ---- Random numbers ----

TEST(MxnetMappingTest, RandomUniform) {
  NDArray u = nd::random::uniform(0.0, 1.0, {1024, 100});
  EXPECT_EQ(u.dtype(), DType::kFloat32);
  EXPECT_EQ(Shape(u), (I64{1024, 100}));
  EXPECT_GE(nd::min(u).asscalar<float>(), 0.0f);
  EXPECT_LT(nd::max(u).asscalar<float>(), 1.0f);
  EXPECT_NEAR(nd::mean(u).asscalar<float>(), 0.5f, 0.01f);
  EXPECT_EQ(Vals(nd::random::uniform(0.0, 1.0, {8}, 3)),
            Vals(nd::random::uniform(0.0, 1.0, {8}, 3)));        // same seed, same numbers
  EXPECT_THROW(nd::random::uniform(1.0, 0.0, {2}), ValueError);  // at the call
}

TEST(MxnetMappingTest, RandomNormal) {
  NDArray n = nd::random::normal(0.0, 1.0, {2, 3});
  EXPECT_EQ(n.dtype(), DType::kFloat32);
  EXPECT_EQ(Shape(n), (I64{2, 3}));
  EXPECT_EQ(Vals(nd::random::normal(5.0, 0.0, {3})), (D{5, 5, 5}));  // scale 0 is allowed
  EXPECT_THROW(nd::random::normal(0.0, -1.0, {2}), ValueError);      // at the call
}

// ---- Accessors ----

TEST(MxnetMappingTest, Asnumpy) {
  NDArray x = X() * 2.0f;
  EXPECT_FALSE(x.is_computed());
  HostArray h = x.asnumpy();
  EXPECT_TRUE(x.is_computed());
  EXPECT_EQ(h.shape(), (I64{2, 3}));
  EXPECT_EQ(h.dtype(), DType::kFloat32);
  EXPECT_EQ(h.data<float>()[5], 12.0f);
  EXPECT_EQ(h.to_vector<float>(), (F{2, 4, 6, 8, 10, 12}));
}

TEST(MxnetMappingTest, Asscalar) {
  NDArray x = nd::array<float>({7}, {1, 1});
  EXPECT_EQ(x.asscalar<float>(), 7.0f);  // MXNet returns a (1, 1) array here
  EXPECT_EQ(x.asscalar<int>(), 7);
  EXPECT_THROW(X().asscalar<float>(), ValueError);
}

TEST(MxnetMappingTest, WaitToRead) {
  NDArray x = X() * 2.0f;
  EXPECT_FALSE(x.is_computed());
  x.wait_to_read();
  EXPECT_TRUE(x.is_computed());
  NDArray bad = nd::take(X(), Pending({10}), 0);
  EXPECT_THROW(bad.wait_to_read(), ValueError);
  bad.wait_to_read();                       // reported once, as in MXNet
  EXPECT_THROW(bad.asnumpy(), ValueError);  // but a value that does not exist is never read
}

// Contexts: gpu(0) is checked at once (MXNet fails at the first allocation); the CPU paths work
// everywhere.
TEST(MxnetMappingTest, Contexts) {
  NDArray x = nd::array<float>({1, 2, 3}, {3});
  EXPECT_EQ(x.context(), ndjit::cpu());
  EXPECT_EQ(x.as_in_context(ndjit::cpu()).handle(), x.handle());
  EXPECT_EQ(x.copyto(ndjit::cpu()).asnumpy().to_vector<float>(), (std::vector<float>{1, 2, 3}));
  if (ndjit::num_gpus() == 0) {
    EXPECT_THROW(nd::zeros({2, 3}, ndjit::DType::kFloat32, ndjit::gpu(0)), NotSupportedError);
  } else {
    NDArray z = nd::zeros({2, 3}, ndjit::DType::kFloat32, ndjit::gpu(0));
    EXPECT_EQ(z.context(), ndjit::gpu(0));
    EXPECT_EQ(z.asnumpy().to_vector<float>(), std::vector<float>(6, 0.0f));
  }
}

TEST(MxnetMappingTest, InPlaceOpsAndOut) {
  NDArray a = X() * 1.0f;  // [[1, 2, 3], [4, 5, 6]]
  NDArray c = a * 2.0f;
  NDArray view = a.reshape({6});
  a += 1.0f;  // WAR: c keeps the old a; the view sees the update
  EXPECT_EQ(c.asnumpy().to_vector<float>(), (std::vector<float>{2, 4, 6, 8, 10, 12}));
  EXPECT_EQ(view.asnumpy().to_vector<float>(), (std::vector<float>{2, 3, 4, 5, 6, 7}));
  NDArray v = nd::ones({2, 2});
  a.slice_assign({ndjit::Slice(), ndjit::Slice(1, 3)}, v);
  EXPECT_EQ(a.asnumpy().to_vector<float>(), (std::vector<float>{2, 1, 1, 5, 1, 1}));
  a.fill(0);
  EXPECT_EQ(view.asnumpy().to_vector<float>(), std::vector<float>(6, 0.0f));
  NDArray x = nd::zeros({2, 3}), y = nd::ones({2, 3});
  NDArray before = y + 0.0f;
  nd::exp(x).copyto(y);  // MXNet: nd.exp(x, out=y)
  EXPECT_EQ(y.asnumpy().to_vector<float>(), std::vector<float>(6, 1.0f));
  EXPECT_EQ(before.asnumpy().to_vector<float>(), std::vector<float>(6, 1.0f));
  x.copyto(y);
  EXPECT_EQ(y.asnumpy().to_vector<float>(), std::vector<float>(6, 0.0f));
}

TEST(MxnetMappingTest, Waitall) {
  NDArray y = X() * 2.0f;
  EXPECT_FALSE(y.is_computed());
  ndjit::waitall();
  EXPECT_TRUE(y.is_computed());
  {
    // As MXNet: the independent `fine` is computed, the error is thrown once, and the next
    // waitall is clean.
    NDArray fine = X() + 1.0f;
    NDArray bad = nd::take(X(), Pending({10}), 0);
    EXPECT_THROW(ndjit::waitall(), ValueError);
    EXPECT_TRUE(fine.is_computed());
    ndjit::waitall();
  }
  ndjit::waitall();
}

TEST(MxnetMappingTest, Bool) {
  {
    NDArray x = nd::array<float>({2});
    EXPECT_TRUE(x.asscalar<bool>());
  }
  {
    NDArray x = nd::array<float>({0});
    EXPECT_FALSE(x.asscalar<bool>());
  }
  EXPECT_THROW(nd::zeros({0}).asscalar<bool>(), ValueError);  // MXNet: False
  EXPECT_THROW(X().asscalar<bool>(), ValueError);
}

TEST(MxnetMappingTest, ShapeDtypeSizeNdim) {
  NDArray x = X() * 2.0f;
  EXPECT_EQ(x.shape(), (I64{2, 3}));
  EXPECT_EQ(x.dtype(), DType::kFloat32);
  EXPECT_EQ(x.size(), 6);
  EXPECT_EQ(x.ndim(), 2);
  EXPECT_FALSE(x.is_computed());  // known without computing
}

// ---- Gluon pieces of the tutorial's loop ----

TEST(MxnetMappingTest, GluonDense) {
  NDArray x = X();
  NDArray w = nd::zeros({10, 3});
  NDArray bias = nd::arange(0, 10).astype(DType::kFloat32);
  NDArray y = nd::dense(x, w, bias);
  EXPECT_EQ(Shape(y), (I64{2, 10}));
  EXPECT_EQ(Vals(y.slice({ndjit::Slice(1, 2)})), (D{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

TEST(MxnetMappingTest, GluonSoftmaxCELoss) {
  NDArray out = X();
  NDArray label = nd::array<int32_t>({2, 0});
  NDArray loss = nd::softmax_cross_entropy(out, label);
  EXPECT_EQ(Shape(loss), (I64{2}));
  EXPECT_TRUE(AllClose(Vals(loss), {0.40760596444438035, 2.4076059644443806}, 1e-6));
}

// ---- The tutorial's gotchas, solved ----

TEST(MxnetMappingTest, GotchaFullLike) {
  NDArray f = nd::full_like(nd::arange(6), 10);
  EXPECT_EQ(f.dtype(), DType::kInt64);
  EXPECT_EQ(Vals(f), (D{10, 10, 10, 10, 10, 10}));
}

TEST(MxnetMappingTest, GotchaPadArray) {
  NDArray data = nd::array<float>({1, 2, 3});
  const int64_t max_length = 10;
  NDArray p = nd::pad(data, {{0, max_length - data.shape()[0]}});
  EXPECT_EQ(Shape(p), (I64{10}));
  EXPECT_EQ(Vals(p), (D{1, 2, 3, 0, 0, 0, 0, 0, 0, 0}));
}

TEST(MxnetMappingTest, GotchaSplit) {
  NDArray x = nd::arange(0, 8);
  std::vector<NDArray> cut = nd::split(x, {2, 5});
  ASSERT_EQ(cut.size(), 3u);
  EXPECT_EQ(Vals(cut[0]), (D{0, 1}));
  EXPECT_EQ(Vals(cut[1]), (D{2, 3, 4}));
  EXPECT_EQ(Vals(cut[2]), (D{5, 6, 7}));
  std::vector<NDArray> halves = nd::split(x, 2);
  ASSERT_EQ(halves.size(), 2u);
  EXPECT_EQ(Vals(halves[1]), (D{4, 5, 6, 7}));
}

TEST(MxnetMappingTest, GotchaRavelMultiIndex) {
  NDArray i = nd::array<int64_t>({3, 6, 6});
  NDArray j = nd::array<int64_t>({4, 5, 1});
  EXPECT_EQ(Vals(nd::ravel_multi_index({i, j}, {7, 6})), (D{22, 41, 37}));
  NDArray idx = nd::stack({i, j});
  EXPECT_EQ(Vals(nd::ravel_multi_index(idx, {7, 6})), (D{22, 41, 37}));
}

TEST(MxnetMappingTest, GotchaDiag) {
  NDArray v = nd::array<float>({1, 2, 3});
  EXPECT_EQ(Shape(nd::diag(v, 1)), (I64{4, 4}));
  NDArray x = X234();
  EXPECT_EQ(Shape(nd::diagonal(x, 0, 1, 2)), (I64{2, 3}));
}

TEST(MxnetMappingTest, GotchaBlockingReads) {
  NDArray loss = nd::array<float>({1, 2, 3, 6});
  EXPECT_EQ(nd::mean(loss).asscalar<float>(), 3.0f);
}

// ---- The doc and this file agree ----

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string WithoutSpace(const std::string& s) {
  std::string out;
  for (char ch : s) {
    if (!std::isspace(static_cast<unsigned char>(ch))) out += ch;
  }
  return out;
}

std::string Trim(const std::string& s) {
  const size_t begin = s.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  return s.substr(begin, s.find_last_not_of(" \t") - begin + 1);
}

// The texts between pairs of backticks.
std::vector<std::string> CodeSpans(const std::string& text) {
  std::vector<std::string> spans;
  size_t pos = 0;
  while (true) {
    const size_t open = text.find('`', pos);
    if (open == std::string::npos) break;
    const size_t close = text.find('`', open + 1);
    if (close == std::string::npos) break;
    spans.push_back(text.substr(open + 1, close - open - 1));
    pos = close + 1;
  }
  return spans;
}

std::vector<std::string> Cells(const std::string& line) {
  std::vector<std::string> cells;
  std::stringstream in(line);
  std::string cell;
  while (std::getline(in, cell, '|')) cells.push_back(cell);
  return cells;
}

// Every `nd::...` expression of the table's ndjit column (and of the gotchas section) appears
// in this file, so a new row without a test fails here.
TEST(MxnetMappingTest, EveryRowIsTested) {
  const std::string doc = ReadText(NDJIT_TEST_DATA_DIR "/../../docs/mxnet-mapping.md");
  const std::string source =
      WithoutSpace(ReadText(NDJIT_TEST_DATA_DIR "/../frontend/mapping_test.cc"));
  ASSERT_FALSE(doc.empty());
  ASSERT_FALSE(source.empty());
  int rows = 0, checked = 0;
  std::vector<std::string> missing;
  auto check = [&](const std::string& span) {
    if (span.rfind("nd::", 0) != 0) return;
    ++checked;
    if (source.find(WithoutSpace(span)) == std::string::npos) missing.push_back(span);
  };
  std::istringstream lines(doc);
  std::string line, gotchas;
  bool in_gotchas = false;
  while (std::getline(lines, line)) {
    if (line.rfind("## ", 0) == 0) in_gotchas = line.find("gotchas, solved") != std::string::npos;
    if (line.rfind("|", 0) == 0) {
      const std::vector<std::string> cells = Cells(line);  // cells[0] precedes the first '|'
      ASSERT_GE(cells.size(), 4u) << line;
      const std::string first = Trim(cells[1]);
      if (first == "MXNet call" || first.rfind("---", 0) == 0) continue;
      ++rows;
      for (const std::string& span : CodeSpans(cells[2])) check(span);
    } else if (in_gotchas) {
      gotchas += line + "\n";
    }
  }
  for (const std::string& span : CodeSpans(gotchas)) check(span);
  EXPECT_GE(rows, 80);
  EXPECT_GE(checked, 70);
  for (const std::string& span : missing) ADD_FAILURE() << "no test runs `" << span << "`";
}

}  // namespace
}  // namespace ndjit
