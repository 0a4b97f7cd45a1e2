// Process-wide switches (see config.h).
#include "runtime/config.h"

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "ir/status_macros.h"

namespace ndjit::runtime {

namespace {

std::mutex& Mu() {
  static auto* mu = new std::mutex();
  return *mu;
}

absl::StatusOr<Backend> ParseBackend(std::string_view name) {
  if (name == "cpu") return Backend::kCpu;
  if (name == "interp") return Backend::kInterp;
  if (name == "cuda") {
    // Not a backend: where an array is computed follows its context, not a switch.
    return absl::InvalidArgumentError(
        "backend \"cuda\" is not a backend switch: arrays on gpu(i) always run on the CUDA "
        "backend, and NDJIT_BACKEND (cpu or interp) chooses how everything else is computed; "
        "create arrays with a gpu(i) context or move them with as_in_context(gpu(i))");
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown backend \"", std::string(name), "\": expected cpu or interp"));
}

// A setter overrides its variable: a bad value of it no longer stands in the way.
void ClearEnvError(Config& c, const char* variable) {
  if (c.env_error_variable == variable) {
    c.env_error = absl::OkStatus();
    c.env_error_variable.clear();
  }
}

int HardwareThreads() { return std::max(1u, std::thread::hardware_concurrency()); }

std::atomic<bool>& EagerFlag() {
  static auto* flag = new std::atomic<bool>(false);
  return *flag;
}

Config& Current() {
  static Config* config = [] {
    auto* c = new Config();
    c->num_threads = HardwareThreads();
    if (const char* b = std::getenv("NDJIT_BACKEND"); b && *b) {
      absl::StatusOr<Backend> parsed = ParseBackend(b);
      if (parsed.ok()) {
        c->backend = *parsed;
      } else {
        c->env_error =
            absl::InvalidArgumentError(absl::StrCat("NDJIT_BACKEND: ", parsed.status().message()));
        c->env_error_variable = "NDJIT_BACKEND";
      }
    }
    if (const char* e = std::getenv("NDJIT_EAGER"); e && *e) {
      const std::string v = e;
      if (v == "1" || v == "true" || v == "on") {
        c->eager = true;
      } else if (!(v == "0" || v == "false" || v == "off")) {
        c->env_error =
            absl::InvalidArgumentError(absl::StrCat("NDJIT_EAGER=\"", v, "\": expected 1 or 0"));
        c->env_error_variable = "NDJIT_EAGER";
      }
    }
    if (const char* t = std::getenv("NDJIT_NUM_THREADS"); t && *t) {
      int n = 0;
      if (absl::SimpleAtoi(t, &n) && n >= 1 && n <= 1024) {
        c->num_threads = n;
      } else {
        c->env_error = absl::InvalidArgumentError(
            absl::StrCat("NDJIT_NUM_THREADS=\"", t, "\": expected an integer in [1, 1024]"));
        c->env_error_variable = "NDJIT_NUM_THREADS";
      }
    }
    if (const char* f = std::getenv("NDJIT_FLAGS"); f && *f) {
      passes::PipelineOptions options;
      absl::Status parsed = passes::ApplyPipelineFlags(f, &options);
      if (parsed.ok()) {
        c->pipeline = std::move(options);
        c->flags = f;
      } else {
        c->env_error = absl::InvalidArgumentError(absl::StrCat("NDJIT_FLAGS: ", parsed.message()));
        c->env_error_variable = "NDJIT_FLAGS";
      }
    }
    if (const char* d = std::getenv("NDJIT_DUMP_DIR"); d && *d) c->dump_dir = d;
    EagerFlag().store(c->eager, std::memory_order_relaxed);
    return c;
  }();
  return *config;
}

}  // namespace

Config GetConfig() {
  std::lock_guard<std::mutex> lock(Mu());
  return Current();
}

absl::Status SetBackend(std::string_view name) {
  absl::StatusOr<Backend> parsed = ParseBackend(name);
  if (!parsed.ok()) return parsed.status();
  std::lock_guard<std::mutex> lock(Mu());
  Current().backend = *parsed;
  ClearEnvError(Current(), "NDJIT_BACKEND");
  return absl::OkStatus();
}

void SetEager(bool eager) {
  std::lock_guard<std::mutex> lock(Mu());
  Current().eager = eager;
  ClearEnvError(Current(), "NDJIT_EAGER");
  EagerFlag().store(eager, std::memory_order_relaxed);
}

bool EagerMode() {
  static const bool initialized = (GetConfig(), true);  // reads the environment once
  (void)initialized;
  return EagerFlag().load(std::memory_order_relaxed);
}

absl::Status SetNumThreads(int n) {
  if (n < 1 || n > 1024) {
    return absl::InvalidArgumentError(
        absl::StrCat("set_num_threads(", n, "): expected an integer in [1, 1024]"));
  }
  std::lock_guard<std::mutex> lock(Mu());
  Current().num_threads = n;
  ClearEnvError(Current(), "NDJIT_NUM_THREADS");
  return absl::OkStatus();
}

absl::Status SetFlags(std::string_view flags) {
  passes::PipelineOptions options;
  RETURN_IF_ERROR(passes::ApplyPipelineFlags(flags, &options));
  std::lock_guard<std::mutex> lock(Mu());
  Current().pipeline = std::move(options);
  Current().flags = std::string(flags);
  ClearEnvError(Current(), "NDJIT_FLAGS");
  return absl::OkStatus();
}

void SetDumpDir(std::string dir) {
  std::lock_guard<std::mutex> lock(Mu());
  Current().dump_dir = std::move(dir);
}

const char* BackendName(Backend backend) { return backend == Backend::kCpu ? "cpu" : "interp"; }

}  // namespace ndjit::runtime
