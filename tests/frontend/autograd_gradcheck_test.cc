// Autograd against central finite differences: every op of the op database, the views and
// data movement beyond its cases, batched matmul, float32, and Dense + SoftmaxCE by hand.
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
#include "tests/frontend/opdb.h"
#include "tests/test_util.h"

namespace ndjit {
namespace {

namespace nd = ndjit::nd;
using nd::Shape;
using testing::Kwargs;
using testing::OpDatabase;
using testing::OpInfo;
using D = std::vector<double>;

using testing::Doubles;

// Sets the backend while it lives and restores the previous one, also when a check fails.
class BackendGuard {
 public:
  explicit BackendGuard(const std::string& name) : prev_(backend()) { set_backend(name); }
  ~BackendGuard() { set_backend(prev_); }
  BackendGuard(const BackendGuard&) = delete;
  BackendGuard& operator=(const BackendGuard&) = delete;

 private:
  std::string prev_;
};

// Sets the optimizer flags while it lives.
class FlagsGuard {
 public:
  explicit FlagsGuard(const std::string& f) : prev_(flags()) { set_flags(f); }
  ~FlagsGuard() { set_flags(prev_); }
  FlagsGuard(const FlagsGuard&) = delete;
  FlagsGuard& operator=(const FlagsGuard&) = delete;

 private:
  std::string prev_;
};

// ---- Gradient checking against central finite differences ----

// Where inputs are drawn. `avoid_kinks` keeps every value at least 0.05 away from the multiples
// of 0.5, where abs, relu, clip(-2, 5), floor, round... have kinks or jumps.
struct Domain {
  double lo = -2, hi = 2;
  bool avoid_kinks = false;
};

D Sample(int64_t n, const Domain& d, std::mt19937& rng) {
  std::uniform_real_distribution<double> u(d.lo, d.hi);
  D v;
  while (static_cast<int64_t>(v.size()) < n) {
    const double x = u(rng);
    if (d.avoid_kinks && std::fabs(2 * x - std::round(2 * x)) < 0.1) continue;
    v.push_back(x);
  }
  return v;
}

int64_t NumElements(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

struct HostInput {
  Shape shape;
  D values;
};

NDArray ToArray(const HostInput& in, DType dtype = DType::kFloat64) {
  if (dtype == DType::kFloat32)
    return nd::array<float>(std::vector<float>(in.values.begin(), in.values.end()), in.shape);
  return nd::array<double>(in.values, in.shape);
}

using Fn = std::function<NDArray(const std::vector<NDArray>&)>;

// kMatchesFD: autograd agrees with finite differences. kZero: a piecewise-constant op; the
// gradient is exactly zero (and finite differences agree). kNone: nothing is differentiable
// (integer or bool result, or a result that does not depend on the values): either the loss is
// not recorded at all (backward is a ValueError) or every gradient is exactly zero.
enum class Expect { kMatchesFD, kZero, kNone };

struct Tol {
  double atol = 1e-6, rtol = 1e-5;
};

struct CheckOptions {
  Expect expect = Expect::kMatchesFD;
  DType dtype = DType::kFloat64;  // of the inputs autograd differentiates
  Tol tol;
  double h = 1e-6;  // finite-difference step, relative to max(1, |x|)
};

// The loss every check differentiates: every output element weighted by a fixed random weight.
NDArray WeightedLoss(const NDArray& out, const NDArray& weights) {
  return nd::sum(out.astype(DType::kFloat64) * weights);
}

// d loss / d input by autograd, on the current backend.
std::vector<D> AutogradGradients(const Fn& f, const std::vector<HostInput>& inputs, DType dtype,
                                 const NDArray& weights) {
  std::vector<NDArray> xs;
  for (const HostInput& in : inputs) {
    xs.push_back(ToArray(in, dtype));
    xs.back().attach_grad();
  }
  NDArray loss;
  {
    autograd::Record rec;
    loss = WeightedLoss(f(xs), weights);
  }
  loss.backward();
  std::vector<D> grads;
  for (const NDArray& x : xs) {
    const NDArray g = x.grad();
    EXPECT_EQ(g.dtype(), dtype);
    EXPECT_EQ(g.shape(), x.shape());
    grads.push_back(Doubles(g));
  }
  return grads;
}

// d loss / d input by central differences in float64, on the interpreter. All the perturbed
// losses of one input are computed by one materialization.
std::vector<D> FiniteDifferences(const Fn& f, const std::vector<HostInput>& inputs,
                                 const NDArray& weights, double h_rel) {
  BackendGuard interp("interp");
  // The optimizer's debug self-checks triple the cost of these many small graphs.
  FlagsGuard fast("--verify-each=0 --check-unchanged=0");
  std::vector<D> grads;
  for (size_t k = 0; k < inputs.size(); ++k) {
    std::vector<NDArray> losses;
    D steps;
    for (size_t j = 0; j < inputs[k].values.size(); ++j) {
      const double x = inputs[k].values[j];
      const double h = h_rel * std::max(1.0, std::fabs(x));
      const double plus = x + h, minus = x - h;
      for (double value : {plus, minus}) {
        std::vector<NDArray> xs;
        for (size_t m = 0; m < inputs.size(); ++m) {
          HostInput in = inputs[m];
          if (m == k) in.values[j] = value;
          xs.push_back(ToArray(in));
        }
        losses.push_back(WeightedLoss(f(xs), weights));
      }
      steps.push_back(plus - minus);
    }
    D g(steps.size());
    if (!losses.empty()) {
      const D l = Doubles(nd::stack(losses));
      for (size_t j = 0; j < steps.size(); ++j) g[j] = (l[2 * j] - l[2 * j + 1]) / steps[j];
    }
    grads.push_back(std::move(g));
  }
  return grads;
}

void CompareGradients(const std::vector<D>& ad, const std::vector<D>& fd,
                      const CheckOptions& options) {
  ASSERT_EQ(ad.size(), fd.size());
  for (size_t k = 0; k < ad.size(); ++k) {
    ASSERT_EQ(ad[k].size(), fd[k].size()) << "input " << k;
    int failures = 0;
    for (size_t j = 0; j < ad[k].size() && failures < 3; ++j) {
      const double a = ad[k][j], e = fd[k][j];
      bool ok;
      if (options.expect == Expect::kZero) {
        ok = a == 0.0 && std::fabs(e) <= options.tol.atol;
      } else {
        ok = std::fabs(a - e) <= options.tol.atol + options.tol.rtol * std::fabs(e);
      }
      if (!ok) {
        ++failures;
        ADD_FAILURE() << "input " << k << " element " << j << ": autograd " << a
                      << ", finite differences " << e;
      }
    }
  }
}

// Checks that no gradient flows from f's result to its inputs (Expect::kNone).
void CheckNoGradient(const Fn& f, const std::vector<HostInput>& inputs) {
  std::vector<NDArray> xs;
  for (const HostInput& in : inputs) {
    xs.push_back(ToArray(in));
    xs.back().attach_grad();
  }
  NDArray loss;
  {
    autograd::Record rec;
    NDArray out = f(xs);
    loss = WeightedLoss(out, nd::ones(out.shape(), DType::kFloat64));
  }
  try {
    loss.backward();
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("not in a recorded graph"), std::string::npos) << e.what();
    return;
  }
  for (const NDArray& x : xs) {
    for (double g : Doubles(x.grad())) EXPECT_EQ(g, 0.0);
  }
}

// Checks autograd's gradient of sum(f(inputs) * R), R fixed random weights of the output's
// shape, against central differences, on the "cpu" and "interp" backends.
void CheckGradient(const Fn& f, std::vector<HostInput> inputs, const CheckOptions& options = {},
                   uint32_t seed = 1) {
  if (options.expect == Expect::kNone) {
    CheckNoGradient(f, inputs);
    return;
  }
  if (options.dtype == DType::kFloat32) {
    // The float64 copy finite differences see is the same point.
    for (HostInput& in : inputs) {
      for (double& v : in.values) v = static_cast<float>(v);
    }
  }
  std::vector<NDArray> xs;
  for (const HostInput& in : inputs) xs.push_back(ToArray(in));
  const NDArray out = f(xs);
  std::mt19937 rng(seed + 1000);
  const NDArray weights = ToArray({out.shape(), Sample(out.size(), {-1, 1}, rng)});
  const std::vector<D> fd = FiniteDifferences(f, inputs, weights, options.h);
  for (const char* name : {"cpu", "interp"}) {
    SCOPED_TRACE(std::string("backend ") + name);
    BackendGuard guard(name);
    CompareGradients(AutogradGradients(f, inputs, options.dtype, weights), fd, options);
  }
}

// Random inputs of the given shapes (one domain for all, or one each).
std::vector<HostInput> RandomInputs(const std::vector<Shape>& shapes,
                                    const std::vector<Domain>& domains, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<HostInput> inputs;
  for (size_t k = 0; k < shapes.size(); ++k) {
    const Domain d = domains.empty() ? Domain{} : domains[std::min(k, domains.size() - 1)];
    inputs.push_back({shapes[k], Sample(NumElements(shapes[k]), d, rng)});
  }
  return inputs;
}

// ---- The op database's gradient table ----

struct GradCase {
  std::vector<Shape> shapes;
  std::string kwargs = "-";
  std::vector<Domain> domains;  // one for all inputs, or one each; none: [-2, 2]
  CheckOptions options;
};

// An op's entry: the cases to check, or why it is not differentiable (then the cases, if any,
// check that no gradient flows).
struct GradSpec {
  std::string not_differentiable;
  std::vector<GradCase> cases;
};

GradCase Case(std::vector<Shape> shapes, std::string kwargs = "-",
              std::vector<Domain> domains = {}) {
  return GradCase{std::move(shapes), std::move(kwargs), std::move(domains), {}};
}

GradSpec Diff(std::vector<GradCase> cases) { return GradSpec{"", std::move(cases)}; }

// Piecewise constant: the gradient is exactly zero.
GradSpec Zero(std::vector<GradCase> cases) {
  for (GradCase& c : cases) c.options.expect = Expect::kZero;
  return GradSpec{"", std::move(cases)};
}

GradSpec NotDiff(std::string reason, std::vector<GradCase> checks = {}) {
  for (GradCase& c : checks) c.options.expect = Expect::kNone;
  return GradSpec{std::move(reason), std::move(checks)};
}

std::vector<GradCase> UnaryCases(Domain d) {
  return {Case({{3, 4}}, "-", {d}), Case({{}}, "-", {d})};
}

std::vector<GradCase> BinaryCases(Domain a = {}, Domain b = {}) {
  const std::vector<std::vector<Shape>> shapes = {
      {{3, 4}, {3, 4}}, {{3, 4}, {4}}, {{3, 1}, {1, 4}}, {{3, 4}, {3, 1}}, {{}, {2, 3}}};
  std::vector<GradCase> cases;
  for (const std::vector<Shape>& s : shapes) cases.push_back(Case(s, "-", {a, b}));
  return cases;
}

std::vector<GradCase> ReductionCases(Domain d = {}) {
  return {Case({{3, 4}}, "axis=all,keepdims=0", {d}), Case({{3, 4}}, "axis=0,keepdims=0", {d}),
          Case({{3, 4}}, "axis=-1,keepdims=1", {d}), Case({{2, 3, 4}}, "axis=1,keepdims=0", {d})};
}

// One case per keyword-argument text, all with the same shapes.
std::vector<GradCase> KwargCases(std::vector<Shape> shapes, std::vector<std::string> kwargs,
                                 Domain d = {}) {
  std::vector<GradCase> cases;
  for (std::string& kw : kwargs) cases.push_back(Case(shapes, std::move(kw), {d}));
  return cases;
}

std::map<std::string, GradSpec> GradientTable() {
  const Domain any{-2, 2};
  const Domain pos{0.5, 3};
  const Domain unit{-0.9, 0.9};
  const Domain no_kinks{-2.4, 2.4, true};
  const std::string bool_result = "its result is bool";
  const std::string int_result = "its result is an integer index";
  const std::string int_only = "it accepts no float dtype";
  const std::string no_operand = "creation: it has no operands";
  const std::string constant = "its result does not depend on the operand's values";
  const std::vector<GradCase> unary_check = {Case({{3, 4}})};
  const std::vector<GradCase> binary_check = {Case({{3, 4}, {4}})};

  std::map<std::string, GradSpec> t;
  // Float functions.
  t["exp"] = Diff(UnaryCases(any));
  t["log"] = Diff(UnaryCases(pos));
  t["sqrt"] = Diff(UnaryCases(pos));
  t["tanh"] = Diff(UnaryCases(any));
  t["sigmoid"] = Diff(UnaryCases({-3, 3}));
  t["log1p"] = Diff(UnaryCases({-0.5, 2}));
  t["expm1"] = Diff(UnaryCases(any));
  t["log2"] = Diff(UnaryCases(pos));
  t["log10"] = Diff(UnaryCases(pos));
  t["exp2"] = Diff(UnaryCases(any));
  t["sin"] = Diff(UnaryCases({-3, 3}));
  t["cos"] = Diff(UnaryCases({-3, 3}));
  t["tan"] = Diff(UnaryCases({-1.2, 1.2}));
  t["arcsin"] = Diff(UnaryCases(unit));
  t["arccos"] = Diff(UnaryCases(unit));
  t["arctan"] = Diff(UnaryCases({-3, 3}));
  t["sinh"] = Diff(UnaryCases(any));
  t["cosh"] = Diff(UnaryCases(any));
  t["arcsinh"] = Diff(UnaryCases({-3, 3}));
  t["arccosh"] = Diff(UnaryCases({1.2, 3}));
  t["arctanh"] = Diff(UnaryCases(unit));
  t["rsqrt"] = Diff(UnaryCases(pos));
  t["softplus"] = Diff(UnaryCases({-3, 3}));
  t["erf"] = Diff(UnaryCases(any));
  // Dtype-keeping unary ops.
  t["abs"] = Diff(UnaryCases(no_kinks));
  t["negative"] = Diff(UnaryCases(any));
  t["relu"] = Diff(UnaryCases(no_kinks));
  t["sign"] = Zero(UnaryCases(no_kinks));
  t["square"] = Diff(UnaryCases(any));
  t["floor"] = Zero(UnaryCases(no_kinks));
  t["ceil"] = Zero(UnaryCases(no_kinks));
  t["trunc"] = Zero(UnaryCases(no_kinks));
  t["round"] = Zero(UnaryCases(no_kinks));
  {
    std::vector<GradCase> cases = UnaryCases(pos);
    cases.push_back(Case({{3, 4}}, "-", {{-2, -0.5}}));
    t["reciprocal"] = Diff(cases);
  }
  t["logical_not"] = NotDiff(bool_result, unary_check);
  t["isnan"] = NotDiff(bool_result, unary_check);
  t["isinf"] = NotDiff(bool_result, unary_check);
  t["isfinite"] = NotDiff(bool_result, unary_check);
  t["bitwise_not"] = NotDiff(int_only);
  // Binary ops.
  t["add"] = Diff(BinaryCases());
  t["subtract"] = Diff(BinaryCases());
  t["multiply"] = Diff(BinaryCases());
  t["true_divide"] = Diff(BinaryCases(any, {0.5, 2}));
  t["remainder"] = Diff(BinaryCases({-3, 3}, {0.6, 1.9}));
  t["floor_divide"] = Zero(BinaryCases({-3, 3}, {0.6, 1.9}));
  for (const char* name : {"equal", "not_equal", "less", "less_equal", "greater", "greater_equal",
                           "logical_and", "logical_or", "logical_xor"}) {
    t[name] = NotDiff(bool_result, binary_check);
  }
  t["maximum"] = Diff(BinaryCases());
  t["minimum"] = Diff(BinaryCases());
  t["power"] = Diff(BinaryCases({0.5, 2}, any));
  t["arctan2"] = Diff(BinaryCases(no_kinks, any));  // y away from 0: the branch cut
  t["hypot"] = Diff(BinaryCases());
  for (const char* name : {"bitwise_and", "bitwise_or", "bitwise_xor"}) t[name] = NotDiff(int_only);
  // Reductions.
  t["sum"] = Diff(ReductionCases());
  {
    std::vector<GradCase> cases = ReductionCases({0.5, 1.5});
    for (GradCase c : ReductionCases({-1.5, 1.5, true})) cases.push_back(c);
    t["prod"] = Diff(cases);
  }
  t["mean"] = Diff(ReductionCases());
  t["max"] = Diff(ReductionCases());
  t["min"] = Diff(ReductionCases());
  t["var"] = Diff(ReductionCases());
  t["std"] = Diff(ReductionCases());
  t["any"] = NotDiff(bool_result, unary_check);
  t["all"] = NotDiff(bool_result, unary_check);
  t["nansum"] = Diff(ReductionCases());
  t["nanmax"] = Diff(ReductionCases());
  t["nanmin"] = Diff(ReductionCases());
  // Shape and movement.
  t["reshape"] = Diff(KwargCases({{3, 4}}, {"shape=-1", "shape=2:6", "shape=4:1:3"}));
  t["transpose"] = Diff({Case({{3, 4}}), Case({{2, 3, 4}})});
  t["broadcast_to"] = Diff({Case({{3, 4}}), Case({{4}}), Case({{}})});
  t["expand_dims"] = Diff(KwargCases({{3, 4}}, {"axis=0", "axis=-1"}));
  t["flip"] = Diff(KwargCases({{3, 4}}, {"axis=all", "axis=0"}));
  t["swapaxes"] = Diff({Case({{3, 4}}), Case({{2, 3, 4}})});
  t["ravel"] = Diff({Case({{3, 4}})});
  t["concatenate"] = Diff({Case({{2, 4}, {3, 4}}, "axis=0"), Case({{3, 2}, {3, 4}}, "axis=1")});
  t["stack"] = Diff(KwargCases({{3, 4}, {3, 4}}, {"axis=0", "axis=-1"}));
  t["tile"] = Diff({Case({{3, 4}}), Case({{4}})});
  t["repeat"] = Diff(KwargCases({{3, 4}}, {"axis=all", "axis=1"}));
  t["pad"] = Diff(KwargCases({{3, 4}}, {"mode=constant", "mode=edge", "mode=reflect"}));
  t["cumsum"] = Diff(KwargCases({{3, 4}}, {"axis=all", "axis=1"}));
  t["cumprod"] = Diff(KwargCases({{3, 4}}, {"axis=0", "axis=1"}, {0.5, 1.5}));
  t["cummax"] = Diff(KwargCases({{3, 4}}, {"axis=all", "axis=0", "axis=1"}));
  t["cummin"] = Diff(KwargCases({{3, 4}}, {"axis=all", "axis=0", "axis=1"}));
  t["argmax"] = NotDiff(int_result, {Case({{3, 4}}, "axis=1")});
  t["argmin"] = NotDiff(int_result, {Case({{3, 4}}, "axis=0")});
  // NN and linear algebra.
  t["softmax"] = Diff(KwargCases({{3, 4}}, {"axis=-1", "axis=0"}));
  t["log_softmax"] = Diff({Case({{3, 4}}), Case({{4, 3}})});
  t["logsumexp"] = Diff(KwargCases({{3, 4}}, {"axis=all", "axis=1"}));
  t["matmul_bt"] = Diff({Case({{3, 4}, {2, 4}}), Case({{4}, {3, 4}})});
  t["tensordot"] = Diff({Case({{3, 4}, {3, 4}}), Case({{2, 3, 2}, {3, 2, 2}})});
  t["outer"] = Diff({Case({{3}, {4}}), Case({{2, 3}, {2, 2}})});
  t["tril"] = Diff(KwargCases({{3, 4}}, {"k=0", "k=1"}));
  t["triu"] = Diff(KwargCases({{3, 4}}, {"k=-1", "k=0"}));
  t["diagonal"] = Diff(KwargCases({{3, 4}}, {"k=0", "k=1", "k=-2"}));
  t["clip"] =
      Diff({Case({{3, 4}}, "-", {{-4, 7, true}}), Case({{2, 3}}, "-", {{-2.4, 5.4, true}})});
  t["gelu"] = Diff(UnaryCases({-3, 3}));
  t["gelu_tanh"] = Diff(UnaryCases({-3, 3}));
  t["where"] = Diff({Case({{3, 4}, {3, 4}, {3, 4}}, "-", {no_kinks}),
                     Case({{3, 4}, {4}, {3, 1}}, "-", {no_kinks})});
  {
    // Cast to float32 rounds: a larger step, and float32's tolerance.
    GradCase to_f32 = Case({{3, 4}}, "dtype=float32");
    to_f32.options.h = 1e-2;
    to_f32.options.tol = {1e-5, 1e-4};
    GradCase to_int = Case({{3, 4}}, "dtype=int32");
    to_int.options.expect = Expect::kNone;
    GradCase to_bool = Case({{3, 4}}, "dtype=bool");
    to_bool.options.expect = Expect::kNone;
    t["astype"] = Diff({Case({{3, 4}}, "dtype=float64"), to_f32, to_int, to_bool});
  }
  t["squeeze"] = Diff({Case({{3, 1, 4}}), Case({{1, 1}})});
  t["moveaxis"] = Diff({Case({{3, 4}}), Case({{2, 3, 4}})});
  t["split"] = Diff(KwargCases({{3, 4}}, {"part=0", "part=1"}));
  t["array_split"] = Diff({Case({{3, 4}}, "part=0"), Case({{3, 4}}, "part=2"),
                           Case({{2, 5}}, "part=0"), Case({{2, 5}}, "part=2")});
  t["take"] = Diff(KwargCases({{3, 4}}, {"axis=all", "axis=1"}));
  t["take_along_axis"] = Diff({Case({{3, 4}}), Case({{2, 5}})});
  t["pick"] = Diff({Case({{3, 4}}), Case({{2, 5}})});
  t["one_hot"] = NotDiff(int_only);
  t["diag"] = Diff({Case({{2, 2}}, "k=0"), Case({{4}}, "k=-1")});
  t["ravel_multi_index"] = NotDiff(int_only);
  t["unravel_index"] = NotDiff(int_only);
  t["slice_assign"] = Diff({Case({{3, 4}}), Case({{2, 5}})});
  t["dot"] = Diff({Case({{3, 4}, {2, 4}})});
  t["batch_dot"] = Diff({Case({{3, 4}, {3, 2}})});
  t["dense"] = Diff({Case({{3, 4}, {2, 4}}), Case({{2, 3, 2}, {4, 6}})});
  t["softmax_cross_entropy"] = Diff({Case({{3, 4}}), Case({{4, 3}})});
  t["full_like"] = NotDiff(constant, unary_check);
  t["zeros_like"] = NotDiff(constant, unary_check);
  t["ones_like"] = NotDiff(constant, unary_check);
  // The tutorial's examples.
  t["tutorial_full_like"] = NotDiff(no_operand);
  t["tutorial_pad_array"] = Diff({Case({{3}})});
  t["tutorial_split_indices"] = Diff({Case({{10}})});
  t["tutorial_ravel_multi_index"] = NotDiff("its operand is an integer index array");
  t["tutorial_diag"] = Diff({Case({{3, 3}}), Case({{3}})});
  // Creation.
  for (const char* name :
       {"zeros", "ones", "full", "empty", "arange", "linspace", "eye", "identity"}) {
    t[name] = NotDiff(no_operand);
  }
  return t;
}

// Every op in the database has an entry: a new op forces a decision here.
TEST(AutogradOpDatabaseTest, EveryOpHasAGradientEntry) {
  const std::map<std::string, GradSpec> table = GradientTable();
  std::set<std::string> names;
  for (const OpInfo& op : OpDatabase()) {
    names.insert(op.name);
    auto it = table.find(op.name);
    if (it == table.end()) {
      ADD_FAILURE() << op.name << " has no entry in GradientTable(): add its gradient cases, or "
                    << "NotDiff(\"reason\")";
      continue;
    }
    const GradSpec& spec = it->second;
    EXPECT_TRUE(!spec.cases.empty() || !spec.not_differentiable.empty()) << op.name;
    const bool float64 =
        std::find(op.dtypes.begin(), op.dtypes.end(), DType::kFloat64) != op.dtypes.end();
    if (!spec.cases.empty()) {
      EXPECT_TRUE(float64) << op.name << " does not accept float64 but has gradient cases";
    }
    for (const GradCase& c : spec.cases) {
      EXPECT_EQ(static_cast<int>(c.shapes.size()), op.num_inputs) << op.name << " " << c.kwargs;
      for (const Shape& s : c.shapes) {
        EXPECT_LE(NumElements(s), 24) << op.name << " " << c.kwargs;
      }
    }
  }
  for (const auto& [name, spec] : table) {
    EXPECT_TRUE(names.count(name)) << name << " is in GradientTable() but not in OpDatabase()";
  }
}

// Every differentiable op against central differences (float64, both backends); piecewise
// constant ops have gradient exactly zero; non-differentiable ones pass no gradient.
TEST(AutogradOpDatabaseTest, GradientsMatchFiniteDifferences) {
  const std::map<std::string, GradSpec> table = GradientTable();
  int checked = 0;
  uint32_t seed = 0;
  for (const OpInfo& op : OpDatabase()) {
    auto it = table.find(op.name);
    if (it == table.end()) continue;  // EveryOpHasAGradientEntry fails
    for (const GradCase& c : it->second.cases) {
      ++seed;
      SCOPED_TRACE(op.name + " kwargs " + c.kwargs + " shapes " +
                   ::testing::PrintToString(c.shapes));
      const Kwargs kw = Kwargs::Parse(c.kwargs);
      const Fn f = [&op, kw](const std::vector<NDArray>& in) { return op.fn(in, kw); };
      CheckGradient(f, RandomInputs(c.shapes, c.domains, seed), c.options, seed);
      ++checked;
    }
  }
  EXPECT_GT(checked, 200);
}

// ---- Gradients of views and data movement beyond the database's cases ----

HostInput Random(Shape shape, uint32_t seed, Domain d = {}) {
  std::mt19937 rng(seed);
  const int64_t n = NumElements(shape);
  return {std::move(shape), Sample(n, d, rng)};
}

TEST(AutogradViewsTest, StridedSlices) {
  const std::vector<std::vector<Slice>> cases = {
      {Slice(None, None, 2)},
      {Slice(None, None, -1)},
      {Slice(5, 0, -2), Slice(None, None, -3)},
      {Slice(-2, None, -3), Slice(1, 4, 2)},
      {Slice(1, 6, 3), Slice(4, None, -1)},
      {Slice(), Slice(None, None, -2)},
      {Slice(-100, 100, 3), Slice(3, -100, -2)},
      {Slice(6, None, -4), Slice(2, 3)},
      {Slice(3, 3)},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE("slice case " + std::to_string(i));
    const std::vector<Slice> s = cases[i];
    CheckGradient([s](const std::vector<NDArray>& in) { return in[0].slice(s); },
                  {Random({7, 5}, i)});
  }
  // A slice of a slice, and a slice of a transposed array.
  CheckGradient(
      [](const std::vector<NDArray>& in) {
        return in[0].slice({Slice(None, None, -2)}).slice({Slice(1, None), Slice(None, None, 3)});
      },
      {Random({7, 5}, 20)});
  CheckGradient(
      [](const std::vector<NDArray>& in) {
        return in[0].transpose().slice({Slice(4, None, -3), Slice(1, None, 2)});
      },
      {Random({7, 5}, 21)});
}

TEST(AutogradViewsTest, TakeAccumulatesRepeatedAndNegativeIndices) {
  const NDArray idx = nd::array<int64_t>({0, 2, -1, 0, 2, 2});
  const NDArray idx2 = nd::array<int64_t>({0, -1, 2, 0}, {2, 2});
  CheckGradient([idx](const std::vector<NDArray>& in) { return nd::take(in[0], idx, 0); },
                {Random({4, 3}, 1)});
  CheckGradient([idx](const std::vector<NDArray>& in) { return nd::take(in[0], idx, 1); },
                {Random({2, 3}, 2)});
  CheckGradient([idx](const std::vector<NDArray>& in) { return nd::take(in[0], idx); },
                {Random({2, 3}, 3)});
  CheckGradient([idx2](const std::vector<NDArray>& in) { return nd::take(in[0], idx2, 1); },
                {Random({2, 3}, 4)});
  // A hand-checked count: d/dx of sum(take(x, idx)) is how often each index appears.
  NDArray x = nd::array<double>({1, 2, 3, 4});
  x.attach_grad();
  NDArray y;
  {
    autograd::Record rec;
    y = nd::take(x, nd::array<int64_t>({0, -1, 3, 0, 0, 2}));
  }
  y.backward();
  EXPECT_EQ(Doubles(x.grad()), D({3, 0, 1, 2}));
}

TEST(AutogradViewsTest, TakeAlongAxisAndPick) {
  const NDArray rows = nd::array<int64_t>({0, -1, 1, 0, 2, 2, 2, 0, -3, 1, 1, 1, 0, 2, -1}, {5, 3});
  CheckGradient(
      [rows](const std::vector<NDArray>& in) { return nd::take_along_axis(in[0], rows, 0); },
      {Random({3, 3}, 1)});
  const NDArray cols = nd::array<int64_t>({0, 0, 3, -1, 2, 1, 1, 1}, {2, 4});
  CheckGradient(
      [cols](const std::vector<NDArray>& in) { return nd::take_along_axis(in[0], cols, 1); },
      {Random({2, 4}, 2)});
  const NDArray picks = nd::array<int64_t>({2, 0, 2});
  CheckGradient([picks](const std::vector<NDArray>& in) { return nd::pick(in[0], picks, 1); },
                {Random({3, 3}, 3)});
}

TEST(AutogradViewsTest, PadModes) {
  using P = std::vector<std::pair<int64_t, int64_t>>;
  for (nd::PadMode mode : {nd::PadMode::kConstant, nd::PadMode::kEdge, nd::PadMode::kReflect}) {
    SCOPED_TRACE("mode " + std::to_string(static_cast<int>(mode)));
    CheckGradient(
        [mode](const std::vector<NDArray>& in) {
          return nd::pad(in[0], P{{2, 1}, {0, 3}}, mode);
        },
        {Random({3, 4}, 1)});
    // Widths beyond the axis (reflect mirrors repeatedly).
    CheckGradient(
        [mode](const std::vector<NDArray>& in) {
          return nd::pad(in[0], P{{4, 5}, {2, 3}}, mode);
        },
        {Random({3, 2}, 2)});
  }
}

TEST(AutogradViewsTest, ConcatenateSplitTileRepeat) {
  CheckGradient(
      [](const std::vector<NDArray>& in) {
        return nd::concatenate({in[0], in[1], in[2]}, 1);
      },
      {Random({2, 1}, 1), Random({2, 3}, 2), Random({2, 2}, 3)});
  // One operand twice: its gradients add up.
  CheckGradient(
      [](const std::vector<NDArray>& in) {
        return nd::concatenate({in[0], in[1], in[0]}, 0);
      },
      {Random({2, 3}, 4), Random({1, 3}, 5)});
  CheckGradient(
      [](const std::vector<NDArray>& in) {
        std::vector<NDArray> p = nd::split(in[0], 3, 1);
        return nd::concatenate({p[2], p[0] * p[1]}, 0);
      },
      {Random({2, 6}, 6)});
  CheckGradient(
      [](const std::vector<NDArray>& in) {
        std::vector<NDArray> p = nd::array_split(in[0], 3, 1);  // widths 3, 2, 2
        return nd::exp(p[0]).sum() + (p[1] * p[2]).sum();
      },
      {Random({2, 7}, 7)});
  CheckGradient(
      [](const std::vector<NDArray>& in) {
        return nd::tile(in[0], {2, 3});
      },
      {Random({2, 3}, 8)});
  CheckGradient(
      [](const std::vector<NDArray>& in) {
        return nd::tile(in[0], {2, 1, 2});
      },
      {Random({3}, 9)});
  CheckGradient(
      [](const std::vector<NDArray>& in) {
        return nd::repeat(in[0], std::vector<int64_t>{1, 0, 2}, 1);
      },
      {Random({2, 3}, 10)});
  CheckGradient([](const std::vector<NDArray>& in) { return nd::repeat(in[0], 3); },
                {Random({2, 2}, 11)});
}

TEST(AutogradLinalgTest, BatchedMatmul) {
  const Fn matmul = [](const std::vector<NDArray>& in) { return nd::matmul(in[0], in[1]); };
  CheckGradient(matmul, {Random({2, 3, 4}, 1), Random({2, 4, 2}, 2)});
  // Broadcast batch axes: the gradient of the broadcast operand sums over the batch.
  CheckGradient(matmul, {Random({2, 3, 4}, 3), Random({4, 2}, 4)});
  CheckGradient(matmul, {Random({1, 3, 4}, 5), Random({2, 4, 2}, 6)});
  // 1-D operands.
  CheckGradient(matmul, {Random({4}, 7), Random({2, 4, 3}, 8)});
  CheckGradient(matmul, {Random({3, 4}, 9), Random({4}, 10)});
  CheckGradient(matmul, {Random({4}, 11), Random({4}, 12)});
  CheckGradient(
      [](const std::vector<NDArray>& in) { return nd::batch_dot(in[0], in[1], true, true); },
      {Random({2, 4, 3}, 13), Random({2, 2, 4}, 14)});
}

TEST(AutogradFloat32Test, MatchesFloat64FiniteDifferences) {
  CheckOptions f32;
  f32.dtype = DType::kFloat32;
  f32.tol = {1e-4, 1e-3};
  CheckGradient(
      [](const std::vector<NDArray>& in) { return nd::tanh(in[0] * in[1]) + nd::exp(in[0]); },
      {Random({3, 4}, 1), Random({4}, 2)}, f32);
  CheckGradient(
      [](const std::vector<NDArray>& in) {
        return nd::softmax_cross_entropy(nd::dense(in[0], in[1]), nd::array<int32_t>({0, 2, 1}));
      },
      {Random({3, 4}, 3), Random({3, 4}, 4)}, f32);
  CheckGradient([](const std::vector<NDArray>& in) { return nd::sqrt(in[0]).sum(0); },
                {Random({3, 4}, 5, {0.5, 3})}, f32);
  // Mixed with a float64 operand: the float32 variable's gradient is float32.
  CheckGradient(
      [](const std::vector<NDArray>& in) {
        return in[0] * nd::array<double>({0.5, -1.5, 2.0, 0.25});
      },
      {Random({3, 4}, 6)}, f32);
  // Weak scalars keep float32.
  CheckGradient([](const std::vector<NDArray>& in) { return nd::log(in[0] * 2.0 + 1.0); },
                {Random({2, 3}, 7, {0.5, 2})}, f32);
}

TEST(AutogradOpsTest, ProdWithZeros) {
  // One zero in a group: d/d(zero) is the product of the others; two zeros: all zero there.
  NDArray x = nd::array<double>({2, 0, 3, 0, 0, 5, 1.5, 2, -1}, {3, 3});
  x.attach_grad();
  NDArray y;
  {
    autograd::Record rec;
    y = nd::prod(x, 1);
  }
  y.backward();
  EXPECT_EQ(Doubles(x.grad()), D({0, 6, 0, 0, 0, 0, -2, -1.5, 3}));
  CheckGradient([](const std::vector<NDArray>& in) { return nd::prod(in[0], 0); },
                {{{3, 2}, {0, 2, 1.5, 0, -0.5, 0}}});
}

// ---- Dense + SoftmaxCE against the hand-derived gradient ----

class AutogradDenseTest : public ::testing::TestWithParam<DType> {};

TEST_P(AutogradDenseTest, DenseSoftmaxCrossEntropyMatchesFormula) {
  const DType dtype = GetParam();
  const int B = 5, Dn = 4, C = 3;
  std::mt19937 rng(42);
  D xs = Sample(B * Dn, {-1, 1}, rng), ws = Sample(C * Dn, {-1, 1}, rng),
    bs = Sample(C, {-0.5, 0.5}, rng);
  for (D* v : {&xs, &ws, &bs}) {
    for (double& e : *v) e = static_cast<float>(e);
  }
  const std::vector<int32_t> labels = {2, 0, 1, 1, 2};
  NDArray x = ToArray({{B, Dn}, xs}, dtype);
  NDArray W = ToArray({{C, Dn}, ws}, dtype);
  NDArray b = ToArray({{C}, bs}, dtype);
  W.attach_grad();
  b.attach_grad();
  x.attach_grad();
  NDArray loss;
  {
    autograd::Record rec;
    loss = nd::softmax_cross_entropy(nd::dense(x, W, b), nd::array<int32_t>(labels));
  }
  EXPECT_EQ(loss.shape(), Shape({B}));
  loss.backward();
  // dL/dlogits_i = softmax_i - onehot_i; dW = sum_i d_i x_i^T, db = sum_i d_i, dx_i = d_i W.
  D gW(C * Dn, 0.0), gb(C, 0.0), gx(B * Dn, 0.0), losses(B);
  for (int i = 0; i < B; ++i) {
    D logits(C);
    double mx = -1e300;
    for (int c = 0; c < C; ++c) {
      logits[c] = bs[c];
      for (int k = 0; k < Dn; ++k) logits[c] += xs[i * Dn + k] * ws[c * Dn + k];
      mx = std::max(mx, logits[c]);
    }
    double z = 0;
    for (int c = 0; c < C; ++c) z += std::exp(logits[c] - mx);
    losses[i] = -(logits[labels[i]] - mx - std::log(z));
    for (int c = 0; c < C; ++c) {
      const double d = std::exp(logits[c] - mx) / z - (c == labels[i] ? 1.0 : 0.0);
      gb[c] += d;
      for (int k = 0; k < Dn; ++k) {
        gW[c * Dn + k] += d * xs[i * Dn + k];
        gx[i * Dn + k] += d * ws[c * Dn + k];
      }
    }
  }
  const double rtol = dtype == DType::kFloat32 ? 2e-5 : 1e-12;
  const double atol = dtype == DType::kFloat32 ? 2e-6 : 1e-14;
  EXPECT_TRUE(testing::AllClose(Doubles(loss), losses, rtol, atol));
  EXPECT_TRUE(testing::AllClose(Doubles(W.grad()), gW, rtol, atol));
  EXPECT_TRUE(testing::AllClose(Doubles(b.grad()), gb, rtol, atol));
  EXPECT_TRUE(testing::AllClose(Doubles(x.grad()), gx, rtol, atol));
  EXPECT_EQ(W.grad().dtype(), dtype);
  EXPECT_EQ(b.grad().dtype(), dtype);
}

INSTANTIATE_TEST_SUITE_P(Autograd, AutogradDenseTest,
                         ::testing::Values(DType::kFloat32, DType::kFloat64),
                         [](const ::testing::TestParamInfo<DType>& p) {
                           return std::string(DTypeName(p.param));
                         });

}  // namespace
}  // namespace ndjit
