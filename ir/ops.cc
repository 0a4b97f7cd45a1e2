// Static op properties, generated from ops.def.
#include "ir/ops.h"

#include <array>

#include "ir/op_info.h"

namespace ndjit::ir {
namespace {

constexpr std::array<OpInfo, kNumOps> kOpInfo = {{
#define NDJIT_OP(...) NDJIT_OP_INFO_ROW(__VA_ARGS__),
#include "ir/ops.def"
#undef NDJIT_OP
}};

constexpr bool AllColumnsAgree() {
  for (const OpInfo& info : kOpInfo) {
    if (!ColumnsAgree(info)) return false;
  }
  return true;
}
static_assert(AllColumnsAgree(),
              "ops.def: a reduction, argreduce or scan row lacks its combination, or another row "
              "names one");

}  // namespace

const char* OpName(Op op) { return kOpInfo[static_cast<int>(op)].name; }
int OpArity(Op op) { return kOpInfo[static_cast<int>(op)].arity; }
OpKind GetOpKind(Op op) { return kOpInfo[static_cast<int>(op)].kind; }
uint32_t OpAttrFields(Op op) { return kOpInfo[static_cast<int>(op)].attrs; }
RecomputeCost OpRecomputeCost(Op op) { return kOpInfo[static_cast<int>(op)].cost; }
DTypeDomain OpDTypeDomain(Op op) { return kOpInfo[static_cast<int>(op)].dtypes; }
std::optional<ReduceKind> OpCombination(Op op) { return kOpInfo[static_cast<int>(op)].combine; }

bool DTypeInDomain(DTypeDomain domain, DType dtype) {
  switch (domain) {
    case DTypeDomain::kAll:
      return true;
    case DTypeDomain::kNoBool:
      return dtype != DType::kBool;
    case DTypeDomain::kFloat:
      return IsFloat(dtype);
    case DTypeDomain::kNoFloat:
      return !IsFloat(dtype);
  }
  return false;
}

std::optional<Op> ParseOpName(std::string_view name) {
  for (int i = 0; i < kNumOps; ++i) {
    if (name == kOpInfo[i].name) return static_cast<Op>(i);
  }
  return std::nullopt;
}

}  // namespace ndjit::ir
