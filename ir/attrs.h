// Typed attributes of IR nodes.
//
// Every op carries a fixed set of named attribute fields (declared in ops.def as AttrField
// bits). They are typed struct members, not a string map; the printer and parser walk the fields
// an op declares in alphabetical order, which is the canonical text order.
#ifndef NDJIT_IR_ATTRS_H_
#define NDJIT_IR_ATTRS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ndjit::ir {

// A scalar attribute value: an integer (bool and integer dtypes) or a double (float dtypes).
struct Scalar {
  enum class Kind : uint8_t { kInt, kFloat };
  Kind kind = Kind::kInt;
  int64_t i = 0;
  double f = 0.0;

  static Scalar Int(int64_t v) { return Scalar{Kind::kInt, v, 0.0}; }
  static Scalar Float(double v) { return Scalar{Kind::kFloat, 0, v}; }
  bool is_float() const { return kind == Kind::kFloat; }
  double AsDouble() const { return is_float() ? f : static_cast<double>(i); }
  // Bitwise equality for floats (NaN equals NaN, 0.0 differs from -0.0).
  bool operator==(const Scalar& other) const;
};
// Canonical text: integers in decimal; floats in the shortest form that reads back exactly,
// always with '.', 'e', "inf" or "nan" so that they never read back as integers.
std::string ScalarToString(const Scalar& s);

enum class RandomDist : uint8_t { kUniform, kNormal };
const char* RandomDistName(RandomDist d);

// Attribute fields, in alphabetical order of their text names (the canonical print order).
enum AttrField : uint32_t {
  kAttrAxes = 1u << 0,    // "axes": int list
  kAttrAxis = 1u << 1,    // "axis": int
  kAttrDist = 1u << 2,    // "dist": uniform | normal
  kAttrHigh = 1u << 3,    // "high": int list
  kAttrIndex = 1u << 4,   // "index": int
  kAttrLow = 1u << 5,     // "low": int list
  kAttrPerm = 1u << 6,    // "perm": int list
  kAttrSeed = 1u << 7,    // "seed": uint64
  kAttrStarts = 1u << 8,  // "starts": int list
  kAttrSteps = 1u << 9,   // "steps": int list
  kAttrValue = 1u << 10,  // "value": scalar
};
inline constexpr int kNumAttrFields = 11;
const char* AttrFieldName(AttrField field);

struct Attrs {
  std::vector<int64_t> axes;
  int64_t axis = 0;
  RandomDist dist = RandomDist::kUniform;
  std::vector<int64_t> high;
  int64_t index = 0;
  std::vector<int64_t> low;
  std::vector<int64_t> perm;
  uint64_t seed = 0;
  std::vector<int64_t> starts;
  std::vector<int64_t> steps;
  Scalar value;

  // Equality over the fields in `fields` only (the ones an op carries).
  bool Equals(const Attrs& other, uint32_t fields) const;
  // A hash over the same fields, consistent with Equals (every NaN hashes alike).
  size_t Hash(uint32_t fields) const;
};

}  // namespace ndjit::ir

#endif  // NDJIT_IR_ATTRS_H_
