// HostArray's lazy copies: asnumpy shares the computed buffer, copies share theirs, and a write
// never reaches another array (counted by pointers, never timed).
#include <cstdint>
#include <vector>

#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace ndjit {
namespace {

namespace nd = ndjit::nd;

NDArray Computed(int64_t n) {
  NDArray a = nd::arange(0, n, 1).astype(DType::kFloat32) * 2.0f;
  a.wait_to_read();
  return a;
}

TEST(HostArrayTest, AsnumpyOfAComputedArraySharesItsBuffer) {
  const NDArray a = Computed(1 << 20);
  const HostArray x = a.asnumpy();
  const HostArray y = a.asnumpy();
  EXPECT_EQ(x.raw_data(), y.raw_data());  // no copy: both read the engine's buffer
  EXPECT_EQ(x.data<float>()[12345], 24690.0f);
}

TEST(HostArrayTest, WritingToTheResultNeverChangesTheArray) {
  const NDArray a = Computed(1000);
  HostArray x = a.asnumpy();
  const void* shared = static_cast<const HostArray&>(x).raw_data();
  x.data<float>()[3] = -1.0f;  // copies first: the buffer is shared with `a`
  EXPECT_NE(static_cast<const HostArray&>(x).raw_data(), shared);
  EXPECT_EQ(x.data<float>()[3], -1.0f);
  EXPECT_EQ(a.asnumpy().data<float>()[3], 6.0f);
  EXPECT_EQ((a + 0.0f).asnumpy().data<float>()[3], 6.0f);
}

TEST(HostArrayTest, TheLastOwnerWritesInPlace) {
  HostArray x = Computed(4096).asnumpy();  // the NDArray is gone: nothing else shares the buffer
  const void* before = static_cast<const HostArray&>(x).raw_data();
  x.data<float>()[0] = 5.0f;
  EXPECT_EQ(static_cast<const HostArray&>(x).raw_data(), before);
}

TEST(HostArrayTest, CopiesAreIndependent) {
  HostArray x(DType::kInt32, {4});
  x.data<int32_t>()[0] = 7;
  HostArray y = x;  // x handed out a mutable pointer: y gets its own bytes
  int32_t* px = x.data<int32_t>();
  px[1] = 9;
  EXPECT_EQ(y.to_vector<int32_t>(), (std::vector<int32_t>{7, 0, 0, 0}));
  y.data<int32_t>()[2] = 3;
  EXPECT_EQ(x.to_vector<int32_t>(), (std::vector<int32_t>{7, 9, 0, 0}));
  HostArray z;
  z = y;
  z.data<int32_t>()[3] = 1;
  EXPECT_EQ(y.to_vector<int32_t>(), (std::vector<int32_t>{7, 0, 3, 0}));
  EXPECT_EQ(z.to_vector<int32_t>(), (std::vector<int32_t>{7, 0, 3, 1}));
}

TEST(HostArrayTest, ACopyOfASharedResultSharesUntilWritten) {
  const NDArray a = Computed(64);
  const HostArray x = a.asnumpy();
  HostArray y = x;
  EXPECT_EQ(static_cast<const HostArray&>(y).raw_data(), x.raw_data());
  y.data<float>()[0] = 100.0f;
  EXPECT_EQ(x.data<float>()[0], 0.0f);
  EXPECT_EQ(y.data<float>()[0], 100.0f);
}

TEST(HostArrayTest, ArraysMadeFromAResultAreIndependentOfIt) {
  HostArray x = Computed(8).asnumpy();
  const NDArray b = nd::array(x);  // reads x's values now
  x.data<float>()[1] = 42.0f;
  EXPECT_EQ(b.asnumpy().data<float>()[1], 2.0f);
}

}  // namespace
}  // namespace ndjit
