// Kernel IR -> LLVM IR for one kernel. Internal to codegen/cpu: jit.cc optimizes, links and
// compiles what this emits. The header names LLVM's module type only by declaration, so it may be
// included without LLVM's headers.
#ifndef NDJIT_CODEGEN_CPU_EMITTER_H_
#define NDJIT_CODEGEN_CPU_EMITTER_H_

#include <string>

#include "absl/status/status.h"
#include "ir/kernel.h"

namespace llvm {
class Module;
}  // namespace llvm

namespace ndjit::codegen::cpu {

// Emits `kernel` into `module` as the entry point `symbol` (cpu_backend.h's KernelFn signature)
// and the internal body it calls. The prelude's functions are declared, not defined: the caller
// links the prelude's bitcode. An error names what could not be emitted.
absl::Status EmitKernel(const ir::Kernel& kernel, llvm::Module& module, const std::string& symbol);

// The stores of a streamed buffer (ir::KBuffer::stream) that may become non-temporal, those of
// the aligned middle of a row segment, address their elements from a base pointer that is an
// llvm.ptrmask call with this mask (an alignment the optimizer keeps through vectorization, where
// metadata of its own would be dropped). The emitter makes no other ptrmask call; the JIT decides
// after vectorization (jit.cc).
inline constexpr int64_t kStreamLineMask = -64;

}  // namespace ndjit::codegen::cpu

#endif  // NDJIT_CODEGEN_CPU_EMITTER_H_
