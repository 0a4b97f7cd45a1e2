// ndjit::gluon optimizers and the Trainer that applies one to a block's parameters.
#ifndef NDJIT_GLUON_TRAINER_H_
#define NDJIT_GLUON_TRAINER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ndjit/gluon/parameter.h"
#include "ndjit/ndarray.h"

namespace ndjit::gluon {

// ---- Optimizers (mx.optimizer) ----
// How a parameter is updated from its gradient. An optimizer holds its hyperparameters; the
// per-parameter state (momentum, Adam's moments) belongs to the Trainer, which hands it to
// Update. Every update is recorded lazily like any other op.
// Options every optimizer takes: wd (0), clip_gradient (<= 0: none, as MXNet), rescale_grad (1).
struct OptimizerCommon {
  double wd = 0;
  double clip_gradient = -1;
  double rescale_grad = 1;
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  // "sgd", "adam": the name Trainer and CreateOptimizer know it by.
  virtual const std::string& name() const = 0;
  double learning_rate() const { return lr_; }
  void set_learning_rate(double lr) { lr_ = lr; }
  const OptimizerCommon& common() const { return common_; }
  // The new value of `weight`. `grad` is the raw gradient; `rescale` is what it is scaled by
  // (common().rescale_grad / batch_size, rounded to float32 as MXNet's kernels take it); `state`
  // starts empty and keeps whatever the optimizer puts there for this parameter; `t` counts this
  // parameter's updates, from 1.
  virtual NDArray Update(const NDArray& weight, const NDArray& grad, float rescale,
                         std::vector<NDArray>& state, int64_t t, const SourceLocation& site) = 0;
  // A copy with the same hyperparameters (a copied Trainer gets its own).
  virtual std::unique_ptr<Optimizer> Clone() const = 0;

 protected:
  Optimizer(double lr, OptimizerCommon common) : lr_(lr), common_(common) {}
  // For Clone; optimizers are not assigned to one another (that would slice).
  Optimizer(const Optimizer&) = default;
  Optimizer& operator=(const Optimizer&) = delete;
  double lr_;
  OptimizerCommon common_;
};

// "sgd": learning_rate (0.01), momentum (0) and the common options.
//   w <- (1 - lr wd) w - lr rescale g            (MXNet's sgd_update, float32 constants)
//   with momentum: m <- momentum m - lr wd w - lr rescale g; w <- w + m
class SGD : public Optimizer {
 public:
  explicit SGD(double learning_rate = 0.01, double momentum = 0, OptimizerCommon common = {});
  const std::string& name() const override;
  NDArray Update(const NDArray& weight, const NDArray& grad, float rescale,
                 std::vector<NDArray>& state, int64_t t, const SourceLocation& site) override;
  std::unique_ptr<Optimizer> Clone() const override { return std::make_unique<SGD>(*this); }

 private:
  double momentum_;
};

// "adam": learning_rate (0.001), beta1 (0.9), beta2 (0.999), epsilon (1e-8) and the common
// options. MXNet's adam_update with lr scaled by sqrt(1 - beta2^t) / (1 - beta1^t).
class Adam : public Optimizer {
 public:
  explicit Adam(double learning_rate = 0.001, double beta1 = 0.9, double beta2 = 0.999,
                double epsilon = 1e-8, OptimizerCommon common = {});
  const std::string& name() const override;
  NDArray Update(const NDArray& weight, const NDArray& grad, float rescale,
                 std::vector<NDArray>& state, int64_t t, const SourceLocation& site) override;
  std::unique_ptr<Optimizer> Clone() const override { return std::make_unique<Adam>(*this); }

 private:
  double beta1_, beta2_, epsilon_;
};

// An optimizer by name with MXNet's option names (above). An unknown name or option is a
// ValueError naming the known ones.
std::unique_ptr<Optimizer> CreateOptimizer(const std::string& name,
                                           const std::map<std::string, double>& options = {},
                                           SourceLocation site = SourceLocation::current());

// ---- Trainer ----
// Applies an optimizer to parameters: by name and options (CreateOptimizer), or an Optimizer.
// step(batch_size) scales gradients by rescale_grad / batch_size (so summed gradients become
// means), checks that backward refreshed every gradient since the last step (ValueError naming
// the parameter otherwise, unless ignore_stale_grad, which skips those), records the updates in
// place, and hands the pending work to the engine (ndjit::flush()).
class Trainer {
 public:
  Trainer(const ParameterDict& params, const std::string& optimizer,
          std::map<std::string, double> optimizer_params = {},
          SourceLocation site = SourceLocation::current());
  Trainer(const ParameterDict& params, std::unique_ptr<Optimizer> optimizer,
          SourceLocation site = SourceLocation::current());
  // A copy updates the same parameters with its own optimizer (Optimizer::Clone) and its own
  // copies of the state handles (as a copy of the old value-only Trainer did).
  Trainer(const Trainer& other);
  Trainer& operator=(const Trainer& other);
  Trainer(Trainer&&) noexcept = default;
  Trainer& operator=(Trainer&&) noexcept = default;
  void step(int64_t batch_size, bool ignore_stale_grad = false,
            SourceLocation site = SourceLocation::current());
  double learning_rate() const { return optimizer_->learning_rate(); }
  void set_learning_rate(double lr) { optimizer_->set_learning_rate(lr); }
  const std::string& optimizer() const { return optimizer_->name(); }

 private:
  struct Slot {
    Parameter param;
    std::vector<NDArray> state;  // the optimizer's, for this parameter (created lazily)
    int64_t updates = 0;
  };
  std::vector<Slot> slots_;
  std::unique_ptr<Optimizer> optimizer_;
};

}  // namespace ndjit::gluon

#endif  // NDJIT_GLUON_TRAINER_H_
