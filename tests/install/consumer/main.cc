// Uses only the installed public header; prints a value computed lazily.
#include <ndjit/ndjit.h>

#include <cstdio>

int main() {
  namespace nd = ndjit::nd;
  ndjit::NDArray a = nd::array<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  ndjit::NDArray s = nd::sum(a * 2.0f + 1.0f, /*axes=*/{1});
  const ndjit::HostArray h = s.asnumpy();
  std::printf("consumer: %g %g\n", h.data<float>()[0], h.data<float>()[1]);
  return h.data<float>()[0] == 15.0f && h.data<float>()[1] == 33.0f ? 0 : 1;
}
