// Gluon-style data loading (include/ndjit/gluon/data.h), the optimizers and the Trainer
// (include/ndjit/gluon/trainer.h).
#include <cmath>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "frontend/autograd.h"
#include "frontend/builder.h"
#include "frontend/handle.h"
#include "ir/random.h"
#include "ndjit/gluon.h"
#include "ndjit/nd.h"
#include "ndjit/ndjit.h"

namespace ndjit::gluon {

// ---- Data ----

namespace data {

ArrayDataset::ArrayDataset(NDArray data, NDArray label, SourceLocation site)
    : data_(std::move(data)), label_(std::move(label)), size_(0) {
  frontend::ValueOf(data_, "ArrayDataset", site);
  frontend::ValueOf(label_, "ArrayDataset", site);
  if (data_.ndim() < 1 || label_.ndim() < 1) {
    frontend::Fail<ShapeError>("ArrayDataset", "data and label must be at least 1-D",
                               {frontend::Describe(data_), frontend::Describe(label_)}, site);
  }
  if (data_.shape()[0] != label_.shape()[0]) {
    frontend::Fail<ValueError>(
        "ArrayDataset",
        absl::StrCat("all arrays must have the same length: data has ", data_.shape()[0],
                     " samples, label ", label_.shape()[0]),
        {frontend::Describe(data_), frontend::Describe(label_)}, site);
  }
  size_ = data_.shape()[0];
  // MXNet's ArrayDataset holds computed arrays; handing them to the engine now also makes every
  // training step read them as inputs, the first one included (one compiled step for all).
  data_.eval_async(site);
  label_.eval_async(site);
}

DataLoader::DataLoader(ArrayDataset dataset, int64_t batch_size, bool shuffle,
                       std::string last_batch, SourceLocation site)
    : dataset_(std::move(dataset)),
      batch_size_(batch_size),
      shuffle_(shuffle),
      last_batch_(std::move(last_batch)) {
  if (batch_size_ <= 0) {
    frontend::Fail<ValueError>(
        "DataLoader", absl::StrCat("batch_size must be positive, got ", batch_size_), {}, site);
  }
  if (last_batch_ != "keep" && last_batch_ != "discard" && last_batch_ != "rollover") {
    frontend::Fail<ValueError>("DataLoader",
                               absl::StrCat("last_batch must be 'keep', 'discard' or 'rollover', "
                                            "got '",
                                            last_batch_, "'"),
                               {}, site);
  }
}

int64_t DataLoader::size() const {
  const int64_t n = dataset_.size() + static_cast<int64_t>(leftover_.size());
  if (last_batch_ == "keep") return (n + batch_size_ - 1) / batch_size_;
  return n / batch_size_;
}

DataLoader::Iterator DataLoader::begin() {
  const int64_t n = dataset_.size();
  order_ = leftover_;
  leftover_.clear();
  const size_t carried = order_.size();
  for (int64_t i = 0; i < n; ++i) order_.push_back(i);
  if (shuffle_ && order_.size() > carried + 1) {
    // Fisher-Yates over this pass's samples, from ndjit's generator (RandomSampler draws a fresh
    // permutation each epoch). Carried samples stay first, as rollover puts them first.
    uint64_t state = frontend::NextRandomSeed();
    for (size_t i = order_.size() - 1; i > carried; --i) {
      state = ir::SplitMix64(state);
      const size_t j = carried + static_cast<size_t>(state % (i - carried + 1));
      std::swap(order_[i], order_[j]);
    }
  }
  const int64_t total = static_cast<int64_t>(order_.size());
  batches_ = last_batch_ == "keep" ? (total + batch_size_ - 1) / batch_size_ : total / batch_size_;
  if (last_batch_ == "rollover") {
    leftover_.assign(order_.begin() + batches_ * batch_size_, order_.end());
  }
  return Iterator(this, 0);
}

DataLoader::Iterator DataLoader::end() { return Iterator(this, batches_); }

Batch DataLoader::MakeBatch(int64_t b) const {
  const int64_t first = b * batch_size_;
  const int64_t count = std::min<int64_t>(batch_size_, static_cast<int64_t>(order_.size()) - first);
  bool contiguous = true;
  for (int64_t i = 1; contiguous && i < count; ++i) {
    contiguous = order_[first + i] == order_[first] + i;
  }
  if (contiguous) {
    const Slice rows(order_[first], order_[first] + count);
    return Batch{dataset_.data().slice({rows}), dataset_.label().slice({rows})};
  }
  NDArray idx = nd::array<int64_t>(
                    std::vector<int64_t>(order_.begin() + first, order_.begin() + first + count))
                    .as_in_context(dataset_.data().context());
  return Batch{nd::take(dataset_.data(), idx, 0), nd::take(dataset_.label(), idx, 0)};
}

DataLoader::Iterator::Iterator(DataLoader* loader, int64_t index) : loader_(loader), index_(index) {
  Load();
}

void DataLoader::Iterator::Load() {
  if (index_ < loader_->batches_) batch_ = loader_->MakeBatch(index_);
}

DataLoader::Iterator& DataLoader::Iterator::operator++() {
  ++index_;
  Load();
  return *this;
}

}  // namespace data

// ---- Optimizers ----

namespace {

// Rounds to float32 as MXNet's float32 kernel arguments are.
float F32(double v) { return static_cast<float>(v); }

// An optimizer state of zeros shaped like `w`, handed to the engine at once: the first step then
// reads it as an input like every later step does, so the steps share their compiled kernels.
NDArray NewState(const NDArray& w, const SourceLocation& site) {
  NDArray state = nd::zeros(w.shape(), w.dtype(), site);
  state.eval_async(site);
  return state;
}

// The gradient scaled by `scale`, with weight decay added and clipping, as MXNet's kernels do.
NDArray ScaledGrad(const NDArray& w, const NDArray& g_raw, float scale, bool add_wd,
                   const OptimizerCommon& common) {
  NDArray g = g_raw * scale;
  if (add_wd) g = g + w * F32(common.wd);
  // MXNet: a clip_gradient of 0 (or below) means no clipping.
  if (const float clip = F32(common.clip_gradient); clip > 0) g = nd::clip(g, -clip, clip);
  return g;
}

}  // namespace

SGD::SGD(double learning_rate, double momentum, OptimizerCommon common)
    : Optimizer(learning_rate, common), momentum_(momentum) {}

const std::string& SGD::name() const {
  static const std::string kName = "sgd";
  return kName;
}

NDArray SGD::Update(const NDArray& w, const NDArray& g_raw, float rescale,
                    std::vector<NDArray>& state, int64_t, const SourceLocation& site) {
  // MXNet passes lr, wd and rescale_grad to float32 kernels: the products below round as
  // float32 products do.
  const float lr = F32(lr_);
  const float wd = F32(common_.wd);
  const bool clip = F32(common_.clip_gradient) > 0;
  NDArray step = clip ? ScaledGrad(w, g_raw, rescale, false, common_) * lr : g_raw * (lr * rescale);
  if (momentum_ == 0) {
    // sgd_update: (1 - lr wd) w - (lr rescale) g; with clipping: - lr clip(rescale g).
    const float keep = 1.0f - lr * wd;
    return w * keep - step;
  }
  // sgd_mom_update: m = momentum m - lr wd w - lr rescale g; w = w + m.
  if (state.empty()) state.push_back(NewState(w, site));
  NDArray& m = state[0];
  m = m * F32(momentum_) - w * (lr * wd) - step;
  return w + m;
}

Adam::Adam(double learning_rate, double beta1, double beta2, double epsilon, OptimizerCommon common)
    : Optimizer(learning_rate, common), beta1_(beta1), beta2_(beta2), epsilon_(epsilon) {}

const std::string& Adam::name() const {
  static const std::string kName = "adam";
  return kName;
}

NDArray Adam::Update(const NDArray& w, const NDArray& g_raw, float rescale,
                     std::vector<NDArray>& state, int64_t t, const SourceLocation& site) {
  // adam_update with lr scaled by sqrt(1 - beta2^t) / (1 - beta1^t) (MXNet's Adam).
  if (state.empty()) {
    state.push_back(NewState(w, site));
    state.push_back(NewState(w, site));
  }
  const double coef1 = 1.0 - std::pow(beta1_, static_cast<double>(t));
  const double coef2 = 1.0 - std::pow(beta2_, static_cast<double>(t));
  // lr_t changes every step; a float scalar is a kernel parameter, so the update's kernels are
  // compiled once.
  const float lr_t = F32(lr_ * std::sqrt(coef2) / coef1);
  NDArray g = ScaledGrad(w, g_raw, rescale, F32(common_.wd) != 0, common_);
  NDArray& mean = state[0];
  NDArray& var = state[1];
  mean = mean * F32(beta1_) + g * (1.0f - F32(beta1_));
  var = var * F32(beta2_) + nd::square(g) * (1.0f - F32(beta2_));
  return w - (mean * lr_t) / (nd::sqrt(var) + F32(epsilon_));
}

std::unique_ptr<Optimizer> CreateOptimizer(const std::string& name,
                                           const std::map<std::string, double>& options,
                                           SourceLocation site) {
  static const std::map<std::string, std::set<std::string>> kKnown = {
      {"sgd", {"learning_rate", "momentum", "wd", "clip_gradient", "rescale_grad"}},
      {"adam",
       {"learning_rate", "beta1", "beta2", "epsilon", "wd", "clip_gradient", "rescale_grad"}},
  };
  const auto known = kKnown.find(name);
  if (known == kKnown.end()) {
    frontend::Fail<ValueError>(
        "Trainer", absl::StrCat("unknown optimizer '", name, "' (known: sgd, adam)"), {}, site);
  }
  for (const auto& [key, value] : options) {
    if (known->second.count(key) == 0) {
      frontend::Fail<ValueError>("Trainer",
                                 absl::StrCat("unknown option '", key, "' for ", name,
                                              " (known: ", absl::StrJoin(known->second, ", "), ")"),
                                 {}, site);
    }
  }
  auto get = [&](const char* key, double fallback) {
    auto it = options.find(key);
    return it == options.end() ? fallback : it->second;
  };
  OptimizerCommon common;
  common.wd = get("wd", 0.0);
  common.clip_gradient = get("clip_gradient", -1.0);
  common.rescale_grad = get("rescale_grad", 1.0);
  if (name == "sgd") {
    return std::make_unique<SGD>(get("learning_rate", 0.01), get("momentum", 0.0), common);
  }
  return std::make_unique<Adam>(get("learning_rate", 0.001), get("beta1", 0.9), get("beta2", 0.999),
                                get("epsilon", 1e-8), common);
}

// ---- Trainer ----

Trainer::Trainer(const ParameterDict& params, const std::string& optimizer,
                 std::map<std::string, double> options, SourceLocation site)
    : Trainer(params, CreateOptimizer(optimizer, options, site), site) {}

Trainer::Trainer(const ParameterDict& params, std::unique_ptr<Optimizer> optimizer,
                 SourceLocation site)
    : optimizer_(std::move(optimizer)) {
  if (optimizer_ == nullptr) frontend::Fail<ValueError>("Trainer", "no optimizer", {}, site);
  for (const Parameter& p : params) slots_.push_back(Slot{p, {}, 0});
}

Trainer::Trainer(const Trainer& other)
    : slots_(other.slots_), optimizer_(other.optimizer_ ? other.optimizer_->Clone() : nullptr) {}

Trainer& Trainer::operator=(const Trainer& other) {
  if (this != &other) {
    slots_ = other.slots_;
    optimizer_ = other.optimizer_ ? other.optimizer_->Clone() : nullptr;
  }
  return *this;
}

void Trainer::step(int64_t batch_size, bool ignore_stale_grad, SourceLocation site) {
  if (batch_size <= 0) {
    frontend::Fail<ValueError>(
        "Trainer::step", absl::StrCat("batch_size must be positive, got ", batch_size), {}, site);
  }
  // Check every parameter before updating any, so an error leaves them all unchanged.
  std::vector<Slot*> update;
  for (Slot& s : slots_) {
    if (s.param.grad_req() == GradReq::kNull) continue;
    const NDArray data = s.param.data(site);
    const auto gv = data.handle()->grad_var();
    if (gv == nullptr || !gv->fresh.load()) {
      if (ignore_stale_grad) continue;
      frontend::Fail<ValueError>(
          "Trainer::step",
          absl::StrCat("the gradient of parameter ", s.param.name(),
                       " has not been updated by backward since the last step. This could mean "
                       "a bug in the model that made it use only a subset of its parameters in "
                       "this iteration; if that is intended, call step with "
                       "ignore_stale_grad=true to skip those parameters"),
          {}, site);
    }
    update.push_back(&s);
  }

  const autograd::Pause not_recording;  // updates are never differentiated
  const float rescale = F32(optimizer_->common().rescale_grad / static_cast<double>(batch_size));
  for (Slot* s : update) {
    NDArray w = s->param.data(site);
    ++s->updates;
    const NDArray next = optimizer_->Update(w, w.grad(), rescale, s->state, s->updates, site);
    // In place: every handle of the parameter (the network's) sees the new values.
    next.copyto(w, site);
    const auto gv = w.handle()->grad_var();
    if (gv != nullptr) gv->fresh.store(false);
  }
  // Hand the step to the engine: it computes while the program records the next one.
  ndjit::flush(site);
}

}  // namespace ndjit::gluon
