// Software prefetches for the loads of CPU kernels. Internal to codegen/cpu: jit.cc runs
// InsertPrefetches after the optimization pipeline, for kernels with ir::Kernel::prefetch (the
// default; `--prefetch=0` turns it off). The header names LLVM's module type only by
// declaration, so it may be included without LLVM's headers.
//
// Why: a kernel that computes a few dozen instructions per element (gelu's tanh, exp) keeps too
// few loads in flight for the hardware's prefetchers to hide memory latency, and becomes
// latency-bound; with non-temporal stores (ir::KBuffer::stream) it got slower still. Measured on
// the development VM (2 vCPUs, AVX-512), 2^24 float32 elements on 2 threads, the same JIT code
// with and without these prefetches: exp(x)*0.5 4.2 -> 3.0 ms with cached stores and
// 4.6 -> 2.6 ms streamed; tanh(x)*0.5 4.4 -> 2.8 ms streamed; W2 (gelu) in paired rounds
// 0.090 -> 0.039 of its hand loop, streamed. Memory-bound loops gain less: W1 (a*b+c) and W4
// (mean((a-b)^2)) moved within the machine's noise. Distances of 1, 2 and 4 KiB measured alike
// for W2; 2 KiB was best for W1.
#ifndef NDJIT_CODEGEN_CPU_PREFETCH_H_
#define NDJIT_CODEGEN_CPU_PREFETCH_H_

#include <cstdint>

namespace llvm {
class Module;
}  // namespace llvm

namespace ndjit::codegen::cpu {

// How far ahead of a kernel's loads their data is prefetched, in bytes.
inline constexpr int64_t kPrefetchDistanceBytes = 2048;
// Loads whose address advances by more than kMaxPrefetchStepBytes per loop iteration (a strided
// walk over a dimension that is not the innermost), or by less than kMinPrefetchStepBytes (a
// scalar loop: a vector loop's remainder, a loop left unvectorized, where a prefetch per element
// would cost a load slot per element), are left to the hardware's prefetchers (not measured).
inline constexpr int64_t kMinPrefetchStepBytes = 16;
inline constexpr int64_t kMaxPrefetchStepBytes = 1024;

// Adds a prefetch into the first-level cache before each load of an innermost loop, other than
// of the stack (a tiled reduction's accumulator array), whose address advances by a constant step
// in [kMinPrefetchStepBytes, kMaxPrefetchStepBytes] per iteration: of the address the load will
// read ceil(distance / step) iterations later (so a strided walk prefetches elements it reads,
// never the lines between them). Loads whose addresses differ by a constant of less than a cache
// line share one prefetch: an unrolled vector loop (LLVM's, 4 vectors of 32 or 64 bytes per input)
// prefetches each line once; a loop that advances 16 or 32 bytes, 4 or 2 times. Returns the number
// of prefetches added.
int InsertPrefetches(llvm::Module& module, int64_t distance_bytes);

}  // namespace ndjit::codegen::cpu

#endif  // NDJIT_CODEGEN_CPU_PREFETCH_H_
