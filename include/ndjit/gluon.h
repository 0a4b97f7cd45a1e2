// ndjit::gluon: layers, losses, data loading and optimizers in the style of MXNet Gluon 1.x.
//
//   namespace gluon = ndjit::gluon;
//   gluon::nn::Dense net(10);                 // in_units inferred on the first call
//   net.initialize();                         // weight ~ U(-0.07, 0.07), bias zeros
//   gluon::loss::SoftmaxCELoss ce;            // per-sample loss, shape (batch,)
//   gluon::data::ArrayDataset ds(data, label);
//   gluon::data::DataLoader loader(ds, 128, /*shuffle=*/true);
//   gluon::Trainer trainer(net.collect_params(), "sgd");   // learning rate 0.01
//   for (const gluon::data::Batch& batch : loader) {
//     ndjit::NDArray loss;
//     { ndjit::autograd::Record rec; loss = ce(net(batch.data), batch.label); }
//     loss.backward();
//     trainer.step(batch.data.shape()[0]);     // w -= lr * grad / batch_size
//   }
//
// Everything is lazy like the rest of ndjit: a forward pass, its backward pass and the update
// are recorded as graph nodes; Trainer::step hands the whole step to the engine (ndjit::flush)
// and returns, so the engine computes step k while the program records step k + 1. Where this
// header is silent, MXNet 1.9's semantics apply (../reference: mxnet-semantics.md §3).
#ifndef NDJIT_GLUON_H_
#define NDJIT_GLUON_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ndjit/autograd.h"
#include "ndjit/ndarray.h"

namespace ndjit::gluon {

// ---- Initializers (mx.init) ----
// Makes a parameter's initial values from its shape and dtype. Random initializers draw from
// ndjit's generator, so ndjit::nd::random::seed(n) makes them reproducible.
class Initializer {
 public:
  using Fn = std::function<NDArray(const std::vector<int64_t>& shape, DType dtype)>;
  Initializer(std::string name, Fn fn) : name_(std::move(name)), fn_(std::move(fn)) {}
  NDArray operator()(const std::vector<int64_t>& shape, DType dtype) const {
    return fn_(shape, dtype);
  }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  Fn fn_;
};

namespace init {
// U(-scale, scale); Gluon's default initializer (scale 0.07).
Initializer Uniform(double scale = 0.07);
// N(0, sigma^2).
Initializer Normal(double sigma = 0.01);
Initializer Zero();
Initializer One();
Initializer Constant(double value);
// Xavier/Glorot uniform: U(-a, a) with a = sqrt(magnitude * 2 / (fan_in + fan_out)) (MXNet's
// Xavier(rnd_type='uniform', factor_type='avg', magnitude=3)).
Initializer Xavier(double magnitude = 3.0);
}  // namespace init

// ---- Parameters ----
// A named array of a block, with its gradient buffer. A Parameter is a handle: copies name the
// same parameter. A dimension of 0 in the shape is unknown until the first forward pass infers
// it (deferred initialization, as in MXNet).
class Parameter {
 public:
  Parameter(std::string name, std::vector<int64_t> shape, DType dtype = DType::kFloat32,
            std::optional<Initializer> init = std::nullopt, GradReq grad_req = GradReq::kWrite);
  // Copies name the same parameter (a moved-from Parameter stays valid: moving copies).
  Parameter(const Parameter&) = default;
  Parameter& operator=(const Parameter&) = default;

  const std::string& name() const;
  std::vector<int64_t> shape() const;
  DType dtype() const;
  GradReq grad_req() const;
  // Takes effect at once for an initialized parameter, else at initialization (MXNet's rule):
  // kNull drops the gradient buffer, so backward no longer computes this parameter's gradient;
  // another value attaches a fresh (zero) buffer. Setting the current value does nothing.
  void set_grad_req(GradReq req);
  // Initialized: data() is available. A parameter whose shape is not known yet stays pending
  // after initialize() until its block's first forward pass.
  bool initialized() const;

  // Creates the values with the parameter's own initializer, or `default_init` when it has none
  // (MXNet's rule). Initializing again without force_reinit does nothing (MXNet warns).
  void initialize(const Initializer& default_init = init::Uniform(), bool force_reinit = false,
                  SourceLocation site = SourceLocation::current());
  // The values (a handle: Trainer::step updates them in place). ValueError if not initialized.
  NDArray data(SourceLocation site = SourceLocation::current()) const;
  // The gradient buffer; ValueError if not initialized or grad_req is kNull.
  NDArray grad(SourceLocation site = SourceLocation::current()) const;
  // Replaces the values (shape and dtype must match; an uninitialized parameter takes them). An
  // in-place write: a ValueError while autograd records (load_parameters too).
  void set_data(const NDArray& values, SourceLocation site = SourceLocation::current());
  void zero_grad();

  // For blocks: completes a deferred initialization once the shape is known (ShapeError if it
  // contradicts the known dimensions). Does nothing for an initialized parameter.
  void finish_deferred_init(const std::vector<int64_t>& shape,
                            SourceLocation site = SourceLocation::current());

 private:
  struct State;
  std::shared_ptr<State> state_;
};

// Parameters by name, in the order their blocks registered them.
class ParameterDict {
 public:
  ParameterDict() = default;
  // ValueError if the name is taken.
  void add(const Parameter& p, SourceLocation site = SourceLocation::current());
  size_t size() const { return params_.size(); }
  bool contains(const std::string& name) const;
  // ValueError naming the known parameters if there is none by that name.
  Parameter get(const std::string& name, SourceLocation site = SourceLocation::current()) const;
  std::vector<std::string> keys() const;
  std::vector<Parameter>::const_iterator begin() const { return params_.begin(); }
  std::vector<Parameter>::const_iterator end() const { return params_.end(); }
  void initialize(const Initializer& init = init::Uniform(), bool force_reinit = false,
                  SourceLocation site = SourceLocation::current());
  void zero_grad();
  void set_grad_req(GradReq req);

 private:
  std::vector<Parameter> params_;
};

// ---- Blocks ----
namespace nn {

// A layer or a network. Blocks are movable, not copyable (a copy would share parameters
// silently); a block's parameters are named "<prefix><name>" with a prefix such as "dense0_"
// numbered per block type, as in MXNet.
class Block {
 public:
  virtual ~Block();
  Block(const Block&) = delete;
  Block& operator=(const Block&) = delete;
  Block(Block&&) noexcept;
  Block& operator=(Block&&) noexcept;

  // Runs forward(x). `site` names the caller's line in the nodes the block records and in its
  // errors.
  NDArray operator()(const NDArray& x, SourceLocation site = SourceLocation::current()) {
    return forward(x, site);
  }
  virtual NDArray forward(const NDArray& x, SourceLocation site = SourceLocation::current()) = 0;

  const std::string& prefix() const { return prefix_; }
  // This block's parameters and its children's, by their full names.
  ParameterDict collect_params() const;
  // Initializes every parameter (see Parameter::initialize).
  void initialize(const Initializer& init = init::Uniform(), bool force_reinit = false,
                  SourceLocation site = SourceLocation::current());
  // Writes each parameter to `<dir>/<structural name>.npy` ("weight", "0.bias", ...: the
  // position in the network, not the global prefix, as MXNet's save_parameters does, so a
  // freshly built network loads them). Creates `dir` if needed; waits for the values.
  void save_parameters(const std::string& dir,
                       SourceLocation site = SourceLocation::current()) const;
  // Reads every parameter from such a folder: a missing file, or a shape or dtype that differs
  // from a known one, is an error naming the parameter; unknown dimensions are taken from the
  // file.
  void load_parameters(const std::string& dir, SourceLocation site = SourceLocation::current());

 protected:
  // `type` names the block kind ("dense"); the prefix numbers it.
  explicit Block(const std::string& type);
  Parameter register_parameter(const std::string& name, std::vector<int64_t> shape, DType dtype,
                               std::optional<Initializer> init, GradReq grad_req);
  void register_child(std::shared_ptr<Block> child);
  const std::vector<std::shared_ptr<Block>>& children() const { return children_; }

 private:
  // (structural name, parameter) for this block and its children.
  void CollectStructural(const std::string& prefix,
                         std::vector<std::pair<std::string, Parameter>>* out) const;

  std::string prefix_;
  std::vector<std::pair<std::string, Parameter>> params_;  // (local name, parameter)
  std::vector<std::shared_ptr<Block>> children_;
};

// An elementwise activation: "relu", "sigmoid", "tanh", "softrelu" (log(1 + e^x)) or
// "softsign" (x / (1 + |x|)); another name is a ValueError.
class Activation : public Block {
 public:
  explicit Activation(std::string name, SourceLocation site = SourceLocation::current());
  NDArray forward(const NDArray& x, SourceLocation site = SourceLocation::current()) override;
  const std::string& name() const { return name_; }

 private:
  std::string name_;
};

// A fully connected layer (MXNet's Dense): y = activation(x . weight^T + bias), weight of shape
// (units, in_units), bias (units,). in_units = 0 infers it from the first input: the product of
// the dims after the first with flatten = true, the last dim otherwise.
class Dense : public Block {
 public:
  struct Options {
    std::string activation;  // "" for none, else an Activation name
    bool use_bias = true;
    bool flatten = true;
    DType dtype = DType::kFloat32;
    std::optional<Initializer> weight_initializer;  // none: the initialize() default
    Initializer bias_initializer = init::Zero();
    int64_t in_units = 0;
  };
  explicit Dense(int64_t units, SourceLocation site = SourceLocation::current());
  Dense(int64_t units, Options options, SourceLocation site = SourceLocation::current());
  NDArray forward(const NDArray& x, SourceLocation site = SourceLocation::current()) override;
  Parameter weight() const { return weight_; }
  // ValueError when use_bias is false.
  Parameter bias(SourceLocation site = SourceLocation::current()) const;
  int64_t units() const { return units_; }

 private:
  int64_t units_;
  Options options_;
  Parameter weight_;
  std::optional<Parameter> bias_;
  std::optional<Activation> act_;
};

// Blocks applied in order.
class Sequential : public Block {
 public:
  Sequential();
  // Adds a block (moved in) and returns *this.
  template <typename B>
  Sequential& add(B block) {
    return add_block(std::make_shared<B>(std::move(block)));
  }
  Sequential& add_block(std::shared_ptr<Block> block);
  NDArray forward(const NDArray& x, SourceLocation site = SourceLocation::current()) override;
  size_t size() const { return children().size(); }
  // ValueError when out of range.
  Block& operator[](size_t i);
  const Block& operator[](size_t i) const;
};

}  // namespace nn

// ---- Losses: per-sample losses, shape (batch,) ----
namespace loss {

// Softmax cross-entropy (MXNet's SoftmaxCrossEntropyLoss): pred is log_softmax'ed along `axis`
// unless from_logits; sparse labels are class indices (clipped into range, as MXNet's pick
// does), dense labels are distributions with pred's element count (reshaped to it, as MXNet does).
// The loss is scaled by `weight` and sample_weight (broadcast), then averaged over every axis but
// batch_axis.
class SoftmaxCELoss {
 public:
  explicit SoftmaxCELoss(int64_t axis = -1, bool sparse_label = true, bool from_logits = false,
                         double weight = 1.0, int64_t batch_axis = 0);
  NDArray operator()(const NDArray& pred, const NDArray& label,
                     std::optional<NDArray> sample_weight = std::nullopt,
                     SourceLocation site = SourceLocation::current()) const;

 private:
  int64_t axis_;
  bool sparse_label_;
  bool from_logits_;
  double weight_;
  int64_t batch_axis_;
};
using SoftmaxCrossEntropyLoss = SoftmaxCELoss;

// weight / 2 * (pred - label)^2 averaged over every axis but batch_axis (MXNet's L2Loss).
class L2Loss {
 public:
  explicit L2Loss(double weight = 1.0, int64_t batch_axis = 0);
  NDArray operator()(const NDArray& pred, const NDArray& label,
                     std::optional<NDArray> sample_weight = std::nullopt,
                     SourceLocation site = SourceLocation::current()) const;

 private:
  double weight_;
  int64_t batch_axis_;
};

// weight * |pred - label| averaged over every axis but batch_axis (MXNet's L1Loss).
class L1Loss {
 public:
  explicit L1Loss(double weight = 1.0, int64_t batch_axis = 0);
  NDArray operator()(const NDArray& pred, const NDArray& label,
                     std::optional<NDArray> sample_weight = std::nullopt,
                     SourceLocation site = SourceLocation::current()) const;

 private:
  double weight_;
  int64_t batch_axis_;
};

}  // namespace loss

// ---- Data ----
namespace data {

// Samples along the first axis of `data` and `label` (equal lengths, ValueError otherwise). The
// arrays are handed to the engine at construction (MXNet's dataset holds computed arrays).
class ArrayDataset {
 public:
  ArrayDataset(NDArray data, NDArray label, SourceLocation site = SourceLocation::current());
  int64_t size() const { return size_; }
  const NDArray& data() const { return data_; }
  const NDArray& label() const { return label_; }

 private:
  NDArray data_;
  NDArray label_;
  int64_t size_;
};

struct Batch {
  NDArray data;
  NDArray label;
};

// Batches of a dataset (MXNet's DataLoader without worker processes: batches are lazy gathers
// that fuse into the step that reads them). shuffle draws a fresh order at every begin() from
// ndjit's generator (nd::random::seed makes it reproducible). last_batch: "keep" (a short
// last batch), "discard" (drop it) or "rollover" (its samples start the next pass); another
// value is a ValueError.
class DataLoader {
 public:
  DataLoader(ArrayDataset dataset, int64_t batch_size, bool shuffle = false,
             std::string last_batch = "keep", SourceLocation site = SourceLocation::current());

  // Batches in one pass (the next pass's count, for rollover).
  int64_t size() const;

  class Iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = Batch;
    using difference_type = std::ptrdiff_t;
    using pointer = const Batch*;
    using reference = const Batch&;
    const Batch& operator*() const { return batch_; }
    const Batch* operator->() const { return &batch_; }
    Iterator& operator++();
    void operator++(int) { ++*this; }
    bool operator==(const Iterator& o) const { return index_ == o.index_; }
    bool operator!=(const Iterator& o) const { return index_ != o.index_; }

   private:
    friend class DataLoader;
    Iterator(DataLoader* loader, int64_t index);
    void Load();
    DataLoader* loader_;
    int64_t index_;
    Batch batch_;
  };
  // Starts a pass: draws the order when shuffling and takes the samples a rollover carried. So
  // every call to begin() is a new pass (a range-for calls it once); the iterators of a pass stay
  // valid until the next begin() and while the loader lives.
  Iterator begin();
  Iterator end();

 private:
  friend class Iterator;
  Batch MakeBatch(int64_t b) const;

  ArrayDataset dataset_;
  int64_t batch_size_;
  bool shuffle_;
  std::string last_batch_;
  std::vector<int64_t> order_;     // sample indices of the current pass
  std::vector<int64_t> leftover_;  // rollover: samples carried into the next pass
  int64_t batches_ = 0;            // in the current pass
};

}  // namespace data

// ---- Trainer ----
// Applies an optimizer to parameters. Optimizers and their options (unknown names are a
// ValueError):
//   "sgd":  learning_rate (0.01), momentum (0), wd (0), clip_gradient (<= 0: none, as MXNet),
//           rescale_grad (1).
//           w <- (1 - lr wd) w - lr rescale g            (MXNet's sgd_update, float32 constants)
//           with momentum: m <- momentum m - lr wd w - lr rescale g; w <- w + m
//   "adam": learning_rate (0.001), beta1 (0.9), beta2 (0.999), epsilon (1e-8), wd, clip_gradient,
//           rescale_grad.  MXNet's adam_update with lr scaled by sqrt(1 - beta2^t) / (1 - beta1^t).
// step(batch_size) scales gradients by rescale_grad / batch_size (so summed gradients become
// means), checks that backward refreshed every gradient since the last step (ValueError naming
// the parameter otherwise, unless ignore_stale_grad, which skips those), records the updates in
// place, and hands the pending work to the engine (ndjit::flush()).
class Trainer {
 public:
  Trainer(const ParameterDict& params, const std::string& optimizer,
          std::map<std::string, double> optimizer_params = {},
          SourceLocation site = SourceLocation::current());
  void step(int64_t batch_size, bool ignore_stale_grad = false,
            SourceLocation site = SourceLocation::current());
  double learning_rate() const { return lr_; }
  void set_learning_rate(double lr) { lr_ = lr; }
  const std::string& optimizer() const { return optimizer_; }

 private:
  struct Slot {
    Parameter param;
    std::vector<NDArray> state;  // momentum, or Adam's mean and variance (created lazily)
    int64_t updates = 0;
  };
  std::vector<Slot> slots_;
  std::string optimizer_;
  double lr_;
  double momentum_ = 0, wd_ = 0, clip_ = -1, rescale_ = 1;
  double beta1_ = 0.9, beta2_ = 0.999, epsilon_ = 1e-8;
};

}  // namespace ndjit::gluon

#endif  // NDJIT_GLUON_H_
