// Gluon-style parameters, blocks and losses (include/ndjit/gluon.h).
#include "ndjit/gluon.h"

#include <cmath>
#include <filesystem>
#include <map>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "frontend/builder.h"
#include "frontend/handle.h"
#include "ndjit/nd.h"
#include "ndjit/ndjit.h"

namespace ndjit::gluon {

namespace {

std::string Np(const std::vector<int64_t>& shape) { return ir::ShapeToNumpyString(shape); }

// Blocks of one type are numbered in creation order, process-wide ("dense0_", "dense1_").
std::string NextPrefix(const std::string& type) {
  static std::mutex mu;
  static std::map<std::string, int64_t> counters;
  std::lock_guard<std::mutex> lock(mu);
  return absl::StrCat(type, counters[type]++, "_");
}

bool ShapeKnown(const std::vector<int64_t>& shape) {
  for (int64_t d : shape) {
    if (d == 0) return false;
  }
  return true;
}

}  // namespace

// ---- Initializers ----

namespace init {

Initializer Uniform(double scale) {
  return Initializer(absl::StrCat("Uniform(", scale, ")"),
                     [scale](const std::vector<int64_t>& shape, DType dtype) {
                       return nd::random::uniform(-scale, scale, shape, std::nullopt, dtype);
                     });
}

Initializer Normal(double sigma) {
  return Initializer(absl::StrCat("Normal(", sigma, ")"),
                     [sigma](const std::vector<int64_t>& shape, DType dtype) {
                       return nd::random::normal(0.0, sigma, shape, std::nullopt, dtype);
                     });
}

Initializer Zero() {
  return Initializer("Zero", [](const std::vector<int64_t>& shape, DType dtype) {
    return nd::zeros(shape, dtype);
  });
}

Initializer One() {
  return Initializer(
      "One", [](const std::vector<int64_t>& shape, DType dtype) { return nd::ones(shape, dtype); });
}

Initializer Constant(double value) {
  return Initializer(absl::StrCat("Constant(", value, ")"),
                     [value](const std::vector<int64_t>& shape, DType dtype) {
                       return nd::full(shape, value, dtype);
                     });
}

Initializer Xavier(double magnitude) {
  return Initializer(absl::StrCat("Xavier(", magnitude, ")"),
                     [magnitude](const std::vector<int64_t>& shape, DType dtype) {
                       // MXNet: fan_in = shape[1] * receptive field, fan_out = shape[0] * receptive
                       // field.
                       if (shape.size() < 2) {
                         throw ValueError(
                             absl::StrCat("Xavier initializer: needs a parameter of at least 2 "
                                          "dimensions, got shape ",
                                          Np(shape)));
                       }
                       double field = 1;
                       for (size_t i = 2; i < shape.size(); ++i)
                         field *= static_cast<double>(shape[i]);
                       const double fan_in = static_cast<double>(shape[1]) * field;
                       const double fan_out = static_cast<double>(shape[0]) * field;
                       const double a = std::sqrt(magnitude * 2.0 / (fan_in + fan_out));
                       return nd::random::uniform(-a, a, shape, std::nullopt, dtype);
                     });
}

}  // namespace init

// ---- Parameter ----

struct Parameter::State {
  std::mutex mu;
  std::string name;
  std::vector<int64_t> shape;
  DType dtype;
  std::optional<Initializer> init;
  GradReq grad_req;
  NDArray data;                         // none until initialized
  std::optional<Initializer> deferred;  // initialize() called before the shape was known
};

Parameter::Parameter(std::string name, std::vector<int64_t> shape, DType dtype,
                     std::optional<Initializer> init, GradReq grad_req)
    : state_(std::make_shared<State>()) {
  state_->name = std::move(name);
  state_->shape = std::move(shape);
  state_->dtype = dtype;
  state_->init = std::move(init);
  state_->grad_req = grad_req;
}

const std::string& Parameter::name() const { return state_->name; }  // never changes
DType Parameter::dtype() const { return state_->dtype; }             // never changes

std::vector<int64_t> Parameter::shape() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->shape;
}

GradReq Parameter::grad_req() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->grad_req;
}

void Parameter::set_grad_req(GradReq req) {
  std::lock_guard<std::mutex> lock(state_->mu);
  if (req == state_->grad_req) return;
  state_->grad_req = req;
  if (state_->data.is_none()) return;
  if (req == GradReq::kNull) {
    state_->data.handle()->set_grad_var(nullptr);  // backward no longer reaches it
  } else {
    state_->data.attach_grad(req);
  }
}

bool Parameter::initialized() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return !state_->data.is_none();
}

namespace {
// Makes the values, attaches the gradient, and hands the initialization to the engine at once
// (as MXNet initializes eagerly), so the first training step reads the parameter as an input
// like every later step does.
NDArray MakeData(const Initializer& init, const std::vector<int64_t>& shape, DType dtype,
                 GradReq req, const std::string& name, const SourceLocation& site) {
  NDArray data = init(shape, dtype);
  if (data.shape() != shape || data.dtype() != dtype) {
    frontend::Fail<ValueError>(
        "Parameter::initialize",
        absl::StrCat("initializer ", init.name(), " made ", DTypeName(data.dtype()), " ",
                     Np(data.shape()), " for parameter ", name, " of ", DTypeName(dtype), " ",
                     Np(shape)),
        {}, site);
  }
  data = data.copy(site);  // a variable of its own
  if (req != GradReq::kNull) data.attach_grad(req, site);
  data.eval_async(site);
  return data;
}
}  // namespace

void Parameter::initialize(const Initializer& default_init, bool force_reinit,
                           SourceLocation site) {
  std::lock_guard<std::mutex> lock(state_->mu);
  if (!state_->data.is_none() && !force_reinit) return;  // MXNet: a warning, then nothing
  const Initializer& init = state_->init ? *state_->init : default_init;
  if (!ShapeKnown(state_->shape)) {
    state_->deferred = init;
    state_->data = NDArray();
    return;
  }
  state_->data = MakeData(init, state_->shape, state_->dtype, state_->grad_req, state_->name, site);
}

void Parameter::finish_deferred_init(const std::vector<int64_t>& shape, SourceLocation site) {
  std::lock_guard<std::mutex> lock(state_->mu);
  if (!state_->data.is_none()) return;
  bool compatible = shape.size() == state_->shape.size();
  for (size_t i = 0; compatible && i < shape.size(); ++i) {
    compatible = state_->shape[i] == 0 || state_->shape[i] == shape[i];
  }
  if (!compatible) {
    frontend::Fail<ShapeError>("Parameter",
                               absl::StrCat("parameter ", state_->name, " of shape ",
                                            Np(state_->shape), " cannot take shape ", Np(shape)),
                               {}, site);
  }
  if (!state_->deferred) {
    frontend::Fail<ValueError>(
        "Parameter",
        absl::StrCat("parameter ", state_->name,
                     " has not been initialized: call initialize() on the block (or on "
                     "collect_params()) before the first forward pass"),
        {}, site);
  }
  state_->shape = shape;
  state_->data = MakeData(*state_->deferred, state_->shape, state_->dtype, state_->grad_req,
                          state_->name, site);
  state_->deferred.reset();
}

NDArray Parameter::data(SourceLocation site) const {
  std::lock_guard<std::mutex> lock(state_->mu);
  if (state_->data.is_none()) {
    frontend::Fail<ValueError>(
        "Parameter::data",
        state_->deferred
            ? absl::StrCat("parameter ", state_->name,
                           " has not been initialized yet because its shape ", Np(state_->shape),
                           " is not known: its initialization happens during the first forward "
                           "pass")
            : absl::StrCat("parameter ", state_->name,
                           " has not been initialized: call initialize() first"),
        {}, site);
  }
  return state_->data;
}

NDArray Parameter::grad(SourceLocation site) const {
  NDArray d = data(site);
  if (grad_req() == GradReq::kNull) {
    frontend::Fail<ValueError>(
        "Parameter::grad",
        absl::StrCat("parameter ", state_->name, " has no gradient (grad_req is null)"), {}, site);
  }
  return d.grad();
}

void Parameter::set_data(const NDArray& values, SourceLocation site) {
  std::lock_guard<std::mutex> lock(state_->mu);
  frontend::ValueOf(values, "Parameter::set_data", site);
  bool compatible = values.ndim() == static_cast<int>(state_->shape.size());
  for (size_t i = 0; compatible && i < state_->shape.size(); ++i) {
    compatible = state_->shape[i] == 0 || state_->shape[i] == values.shape()[i];
  }
  if (values.dtype() != state_->dtype) {
    frontend::Fail<DTypeError>(
        "Parameter::set_data",
        absl::StrCat("parameter ", state_->name, " is ", DTypeName(state_->dtype), "; got ",
                     DTypeName(values.dtype())),
        {}, site);
  }
  if (!compatible) {
    frontend::Fail<ShapeError>(
        "Parameter::set_data",
        absl::StrCat("parameter ", state_->name, " is ", DTypeName(state_->dtype), " ",
                     Np(state_->shape), "; got ", DTypeName(values.dtype()), " ",
                     Np(values.shape())),
        {}, site);
  }
  if (state_->data.is_none()) {
    state_->shape = values.shape();
    state_->data = values.copy(site);
    if (state_->grad_req != GradReq::kNull) state_->data.attach_grad(state_->grad_req);
    state_->deferred.reset();
  } else {
    values.copyto(state_->data, site);
  }
}

void Parameter::zero_grad() {
  std::lock_guard<std::mutex> lock(state_->mu);
  if (state_->data.is_none() || state_->grad_req == GradReq::kNull) return;
  state_->data.grad().fill(0);
}

// ---- ParameterDict ----

void ParameterDict::add(const Parameter& p, SourceLocation site) {
  if (contains(p.name())) {
    frontend::Fail<ValueError>("ParameterDict::add",
                               absl::StrCat("a parameter named ", p.name(), " exists"), {}, site);
  }
  params_.push_back(p);
}

bool ParameterDict::contains(const std::string& name) const {
  for (const Parameter& p : params_) {
    if (p.name() == name) return true;
  }
  return false;
}

Parameter ParameterDict::get(const std::string& name, SourceLocation site) const {
  for (const Parameter& p : params_) {
    if (p.name() == name) return p;
  }
  frontend::Fail<ValueError>(
      "ParameterDict::get",
      absl::StrCat("no parameter named ", name, " (known: ", absl::StrJoin(keys(), ", "), ")"), {},
      site);
}

std::vector<std::string> ParameterDict::keys() const {
  std::vector<std::string> out;
  for (const Parameter& p : params_) out.push_back(p.name());
  return out;
}

void ParameterDict::initialize(const Initializer& init, bool force_reinit, SourceLocation site) {
  for (Parameter p : params_) p.initialize(init, force_reinit, site);
}

void ParameterDict::zero_grad() {
  for (Parameter p : params_) p.zero_grad();
}

void ParameterDict::set_grad_req(GradReq req) {
  for (Parameter p : params_) p.set_grad_req(req);
}

// ---- Blocks ----

namespace nn {

Block::Block(const std::string& type) : prefix_(NextPrefix(type)) {}
Block::~Block() = default;
Block::Block(Block&&) noexcept = default;
Block& Block::operator=(Block&&) noexcept = default;

Parameter Block::register_parameter(const std::string& name, std::vector<int64_t> shape,
                                    DType dtype, std::optional<Initializer> init,
                                    GradReq grad_req) {
  params_.emplace_back(
      name, Parameter(prefix_ + name, std::move(shape), dtype, std::move(init), grad_req));
  return params_.back().second;
}

void Block::register_child(std::shared_ptr<Block> child) { children_.push_back(std::move(child)); }

ParameterDict Block::collect_params() const {
  ParameterDict out;
  for (const auto& [local, p] : params_) out.add(p);
  for (const auto& child : children_) {
    for (const Parameter& p : child->collect_params()) {
      if (!out.contains(p.name())) out.add(p);  // a block shared by two parents appears once
    }
  }
  return out;
}

void Block::initialize(const Initializer& init, bool force_reinit, SourceLocation site) {
  collect_params().initialize(init, force_reinit, site);
}

void Block::CollectStructural(const std::string& prefix,
                              std::vector<std::pair<std::string, Parameter>>* out) const {
  for (const auto& [local, p] : params_) out->emplace_back(prefix + local, p);
  for (size_t i = 0; i < children_.size(); ++i) {
    children_[i]->CollectStructural(absl::StrCat(prefix, i, "."), out);
  }
}

void Block::save_parameters(const std::string& dir, SourceLocation site) const {
  std::vector<std::pair<std::string, Parameter>> params;
  CollectStructural("", &params);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    frontend::Fail<ValueError>("save_parameters",
                               absl::StrCat("cannot create ", dir, ": ", ec.message()), {}, site);
  }
  for (const auto& [name, p] : params) {
    nd::save_npy(p.data(site), (std::filesystem::path(dir) / (name + ".npy")).string(), site);
  }
}

void Block::load_parameters(const std::string& dir, SourceLocation site) {
  std::vector<std::pair<std::string, Parameter>> params;
  CollectStructural("", &params);
  for (auto& [name, p] : params) {
    const std::string path = (std::filesystem::path(dir) / (name + ".npy")).string();
    if (!std::filesystem::exists(path)) {
      frontend::Fail<ValueError>(
          "load_parameters",
          absl::StrCat("no file for parameter ", name, " (", p.name(), "): ", path), {}, site);
    }
    p.set_data(nd::load_npy(path, site), site);
  }
}

// ---- Activation ----

Activation::Activation(std::string name, SourceLocation site)
    : Block("activation"), name_(std::move(name)) {
  static const char* const kNames[] = {"relu", "sigmoid", "tanh", "softrelu", "softsign"};
  for (const char* n : kNames) {
    if (name_ == n) return;
  }
  frontend::Fail<ValueError>("Activation",
                             absl::StrCat("unknown activation '", name_,
                                          "' (known: relu, sigmoid, tanh, softrelu, softsign)"),
                             {}, site);
}

NDArray Activation::forward(const NDArray& x, SourceLocation site) {
  if (name_ == "relu") return nd::relu(x, site);
  if (name_ == "sigmoid") return nd::sigmoid(x, site);
  if (name_ == "tanh") return nd::tanh(x, site);
  if (name_ == "softrelu") return nd::softplus(x, site);
  // softsign: x / (1 + |x|)
  return nd::divide(x, nd::add(nd::abs(x, site), 1, site), site);
}

// ---- Dense ----

Dense::Dense(int64_t units, SourceLocation site) : Dense(units, Options(), site) {}

Dense::Dense(int64_t units, Options options, SourceLocation site)
    : Block("dense"), units_(units), options_(std::move(options)), weight_("", {}) {
  if (units <= 0) {
    frontend::Fail<ValueError>("Dense", absl::StrCat("units must be positive, got ", units), {},
                               site);
  }
  if (options_.in_units < 0) {
    frontend::Fail<ValueError>(
        "Dense", absl::StrCat("in_units must be >= 0, got ", options_.in_units), {}, site);
  }
  weight_ = register_parameter("weight", {units, options_.in_units}, options_.dtype,
                               options_.weight_initializer, GradReq::kWrite);
  if (options_.use_bias) {
    bias_ = register_parameter("bias", {units}, options_.dtype, options_.bias_initializer,
                               GradReq::kWrite);
  }
  if (!options_.activation.empty()) act_.emplace(options_.activation, site);
}

Parameter Dense::bias(SourceLocation site) const {
  if (!bias_) {
    frontend::Fail<ValueError>("Dense::bias", absl::StrCat(prefix(), ": the layer has no bias"), {},
                               site);
  }
  return *bias_;
}

NDArray Dense::forward(const NDArray& x, SourceLocation site) {
  frontend::ValueOf(x, "Dense", site);
  if (!weight_.initialized()) {
    if (x.ndim() < 1) {
      frontend::Fail<ShapeError>("Dense",
                                 absl::StrCat(prefix(), ": the input must be at least 1-D"),
                                 {frontend::Describe(x)}, site);
    }
    int64_t in_units = x.shape().back();
    if (options_.flatten) {
      in_units = 1;
      for (int i = 1; i < x.ndim(); ++i) in_units *= x.shape()[i];
    }
    weight_.finish_deferred_init({units_, in_units}, site);
    if (bias_) bias_->finish_deferred_init({units_}, site);
  }
  std::optional<NDArray> b;
  if (bias_) b = bias_->data(site);
  NDArray y = nd::dense(x, weight_.data(site), b, options_.flatten, site);
  return act_ ? act_->forward(y, site) : y;
}

// ---- Sequential ----

Sequential::Sequential() : Block("sequential") {}

Sequential& Sequential::add_block(std::shared_ptr<Block> block) {
  if (block == nullptr) throw ValueError("Sequential::add: null block");
  register_child(std::move(block));
  return *this;
}

NDArray Sequential::forward(const NDArray& x, SourceLocation site) {
  NDArray y = x;
  for (const auto& child : children()) y = child->forward(y, site);
  return y;
}

namespace {
void CheckIndex(size_t i, size_t n) {
  if (i >= n) {
    throw ValueError(absl::StrCat("Sequential: index ", i, " out of range for ", n, " blocks"));
  }
}
}  // namespace

Block& Sequential::operator[](size_t i) {
  CheckIndex(i, children().size());
  return *children()[i];
}

const Block& Sequential::operator[](size_t i) const {
  CheckIndex(i, children().size());
  return *children()[i];
}

}  // namespace nn

// ---- Losses ----

namespace loss {
namespace {

// Scales by sample_weight and weight, then averages over every axis but batch_axis.
NDArray Finish(NDArray loss, double weight, std::optional<NDArray> sample_weight,
               int64_t batch_axis, const char* api, const SourceLocation& site) {
  if (sample_weight) loss = nd::multiply(loss, *sample_weight, site);
  if (weight != 1.0) loss = nd::multiply(loss, weight, site);
  if (loss.ndim() == 0) return loss;
  const int64_t b = frontend::NormalizeAxis(batch_axis, loss.ndim(), api, loss, site);
  std::vector<int64_t> axes;
  for (int64_t a = 0; a < loss.ndim(); ++a) {
    if (a != b) axes.push_back(a);
  }
  if (axes.empty()) return loss;
  return nd::mean(loss, axes, /*keepdims=*/false, site);
}

}  // namespace

SoftmaxCELoss::SoftmaxCELoss(int64_t axis, bool sparse_label, bool from_logits, double weight,
                             int64_t batch_axis)
    : axis_(axis),
      sparse_label_(sparse_label),
      from_logits_(from_logits),
      weight_(weight),
      batch_axis_(batch_axis) {}

NDArray SoftmaxCELoss::operator()(const NDArray& pred, const NDArray& label,
                                  std::optional<NDArray> sample_weight, SourceLocation site) const {
  const char* api = "SoftmaxCELoss";
  frontend::ValueOf(pred, api, site);
  frontend::ValueOf(label, api, site);
  NDArray lp = from_logits_ ? pred : nd::log_softmax(pred, axis_, site);
  NDArray loss;
  if (sparse_label_) {
    loss = nd::negative(nd::pick(lp, label, axis_, /*keepdims=*/true, nd::PickMode::kClip, site),
                        site);
  } else {
    if (label.size() != pred.size()) {
      frontend::Fail<ShapeError>(
          api,
          absl::StrCat("dense labels must have the prediction's ", pred.size(), " elements ",
                       Np(pred.shape()), ", got ", Np(label.shape())),
          {frontend::Describe(pred), frontend::Describe(label)}, site);
    }
    const NDArray dense = nd::reshape(label, pred.shape(), site);  // MXNet's reshape_like
    loss =
        nd::negative(nd::sum(nd::multiply(lp, dense, site), axis_, /*keepdims=*/true, site), site);
  }
  return Finish(loss, weight_, std::move(sample_weight), batch_axis_, api, site);
}

namespace {
// pred - label, the label reshaped like pred (MXNet's reshape_like).
NDArray Difference(const NDArray& pred, const NDArray& label, const char* api,
                   const SourceLocation& site) {
  frontend::ValueOf(pred, api, site);
  frontend::ValueOf(label, api, site);
  return nd::subtract(pred, nd::reshape(label, pred.shape(), site), site);
}
}  // namespace

L2Loss::L2Loss(double weight, int64_t batch_axis) : weight_(weight), batch_axis_(batch_axis) {}

NDArray L2Loss::operator()(const NDArray& pred, const NDArray& label,
                           std::optional<NDArray> sample_weight, SourceLocation site) const {
  const NDArray loss = nd::square(Difference(pred, label, "L2Loss", site), site);
  return Finish(loss, weight_ / 2, std::move(sample_weight), batch_axis_, "L2Loss", site);
}

L1Loss::L1Loss(double weight, int64_t batch_axis) : weight_(weight), batch_axis_(batch_axis) {}

NDArray L1Loss::operator()(const NDArray& pred, const NDArray& label,
                           std::optional<NDArray> sample_weight, SourceLocation site) const {
  const NDArray loss = nd::abs(Difference(pred, label, "L1Loss", site), site);
  return Finish(loss, weight_, std::move(sample_weight), batch_axis_, "L1Loss", site);
}

}  // namespace loss

}  // namespace ndjit::gluon
