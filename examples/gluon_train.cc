// The MXNet tutorial's closing example in C++: train Dense(10) with SoftmaxCELoss and SGD, and
// read each batch's loss one iteration late (the LossBuffer) so that the blocking asnumpy()
// finds it computed instead of waiting for it.
//
// The loop is the tutorial's: 1024 x 100 uniform data, random int32 labels in [0, 10), batch
// 128, shuffle, Dense(10), SoftmaxCELoss, Trainer(params, "sgd"); it prints the 7 delayed
// losses (about ln(10) = 2.30, the labels being random). Then it runs the same loop reading the
// loss at once, and prints what the profiler measured for both reads: calls, how many had to
// wait for the engine, and the time blocked.
//
//   ndjit_gluon_train [--epochs N] [--host-work-ms MS]
//
// --host-work-ms adds that much other host work per iteration (the rest of a real training
// script: data augmentation, logging), which is what the one-iteration delay overlaps with the
// engine; without it, both reads block for about the same short time.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <source_location>
#include <string>
#include <thread>

#include "ndjit/ndjit.h"

namespace nd = ndjit::nd;
namespace gluon = ndjit::gluon;
using ndjit::NDArray;

// Holds the loss of the previous batch (the tutorial's class).
class LossBuffer {
 public:
  // Stores `loss` and returns the one stored before (none the first time).
  std::optional<NDArray> new_loss(NDArray loss) {
    std::optional<NDArray> previous = loss_;
    loss_ = std::move(loss);
    return previous;
  }
  const NDArray& loss() const { return *loss_; }

 private:
  std::optional<NDArray> loss_;
};

double Mean(const ndjit::HostArray& a) {
  double s = 0;
  for (int64_t i = 0; i < a.size(); ++i) s += a.data<float>()[i];
  return a.size() > 0 ? s / static_cast<double>(a.size()) : 0.0;
}

void HostWork(int ms) {
  if (ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

// What the profiler measured at one call site.
struct Reads {
  int64_t calls = 0, waits = 0;
  double seconds = 0;
};
Reads ReadsAt(const std::source_location& site) {
  Reads r;
  const std::string text = std::string(site.file_name()) + ":" + std::to_string(site.line()) + ":" +
                           std::to_string(site.column());
  for (const ndjit::profiler::CallSite& c : ndjit::profiler::call_sites()) {
    if (c.site == text) {
      r.calls += c.calls;
      r.waits += c.waits;
      r.seconds += c.total_seconds;
    }
  }
  return r;
}

int main(int argc, char** argv) {
  const auto started = std::chrono::steady_clock::now();
  double first_loss_ms = -1;  // main() to the first loss read (bench/startup.sh)
  int epochs = 1;
  int host_work_ms = 0;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--epochs") == 0 && i + 1 < argc) {
      epochs = std::atoi(argv[++i]);
    } else if (std::strcmp(argv[i], "--host-work-ms") == 0 && i + 1 < argc) {
      host_work_ms = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: %s [--epochs N] [--host-work-ms MS]\n", argv[0]);
      return 2;
    }
  }

  nd::random::seed(42);
  NDArray data = nd::random::uniform(0, 1, {1024, 100});
  NDArray label = nd::random::randint(0, 10, {1024}, std::nullopt, ndjit::DType::kInt32);
  gluon::data::ArrayDataset dataset(data, label);
  gluon::data::DataLoader loader(dataset, /*batch_size=*/128, /*shuffle=*/true);
  gluon::loss::SoftmaxCELoss ce;

  // ---- The tutorial's loop: the loss is read one iteration late ----
  gluon::nn::Dense net(10);
  net.initialize();
  gluon::Trainer trainer(net.collect_params(), "sgd");
  LossBuffer buffer;
  // The read's call site, named explicitly so that the profiler's entry can be found.
  const std::source_location delayed_site = std::source_location::current();
  const ndjit::Stats before = ndjit::stats();
  int64_t compiled_after_first_step = -1;  // kernels compiled or loaded from the disk cache
  int64_t loaded_in_first_step = 0;
  int step = 0;
  std::printf("delayed loss (LossBuffer):\n");
  for (int epoch = 0; epoch < epochs; ++epoch) {
    for (const gluon::data::Batch& batch : loader) {
      // A learning-rate schedule: a float scalar is a kernel parameter, so it compiles nothing.
      trainer.set_learning_rate(0.01 / (1.0 + 0.1 * step++));
      std::optional<NDArray> prev;
      {
        ndjit::autograd::Record record;
        NDArray out = net(batch.data);
        prev = buffer.new_loss(ce(out, batch.label));
      }
      buffer.loss().backward();
      trainer.step(batch.data.shape()[0]);
      if (prev) {
        std::printf("%.6f\n", Mean(prev->asnumpy(delayed_site)));
        if (first_loss_ms < 0) {
          first_loss_ms =
              std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
                  .count();
        }
      }
      HostWork(host_work_ms);
      if (compiled_after_first_step < 0) {
        ndjit::waitall();  // the first step's kernels, compiled
        const ndjit::Stats first = ndjit::stats();
        compiled_after_first_step = first.kernels_compiled + first.kernels_loaded;
        loaded_in_first_step = first.kernels_loaded - before.kernels_loaded;
      }
    }
  }
  ndjit::waitall();
  const ndjit::Stats after = ndjit::stats();
  const Reads delayed = ReadsAt(delayed_site);

  // ---- The same loop, reading each loss at once ----
  gluon::nn::Dense net2(10);
  net2.initialize();
  gluon::Trainer trainer2(net2.collect_params(), "sgd");
  const std::source_location immediate_site = std::source_location::current();
  for (int epoch = 0; epoch < epochs; ++epoch) {
    for (const gluon::data::Batch& batch : loader) {
      NDArray loss;
      {
        ndjit::autograd::Record record;
        loss = ce(net2(batch.data), batch.label);
      }
      loss.backward();
      trainer2.step(batch.data.shape()[0]);
      Mean(loss.asnumpy(immediate_site));
      HostWork(host_work_ms);
    }
  }
  ndjit::waitall();
  const Reads immediate = ReadsAt(immediate_site);

  std::printf(
      "kernels compiled or loaded: %lld in the first step (%lld from the disk cache), %lld in the "
      "later ones\n",
      static_cast<long long>(compiled_after_first_step - before.kernels_compiled -
                             before.kernels_loaded),
      static_cast<long long>(loaded_in_first_step),
      static_cast<long long>(after.kernels_compiled + after.kernels_loaded -
                             compiled_after_first_step));
  std::printf("first loss after %.1f ms (from the start of main)\n", first_loss_ms);
  std::printf("asnumpy one iteration late: %lld calls, %lld waited, %.3f ms blocked\n",
              static_cast<long long>(delayed.calls), static_cast<long long>(delayed.waits),
              delayed.seconds * 1e3);
  std::printf("asnumpy at once:            %lld calls, %lld waited, %.3f ms blocked\n",
              static_cast<long long>(immediate.calls), static_cast<long long>(immediate.waits),
              immediate.seconds * 1e3);
  return 0;
}
