// DType helpers for the IR: short IR names, NumPy 2 promotion, and scalar kinds.
//
// Promotion follows NumPy 2 (NEP 50) over ndjit's nine dtypes. Where NumPy's result is a dtype
// ndjit does not have (int8 with uint8 gives int16 in NumPy) the next larger ndjit dtype that holds
// both is used (int32). bfloat16 is not a NumPy dtype; it promotes like ml_dtypes/JAX: with float16
// to float32, with int8/uint8 to bfloat16, with wider ints to float64.
#ifndef NDJIT_IR_DTYPE_H_
#define NDJIT_IR_DTYPE_H_

#include <cstdint>
#include <optional>
#include <string_view>

#include "ndjit/dtype.h"

namespace ndjit::ir {

// The IR's short name: "bool", "i8", "u8", "i32", "i64", "f16", "bf16", "f32", "f64".
const char* DTypeShortName(DType dtype);
// Accepts both the short IR name and NumPy's name.
std::optional<DType> ParseDType(std::string_view name);

// Promotion of two array dtypes (NumPy's np.result_type of two arrays).
DType PromoteTypes(DType a, DType b);

// What kind of C++ scalar an operand is, for NumPy 2 "weak scalar" promotion.
enum class ScalarKind : uint8_t { kBool, kInt, kFloat };
// Promotion of an array dtype with a weak scalar: the array's dtype wins within the scalar's
// kind; a float scalar with an integer or bool array gives float64; an int scalar with a bool
// array gives int64.
DType PromoteWithScalar(DType array, ScalarKind scalar);

// The inclusive value range of bool (0..1) and the integer dtypes; float dtypes give int64's.
struct IntRange {
  int64_t lo;
  int64_t hi;
};
IntRange IntegerRange(DType dtype);

// The dtype NumPy gives a default scalar of that kind (bool, int64, float64).
DType DefaultDType(ScalarKind kind);

}  // namespace ndjit::ir

#endif  // NDJIT_IR_DTYPE_H_
