// Counter-based random numbers shared by every backend.
//
// The value at flat index n of a `random` node is a pure function of (seed, n): SplitMix64's
// output function applied to a state derived from the seed and advanced by n. SplitMix64 passes
// BigCrush, needs no state between elements, and is a handful of integer ops in any backend.
#ifndef NDJIT_IR_RANDOM_H_
#define NDJIT_IR_RANDOM_H_

#include <cmath>
#include <cstdint>

#include "ir/scalar_rules.h"  // NDJIT_HOST_DEVICE
#include "ndjit/dtype.h"

namespace ndjit::ir {

NDJIT_HOST_DEVICE inline uint64_t SplitMix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

NDJIT_HOST_DEVICE inline uint64_t RandomBits(uint64_t seed, uint64_t counter) {
  const uint64_t base = SplitMix64(seed + 0x9e3779b97f4a7c15ull);
  return SplitMix64(base + (counter + 1) * 0x9e3779b97f4a7c15ull);
}

// Significand bits of a uniform draw in [0, 1) for the dtype, so that every draw is exactly
// representable (and therefore never rounds up to 1).
NDJIT_HOST_DEVICE inline int UniformBits(DType dtype) {
  switch (dtype) {
    case DType::kFloat16:
      return 11;
    case DType::kBFloat16:
      return 8;
    case DType::kFloat32:
      return 24;
    default:
      return 53;
  }
}

// Uniform in [0, 1) with `bits` significant bits.
NDJIT_HOST_DEVICE inline double UniformFromBits(uint64_t r, int bits) {
  return static_cast<double>(r >> (64 - bits)) * std::ldexp(1.0, -bits);
}

// Standard normal for element n by Box-Muller over counters 2n and 2n+1, in double.
NDJIT_HOST_DEVICE inline double NormalAt(uint64_t seed, uint64_t n) {
  const double u1 = UniformFromBits(RandomBits(seed, 2 * n), 53);
  const double u2 = UniformFromBits(RandomBits(seed, 2 * n + 1), 53);
  return std::sqrt(-2.0 * std::log1p(-u1)) * std::cos(6.283185307179586 * u2);
}

}  // namespace ndjit::ir

#endif  // NDJIT_IR_RANDOM_H_
