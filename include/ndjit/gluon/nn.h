// ndjit::gluon::nn: blocks (layers and networks): Block, Activation, Dense, Sequential.
#ifndef NDJIT_GLUON_NN_H_
#define NDJIT_GLUON_NN_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ndjit/gluon/parameter.h"
#include "ndjit/ndarray.h"

namespace ndjit::gluon {

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

}  // namespace ndjit::gluon

#endif  // NDJIT_GLUON_NN_H_
