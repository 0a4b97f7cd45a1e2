// ndjit::gluon parameters and their initializers (mx.init, gluon.Parameter, ParameterDict).
#ifndef NDJIT_GLUON_PARAMETER_H_
#define NDJIT_GLUON_PARAMETER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

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

}  // namespace ndjit::gluon

#endif  // NDJIT_GLUON_PARAMETER_H_
