// The CPU backend: kernel IR -> LLVM IR -> native code through ORC LLJIT.
//
// A compiled kernel is a function over a range of its domain's row-major points:
//
//   void kernel(void* const* buffers, const int64_t* params, int64_t* status,
//               int64_t begin, int64_t end);
//
// so the runtime can split the domain across threads. `buffers` follows the kernel's buffer
// list, `params` its size parameters. `status` points at three int64s, zero on entry: a failed
// run-time check stores its code, offending value and graph node id there (the first one wins).
//
// Generated code: the domain is walked row by row with the innermost dim as the inner loop (which
// LLVM vectorizes for the host CPU's widest profitable vectors). A streamed output buffer
// (KBuffer::stream) splits each row segment at 64-byte boundaries of its address: the aligned
// middle's vector stores become non-temporal (`!nontemporal`, vmovntps), followed by an sfence
// before the kernel returns; the unaligned ends and the scalar remainder are stored normally.
// Scalar semantics come from the
// prelude (prelude.cc, linked as bitcode and inlined); libm calls are marked pure and mapped to
// glibc's vector math library (libmvec), so transcendental loops vectorize without fast-math.
// Float sums are reassociated only inside one reduction loop (a fixed split per compiled kernel,
// so results are reproducible run to run and across thread counts). No other fast-math flag is
// used: NaN, infinities and signed zeros behave as in the interpreter.
#ifndef NDJIT_CODEGEN_CPU_CPU_BACKEND_H_
#define NDJIT_CODEGEN_CPU_CPU_BACKEND_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "ir/kernel.h"

namespace ndjit::codegen::cpu {

using KernelFn = void (*)(void* const* buffers, const int64_t* params, int64_t* status,
                          int64_t begin, int64_t end);

struct CompileOptions {
  bool keep_llvm_ir = false;   // optimized LLVM IR text, for dumps and `ndjit-inspect --emit=llvm`
  bool keep_assembly = false;  // native assembly text
  bool keep_object = false;    // the object file, for the disk cache (LoadObject takes it back)
  // The kernel's symbol. Empty: a name no other compile in this process uses. A caller that
  // names symbols must give one name to one kernel text only (the disk cache derives it from its
  // key): when the name is linked into this process already, that code is returned, without
  // compiling unless an output above (LLVM IR, assembly, object) is asked for.
  std::string symbol;
};

struct CompiledKernel {
  KernelFn fn = nullptr;
  std::string symbol;
  std::string llvm_ir;
  std::string assembly;
  std::string object;  // with CompileOptions::keep_object: a relocatable ELF object
  double compile_seconds = 0;
};

// Compiles `kernel`. Thread-safe: compilations on different threads run in parallel, only the
// final link into the JIT is serialized. The code lives as long as the process. An error carries
// the kernel text and, for an LLVM verifier failure, its message.
absl::StatusOr<CompiledKernel> Compile(const ir::Kernel& kernel,
                                       const CompileOptions& options = {});

// Links an object that Compile produced (possibly in another process of the same build on the
// same CPU: see CodeIdentity) and returns its kernel `symbol`. A symbol already linked into this
// process is returned as is. An object for another architecture, one that does not define
// `symbol` or defines any other global, or one the JIT's linker rejects is an error; what a
// rejected object added to the JIT is removed.
absl::StatusOr<KernelFn> LoadObject(std::string_view object, const std::string& symbol);

// The target the code is generated for ("x86_64-pc-linux-gnu skylake-avx512 +avx512f,..."): part
// of every cache key.
const std::string& TargetDescription();

// Everything besides the kernel text that the compiled code depends on, one item per line: the
// LLVM version, TargetDescription() (triple, CPU name, features, libmvec), glibc's version (which
// vector math functions exist), a hash of the prelude's bitcode and one of this build's code
// generator sources (the emitter, the prelude and the IR and public headers they read). Two
// processes with equal identities compile equal kernel texts to equivalent objects.
const std::string& CodeIdentity();

// Whether glibc's vector math library was found (transcendental loops vectorize only then).
bool HasVectorMath();

// Constructs the LLVM state that the JIT's first use creates and that is destroyed at exit (the
// set of loaded libraries), so that exit handlers registered afterwards run before its destructor.
// The engine registers its shutdown (which waits for a kernel being compiled) after calling this:
// a program that exits while the engine's first task initializes the JIT then waits for it,
// instead of destroying that set under the engine's feet.
void PrepareForExit();

// The last-level cache's size in bytes, from sysfs (the largest cache level of cpu0), else
// sysconf, else 32 MiB; read once. In a VM sysconf may report the host's total (320 MiB on the
// development VM, whose sysfs says 32 MiB), so sysfs comes first.
int64_t LastLevelCacheBytes();

// The default GraphCompileOptions::streaming_store_bytes for CPU kernels: the last-level cache's
// size, at most kStreamingStoreCap. An output that large is written with non-temporal stores
// (ir::KBuffer::stream): the cache cannot keep it for its next reader anyway, and a streaming store
// saves reading each destination line before writing it. Smaller outputs are stored normally, so a
// consumer of a cache-sized intermediate still finds it in the cache. Measured in paired rounds on
// the development VM (32 MiB LLC; bench Paired/*): W1's 64 MiB output streamed took 0.69-0.82x the
// time of cached stores, while W5's 16 MiB output (with a 16 MiB input) took 1.3x as long
// streamed, so half the cache was too low a threshold. The cap: a virtual machine's sysfs may
// report the host's whole L3, which the guest shares with every other tenant (a 2-vCPU
// development VM reported 480 MiB); there W1's 64 MiB output stored through the caches ran at
// the cached hand loop's speed, 1.2x the time of the same loop with streaming stores.
int64_t StreamingStoreBytes();
// StreamingStoreBytes' cap.
inline constexpr int64_t kStreamingStoreCap = int64_t{32} << 20;

}  // namespace ndjit::codegen::cpu

#endif  // NDJIT_CODEGEN_CPU_CPU_BACKEND_H_
