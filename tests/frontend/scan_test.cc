// nd::cumsum, nd::cumprod, nd::cummax and nd::cummin at real sizes (up to 2^20 elements) against a
// reference computed here in long double (floats) or wrapping int64 (integers), with tolerances
// that scale with the length of the run the kernel accumulates in order: a whole row, or one chunk
// of about 4096 when split-reductions cuts a long scan of few rows into chunks with carries. Also
// the kernels each scan takes (one, or two when split), across dtypes, axes and layouts.
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "ndjit/ndjit.h"
#include "tests/test_util.h"

namespace ndjit {
namespace {

struct Layout {
  std::vector<int64_t> shape;
  int64_t axis;
};

// The layouts: 1-D at sizes around the chunk and split thresholds up to 2^20, few long rows
// along either axis (split), many rows (one kernel), and a transposed operand.
std::vector<Layout> Layouts() {
  std::vector<Layout> out;
  for (int64_t n : {1, 2, 7, 1000, 4096, 4097, 16383, 16384, 16385, 12293, 100003, 1 << 20}) {
    out.push_back({{n}, 0});
  }
  out.push_back({{3, 20001}, 1});
  out.push_back({{20001, 3}, 0});
  out.push_back({{40, 5000}, 1});
  out.push_back({{5000, 40}, 0});
  out.push_back({{2, 1 << 19}, 1});
  return out;
}

// Whether split-reductions cuts the scan into chunks (its defaults: at least 2^14 elements in at
// most 16 rows), and the length of the runs accumulated in order.
bool Split(const Layout& l) {
  int64_t total = 1;
  for (int64_t d : l.shape) total *= d;
  const int64_t len = l.shape[l.axis];
  return len >= (1 << 14) && total / len <= 16;
}
int64_t RunLength(const Layout& l) {
  const int64_t len = l.shape[l.axis];
  return Split(l) ? 4096 + (len + 4095) / 4096 : len;
}

// Unit roundoff of a float dtype.
double Unit(DType dt) {
  switch (dt) {
    case DType::kFloat16:
      return std::ldexp(1.0, -11);
    case DType::kBFloat16:
      return std::ldexp(1.0, -8);
    case DType::kFloat32:
      return std::ldexp(1.0, -24);
    default:
      return std::ldexp(1.0, -53);
  }
}

// Visits the rows along the layout's axis: calls f(offsets of the row's elements, in order).
template <typename F>
void ForEachRow(const Layout& l, F f) {
  const std::vector<int64_t>& s = l.shape;
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < l.axis; ++d) outer *= s[d];
  for (size_t d = l.axis + 1; d < s.size(); ++d) inner *= s[d];
  const int64_t len = s[l.axis];
  std::vector<int64_t> row(len);
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t r = 0; r < inner; ++r) {
      for (int64_t k = 0; k < len; ++k) row[k] = (o * len + k) * inner + r;
      f(row);
    }
  }
}

int64_t NumElements(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

// n random values a dtype holds exactly: 0 or 1 for bool, [0, 256) for uint8, and
// [-range, range] otherwise.
template <typename T>
std::vector<T> RandomValues(DType dt, int64_t n, int64_t range, std::mt19937_64& rng) {
  std::vector<T> values(n);
  const uint64_t span = static_cast<uint64_t>(2 * range + 1);
  for (T& v : values) {
    v = static_cast<T>(dt == DType::kBool    ? static_cast<int64_t>(rng() % 2)
                       : dt == DType::kUInt8 ? static_cast<int64_t>(rng() % 256)
                                             : static_cast<int64_t>(rng() % span) - range);
  }
  return values;
}

class ScanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    set_backend("cpu");
    waitall();
  }

  // Runs `op` on `x` along the layout's axis and checks the kernels it took.
  HostArray Scan(bool prod, const NDArray& x, const Layout& l) {
    waitall();
    reset_stats();
    const HostArray got = (prod ? nd::cumprod(x, l.axis) : nd::cumsum(x, l.axis)).asnumpy();
    const int64_t len = l.shape[l.axis];
    if (len > 0) {
      EXPECT_EQ(stats().kernels_launched, Split(l) ? 2 : 1);
    }
    EXPECT_LE(stats().largest_kernel_instrs, 100);
    return got;
  }
};

TEST_F(ScanTest, FloatCumsumMatchesALongDoubleReference) {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  for (DType dt : {DType::kFloat32, DType::kFloat64, DType::kFloat16, DType::kBFloat16}) {
    for (const Layout& l : Layouts()) {
      SCOPED_TRACE(
          absl::StrCat(DTypeName(dt), " [", absl::StrJoin(l.shape, ","), "] axis ", l.axis));
      const int64_t n = NumElements(l.shape);
      std::vector<double> values(n);
      for (double& v : values) v = u(rng);
      const NDArray x = nd::array(values, l.shape).astype(dt);
      const HostArray xs = x.asnumpy();  // the values as the dtype holds them
      const HostArray got = Scan(false, x, l);
      ASSERT_EQ(got.dtype(), dt);
      // Accumulated in float32 at least along a run; each result rounded once to the dtype, and
      // a split scan's carry (a float64 sum) rounded once to it too.
      const double acc_unit = std::min(Unit(dt), Unit(DType::kFloat32));
      const double run = static_cast<double>(RunLength(l) + 2);
      const double carry_unit = Split(l) ? Unit(dt) : 0.0;
      int64_t bad = 0;
      ForEachRow(l, [&](const std::vector<int64_t>& row) {
        long double sum = 0, abs_sum = 0;
        for (int64_t i : row) {
          sum += xs.element_as_double(i);
          abs_sum += std::fabs(xs.element_as_double(i));
          const double want = static_cast<double>(sum);
          const double tol = Unit(dt) * std::fabs(want) +
                             static_cast<double>((acc_unit * run + carry_unit) * abs_sum);
          if (!(std::fabs(got.element_as_double(i) - want) <= tol) && bad++ < 5) {
            ADD_FAILURE() << "element " << i << ": got " << got.element_as_double(i) << ", want "
                          << want << " within " << tol;
          }
        }
      });
      EXPECT_EQ(bad, 0);
    }
  }
}

TEST_F(ScanTest, FloatCumprodMatchesALongDoubleReference) {
  std::mt19937_64 rng(12);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  for (DType dt : {DType::kFloat32, DType::kFloat64}) {
    for (const Layout& l : Layouts()) {
      SCOPED_TRACE(
          absl::StrCat(DTypeName(dt), " [", absl::StrJoin(l.shape, ","), "] axis ", l.axis));
      const int64_t n = NumElements(l.shape);
      // Factors near one with random signs: the running products stay within range at 2^20.
      std::vector<double> values(n);
      for (double& v : values) v = (1.0 + u(rng) / 64) * (u(rng) < 0 ? -1.0 : 1.0);
      const NDArray x = nd::array(values, l.shape).astype(dt);
      const HostArray xs = x.asnumpy();
      const HostArray got = Scan(true, x, l);
      const double run = static_cast<double>(RunLength(l) + 2);
      int64_t bad = 0;
      ForEachRow(l, [&](const std::vector<int64_t>& row) {
        long double prod = 1;
        for (int64_t i : row) {
          prod *= xs.element_as_double(i);
          const double want = static_cast<double>(prod);
          const double tol = Unit(dt) * run * std::fabs(want);
          if (!(std::fabs(got.element_as_double(i) - want) <= tol) && bad++ < 5) {
            ADD_FAILURE() << "element " << i << ": got " << got.element_as_double(i) << ", want "
                          << want << " within " << tol;
          }
        }
      });
      EXPECT_EQ(bad, 0);
    }
  }
}

// Integers and bool scan in int64 (numpy's cumsum dtype) and are exact; products wrap.
TEST_F(ScanTest, IntegerScansAreExactAndWrap) {
  std::mt19937_64 rng(13);
  for (DType dt : {DType::kInt32, DType::kUInt8, DType::kBool, DType::kInt64}) {
    for (const Layout& l : Layouts()) {
      SCOPED_TRACE(
          absl::StrCat(DTypeName(dt), " [", absl::StrJoin(l.shape, ","), "] axis ", l.axis));
      const int64_t n = NumElements(l.shape);
      const std::vector<int64_t> values = RandomValues<int64_t>(dt, n, 1000, rng);
      const NDArray x = nd::array(values, l.shape).astype(dt);
      for (bool prod : {false, true}) {
        const HostArray got = Scan(prod, x, l);
        ASSERT_EQ(got.dtype(), DType::kInt64);
        const int64_t* g = got.data<int64_t>();
        int64_t bad = 0;
        ForEachRow(l, [&](const std::vector<int64_t>& row) {
          uint64_t acc = prod ? 1 : 0;
          for (int64_t i : row) {
            const uint64_t v = static_cast<uint64_t>(values[i]);
            acc = prod ? acc * v : acc + v;
            if (g[i] != static_cast<int64_t>(acc) && bad++ < 5) {
              ADD_FAILURE() << (prod ? "cumprod" : "cumsum") << " element " << i << ": got " << g[i]
                            << ", want " << static_cast<int64_t>(acc);
            }
          }
        });
        EXPECT_EQ(bad, 0);
      }
    }
  }
}

// A transposed operand, an elementwise producer and consumer fused into the scan's kernel, and
// special values: NaN and infinities travel along the rest of the row as in order.
TEST_F(ScanTest, FusedProducersConsumersAndSpecialValues) {
  NDArray a = nd::array<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  waitall();
  reset_stats();
  const HostArray t = (nd::cumsum(nd::transpose(a) * 2.0f, 1) + 1.0f).asnumpy();
  EXPECT_EQ(t.to_vector<float>(), (std::vector<float>{3, 11, 5, 15, 7, 19}));

  const float inf = INFINITY;
  const std::vector<float> x = {1, inf, 2, -inf, 3};
  const std::vector<float> s = nd::cumsum(nd::array(x, {5})).asnumpy().to_vector<float>();
  EXPECT_EQ(s[0], 1);
  EXPECT_EQ(s[1], inf);
  EXPECT_EQ(s[2], inf);
  EXPECT_TRUE(std::isnan(s[3]) && std::isnan(s[4]));
  // The same across chunks of a split scan: an infinity in the first chunk reaches the last.
  std::vector<float> long_row(1 << 15, 1.0f);
  long_row[10] = inf;
  const HostArray l = nd::cumsum(nd::array(long_row, {1 << 15})).asnumpy();
  EXPECT_EQ(l.element_as_double(9), 10);
  EXPECT_EQ(l.element_as_double((1 << 15) - 1), inf);
  std::vector<float> zeros(1 << 15, 2.0f);
  zeros[5000] = 0;
  const HostArray z = nd::cumprod(nd::array(zeros, {1 << 15})).asnumpy();
  EXPECT_EQ(z.element_as_double(4999), inf);           // 2^5000 overflows float32
  EXPECT_TRUE(std::isnan(z.element_as_double(5000)));  // inf * 0
}

// Lengths are size parameters (the chunk length of a split scan too), so a scan of another
// length runs the kernels already compiled. (Whether the chunks divide the length evenly is
// structure: the split lengths below all pad their last chunk.)
TEST_F(ScanTest, OtherLengthsReuseTheCompiledKernels) {
  for (const std::vector<int64_t>& lengths :
       {std::vector<int64_t>{1000, 2000, 3333}, std::vector<int64_t>{20001, 30001, 65537}}) {
    bool first = true;
    for (int64_t n : lengths) {
      SCOPED_TRACE(n);
      NDArray x = nd::arange(0, static_cast<double>(n), 1).astype(DType::kInt32);
      x.wait_to_read();
      reset_stats();
      const HostArray y = nd::cumsum(x).asnumpy();
      if (!first) {
        EXPECT_EQ(stats().kernels_compiled, 0);
      }
      first = false;
      EXPECT_EQ(y.data<int64_t>()[n - 1], n * (n - 1) / 2);
      EXPECT_EQ(y.data<int64_t>()[n / 2], (n / 2) * (n / 2 + 1) / 2);
    }
  }
}

// cummax and cummin keep the dtype and are exact: the same kernels as cumsum (split into chunks
// with carries where long), compared with a loop. NaN propagates along the rest of the row.
TEST_F(ScanTest, RunningMaxAndMinAreExact) {
  std::mt19937_64 rng(17);
  for (DType dt : {DType::kFloat32, DType::kFloat16, DType::kFloat64, DType::kInt32, DType::kUInt8,
                   DType::kBool}) {
    for (const Layout& l : Layouts()) {
      SCOPED_TRACE(
          absl::StrCat(DTypeName(dt), " [", absl::StrJoin(l.shape, ","), "] axis ", l.axis));
      const int64_t n = NumElements(l.shape);
      std::vector<double> values = RandomValues<double>(dt, n, 10000, rng);
      // Rarely a NaN in float rows; most rows have none and keep changing their extreme.
      if (IsFloat(dt) && n > 100) values[n / 2 + 3] = NAN;
      const NDArray x = nd::array(values, l.shape).astype(dt);
      const HostArray xs = x.asnumpy();
      for (bool max : {true, false}) {
        waitall();
        reset_stats();
        const HostArray got = (max ? nd::cummax(x, l.axis) : nd::cummin(x, l.axis)).asnumpy();
        ASSERT_EQ(got.dtype(), dt);
        if (n > 0) {
          EXPECT_EQ(stats().kernels_launched, Split(l) ? 2 : 1);
        }
        int64_t bad = 0;
        ForEachRow(l, [&](const std::vector<int64_t>& row) {
          double acc = 0;
          for (size_t k = 0; k < row.size(); ++k) {
            const double v = xs.element_as_double(row[k]);
            acc = k == 0 || std::isnan(acc) || std::isnan(v)
                      ? (k == 0 || !std::isnan(acc) ? v : acc)
                  : max ? std::max(acc, v)
                        : std::min(acc, v);
            const double g = got.element_as_double(row[k]);
            if (!(g == acc || (std::isnan(g) && std::isnan(acc))) && bad++ < 5) {
              ADD_FAILURE() << (max ? "cummax" : "cummin") << " element " << row[k] << ": got " << g
                            << ", want " << acc;
            }
          }
        });
        EXPECT_EQ(bad, 0);
      }
    }
  }
}

// The gradient of cummax / cummin goes to the element that set each running extreme: the last
// of equal candidates, or the first NaN of the row (every later result is that NaN).
TEST_F(ScanTest, RunningExtremeGradientsGoToTheSetter) {
  using D = std::vector<double>;
  const std::vector<D> rows = {{3, 1, 3, 5, 5, 2},    {1, 2, 3, 4, 5, 6},     {6, 5, 4, 3, 2, 1},
                               {2, 2, 2, 2, 2, 2},    {1, NAN, 7, NAN, 0, 9}, {NAN, 1, 2, 3, 4, 5},
                               {0, -0.0, 4, 4, -1, 4}};
  const D w = {0.5, -1.0, 2.0, 1.5, -0.25, 3.0};
  const int64_t n = 6;
  D flat;
  for (const D& r : rows) flat.insert(flat.end(), r.begin(), r.end());
  const int64_t m = static_cast<int64_t>(rows.size());
  for (bool max : {true, false}) {
    for (int64_t axis : {1, 0}) {
      SCOPED_TRACE(absl::StrCat(max ? "cummax" : "cummin", " axis ", axis));
      // Along axis 0 the rows are the columns of the transposed array.
      NDArray x = nd::array<double>(flat, {m, n});
      if (axis == 0) x = nd::transpose(x).copy();
      NDArray weights = nd::array<double>(w, {n});
      if (axis == 0) weights = nd::reshape(weights, {n, 1});
      x.attach_grad();
      NDArray loss;
      {
        autograd::Record rec;
        loss = nd::sum((max ? nd::cummax(x, axis) : nd::cummin(x, axis)) * weights);
      }
      loss.backward();
      const HostArray g = x.grad().asnumpy();
      for (int64_t r = 0; r < m; ++r) {
        D want(n, 0.0);
        int64_t setter = 0;
        double acc = rows[r][0];
        for (int64_t j = 0; j < n; ++j) {
          const double v = rows[r][j];
          if (j > 0 && !std::isnan(acc)) {
            if (std::isnan(v) || (max ? v >= acc : v <= acc)) {
              setter = j;
              acc = std::isnan(v) ? v : (max ? std::max(acc, v) : std::min(acc, v));
            }
          }
          want[setter] += w[j];
        }
        for (int64_t i = 0; i < n; ++i) {
          const int64_t at = axis == 1 ? r * n + i : i * m + r;
          EXPECT_EQ(g.element_as_double(at), want[i]) << "row " << r << " element " << i;
        }
      }
    }
  }
}

TEST_F(ScanTest, BadInputsRaise) {
  NDArray x = nd::zeros({2, 3});
  EXPECT_NDJIT_THROWS(nd::cumsum(x, 2), ShapeError,
                      "cumsum: axis 2 is out of bounds for array of dimension 2");
  EXPECT_NDJIT_THROWS(nd::cumprod(x, -3), ShapeError,
                      "cumprod: axis -3 is out of bounds for array of dimension 2");
  EXPECT_NDJIT_THROWS(nd::cumsum(nd::full({}, 3), 0), ShapeError,
                      "cumsum: axis 0 is out of bounds for array of dimension 0");
  EXPECT_NDJIT_THROWS(nd::cummax(x, 2), ShapeError,
                      "cummax: axis 2 is out of bounds for array of dimension 2");
  EXPECT_NDJIT_THROWS(nd::cummin(x, -3), ShapeError,
                      "cummin: axis -3 is out of bounds for array of dimension 2");
}

}  // namespace
}  // namespace ndjit
