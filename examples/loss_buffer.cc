// The tutorial's LossBuffer, forward only: read each batch's loss one iteration late, so that the
// blocking asnumpy() finds it already computed instead of waiting for it.
//
// The loop of the MXNet tutorial (1024 x 100 uniform data, random labels, batch 128, Dense(10),
// softmax cross-entropy), with a wider hidden layer so that each step is real work, and a few
// milliseconds of other host work per iteration standing in for the backward pass and data
// loading. It runs the loop twice, reading the loss at once and one iteration late, and prints
// the profiler's blocking-call summary. NDJIT_PROFILE=trace.json also writes a Chrome trace.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <numeric>
#include <optional>
#include <random>
#include <source_location>
#include <string>
#include <thread>
#include <vector>

#include "ndjit/ndjit.h"

namespace nd = ndjit::nd;
using ndjit::NDArray;
using ndjit::Slice;

// Holds the loss of the previous batch (the tutorial's class).
class LossBuffer {
 public:
  // Stores `loss` and returns the one stored before (empty the first time).
  std::optional<NDArray> new_loss(NDArray loss) {
    std::optional<NDArray> previous = loss_;
    loss_ = std::move(loss);
    return previous;
  }

 private:
  std::optional<NDArray> loss_;
};

struct Model {
  NDArray w1, b1, w2, b2;
  NDArray Loss(const NDArray& x, const NDArray& y) const {
    NDArray h = nd::relu(nd::dense(x, w1, b1));
    return nd::softmax_cross_entropy(nd::dense(h, w2, b2), y);  // per sample, shape (128,)
  }
};

// The two reading sites, as the profiler names them.
const std::source_location kLateSite = std::source_location::current();
const std::source_location kAtOnceSite = std::source_location::current();

bool IsSite(const ndjit::profiler::CallSite& s, const std::source_location& site) {
  return s.api == "asnumpy" &&
         s.site.find(":" + std::to_string(site.line()) + ":") != std::string::npos;
}

void OtherWork() { std::this_thread::sleep_for(std::chrono::milliseconds(5)); }

int main() {
  constexpr int64_t kSamples = 1024, kFeatures = 100, kHidden = 2048, kClasses = 10, kBatch = 128;
  const NDArray data = nd::random::uniform(0, 1, {kSamples, kFeatures}, /*seed=*/1);
  const NDArray label = nd::random::randint(0, kClasses, {kSamples}, /*seed=*/2);
  const float scale = 0.07f;
  Model model{(nd::random::uniform(0, 1, {kHidden, kFeatures}, 3) * 2.0f - 1.0f) * scale,
              nd::zeros({kHidden}),
              (nd::random::uniform(0, 1, {kClasses, kHidden}, 4) * 2.0f - 1.0f) * scale,
              nd::zeros({kClasses})};
  ndjit::waitall();

  std::vector<int64_t> order(kSamples);
  std::iota(order.begin(), order.end(), 0);
  std::mt19937 rng(5);
  auto batch = [&](int64_t i, NDArray* x, NDArray* y) {  // a shuffled batch, as DataLoader
    const std::vector<int64_t> idx(order.begin() + i * kBatch, order.begin() + (i + 1) * kBatch);
    const NDArray rows = nd::array(idx, {kBatch});
    *x = nd::take(data, rows, 0);
    *y = nd::take(label, rows, 0);
  };
  const int64_t batches = kSamples / kBatch;
  {
    // The first step compiles its kernels; every later step finds them in the cache.
    NDArray x, y;
    batch(0, &x, &y);
    model.Loss(x, y).wait_to_read();
    ndjit::profiler::reset();
  }

  std::printf("Reading each loss one iteration late (the tutorial's LossBuffer):\n");
  std::shuffle(order.begin(), order.end(), rng);
  LossBuffer buffer;
  for (int64_t i = 0; i < batches; ++i) {
    NDArray x, y;
    batch(i, &x, &y);
    NDArray loss = model.Loss(x, y);
    loss.eval_async();  // hand the step to the engine; the loop goes on
    std::optional<NDArray> previous = buffer.new_loss(loss);
    OtherWork();
    if (previous) {
      const ndjit::HostArray h = previous->asnumpy(kLateSite);
      double mean = 0;
      for (int64_t j = 0; j < h.size(); ++j) mean += h.element_as_double(j);
      std::printf("  loss %.4f\n", mean / static_cast<double>(h.size()));
    }
  }

  std::printf("\nReading each loss at once:\n");
  std::shuffle(order.begin(), order.end(), rng);
  for (int64_t i = 0; i < batches; ++i) {
    NDArray x, y;
    batch(i, &x, &y);
    NDArray loss = model.Loss(x, y);
    loss.eval_async();
    const ndjit::HostArray h = loss.asnumpy(kAtOnceSite);
    double mean = 0;
    for (int64_t j = 0; j < h.size(); ++j) mean += h.element_as_double(j);
    std::printf("  loss %.4f\n", mean / static_cast<double>(h.size()));
    OtherWork();
  }
  ndjit::waitall();

  std::printf("\n%s", ndjit::profiler::summary().c_str());
  double delayed = 0, at_once = 0;
  for (const ndjit::profiler::CallSite& s : ndjit::profiler::call_sites()) {
    if (IsSite(s, kLateSite)) delayed += s.total_seconds;
    if (IsSite(s, kAtOnceSite)) at_once += s.total_seconds;
  }
  std::printf("\nblocked in asnumpy: %.2f ms reading one iteration late, %.2f ms reading at once\n",
              delayed * 1e3, at_once * 1e3);
  return 0;
}
