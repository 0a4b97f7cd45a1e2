// The names of codegen/prelude.cc's functions, as both backends call them: `ndj_<op>_<dtype>`
// with the IR mnemonic and the operand's short dtype name, `ndj_cast_<from>_<to>`,
// `ndj_select_<dtype>` and `ndj_random_<dist>_<dtype>`. One place, so that the CPU and CUDA
// backends cannot disagree with the prelude or with each other.
#ifndef NDJIT_CODEGEN_PRELUDE_ABI_H_
#define NDJIT_CODEGEN_PRELUDE_ABI_H_

#include <string>

#include "absl/strings/str_cat.h"
#include "ir/attrs.h"
#include "ir/dtype.h"
#include "ir/kernel.h"
#include "ir/ops.h"

namespace ndjit::codegen {

inline std::string PreludeCast(DType from, DType to) {
  return absl::StrCat("ndj_cast_", ir::DTypeShortName(from), "_", ir::DTypeShortName(to));
}

inline std::string PreludeRandom(ir::RandomDist dist, DType dtype) {
  return absl::StrCat("ndj_random_", ir::RandomDistName(dist), "_", ir::DTypeShortName(dtype));
}

// The ops whose float rules the CPU prelude implements itself (its vector math) and also as
// glibc calls, `ndj_glibc_<op>_<dtype>`, for kernels with ir::Kernel::glibc_math.
inline bool HasGlibcVariant(ir::Op op) {
  return op == ir::Op::kExp || op == ir::Op::kExpm1 || op == ir::Op::kLog || op == ir::Op::kTanh ||
         op == ir::Op::kErf;
}

// The accuracy contract of the prelude's vector math (HasGlibcVariant's ops; ir/ops.def's header
// states it for users): the largest error, in units in the last place of `dtype` at the exact
// result, over every input. float32 results are within a few ulps (measured over all 2^32
// inputs: exp 1.06, expm1 1.65, log 0.86, tanh 2.42, erf 1.22); float16 and bfloat16 results are
// the float32 result rounded once, so within half an ulp of the exact result plus the float32 error
// (in their units, 2^-13 or 2^-16 ulp per float32 ulp). tests/codegen/vector_math_test.cc checks
// the CPU JIT, tests/cuda/cuda_emulation_test.cc the CUDA emulation (the same prelude as host
// code). CUDA devices use CUDA's functions and their documented bounds instead.
inline double VectorMathUlpBound(ir::Op op, DType dtype) {
  if (dtype == DType::kFloat16 || dtype == DType::kBFloat16) return 0.51;
  switch (op) {
    case ir::Op::kExp:
      return 1.5;
    case ir::Op::kExpm1:
      return 2.0;
    case ir::Op::kLog:
      return 1.0;
    case ir::Op::kTanh:
      return 3.0;
    case ir::Op::kErf:
      return 2.0;
    case ir::Op::kPow:
      // Not the prelude's own: glibc's powf (libmvec's in vector loops, libm's in scalar
      // remainders), within the 4 ulps glibc documents for libmvec; measured on 2^24 sampled
      // pairs: see tests/codegen/vector_math_test.cc's VectorMath.PowIsWithinItsBound.
      return 4.0;
    default:
      return 0.0;
  }
}

// The function a kOp instruction `in` of `kernel` calls.
inline std::string PreludeOp(const ir::Kernel& kernel, const ir::KInstr& in) {
  const DType operand = kernel.instrs[in.args[0]].dtype;
  if (in.op == ir::Op::kCast) return PreludeCast(operand, in.dtype);
  if (in.op == ir::Op::kSelect) return absl::StrCat("ndj_select_", ir::DTypeShortName(in.dtype));
  const char* prefix = kernel.glibc_math && HasGlibcVariant(in.op) ? "ndj_glibc_" : "ndj_";
  return absl::StrCat(prefix, ir::OpName(in.op), "_", ir::DTypeShortName(operand));
}

}  // namespace ndjit::codegen

#endif  // NDJIT_CODEGEN_PRELUDE_ABI_H_
