// Static op properties, generated from ops.def.
#include "ir/ops.h"

#include <array>

namespace ndjit::ir {
namespace {

struct OpInfo {
  const char* name;
  int arity;
  OpKind kind;
  uint32_t attrs;
};

constexpr std::array<OpInfo, kNumOps> kOpInfo = {{
#define NDJIT_OP(Enum, mnemonic, arity, kind, attrs) {mnemonic, arity, OpKind::kind, (attrs)},
#include "ir/ops.def"
#undef NDJIT_OP
}};

}  // namespace

const char* OpName(Op op) { return kOpInfo[static_cast<int>(op)].name; }
int OpArity(Op op) { return kOpInfo[static_cast<int>(op)].arity; }
OpKind GetOpKind(Op op) { return kOpInfo[static_cast<int>(op)].kind; }
uint32_t OpAttrFields(Op op) { return kOpInfo[static_cast<int>(op)].attrs; }

std::optional<Op> ParseOpName(std::string_view name) {
  for (int i = 0; i < kNumOps; ++i) {
    if (name == kOpInfo[i].name) return static_cast<Op>(i);
  }
  return std::nullopt;
}

}  // namespace ndjit::ir
