// Attribute equality and canonical scalar text.
#include "ir/attrs.h"

#include <bit>
#include <charconv>
#include <cmath>

#include "absl/hash/hash.h"

namespace ndjit::ir {

bool Scalar::operator==(const Scalar& other) const {
  if (kind != other.kind) return false;
  if (kind == Kind::kInt) return i == other.i;
  if (std::isnan(f) && std::isnan(other.f)) return true;
  return std::bit_cast<uint64_t>(f) == std::bit_cast<uint64_t>(other.f);
}

std::string ScalarToString(const Scalar& s) {
  if (!s.is_float()) return std::to_string(s.i);
  if (std::isnan(s.f)) return "nan";
  if (std::isinf(s.f)) return s.f > 0 ? "inf" : "-inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), s.f);  // shortest round-trip form
  std::string text(buf, end);
  if (text.find_first_of(".e") == std::string::npos) text += ".0";
  return text;
}

const char* RandomDistName(RandomDist d) {
  switch (d) {
    case RandomDist::kUniform:
      return "uniform";
    case RandomDist::kNormal:
      return "normal";
  }
  return "?";
}

const char* AttrFieldName(AttrField field) {
  switch (field) {
    case kAttrAxes:
      return "axes";
    case kAttrAxis:
      return "axis";
    case kAttrDist:
      return "dist";
    case kAttrHigh:
      return "high";
    case kAttrIndex:
      return "index";
    case kAttrLow:
      return "low";
    case kAttrPerm:
      return "perm";
    case kAttrSeed:
      return "seed";
    case kAttrStarts:
      return "starts";
    case kAttrSteps:
      return "steps";
    case kAttrValue:
      return "value";
  }
  return "?";
}

bool Attrs::Equals(const Attrs& o, uint32_t fields) const {
  if ((fields & kAttrAxes) && axes != o.axes) return false;
  if ((fields & kAttrAxis) && axis != o.axis) return false;
  if ((fields & kAttrDist) && dist != o.dist) return false;
  if ((fields & kAttrHigh) && high != o.high) return false;
  if ((fields & kAttrIndex) && index != o.index) return false;
  if ((fields & kAttrLow) && low != o.low) return false;
  if ((fields & kAttrPerm) && perm != o.perm) return false;
  if ((fields & kAttrSeed) && seed != o.seed) return false;
  if ((fields & kAttrStarts) && starts != o.starts) return false;
  if ((fields & kAttrSteps) && steps != o.steps) return false;
  if ((fields & kAttrValue) && !(value == o.value)) return false;
  return true;
}

}  // namespace ndjit::ir

namespace ndjit::ir {

size_t Attrs::Hash(uint32_t fields) const {
  size_t h = 0;
  if (fields & kAttrAxes) h = absl::HashOf(h, axes);
  if (fields & kAttrAxis) h = absl::HashOf(h, axis);
  if (fields & kAttrDist) h = absl::HashOf(h, static_cast<int>(dist));
  if (fields & kAttrHigh) h = absl::HashOf(h, high);
  if (fields & kAttrIndex) h = absl::HashOf(h, index);
  if (fields & kAttrLow) h = absl::HashOf(h, low);
  if (fields & kAttrPerm) h = absl::HashOf(h, perm);
  if (fields & kAttrSeed) h = absl::HashOf(h, seed);
  if (fields & kAttrStarts) h = absl::HashOf(h, starts);
  if (fields & kAttrSteps) h = absl::HashOf(h, steps);
  if (fields & kAttrValue) {
    // Every NaN is one attribute value (Scalar's equality); other floats hash by their bits.
    const uint64_t bits =
        std::isnan(value.f) ? 0x7ff8000000000000ull : std::bit_cast<uint64_t>(value.f);
    h = absl::HashOf(h, static_cast<int>(value.kind), value.i, bits);
  }
  return h;
}

}  // namespace ndjit::ir
