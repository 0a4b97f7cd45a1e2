// The op database's entries.
#include "tests/frontend/opdb.h"

#include <sstream>

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
  return OpInfo{name, OpFamily::kBinary,
                [f](const In& in, const Kwargs&) { return f(in[0], in[1]); }, std::move(dtypes)};
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
  const double scale = family == OpFamily::kReduction ? 10.0 : 1.0;
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
