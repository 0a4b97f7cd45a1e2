// NVRTC, loaded at run time: CUDA C++ source -> CUBIN for one GPU architecture (or PTX).
//
// libnvrtc.so.13 is found on the loader path, else under $CUDA_HOME/lib64 or
// /usr/local/cuda/lib64. Nothing needs a GPU or a driver: CUBIN for any architecture NVRTC knows
// can be produced on a machine without one. The renderer (cuda_source.h) produces the sources.
#ifndef NDJIT_CODEGEN_CUDA_NVRTC_H_
#define NDJIT_CODEGEN_CUDA_NVRTC_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace ndjit::codegen::cuda {

struct CudaImage {
  std::string image;  // CUBIN (ELF) or PTX text
  bool cubin = false;
  std::string target;  // "sm_90" (CUBIN) or "compute_90" (PTX)
  std::string log;     // NVRTC's log (warnings), possibly empty
};

// NVRTC's version as "13.0", or why it cannot be loaded.
absl::StatusOr<std::string> NvrtcVersion();
// The SM versions NVRTC can compile for (75, 80, ..., as integers).
absl::StatusOr<std::vector<int>> SupportedArchs();

// Compiles `source` (named `name` in messages) for SM `sm` (80 for sm_80): to CUBIN when NVRTC
// knows that architecture, else to PTX for the newest one it knows (the driver JIT-compiles PTX
// for newer GPUs). `options` are extra NVRTC options; `headers` are (name, text) pairs the source
// may include. The toolkit's include folder (for cuda_fp16.h and cuda_bf16.h) is on the include
// path when found. A compile error carries NVRTC's log.
absl::StatusOr<CudaImage> Compile(
    const std::string& source, const std::string& name, int sm,
    const std::vector<std::string>& options = {},
    const std::vector<std::pair<std::string, std::string>>& headers = {});

// The CUDA toolkit's include folder ($CUDA_HOME/include, $CUDA_PATH/include,
// /usr/local/cuda/include or the folder the build found), or empty when none holds cuda_fp16.h.
const std::string& ToolkitIncludeDir();

}  // namespace ndjit::codegen::cuda

#endif  // NDJIT_CODEGEN_CUDA_NVRTC_H_
