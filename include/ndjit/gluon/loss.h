// ndjit::gluon::loss: per-sample losses (SoftmaxCELoss, L2Loss, L1Loss).
#ifndef NDJIT_GLUON_LOSS_H_
#define NDJIT_GLUON_LOSS_H_

#include <cstdint>
#include <optional>

#include "ndjit/ndarray.h"

namespace ndjit::gluon {

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

}  // namespace ndjit::gluon

#endif  // NDJIT_GLUON_LOSS_H_
