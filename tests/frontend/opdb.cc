// The op database's entries.
#include "tests/frontend/opdb.h"

#include <sstream>
#include <stdexcept>

namespace ndjit::testing {
namespace {

namespace nd = ndjit::nd;
using In = std::vector<NDArray>;

const std::vector<DType> kAll = {DType::kBool,     DType::kInt8,    DType::kUInt8,
                                 DType::kInt32,    DType::kInt64,   DType::kFloat16,
                                 DType::kBFloat16, DType::kFloat32, DType::kFloat64};
const std::vector<DType> kNumeric(kAll.begin() + 1, kAll.end());
const std::vector<DType> kNotFloat(kAll.begin(), kAll.begin() + 5);

OpInfo Unary(std::string name, NDArray (*f)(const NDArray&, SourceLocation),
             std::vector<DType> dtypes = kAll) {
  return OpInfo{name, OpFamily::kUnary,
                [f](const In& in, const Kwargs&) { return f(in[0], SourceLocation::current()); },
                std::move(dtypes)};
}

OpInfo Binary(std::string name, std::function<NDArray(const NDArray&, const NDArray&)> f,
              std::vector<DType> dtypes = kAll) {
  OpInfo op{name, OpFamily::kBinary, [f](const In& in, const Kwargs&) { return f(in[0], in[1]); },
            std::move(dtypes)};
  op.num_inputs = 2;
  return op;
}

OpInfo Reduction(std::string name, NDArray (*f)(const NDArray&, Axes, bool, SourceLocation),
                 std::vector<DType> dtypes = kAll) {
  return OpInfo{name, OpFamily::kReduction,
                [f](const In& in, const Kwargs& kw) {
                  return f(in[0], kw.axes(), kw.keepdims(), SourceLocation::current());
                },
                std::move(dtypes)};
}

NDArray Var(const NDArray& x, Axes axes, bool keepdims, SourceLocation site) {
  return nd::var(x, std::move(axes), 0, keepdims, site);
}
NDArray Std(const NDArray& x, Axes axes, bool keepdims, SourceLocation site) {
  return nd::std(x, std::move(axes), 0, keepdims, site);
}
NDArray Negative(const NDArray& x, SourceLocation site) { return nd::negative(x, site); }

OpInfo Other(std::string name, int num_inputs, std::function<NDArray(const In&, const Kwargs&)> f,
             std::vector<DType> dtypes = kAll) {
  OpInfo op{name, OpFamily::kOther, std::move(f), std::move(dtypes)};
  op.num_inputs = num_inputs;
  return op;
}

DType DTypeNamed(const std::string& name) {
  for (int d = 0; d < kNumDTypes; ++d) {
    if (name == DTypeName(static_cast<DType>(d))) return static_cast<DType>(d);
  }
  throw std::invalid_argument("unknown dtype " + name);
}

nd::PadMode ModeOf(const std::string& m) {
  if (m == "edge") return nd::PadMode::kEdge;
  if (m == "reflect") return nd::PadMode::kReflect;
  return nd::PadMode::kConstant;
}

OpInfo WithApiName(OpInfo op, std::string api) {
  op.api_name = std::move(api);
  return op;
}

std::vector<OpInfo> Build() {
  std::vector<OpInfo> db = {
      // Float functions: every dtype (integers and bool computed in float).
      Unary("exp", nd::exp),
      Unary("log", nd::log),
      Unary("sqrt", nd::sqrt),
      Unary("tanh", nd::tanh),
      Unary("sigmoid", nd::sigmoid),
      Unary("log1p", nd::log1p),
      Unary("expm1", nd::expm1),
      Unary("log2", nd::log2),
      Unary("log10", nd::log10),
      Unary("exp2", nd::exp2),
      Unary("sin", nd::sin),
      Unary("cos", nd::cos),
      Unary("tan", nd::tan),
      Unary("arcsin", nd::arcsin),
      Unary("arccos", nd::arccos),
      Unary("arctan", nd::arctan),
      Unary("sinh", nd::sinh),
      Unary("cosh", nd::cosh),
      Unary("arcsinh", nd::arcsinh),
      Unary("arccosh", nd::arccosh),
      Unary("arctanh", nd::arctanh),
      Unary("rsqrt", nd::rsqrt),
      Unary("softplus", nd::softplus),
      Unary("erf", nd::erf),
      // Dtype-keeping unary ops.
      WithApiName(Unary("abs", nd::abs), "absolute"),
      Unary("negative", Negative, kNumeric),
      Unary("relu", nd::relu),
      Unary("sign", nd::sign, kNumeric),
      Unary("square", nd::square),
      Unary("floor", nd::floor),
      Unary("ceil", nd::ceil),
      Unary("trunc", nd::trunc),
      Unary("round", nd::round),
      Unary("reciprocal", nd::reciprocal),
      Unary("logical_not", nd::logical_not),
      Unary("isnan", nd::isnan),
      Unary("isinf", nd::isinf),
      Unary("isfinite", nd::isfinite),
      Unary("bitwise_not", nd::bitwise_not, kNotFloat),
      // Binary ops with broadcasting and promotion.
      Binary("add", [](auto& a, auto& b) { return a + b; }),
      Binary(
          "subtract", [](auto& a, auto& b) { return a - b; }, kNumeric),
      Binary("multiply", [](auto& a, auto& b) { return a * b; }),
      Binary("true_divide", [](auto& a, auto& b) { return a / b; }),
      Binary("remainder", [](auto& a, auto& b) { return a % b; }),
      Binary("floor_divide", [](auto& a, auto& b) { return nd::floor_divide(a, b); }),
      Binary("equal", [](auto& a, auto& b) { return a == b; }),
      Binary("not_equal", [](auto& a, auto& b) { return a != b; }),
      Binary("less", [](auto& a, auto& b) { return a < b; }),
      Binary("less_equal", [](auto& a, auto& b) { return a <= b; }),
      Binary("greater", [](auto& a, auto& b) { return a > b; }),
      Binary("greater_equal", [](auto& a, auto& b) { return a >= b; }),
      Binary("maximum", [](auto& a, auto& b) { return nd::maximum(a, b); }),
      Binary("minimum", [](auto& a, auto& b) { return nd::minimum(a, b); }),
      Binary("power", [](auto& a, auto& b) { return nd::power(a, b); }),
      Binary("arctan2", [](auto& a, auto& b) { return nd::arctan2(a, b); }),
      Binary("hypot", [](auto& a, auto& b) { return nd::hypot(a, b); }),
      Binary("logical_and", [](auto& a, auto& b) { return nd::logical_and(a, b); }),
      Binary("logical_or", [](auto& a, auto& b) { return nd::logical_or(a, b); }),
      Binary("logical_xor", [](auto& a, auto& b) { return nd::logical_xor(a, b); }),
      Binary(
          "bitwise_and", [](auto& a, auto& b) { return nd::bitwise_and(a, b); }, kNotFloat),
      Binary(
          "bitwise_or", [](auto& a, auto& b) { return nd::bitwise_or(a, b); }, kNotFloat),
      Binary(
          "bitwise_xor", [](auto& a, auto& b) { return nd::bitwise_xor(a, b); }, kNotFloat),
      // Reductions with axes and keepdims.
      Reduction("sum", nd::sum),
      Reduction("prod", nd::prod),
      Reduction("mean", nd::mean),
      Reduction("max", nd::max),
      Reduction("min", nd::min),
      Reduction("var", Var),
      Reduction("std", Std),
      Reduction("any", nd::any),
      Reduction("all", nd::all),
      Reduction("nansum", nd::nansum),
      Reduction("nanmax", nd::nanmax),
      Reduction("nanmin", nd::nanmin),
      // Shape, movement, scans, arg-reductions, NN and linear algebra.
      Other("reshape", 1,
            [](const In& in, const Kwargs& kw) { return in[0].reshape(kw.Ints("shape")); }),
      Other("transpose", 1, [](const In& in, const Kwargs&) { return in[0].transpose(); }),
      Other("broadcast_to", 1,
            [](const In& in, const Kwargs&) {
              std::vector<int64_t> shape = in[0].shape();
              shape.insert(shape.begin(), 2);
              return in[0].broadcast_to(shape);
            }),
      Other(
          "expand_dims", 1,
          [](const In& in, const Kwargs& kw) { return nd::expand_dims(in[0], {kw.Int("axis")}); }),
      Other("flip", 1,
            [](const In& in, const Kwargs& kw) {
              std::optional<int64_t> a = kw.axis();
              return a ? nd::flip(in[0], std::vector<int64_t>{*a}) : nd::flip(in[0]);
            }),
      Other("swapaxes", 1, [](const In& in, const Kwargs&) { return nd::swapaxes(in[0], 0, 1); }),
      Other("ravel", 1, [](const In& in, const Kwargs&) { return nd::ravel(in[0]); }),
      Other("concatenate", 2,
            [](const In& in, const Kwargs& kw) { return nd::concatenate(in, kw.Int("axis")); }),
      Other("stack", 2,
            [](const In& in, const Kwargs& kw) { return nd::stack(in, kw.Int("axis")); }),
      Other("tile", 1,
            [](const In& in, const Kwargs&) {
              return nd::tile(in[0], {2, 1});
            }),
      Other("repeat", 1,
            [](const In& in, const Kwargs& kw) { return nd::repeat(in[0], 2, kw.axis()); }),
      Other(
          "pad", 1,
          [](const In& in, const Kwargs& kw) { return nd::pad(in[0], 1, ModeOf(kw.Str("mode"))); }),
      Other("cumsum", 1,
            [](const In& in, const Kwargs& kw) { return nd::cumsum(in[0], kw.axis()); }),
      Other("cumprod", 1,
            [](const In& in, const Kwargs& kw) { return nd::cumprod(in[0], kw.axis()); }),
      Other("cummax", 1,
            [](const In& in, const Kwargs& kw) { return nd::cummax(in[0], kw.axis()); }),
      Other("cummin", 1,
            [](const In& in, const Kwargs& kw) { return nd::cummin(in[0], kw.axis()); }),
      Other("argmax", 1,
            [](const In& in, const Kwargs& kw) { return nd::argmax(in[0], kw.axis()); }),
      Other("argmin", 1,
            [](const In& in, const Kwargs& kw) { return nd::argmin(in[0], kw.axis()); }),
      Other("softmax", 1,
            [](const In& in, const Kwargs& kw) { return nd::softmax(in[0], kw.Int("axis")); }),
      Other("log_softmax", 1, [](const In& in, const Kwargs&) { return nd::log_softmax(in[0]); }),
      Other("logsumexp", 1,
            [](const In& in, const Kwargs& kw) {
              std::optional<int64_t> a = kw.axis();
              return a ? nd::logsumexp(in[0], *a) : nd::logsumexp(in[0]);
            }),
      Other("matmul_bt", 2,
            [](const In& in, const Kwargs&) { return nd::matmul(in[0], in[1].transpose()); }),
      Other("tensordot", 2,
            [](const In& in, const Kwargs&) { return nd::tensordot(in[0], in[1]); }),
      Other("outer", 2, [](const In& in, const Kwargs&) { return nd::outer(in[0], in[1]); }),
      Other("tril", 1, [](const In& in, const Kwargs& kw) { return nd::tril(in[0], kw.Int("k")); }),
      Other("triu", 1, [](const In& in, const Kwargs& kw) { return nd::triu(in[0], kw.Int("k")); }),
      Other("diagonal", 1,
            [](const In& in, const Kwargs& kw) { return nd::diagonal(in[0], kw.Int("k")); }),
      Other("clip", 1, [](const In& in, const Kwargs&) { return nd::clip(in[0], -2, 5); }),
      Other("gelu", 1, [](const In& in, const Kwargs&) { return nd::gelu(in[0]); }),
      Other("where", 3,
            [](const In& in, const Kwargs&) { return nd::where(in[0] > 0, in[1], in[2]); }),
      Other(
          "astype", 1,
          [](const In& in, const Kwargs& kw) { return in[0].astype(DTypeNamed(kw.Str("dtype"))); }),
      Other("squeeze", 1, [](const In& in, const Kwargs&) { return nd::squeeze(in[0]); }),
      Other("moveaxis", 1,
            [](const In& in, const Kwargs&) { return nd::moveaxis(in[0], {0}, {-1}); }),
      Other("split", 1,
            [](const In& in, const Kwargs& kw) {
              return nd::split(in[0], {1}, 1).at(kw.Int("part"));
            }),
      Other("array_split", 1,
            [](const In& in, const Kwargs& kw) {
              return nd::array_split(in[0], 3, 1).at(kw.Int("part"));
            }),
      Other("take", 1,
            [](const In& in, const Kwargs& kw) {
              return nd::take(in[0], nd::array<int64_t>({0, -1}), kw.axis());
            }),
      Other("take_along_axis", 1,
            [](const In& in, const Kwargs&) {
              const int64_t rows = in[0].shape()[0];
              std::vector<int64_t> idx = {0, -1, 0};
              idx.resize(rows);
              return nd::take_along_axis(in[0], nd::array<int64_t>(idx, {rows, 1}), 1);
            }),
      Other("pick", 1,
            [](const In& in, const Kwargs&) {
              const int64_t rows = in[0].shape()[0], cols = in[0].shape()[1];
              std::vector<int64_t> idx = {3 % cols, 0, 1 % cols};
              idx.resize(rows);
              return nd::pick(in[0], nd::array<int64_t>(idx, {rows}));
            }),
      Other("one_hot", 1, [](const In& in, const Kwargs&) { return nd::one_hot(in[0], 5); }),
      Other("diag", 1,
            [](const In& in, const Kwargs& kw) { return nd::diag(nd::ravel(in[0]), kw.Int("k")); }),
      Other("ravel_multi_index", 2,
            [](const In& in, const Kwargs&) {
              NDArray r = nd::abs(in[0].astype(DType::kInt64)) % 3;
              NDArray c = nd::abs(in[1].astype(DType::kInt64)) % 4;
              return nd::ravel_multi_index({r, c}, {3, 4});
            }),
      Other("unravel_index", 1,
            [](const In& in, const Kwargs& kw) {
              NDArray flat = nd::abs(in[0].astype(DType::kInt64)) % 12;
              return nd::unravel_index(flat, {3, 4}).at(kw.Int("part"));
            }),
      Other("slice_assign", 1,
            [](const In& in, const Kwargs&) {
              return nd::slice_assign(in[0], {Slice(1, None), Slice(None, None, 2)}, 1);
            }),
      Other("dot", 2,
            [](const In& in, const Kwargs&) { return nd::dot(in[0], in[1].transpose()); }),
      Other("batch_dot", 2,
            [](const In& in, const Kwargs&) {
              return nd::batch_dot(nd::expand_dims(in[0], {-1}), nd::expand_dims(in[1], {1}));
            }),
      Other("dense", 2, [](const In& in, const Kwargs&) { return nd::dense(in[0], in[1]); }),
      Other("softmax_cross_entropy", 1,
            [](const In& in, const Kwargs&) {
              const int64_t rows = in[0].shape()[0], cols = in[0].shape()[1];
              return nd::softmax_cross_entropy(in[0], nd::arange(0, rows) % cols);
            }),
      Other("full_like", 1, [](const In& in, const Kwargs&) { return nd::full_like(in[0], 3); }),
      Other("zeros_like", 1, [](const In& in, const Kwargs&) { return nd::zeros_like(in[0]); }),
      Other("ones_like", 1, [](const In& in, const Kwargs&) { return nd::ones_like(in[0]); }),
      Other("gelu_tanh", 1, [](const In& in, const Kwargs&) { return nd::gelu(in[0], true); }),
      // The tutorial's examples, each the one-line ndjit call that replaces its workaround.
      Other("tutorial_full_like", 0,
            [](const In&, const Kwargs&) { return nd::full_like(nd::arange(0, 6), 10); }),
      Other("tutorial_pad_array", 1,
            [](const In& in, const Kwargs&) {
              return nd::pad(in[0], {{0, 5 - 3}});
            }),
      Other("tutorial_split_indices", 1,
            [](const In& in, const Kwargs&) {
              return nd::split(in[0], {3, 7})[1];
            }),
      Other("tutorial_ravel_multi_index", 1,
            [](const In& in, const Kwargs&) {
              return nd::ravel_multi_index(in[0], {7, 6});
            }),
      Other("tutorial_diag", 1, [](const In& in, const Kwargs&) { return nd::diag(in[0]); }),
      // Creation: no operands, the dtype from the case.
      Other("zeros", 0,
            [](const In&, const Kwargs& kw) {
              return nd::zeros({3, 4}, DTypeNamed(kw.Str("dtype")));
            }),
      Other("ones", 0,
            [](const In&, const Kwargs& kw) {
              return nd::ones({3, 4}, DTypeNamed(kw.Str("dtype")));
            }),
      Other("full", 0,
            [](const In&, const Kwargs& kw) {
              return nd::full({3, 4}, 7, DTypeNamed(kw.Str("dtype")));
            }),
      Other("empty", 0,
            [](const In&, const Kwargs& kw) {
              return nd::empty({3, 4}, DTypeNamed(kw.Str("dtype")));
            }),
      Other("arange", 0,
            [](const In&, const Kwargs& kw) {
              return nd::arange(0, 12, 2, DTypeNamed(kw.Str("dtype")));
            }),
      Other("linspace", 0,
            [](const In&, const Kwargs& kw) {
              return nd::linspace(0, 10, 5, true, DTypeNamed(kw.Str("dtype")));
            }),
      Other("eye", 0,
            [](const In&, const Kwargs& kw) {
              return nd::eye(3, 4, 1, DTypeNamed(kw.Str("dtype")));
            }),
      Other(
          "identity", 0,
          [](const In&, const Kwargs& kw) { return nd::identity(3, DTypeNamed(kw.Str("dtype"))); }),
  };
  return db;
}

}  // namespace

Kwargs Kwargs::Parse(const std::string& text) {
  Kwargs kw;
  if (text == "-") return kw;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    const size_t eq = item.find('=');
    kw.values[item.substr(0, eq)] = item.substr(eq + 1);
  }
  return kw;
}

Axes Kwargs::axes() const {
  auto it = values.find("axis");
  if (it == values.end() || it->second == "all") return Axes();
  return Axes(static_cast<int64_t>(std::stoll(it->second)));
}

std::optional<int64_t> Kwargs::axis() const {
  auto it = values.find("axis");
  if (it == values.end() || it->second == "all") return std::nullopt;
  return std::stoll(it->second);
}

int64_t Kwargs::Int(const std::string& key) const { return std::stoll(values.at(key)); }

std::string Kwargs::Str(const std::string& key) const { return values.at(key); }

std::vector<int64_t> Kwargs::Ints(const std::string& key) const {
  std::vector<int64_t> out;
  std::stringstream in(values.at(key));
  std::string item;
  while (std::getline(in, item, ':')) out.push_back(std::stoll(item));
  return out;
}

bool Kwargs::keepdims() const {
  auto it = values.find("keepdims");
  return it != values.end() && it->second == "1";
}

const std::vector<OpInfo>& OpDatabase() {
  static const std::vector<OpInfo>* db = new std::vector<OpInfo>(Build());
  return *db;
}

const OpInfo* FindOp(const std::string& name) {
  for (const OpInfo& op : OpDatabase()) {
    if (op.name == name) return &op;
  }
  return nullptr;
}

double Tolerance(DType dtype, OpFamily family) {
  const double scale = family == OpFamily::kUnary || family == OpFamily::kBinary ? 1.0 : 10.0;
  switch (dtype) {
    case DType::kFloat16:
      return 2e-3 * scale;
    case DType::kBFloat16:
      return 1.6e-2 * scale;
    case DType::kFloat32:
      return 1.3e-6 * scale;
    case DType::kFloat64:
      return 1e-13 * scale;
    default:
      return 0.0;
  }
}

}  // namespace ndjit::testing
