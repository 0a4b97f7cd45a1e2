// The tutorial's lesson in a few lines: ops return at once and only record a graph; a blocking
// accessor (asnumpy, asscalar, wait_to_read, waitall) computes what it needs.
#include <cstdio>

#include "ndjit/ndjit.h"

namespace nd = ndjit::nd;

int main() {
  ndjit::NDArray a = nd::array<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  ndjit::NDArray b = nd::random::uniform(0.0, 1.0, {2, 3}, /*seed=*/42);
  ndjit::NDArray c = nd::exp(a) * 2.0f + a - b;     // returns at once: nothing computed yet
  ndjit::NDArray s = nd::sum(c, /*axes=*/{1});      // also c.sum({1})
  ndjit::NDArray m = nd::matmul(a, a.transpose());  // (2, 3) @ (3, 2)

  std::printf("Recorded %lld ops; computed so far: %lld nodes.\n",
              static_cast<long long>(ndjit::stats().nodes_recorded),
              static_cast<long long>(ndjit::stats().nodes_evaluated));
  std::printf("\nThe pending graph behind s and m (what an accessor would evaluate):\n%s\n",
              ndjit::pending_ir({s, m}).c_str());

  std::printf("s = %s\n", s.asnumpy().ToString().c_str());  // blocks: computes c and s
  std::printf("m =\n%s\n", m.asnumpy().ToString().c_str());
  std::printf("mean of c = %g\n", nd::mean(c).asscalar<double>());
  std::printf("argmax of each row of c = %s\n", c.argmax(1).asnumpy().ToString().c_str());

  // Broadcasting and NumPy 2 promotion: float32 stays float32 with a C++ scalar.
  ndjit::NDArray r = nd::arange(0, 6, 2);  // int64 [0, 2, 4]
  ndjit::NDArray q = a / r.astype(ndjit::DType::kFloat32) + 1.0;
  std::printf("a / r + 1 = %s  (dtype %s)\n", q.asnumpy().ToString().c_str(),
              ndjit::DTypeName(q.dtype()));

  // Errors name the op, the operands and this file's line.
  try {
    ndjit::NDArray bad = a + nd::ones({4});
  } catch (const ndjit::ShapeError& e) {
    std::printf("\nShapeError: %s\n", e.what());
  }
  const ndjit::Stats st = ndjit::stats();
  std::printf(
      "\nComputed %lld nodes in %lld materializations: %lld fused kernels launched, %lld "
      "compiled (%.1f ms) and %lld loaded from the disk cache (%.1f ms) on the %s backend.\n",
      static_cast<long long>(st.nodes_evaluated), static_cast<long long>(st.materializations),
      static_cast<long long>(st.kernels_launched), static_cast<long long>(st.kernels_compiled),
      st.compile_seconds * 1e3, static_cast<long long>(st.kernels_loaded), st.load_seconds * 1e3,
      ndjit::backend().c_str());
  return 0;
}
