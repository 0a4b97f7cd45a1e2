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

// The function a kOp instruction `in` of `kernel` calls.
inline std::string PreludeOp(const ir::Kernel& kernel, const ir::KInstr& in) {
  const DType operand = kernel.instrs[in.args[0]].dtype;
  if (in.op == ir::Op::kCast) return PreludeCast(operand, in.dtype);
  if (in.op == ir::Op::kSelect) return absl::StrCat("ndj_select_", ir::DTypeShortName(in.dtype));
  return absl::StrCat("ndj_", ir::OpName(in.op), "_", ir::DTypeShortName(operand));
}

}  // namespace ndjit::codegen

#endif  // NDJIT_CODEGEN_PRELUDE_ABI_H_
