// Tests of ir/shape.cc: checked element counts, row-major strides and shape/type formatting.
#include "ir/shape.h"

#include <cstdint>
#include <limits>

#include "gtest/gtest.h"
#include "ir/host_tensor.h"
#include "ir_test_util.h"

namespace ndjit::ir {
namespace {

using testing::HasError;

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

TEST(CheckedNumElementsTest, Counts) {
  EXPECT_EQ(CheckedNumElements({}).value(), 1);
  EXPECT_EQ(CheckedNumElements({7}).value(), 7);
  EXPECT_EQ(CheckedNumElements({2, 3, 4}).value(), 24);
  EXPECT_EQ(CheckedNumElements({1, 1, 1}).value(), 1);
  EXPECT_EQ(CheckedNumElements({kMax}).value(), kMax);
  EXPECT_EQ(CheckedNumElements({kMax, 1}).value(), kMax);
  // 3037000499^2 = 9223372030926249001 still fits.
  EXPECT_EQ(CheckedNumElements({3037000499, 3037000499}).value(), 9223372030926249001);
  EXPECT_EQ(CheckedNumElements({int64_t{1} << 31, int64_t{1} << 31}).value(), int64_t{1} << 62);
}

TEST(CheckedNumElementsTest, ZeroDims) {
  EXPECT_EQ(CheckedNumElements({0}).value(), 0);
  EXPECT_EQ(CheckedNumElements({3, 0, 5}).value(), 0);
  // The product before the zero would overflow; the count is still 0.
  EXPECT_EQ(CheckedNumElements({kMax, kMax, 0}).value(), 0);
  EXPECT_EQ(CheckedNumElements({int64_t{1} << 40, int64_t{1} << 40, 0, 7}).value(), 0);
  EXPECT_EQ(CheckedNumElements({0, kMax, kMax}).value(), 0);
}

TEST(CheckedNumElementsTest, Overflow) {
  EXPECT_TRUE(HasError(CheckedNumElements({3037000500, 3037000500}), absl::StatusCode::kOutOfRange,
                       "overflows int64"));
  EXPECT_TRUE(HasError(CheckedNumElements({int64_t{1} << 62, 2}), absl::StatusCode::kOutOfRange,
                       "the element count of shape (4611686018427387904, 2) overflows int64"));
  EXPECT_TRUE(
      HasError(CheckedNumElements({kMax, 2}), absl::StatusCode::kOutOfRange, "overflows int64"));
  EXPECT_TRUE(HasError(CheckedNumElements({kMax, kMax, 1}), absl::StatusCode::kOutOfRange,
                       "overflows int64"));
  // Overflow that a later dim of 1 cannot undo, and a wrapped product that happens to be small.
  EXPECT_TRUE(HasError(CheckedNumElements({int64_t{1} << 32, int64_t{1} << 32, 1}),
                       absl::StatusCode::kOutOfRange, "overflows int64"));
}

TEST(CheckedNumElementsTest, Negative) {
  EXPECT_TRUE(HasError(CheckedNumElements({-1}), absl::StatusCode::kInvalidArgument,
                       "negative dimension -1 in shape (-1,)"));
  EXPECT_TRUE(HasError(CheckedNumElements({2, -3}), absl::StatusCode::kInvalidArgument,
                       "negative dimension -3 in shape (2, -3)"));
  // A negative dim is an error even when a zero dim would make the count 0 ...
  EXPECT_TRUE(HasError(CheckedNumElements({0, -1}), absl::StatusCode::kInvalidArgument,
                       "negative dimension -1"));
  // ... and even after the product has overflowed.
  EXPECT_TRUE(HasError(CheckedNumElements({kMax, kMax, -5}), absl::StatusCode::kInvalidArgument,
                       "negative dimension -5"));
  EXPECT_TRUE(HasError(CheckedNumElements({std::numeric_limits<int64_t>::min()}),
                       absl::StatusCode::kInvalidArgument, "negative dimension"));
}

TEST(NumElementsTest, ValidShapes) {
  EXPECT_EQ(NumElements({}), 1);
  EXPECT_EQ(NumElements({0}), 0);
  EXPECT_EQ(NumElements({2, 0, 4}), 0);
  EXPECT_EQ(NumElements({2, 3, 4}), 24);
}

TEST(RowMajorStridesTest, Strides) {
  EXPECT_EQ(RowMajorStrides({}), std::vector<int64_t>{});
  EXPECT_EQ(RowMajorStrides({5}), std::vector<int64_t>({1}));
  EXPECT_EQ(RowMajorStrides({2, 3, 4}), std::vector<int64_t>({12, 4, 1}));
  EXPECT_EQ(RowMajorStrides({4, 1, 3}), std::vector<int64_t>({3, 3, 1}));
  EXPECT_EQ(RowMajorStrides({2, 0, 3}), std::vector<int64_t>({0, 3, 1}));
  EXPECT_EQ(RowMajorStrides({1, 1}), std::vector<int64_t>({1, 1}));
}

TEST(ShapeFormatTest, IrForm) {
  EXPECT_EQ(ShapeToString({}), "[]");
  EXPECT_EQ(ShapeToString({4}), "[4]");
  EXPECT_EQ(ShapeToString({2, 3}), "[2,3]");
  EXPECT_EQ(ShapeToString({0, 1, 9223372036854775807}), "[0,1,9223372036854775807]");
}

TEST(ShapeFormatTest, NumpyForm) {
  EXPECT_EQ(ShapeToNumpyString({}), "()");
  EXPECT_EQ(ShapeToNumpyString({4}), "(4,)");
  EXPECT_EQ(ShapeToNumpyString({2, 3}), "(2, 3)");
  EXPECT_EQ(ShapeToNumpyString({2, 0, 1}), "(2, 0, 1)");
}

TEST(ShapeFormatTest, TypeToString) {
  EXPECT_EQ(TypeToString(TensorType{DType::kFloat32, {2, 3}}), "f32[2,3]");
  EXPECT_EQ(TypeToString(TensorType{DType::kBool, {}}), "bool[]");
  EXPECT_EQ(TypeToString(TensorType{DType::kBFloat16, {0}}), "bf16[0]");
  EXPECT_EQ(TypeToString(TensorType{DType::kUInt8, {1, 1}}), "u8[1,1]");
  EXPECT_EQ(TypeToString(TensorType{DType::kInt64, {5}}), "i64[5]");
}

TEST(TensorTypeTest, Equality) {
  const TensorType a{DType::kFloat32, {2, 3}};
  EXPECT_EQ(a, (TensorType{DType::kFloat32, {2, 3}}));
  EXPECT_NE(a, (TensorType{DType::kFloat64, {2, 3}}));
  EXPECT_NE(a, (TensorType{DType::kFloat32, {3, 2}}));
  EXPECT_NE(a, (TensorType{DType::kFloat32, {2, 3, 1}}));
  EXPECT_EQ(TensorType{}.dtype, DType::kFloat32);
  EXPECT_TRUE(TensorType{}.shape.empty());
}

TEST(HostTensorTest, StorageIsZeroedAlignedAndShared) {
  HostTensor t(TensorType{DType::kInt32, {2, 3}});
  EXPECT_EQ(t.num_elements(), 6);
  EXPECT_EQ(t.size_bytes(), 24u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data()) % 64, 0u);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(t.data_as<int32_t>()[i], 0);
  HostTensor alias = t;
  HostTensor copy = t.Clone();
  t.data_as<int32_t>()[4] = 7;
  EXPECT_EQ(alias.data_as<int32_t>()[4], 7);
  EXPECT_EQ(copy.data_as<int32_t>()[4], 0);
  HostTensor flat = t.Reshaped({6});
  EXPECT_EQ(flat.shape(), Shape({6}));
  EXPECT_EQ(flat.data(), t.data());

  HostTensor empty(TensorType{DType::kFloat64, {0, 4}});
  EXPECT_EQ(empty.num_elements(), 0);
  EXPECT_EQ(empty.size_bytes(), 0u);
  EXPECT_NE(empty.data(), nullptr);
  HostTensor scalar(TensorType{DType::kFloat16, {}});
  EXPECT_EQ(scalar.num_elements(), 1);
  EXPECT_EQ(scalar.size_bytes(), 2u);
}

}  // namespace
}  // namespace ndjit::ir
