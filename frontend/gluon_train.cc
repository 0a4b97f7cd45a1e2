// Gluon-style data loading and the Trainer (include/ndjit/gluon.h).
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

// ---- Trainer ----

namespace {

const std::set<std::string>& KnownOptions(const std::string& optimizer) {
  static const std::set<std::string> kSgd = {"learning_rate", "momentum", "wd", "clip_gradient",
                                             "rescale_grad"};
  static const std::set<std::string> kAdam = {
      "learning_rate", "beta1", "beta2", "epsilon", "wd", "clip_gradient", "rescale_grad"};
  return optimizer == "sgd" ? kSgd : kAdam;
}

// Rounds to float32 as MXNet's float32 kernel arguments are.
float F32(double v) { return static_cast<float>(v); }

// An optimizer state of zeros shaped like `w`, handed to the engine at once: the first step then
// reads it as an input like every later step does, so the steps share their compiled kernels.
NDArray NewState(const NDArray& w, const SourceLocation& site) {
  NDArray state = nd::zeros(w.shape(), w.dtype(), site);
  state.eval_async(site);
  return state;
}

}  // namespace

Trainer::Trainer(const ParameterDict& params, const std::string& optimizer,
                 std::map<std::string, double> options, SourceLocation site)
    : optimizer_(optimizer) {
  if (optimizer_ != "sgd" && optimizer_ != "adam") {
    frontend::Fail<ValueError>(
        "Trainer", absl::StrCat("unknown optimizer '", optimizer_, "' (known: sgd, adam)"), {},
        site);
  }
  const std::set<std::string>& known = KnownOptions(optimizer_);
  for (const auto& [key, value] : options) {
    if (known.count(key) == 0) {
      frontend::Fail<ValueError>("Trainer",
                                 absl::StrCat("unknown option '", key, "' for ", optimizer_,
                                              " (known: ", absl::StrJoin(known, ", "), ")"),
                                 {}, site);
    }
  }
  auto get = [&](const char* key, double fallback) {
    auto it = options.find(key);
    return it == options.end() ? fallback : it->second;
  };
  lr_ = get("learning_rate", optimizer_ == "sgd" ? 0.01 : 0.001);
  momentum_ = get("momentum", 0.0);
  wd_ = get("wd", 0.0);
  clip_ = get("clip_gradient", -1.0);
  rescale_ = get("rescale_grad", 1.0);
  beta1_ = get("beta1", 0.9);
  beta2_ = get("beta2", 0.999);
  epsilon_ = get("epsilon", 1e-8);
  for (const Parameter& p : params) slots_.push_back(Slot{p, {}, 0});
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
  // MXNet passes lr, wd and rescale_grad to float32 kernels: the products below round as
  // float32 products do.
  const float rescale = F32(rescale_ / static_cast<double>(batch_size));
  const float lr = F32(lr_);
  const float wd = F32(wd_);
  // MXNet: a clip_gradient of 0 (or below) means no clipping.
  const float clip = clip_ > 0 ? F32(clip_) : -1.0f;
  for (Slot* s : update) {
    NDArray w = s->param.data(site);
    const NDArray g_raw = w.grad();
    auto scaled_grad = [&](float scale, bool add_wd) {
      NDArray g = g_raw * scale;
      if (add_wd) g = g + w * wd;
      if (clip > 0) g = nd::clip(g, -clip, clip);
      return g;
    };
    ++s->updates;
    NDArray next;
    if (optimizer_ == "sgd") {
      if (momentum_ == 0) {
        // sgd_update: (1 - lr wd) w - (lr rescale) g; with clipping: - lr clip(rescale g).
        const float keep = 1.0f - lr * wd;
        NDArray step = clip > 0 ? scaled_grad(rescale, false) * lr : g_raw * (lr * rescale);
        next = w * keep - step;
      } else {
        // sgd_mom_update: m = momentum m - lr wd w - lr rescale g; w = w + m.
        if (s->state.empty()) s->state.push_back(NewState(w, site));
        NDArray& m = s->state[0];
        NDArray step = clip > 0 ? scaled_grad(rescale, false) * lr : g_raw * (lr * rescale);
        m = m * F32(momentum_) - w * (lr * wd) - step;
        next = w + m;
      }
    } else {
      // adam_update with lr scaled by sqrt(1 - beta2^t) / (1 - beta1^t) (MXNet's Adam).
      if (s->state.empty()) {
        s->state.push_back(NewState(w, site));
        s->state.push_back(NewState(w, site));
      }
      const double t = static_cast<double>(s->updates);
      const double coef1 = 1.0 - std::pow(beta1_, t);
      const double coef2 = 1.0 - std::pow(beta2_, t);
      // lr_t changes every step; a float scalar is a kernel parameter, so the update's kernels
      // are compiled once.
      const float lr_t = F32(lr_ * std::sqrt(coef2) / coef1);
      NDArray g = scaled_grad(rescale, wd != 0);
      NDArray& mean = s->state[0];
      NDArray& var = s->state[1];
      mean = mean * F32(beta1_) + g * (1.0f - F32(beta1_));
      var = var * F32(beta2_) + nd::square(g) * (1.0f - F32(beta2_));
      next = w - (mean * lr_t) / (nd::sqrt(var) + F32(epsilon_));
    }
    // In place: every handle of the parameter (the network's) sees the new values.
    next.copyto(w, site);
    const auto gv = w.handle()->grad_var();
    if (gv != nullptr) gv->fresh.store(false);
  }
  // Hand the step to the engine: it computes while the program records the next one.
  ndjit::flush(site);
}

}  // namespace ndjit::gluon
