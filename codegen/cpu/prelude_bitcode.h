// The prelude (prelude.cc) as LLVM bitcode, embedded at build time.
#ifndef NDJIT_CODEGEN_CPU_PRELUDE_BITCODE_H_
#define NDJIT_CODEGEN_CPU_PRELUDE_BITCODE_H_

#include <cstddef>

namespace ndjit::codegen::cpu {

extern const unsigned char kPreludeBitcode[];
extern const size_t kPreludeBitcodeSize;

}  // namespace ndjit::codegen::cpu

#endif  // NDJIT_CODEGEN_CPU_PRELUDE_BITCODE_H_
