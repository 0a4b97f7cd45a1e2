// NVRTC through dlopen (see nvrtc.h).
#include "codegen/cuda/nvrtc.h"

#include <dlfcn.h>
#include <nvrtc.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace ndjit::codegen::cuda {

namespace {

// The NVRTC entry points ndjit uses.
struct Nvrtc {
  decltype(&nvrtcVersion) version = nullptr;
  decltype(&nvrtcGetErrorString) error_string = nullptr;
  decltype(&nvrtcGetNumSupportedArchs) num_archs = nullptr;
  decltype(&nvrtcGetSupportedArchs) archs = nullptr;
  decltype(&nvrtcCreateProgram) create = nullptr;
  decltype(&nvrtcDestroyProgram) destroy = nullptr;
  decltype(&nvrtcCompileProgram) compile = nullptr;
  decltype(&nvrtcGetProgramLogSize) log_size = nullptr;
  decltype(&nvrtcGetProgramLog) log = nullptr;
  decltype(&nvrtcGetCUBINSize) cubin_size = nullptr;
  decltype(&nvrtcGetCUBIN) cubin = nullptr;
  decltype(&nvrtcGetPTXSize) ptx_size = nullptr;
  decltype(&nvrtcGetPTX) ptx = nullptr;
  std::string path;
};

absl::StatusOr<Nvrtc> Load() {
  std::vector<std::string> candidates = {"libnvrtc.so.13"};
  for (const char* var : {"CUDA_HOME", "CUDA_PATH"}) {
    if (const char* home = std::getenv(var); home != nullptr && *home != '\0') {
      candidates.push_back(absl::StrCat(home, "/lib64/libnvrtc.so.13"));
    }
  }
  candidates.push_back("/usr/local/cuda/lib64/libnvrtc.so.13");
  void* handle = nullptr;
  std::vector<std::string> errors;
  Nvrtc n;
  for (const std::string& path : candidates) {
    handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle != nullptr) {
      n.path = path;
      break;
    }
    const char* e = dlerror();
    errors.push_back(e != nullptr ? e : path);
  }
  if (handle == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("NVRTC (libnvrtc.so.13) not found: ", absl::StrJoin(errors, "; ")));
  }
  bool missing = false;
  std::string missing_names;
  auto bind = [&](auto& fn, const char* symbol) {
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(handle, symbol));
    if (fn == nullptr) {
      missing = true;
      absl::StrAppend(&missing_names, missing_names.empty() ? "" : ", ", symbol);
    }
  };
  bind(n.version, "nvrtcVersion");
  bind(n.error_string, "nvrtcGetErrorString");
  bind(n.num_archs, "nvrtcGetNumSupportedArchs");
  bind(n.archs, "nvrtcGetSupportedArchs");
  bind(n.create, "nvrtcCreateProgram");
  bind(n.destroy, "nvrtcDestroyProgram");
  bind(n.compile, "nvrtcCompileProgram");
  bind(n.log_size, "nvrtcGetProgramLogSize");
  bind(n.log, "nvrtcGetProgramLog");
  bind(n.cubin_size, "nvrtcGetCUBINSize");
  bind(n.cubin, "nvrtcGetCUBIN");
  bind(n.ptx_size, "nvrtcGetPTXSize");
  bind(n.ptx, "nvrtcGetPTX");
  if (missing) {
    return absl::FailedPreconditionError(
        absl::StrCat(n.path, " lacks the NVRTC entry points ", missing_names));
  }
  return n;  // the library stays loaded for the life of the process
}

absl::StatusOr<const Nvrtc*> Get() {
  static const absl::StatusOr<Nvrtc>* nvrtc = new absl::StatusOr<Nvrtc>(Load());
  if (!nvrtc->ok()) return nvrtc->status();
  return &**nvrtc;
}

absl::Status Check(const Nvrtc& n, nvrtcResult r, const char* what) {
  if (r == NVRTC_SUCCESS) return absl::OkStatus();
  return absl::InternalError(absl::StrCat(what, ": ", n.error_string(r)));
}

}  // namespace

absl::StatusOr<std::string> NvrtcVersion() {
  auto n = Get();
  if (!n.ok()) return n.status();
  int major = 0, minor = 0;
  if (absl::Status s = Check(**n, (*n)->version(&major, &minor), "nvrtcVersion"); !s.ok()) {
    return s;
  }
  return absl::StrCat(major, ".", minor);
}

absl::StatusOr<std::vector<int>> SupportedArchs() {
  auto n = Get();
  if (!n.ok()) return n.status();
  int count = 0;
  if (absl::Status s = Check(**n, (*n)->num_archs(&count), "nvrtcGetNumSupportedArchs"); !s.ok()) {
    return s;
  }
  std::vector<int> archs(static_cast<size_t>(count));
  if (absl::Status s = Check(**n, (*n)->archs(archs.data()), "nvrtcGetSupportedArchs"); !s.ok()) {
    return s;
  }
  return archs;
}

const std::string& ToolkitIncludeDir() {
  static const std::string* dir = [] {
    std::vector<std::string> candidates;
    for (const char* var : {"CUDA_HOME", "CUDA_PATH"}) {
      if (const char* home = std::getenv(var); home != nullptr && *home != '\0') {
        candidates.push_back(absl::StrCat(home, "/include"));
      }
    }
    candidates.push_back("/usr/local/cuda/include");
#ifdef NDJIT_CUDA_BUILD_INCLUDE_DIR
    candidates.push_back(NDJIT_CUDA_BUILD_INCLUDE_DIR);
#endif
    for (const std::string& c : candidates) {
      std::error_code ec;
      if (std::filesystem::exists(c + "/cuda_fp16.h", ec)) return new std::string(c);
    }
    return new std::string();
  }();
  return *dir;
}

absl::StatusOr<CudaImage> Compile(const std::string& source, const std::string& name, int sm,
                                  const std::vector<std::string>& options,
                                  const std::vector<std::pair<std::string, std::string>>& headers) {
  auto loaded = Get();
  if (!loaded.ok()) return loaded.status();
  const Nvrtc& n = **loaded;
  absl::StatusOr<std::vector<int>> archs = SupportedArchs();
  if (!archs.ok()) return archs.status();
  if (archs->empty()) return absl::InternalError("NVRTC reports no supported architecture");
  CudaImage out;
  // CUBIN for a known architecture; PTX of the newest known one for a newer GPU (the driver
  // compiles PTX for the device it runs on).
  const bool known = std::find(archs->begin(), archs->end(), sm) != archs->end();
  if (!known && sm < archs->front()) {
    return absl::InvalidArgumentError(absl::StrCat("sm_", sm, " is older than NVRTC ",
                                                   "supports (sm_", archs->front(), " and newer)"));
  }
  const int target = known ? sm : archs->back();
  out.cubin = known;
  out.target = absl::StrCat(known ? "sm_" : "compute_", target);
  nvrtcProgram program = nullptr;
  std::vector<const char*> header_names, header_texts;
  for (const auto& [header, text] : headers) {
    header_names.push_back(header.c_str());
    header_texts.push_back(text.c_str());
  }
  if (absl::Status s =
          Check(n,
                n.create(&program, source.c_str(), name.c_str(), static_cast<int>(headers.size()),
                         header_texts.data(), header_names.data()),
                "nvrtcCreateProgram");
      !s.ok()) {
    return s;
  }
  std::unique_ptr<nvrtcProgram, void (*)(nvrtcProgram*)> guard(&program, [](nvrtcProgram* p) {
    auto loaded_again = Get();
    if (loaded_again.ok()) (*loaded_again)->destroy(p);
  });
  std::vector<std::string> all = {absl::StrCat("--gpu-architecture=", out.target), "--std=c++17",
                                  "-default-device"};
  if (!ToolkitIncludeDir().empty()) all.push_back(absl::StrCat("-I", ToolkitIncludeDir()));
  all.insert(all.end(), options.begin(), options.end());
  std::vector<const char*> argv;
  for (const std::string& o : all) argv.push_back(o.c_str());
  const nvrtcResult compiled = n.compile(program, static_cast<int>(argv.size()), argv.data());
  size_t log_size = 0;
  if (n.log_size(program, &log_size) == NVRTC_SUCCESS && log_size > 1) {
    out.log.resize(log_size);
    if (n.log(program, out.log.data()) != NVRTC_SUCCESS) out.log.clear();
    while (!out.log.empty() && (out.log.back() == '\0' || out.log.back() == '\n')) {
      out.log.pop_back();
    }
  }
  if (compiled != NVRTC_SUCCESS) {
    return absl::InvalidArgumentError(absl::StrCat("NVRTC could not compile ", name, " for ",
                                                   out.target, " (", n.error_string(compiled),
                                                   "):\n", out.log));
  }
  size_t size = 0;
  if (out.cubin) {
    if (absl::Status s = Check(n, n.cubin_size(program, &size), "nvrtcGetCUBINSize"); !s.ok()) {
      return s;
    }
    out.image.resize(size);
    if (absl::Status s = Check(n, n.cubin(program, out.image.data()), "nvrtcGetCUBIN"); !s.ok()) {
      return s;
    }
  } else {
    if (absl::Status s = Check(n, n.ptx_size(program, &size), "nvrtcGetPTXSize"); !s.ok()) {
      return s;
    }
    out.image.resize(size);
    if (absl::Status s = Check(n, n.ptx(program, out.image.data()), "nvrtcGetPTX"); !s.ok()) {
      return s;
    }
  }
  return out;
}

}  // namespace ndjit::codegen::cuda
