// Tests that bad inputs throw the exact exception type naming the op, operands and caller's line.
#include <cstdint>
#include <exception>
#include <limits>
#include <string>
#include <typeinfo>
#include <vector>

#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace ndjit {
namespace {

namespace nd = ndjit::nd;
using Shape = std::vector<int64_t>;

// Runs `f`, which must throw exactly `E` (not a subclass or base) with every fragment in what();
// with `line` > 0 what() must also name "<this file>:<line>:".
template <typename E, typename F>
void ExpectError(F&& f, const char* type_name, const std::vector<std::string>& fragments,
                 int line) {
  try {
    f();
  } catch (const std::exception& e) {
    const std::string what = e.what();
    EXPECT_TRUE(typeid(e) == typeid(E))
        << "expected exactly " << type_name << ", got " << typeid(e).name() << ": " << what;
    for (const std::string& fragment : fragments) {
      EXPECT_NE(what.find(fragment), std::string::npos)
          << "message lacks \"" << fragment << "\": " << what;
    }
    if (line > 0) {
      const std::string site = testing::ThisFile() + ":" + std::to_string(line) + ":";
      EXPECT_NE(what.find(site), std::string::npos)
          << "message lacks the caller's \"" << site << "\": " << what;
    }
    return;
  } catch (...) {
    ADD_FAILURE() << "expected " << type_name << ", got a non-std exception";
    return;
  }
  ADD_FAILURE() << "expected " << type_name << ", nothing was thrown";
}

// Asserts that `stmt` (written on the macro's line) throws exactly `Exc` whose message contains
// every string of the braced list and this file:line.
#define EXPECT_NDJIT_ERROR(stmt, Exc, ...)                                                         \
  do {                                                                                             \
    SCOPED_TRACE(#stmt);                                                                           \
    ExpectError<Exc>([&] { (void)(stmt); }, #Exc, std::vector<std::string> __VA_ARGS__, __LINE__); \
  } while (0)

// The same for the few errors that have no call site (accessors of HostArray and handle info).
#define EXPECT_NDJIT_ERROR_NO_SITE(stmt, Exc, ...)                                          \
  do {                                                                                      \
    SCOPED_TRACE(#stmt);                                                                    \
    ExpectError<Exc>([&] { (void)(stmt); }, #Exc, std::vector<std::string> __VA_ARGS__, 0); \
  } while (0)

NDArray F32(Shape shape) { return nd::zeros(std::move(shape), DType::kFloat32); }

constexpr int64_t kHuge = int64_t{1} << 40;

// ---- Broadcasting, one test per operator family ----

TEST(ErrorsTest, AddBroadcastMismatch) {
  NDArray a = F32({2, 3}), b = F32({2});
  EXPECT_NDJIT_ERROR(a + b, ShapeError,
                     {"add", "could not be broadcast together with shapes (2, 3) (2,)",
                      "float32 (2, 3)", "float32 (2,)"});
}

TEST(ErrorsTest, SubtractBroadcastMismatch) {
  NDArray a = nd::zeros({3}, DType::kInt32), b = nd::zeros({4}, DType::kInt32);
  EXPECT_NDJIT_ERROR(a - b, ShapeError, {"subtract", "int32 (3,)", "int32 (4,)"});
}

TEST(ErrorsTest, MultiplyBroadcastMismatch) {
  NDArray a = nd::zeros({2, 2}, DType::kFloat64), b = nd::zeros({3}, DType::kInt8);
  EXPECT_NDJIT_ERROR(a * b, ShapeError, {"multiply", "float64 (2, 2)", "int8 (3,)"});
}

TEST(ErrorsTest, TrueDivideBroadcastMismatch) {
  NDArray a = nd::zeros({4, 1, 3}, DType::kInt64), b = nd::zeros({2, 2}, DType::kInt64);
  EXPECT_NDJIT_ERROR(a / b, ShapeError, {"true_divide", "int64 (4, 1, 3)", "int64 (2, 2)"});
}

TEST(ErrorsTest, RemainderBroadcastMismatch) {
  NDArray a = nd::zeros({5}, DType::kUInt8), b = nd::zeros({6}, DType::kUInt8);
  EXPECT_NDJIT_ERROR(a % b, ShapeError, {"remainder", "uint8 (5,)", "uint8 (6,)"});
}

TEST(ErrorsTest, EqualityBroadcastMismatch) {
  NDArray a = F32({2}), b = F32({3});
  EXPECT_NDJIT_ERROR(a == b, ShapeError, {"equal", "float32 (2,)", "float32 (3,)"});
  EXPECT_NDJIT_ERROR(a != b, ShapeError, {"not_equal", "float32 (2,)", "float32 (3,)"});
}

TEST(ErrorsTest, OrderingBroadcastMismatch) {
  NDArray a = nd::zeros({2}, DType::kFloat16), b = nd::zeros({3}, DType::kBFloat16);
  EXPECT_NDJIT_ERROR(a < b, ShapeError, {"less", "float16 (2,)", "bfloat16 (3,)"});
  EXPECT_NDJIT_ERROR(a <= b, ShapeError, {"less_equal", "float16 (2,)", "bfloat16 (3,)"});
  EXPECT_NDJIT_ERROR(a > b, ShapeError, {"greater", "float16 (2,)", "bfloat16 (3,)"});
  EXPECT_NDJIT_ERROR(a >= b, ShapeError, {"greater_equal", "float16 (2,)", "bfloat16 (3,)"});
}

TEST(ErrorsTest, MaximumMinimumBroadcastMismatch) {
  NDArray a = F32({2, 3}), b = F32({3, 2});
  EXPECT_NDJIT_ERROR(nd::maximum(a, b), ShapeError, {"maximum", "float32 (2, 3)", "(3, 2)"});
  EXPECT_NDJIT_ERROR(nd::minimum(a, b), ShapeError, {"minimum", "float32 (2, 3)", "(3, 2)"});
}

TEST(ErrorsTest, WhereBroadcastMismatch) {
  NDArray c = nd::zeros({2}, DType::kBool), x = F32({3});
  EXPECT_NDJIT_ERROR(nd::where(c, x, 0.0f), ShapeError,
                     {"where", "bool (2,)", "float32 (3,)", "scalar 0"});
}

TEST(ErrorsTest, BroadcastResultElementCountOverflows) {
  NDArray a = nd::zeros({kHuge, 1}), b = nd::zeros({1, kHuge});
  EXPECT_NDJIT_ERROR(
      a + b, ShapeError,
      {"add", "overflows int64", "float32 (1099511627776, 1)", "float32 (1, 1099511627776)"});
}

// ---- Scalars and dtypes of operators ----

TEST(ErrorsTest, Uint8PlusOutOfRangeScalar) {
  NDArray u = nd::zeros({2}, DType::kUInt8);
  EXPECT_NDJIT_ERROR(
      u + 300, ValueError,
      {"add", "integer scalar 300 is out of bounds for uint8", "uint8 (2,)", "scalar 300"});
}

TEST(ErrorsTest, Int8TimesOutOfRangeScalar) {
  NDArray i = nd::zeros({2, 2}, DType::kInt8);
  EXPECT_NDJIT_ERROR(-200 * i, ValueError,
                     {"multiply", "integer scalar -200 is out of bounds for int8", "int8 (2, 2)"});
}

TEST(ErrorsTest, WhereOutOfRangeScalar) {
  NDArray c = nd::zeros({2}, DType::kBool), x = nd::zeros({2}, DType::kInt8);
  EXPECT_NDJIT_ERROR(nd::where(c, x, 1000), ValueError,
                     {"where", "integer scalar 1000 is out of bounds for int8", "int8 (2,)"});
}

TEST(ErrorsTest, SubtractBools) {
  NDArray a = nd::zeros({2}, DType::kBool), b = nd::ones({2}, DType::kBool);
  EXPECT_NDJIT_ERROR(a - b, DTypeError, {"subtract", "boolean subtract", "bool (2,)"});
}

TEST(ErrorsTest, SubtractBoolScalarFromBoolArray) {
  NDArray a = nd::zeros({3, 1}, DType::kBool);
  EXPECT_NDJIT_ERROR(a - true, DTypeError, {"subtract", "boolean subtract", "bool (3, 1)"});
}

TEST(ErrorsTest, NegativeOfBool) {
  NDArray b = nd::zeros({3}, DType::kBool);
  EXPECT_NDJIT_ERROR(nd::negative(b), DTypeError, {"negative", "boolean negative", "bool (3,)"});
}

TEST(ErrorsTest, UnaryMinusOfBool) {
  NDArray b = nd::zeros({}, DType::kBool);
  EXPECT_NDJIT_ERROR(-b, DTypeError, {"negative", "boolean negative", "bool ()"});
}

TEST(ErrorsTest, UnaryMinusOfAScalarOperand) {
  EXPECT_NDJIT_ERROR(ndjit::operator-(Operand(5)), ValueError,
                     {"negative", "must be an NDArray", "scalar 5"});
}

TEST(ErrorsTest, BinaryOpWithOnlyScalars) {
  EXPECT_NDJIT_ERROR(
      nd::maximum(1, 2.5), ValueError,
      {"maximum", "at least one operand must be an NDArray", "scalar 1", "scalar 2.5"});
}

TEST(ErrorsTest, WhereWithAScalarCondition) {
  NDArray x = F32({2});
  EXPECT_NDJIT_ERROR(nd::where(true, x, x), ValueError,
                     {"where", "the condition must be an NDArray", "float32 (2,)"});
}

TEST(ErrorsTest, AstypeToAnInvalidDType) {
  NDArray x = F32({2});
  EXPECT_NDJIT_ERROR(x.astype(static_cast<DType>(42)), DTypeError,
                     {"astype", "invalid dtype value 42"});
}

// ---- Reshape ----

TEST(ErrorsTest, ReshapeSizeMismatch) {
  NDArray x = F32({2, 3});
  EXPECT_NDJIT_ERROR(
      x.reshape({4}), ShapeError,
      {"reshape", "cannot reshape array of size 6 into shape (4,)", "float32 (2, 3)"});
}

TEST(ErrorsTest, ReshapeTwoUnknownDims) {
  NDArray x = F32({2, 3});
  EXPECT_NDJIT_ERROR(nd::reshape(x, {-1, -1}), ValueError,
                     {"reshape", "can only specify one unknown dimension", "float32 (2, 3)"});
}

TEST(ErrorsTest, ReshapeNegativeDim) {
  NDArray x = nd::zeros({6}, DType::kInt32);
  EXPECT_NDJIT_ERROR(x.reshape({-2, -3}), ValueError,
                     {"reshape", "negative dimension -2 in new shape (-2, -3)", "int32 (6,)"});
}

TEST(ErrorsTest, ReshapeUnknownDimDoesNotDivide) {
  NDArray x = F32({2, 3});
  EXPECT_NDJIT_ERROR(
      x.reshape({4, -1}), ShapeError,
      {"reshape", "cannot reshape array of size 6 into shape (4, -1)", "float32 (2, 3)"});
}

TEST(ErrorsTest, ReshapeOfZeroDToTwoElements) {
  NDArray x = nd::zeros({}, DType::kFloat64);
  EXPECT_NDJIT_ERROR(x.reshape({2}), ShapeError, {"reshape", "size 1", "float64 ()"});
}

// ---- Axes ----

TEST(ErrorsTest, SumAxisOutOfRange) {
  NDArray x = F32({2, 3});
  EXPECT_NDJIT_ERROR(nd::sum(x, 2), ShapeError,
                     {"sum", "axis 2 is out of bounds for array of dimension 2", "float32 (2, 3)"});
}

TEST(ErrorsTest, MeanNegativeAxisOutOfRange) {
  NDArray x = F32({2, 3});
  EXPECT_NDJIT_ERROR(
      x.mean(-3), ShapeError,
      {"mean", "axis -3 is out of bounds for array of dimension 2", "float32 (2, 3)"});
}

TEST(ErrorsTest, MaxAxisOutOfRange) {
  NDArray x = nd::zeros({4}, DType::kInt8);
  EXPECT_NDJIT_ERROR(x.max({0, 1}), ShapeError,
                     {"max", "axis 1 is out of bounds for array of dimension 1", "int8 (4,)"});
}

TEST(ErrorsTest, MinAxisOutOfRange) {
  NDArray x = nd::zeros({4, 1, 2}, DType::kFloat64);
  EXPECT_NDJIT_ERROR(
      nd::min(x, 5, true), ShapeError,
      {"min", "axis 5 is out of bounds for array of dimension 3", "float64 (4, 1, 2)"});
}

TEST(ErrorsTest, ArgmaxAxisOutOfRange) {
  NDArray x = nd::zeros({2, 3}, DType::kInt64);
  EXPECT_NDJIT_ERROR(
      x.argmax(2), ShapeError,
      {"argmax", "axis 2 is out of bounds for array of dimension 2", "int64 (2, 3)"});
}

TEST(ErrorsTest, SumOfZeroDWithAnAxis) {
  NDArray x = nd::zeros({}, DType::kFloat64);
  EXPECT_NDJIT_ERROR(x.sum(0), ShapeError,
                     {"sum", "axis 0 is out of bounds for array of dimension 0", "float64 ()"});
}

TEST(ErrorsTest, TransposeAxisOutOfRange) {
  NDArray x = F32({2, 3});
  EXPECT_NDJIT_ERROR(
      x.transpose({0, 2}), ShapeError,
      {"transpose", "axis 2 is out of bounds for array of dimension 2", "float32 (2, 3)"});
}

TEST(ErrorsTest, SumDuplicateAxes) {
  NDArray x = F32({2, 3});
  EXPECT_NDJIT_ERROR(x.sum({0, 0}), ValueError,
                     {"sum", "duplicate value in 'axis': [0, 0]", "float32 (2, 3)"});
}

TEST(ErrorsTest, MeanAxesDuplicateAfterNormalizing) {
  NDArray x = F32({2, 3});
  EXPECT_NDJIT_ERROR(nd::mean(x, {0, -2}), ValueError,
                     {"mean", "duplicate value in 'axis': [0, -2]", "float32 (2, 3)"});
}

TEST(ErrorsTest, TransposeRepeatedAxis) {
  NDArray x = F32({2, 3});
  EXPECT_NDJIT_ERROR(nd::transpose(x, {1, -1}), ValueError,
                     {"transpose", "repeated axis in transpose: [1, -1]", "float32 (2, 3)"});
}

TEST(ErrorsTest, TransposeWrongAxisCount) {
  NDArray x = F32({2, 3});
  EXPECT_NDJIT_ERROR(x.transpose({0}), ValueError,
                     {"transpose", "axes [0] don't match array of dimension 2", "float32 (2, 3)"});
}

// ---- Empty reductions ----

TEST(ErrorsTest, MaxOfEmpty) {
  NDArray x = F32({0});
  EXPECT_NDJIT_ERROR(
      x.max(), ValueError,
      {"max", "zero-size array to reduction operation max which has no identity", "float32 (0,)"});
}

TEST(ErrorsTest, MinOfAnEmptyAxis) {
  NDArray x = nd::zeros({0, 3}, DType::kInt32);
  EXPECT_NDJIT_ERROR(nd::min(x, 0), ValueError,
                     {"min", "zero-size array to reduction operation min", "int32 (0, 3)"});
}

TEST(ErrorsTest, ArgmaxOfEmpty) {
  NDArray x = F32({0, 3});
  EXPECT_NDJIT_ERROR(nd::argmax(x), ValueError,
                     {"argmax", "attempt to get argmax of an empty sequence", "float32 (0, 3)"});
}

TEST(ErrorsTest, ArgmaxAlongAnEmptyAxis) {
  NDArray x = F32({0, 3});
  EXPECT_NDJIT_ERROR(x.argmax(0), ValueError, {"argmax", "empty", "float32 (0, 3)"});
}

// ---- broadcast_to and slice ----

TEST(ErrorsTest, BroadcastToIncompatible) {
  NDArray x = F32({2, 3});
  EXPECT_NDJIT_ERROR(x.broadcast_to({3, 3}), ShapeError,
                     {"broadcast_to", "cannot broadcast an array of shape (2, 3) to shape (3, 3)",
                      "float32 (2, 3)"});
}

TEST(ErrorsTest, BroadcastToFewerDims) {
  NDArray x = nd::zeros({2, 3}, DType::kInt8);
  EXPECT_NDJIT_ERROR(nd::broadcast_to(x, {3}), ShapeError,
                     {"broadcast_to", "to shape (3,)", "int8 (2, 3)"});
}

TEST(ErrorsTest, BroadcastToNegativeDim) {
  NDArray x = F32({3});
  EXPECT_NDJIT_ERROR(x.broadcast_to({-1, 3}), ValueError,
                     {"broadcast_to", "negative dimension -1", "float32 (3,)"});
}

TEST(ErrorsTest, SliceTooManyIndices) {
  NDArray x = nd::arange(4);
  EXPECT_NDJIT_ERROR(x.slice({Slice(), Slice()}), ShapeError,
                     {"slice",
                      "too many indices for array: array is 1-dimensional, but 2 were "
                      "indexed",
                      "int64 (4,)"});
}

TEST(ErrorsTest, SliceOfZeroD) {
  NDArray x = nd::zeros({}, DType::kBool);
  EXPECT_NDJIT_ERROR(nd::slice(x, {Slice(0, 1)}), ShapeError,
                     {"slice", "array is 0-dimensional, but 1 were indexed", "bool ()"});
}

TEST(ErrorsTest, SliceStepZero) {
  NDArray x = F32({2, 5});
  EXPECT_NDJIT_ERROR(x.slice({Slice(), Slice(None, None, 0)}), ValueError,
                     {"slice", "slice step cannot be zero", "float32 (2, 5)"});
}

// ---- matmul ----

TEST(ErrorsTest, MatmulCoreMismatch) {
  NDArray a = F32({2, 3}), b = F32({2, 3});
  EXPECT_NDJIT_ERROR(nd::matmul(a, b), ShapeError,
                     {"matmul", "core dimension mismatch: (2, 3) @ (2, 3)", "float32 (2, 3)"});
}

TEST(ErrorsTest, MatmulVectorMismatch) {
  NDArray a = nd::zeros({3}, DType::kInt32), b = nd::zeros({4}, DType::kFloat16);
  EXPECT_NDJIT_ERROR(nd::matmul(a, b), ShapeError,
                     {"matmul", "core dimension mismatch", "int32 (3,)", "float16 (4,)"});
}

TEST(ErrorsTest, MatmulZeroDOperand) {
  NDArray a = F32({}), b = F32({2});
  EXPECT_NDJIT_ERROR(
      nd::matmul(a, b), ValueError,
      {"matmul", "input operand 0 does not have enough dimensions", "float32 ()", "float32 (2,)"});
  EXPECT_NDJIT_ERROR(nd::matmul(b, a), ValueError,
                     {"matmul", "input operand 1 does not have enough dimensions", "float32 ()"});
}

TEST(ErrorsTest, MatmulBatchMismatch) {
  NDArray a = F32({2, 2, 3}), b = F32({3, 3, 2});
  EXPECT_NDJIT_ERROR(nd::matmul(a, b), ShapeError,
                     {"matmul", "batch dimensions could not be broadcast together: (2,) and (3,)",
                      "float32 (2, 2, 3)", "float32 (3, 3, 2)"});
}

TEST(ErrorsTest, MatmulWithAScalar) {
  NDArray a = F32({2, 2});
  EXPECT_NDJIT_ERROR(nd::matmul(a, 2.0f), ValueError, {"matmul", "both operands must be NDArrays"});
}

// ---- Accessors ----

TEST(ErrorsTest, AsscalarOnNonScalar) {
  NDArray x = F32({3});
  EXPECT_NDJIT_ERROR(x.asscalar<float>(), ValueError,
                     {"asscalar", "the array is not a scalar (it has 3 elements)", "float32 (3,)"});
}

TEST(ErrorsTest, AsscalarOnEmpty) {
  NDArray x = nd::zeros({0, 1}, DType::kInt64);
  EXPECT_NDJIT_ERROR(x.asscalar<int64_t>(), ValueError,
                     {"asscalar", "(it has 0 elements)", "int64 (0, 1)"});
}

TEST(ErrorsTest, HostArrayDataWithTheWrongType) {
  const HostArray h = nd::arange(3, 5, 1, DType::kInt32).asnumpy();
  EXPECT_NDJIT_ERROR_NO_SITE(h.data<float>(), DTypeError,
                             {"HostArray::data<T>", "holds int32", "requested float32"});
  HostArray m(DType::kBool, {2});
  EXPECT_NDJIT_ERROR_NO_SITE(m.data<uint8_t>(), DTypeError,
                             {"HostArray::data<T>", "holds bool", "requested uint8"});
  EXPECT_NDJIT_ERROR_NO_SITE(m.to_vector<int8_t>(), DTypeError, {"holds bool", "requested int8"});
}

TEST(ErrorsTest, HostArrayElementOutOfRange) {
  const HostArray h(DType::kFloat32, {2});
  EXPECT_NDJIT_ERROR_NO_SITE(h.element_as_double(2), ValueError,
                             {"element_as_double", "index 2 out of range for size 2"});
}

TEST(ErrorsTest, HostArrayElementCountOverflow) {
  EXPECT_NDJIT_ERROR_NO_SITE(HostArray(DType::kInt8, {kHuge, kHuge}), ShapeError,
                             {"HostArray", "overflows int64"});
}

// ---- Creation ----

TEST(ErrorsTest, ArrayWithTheWrongElementCount) {
  EXPECT_NDJIT_ERROR(nd::array<float>({1, 2, 3}, {2, 2}), ShapeError,
                     {"array", "cannot make an array of shape (2, 2) (4 elements) from 3 values"});
}

TEST(ErrorsTest, ArrayWithANegativeDim) {
  EXPECT_NDJIT_ERROR(nd::array<int32_t>({1, 2}, {-1, -2}), ValueError,
                     {"array", "negative dimension -1 in shape (-1, -2)"});
}

TEST(ErrorsTest, ArrayFromBufferNullData) {
  EXPECT_NDJIT_ERROR(nd::array_from_buffer(nullptr, DType::kFloat64, {2}), ValueError,
                     {"array_from_buffer", "data pointer is null"});
}

TEST(ErrorsTest, ZerosWithANegativeDim) {
  EXPECT_NDJIT_ERROR(nd::zeros({2, -3}), ValueError, {"zeros", "negative dimension -3"});
}

TEST(ErrorsTest, ZerosElementCountOverflow) {
  EXPECT_NDJIT_ERROR(nd::zeros({kHuge, kHuge}), ShapeError,
                     {"zeros",
                      "the element count of shape (1099511627776, 1099511627776) "
                      "overflows int64"});
}

TEST(ErrorsTest, OnesElementCountOverflow) {
  EXPECT_NDJIT_ERROR(nd::ones({kHuge, 2, kHuge}, DType::kInt8), ShapeError,
                     {"ones", "overflows int64"});
}

TEST(ErrorsTest, FullElementCountOverflow) {
  EXPECT_NDJIT_ERROR(nd::full({kHuge, kHuge}, 1.5), ShapeError, {"full", "overflows int64"});
  // NumPy 2 rejects a Python int that the integer dtype cannot hold, as it does for operands.
  EXPECT_NDJIT_ERROR(nd::full({2}, 300, DType::kInt8), ValueError,
                     {"full", "integer fill value 300 is out of bounds for int8"});
  EXPECT_NDJIT_ERROR(nd::full({2}, -1, DType::kUInt8), ValueError,
                     {"full", "out of bounds for uint8"});
}

TEST(ErrorsTest, ZerosWithAnInvalidDType) {
  EXPECT_NDJIT_ERROR(nd::zeros({2}, static_cast<DType>(200)), DTypeError,
                     {"zeros", "invalid dtype value 200"});
}

TEST(ErrorsTest, ArangeIntegerStepZero) {
  EXPECT_NDJIT_ERROR(nd::arange(0, 10, 0), ValueError, {"arange", "step must not be zero"});
}

TEST(ErrorsTest, ArangeFloatStepZero) {
  EXPECT_NDJIT_ERROR(nd::arange(0.0, 1.0, 0.0), ValueError, {"arange", "step must not be zero"});
}

TEST(ErrorsTest, ArangeBoolDType) {
  EXPECT_NDJIT_ERROR(nd::arange(0, 2, 1, DType::kBool), DTypeError, {"arange", "no bool ranges"});
}

TEST(ErrorsTest, ArangeInfiniteLength) {
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_NDJIT_ERROR(nd::arange(0.0, inf), ValueError, {"arange", "not finite"});
}

TEST(ErrorsTest, ArangeTooLong) {
  EXPECT_NDJIT_ERROR(nd::arange(0.0, 1e300, 1.0), ShapeError, {"arange", "the range is too long"});
}

TEST(ErrorsTest, RandomUniformLowAboveHigh) {
  EXPECT_NDJIT_ERROR(nd::random::uniform(2.0, 1.0, {3}), ValueError,
                     {"random.uniform", "need finite low <= high, got low=2 high=1"});
}

TEST(ErrorsTest, RandomUniformNaNBound) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_NDJIT_ERROR(nd::random::uniform(0.0, nan, {3}), ValueError,
                     {"random.uniform", "need finite low <= high"});
}

TEST(ErrorsTest, RandomNormalNegativeStddev) {
  EXPECT_NDJIT_ERROR(nd::random::normal(0.0, -1.0, {3}), ValueError,
                     {"random.normal", "stddev >= 0", "stddev=-1"});
}

TEST(ErrorsTest, RandomUniformIntDType) {
  EXPECT_NDJIT_ERROR(nd::random::uniform(0, 1, {3}, 1, DType::kInt32), DTypeError,
                     {"random.uniform", "dtype must be a float dtype, got int32"});
}

TEST(ErrorsTest, RandomNormalBoolDType) {
  EXPECT_NDJIT_ERROR(nd::random::normal(0, 1, {3}, std::nullopt, DType::kBool), DTypeError,
                     {"random.normal", "dtype must be a float dtype, got bool"});
}

TEST(ErrorsTest, RandomUniformNegativeShape) {
  EXPECT_NDJIT_ERROR(nd::random::uniform(0, 1, {-4}), ValueError,
                     {"random.uniform", "negative dimension -4"});
}

// ---- Empty (default-constructed) handles ----

TEST(ErrorsTest, FloatFunctionOfAnEmptyHandle) {
  NDArray none;
  EXPECT_NDJIT_ERROR(nd::exp(none), ValueError,
                     {"exp", "the NDArray is empty (default-constructed)"});
}

TEST(ErrorsTest, OperatorOnAnEmptyHandle) {
  NDArray none;
  EXPECT_NDJIT_ERROR(none + 1, ValueError, {"add", "the NDArray is empty"});
  EXPECT_NDJIT_ERROR(F32({2}) * none, ValueError, {"multiply", "the NDArray is empty"});
}

TEST(ErrorsTest, ReductionOfAnEmptyHandle) {
  NDArray none;
  EXPECT_NDJIT_ERROR(nd::sum(none), ValueError, {"sum", "the NDArray is empty"});
  EXPECT_NDJIT_ERROR(none.argmax(), ValueError, {"argmax", "the NDArray is empty"});
}

TEST(ErrorsTest, ShapeOpOfAnEmptyHandle) {
  NDArray none;
  EXPECT_NDJIT_ERROR(none.reshape({1}), ValueError, {"reshape", "the NDArray is empty"});
  EXPECT_NDJIT_ERROR(nd::abs(none), ValueError, {"absolute", "the NDArray is empty"});
  EXPECT_NDJIT_ERROR(nd::matmul(none, F32({2})), ValueError, {"matmul", "the NDArray is empty"});
  EXPECT_NDJIT_ERROR(none.copy(), ValueError, {"copy", "the NDArray is empty"});
}

TEST(ErrorsTest, AccessorOfAnEmptyHandle) {
  NDArray none;
  EXPECT_NDJIT_ERROR(none.asnumpy(), ValueError, {"asnumpy", "the NDArray is empty"});
  EXPECT_NDJIT_ERROR(none.asscalar<double>(), ValueError, {"asscalar", "the NDArray is empty"});
  EXPECT_NDJIT_ERROR(none.wait_to_read(), ValueError, {"wait_to_read", "the NDArray is empty"});
  EXPECT_NDJIT_ERROR_NO_SITE(none.dtype(), ValueError, {"dtype", "the NDArray is empty"});
  EXPECT_NDJIT_ERROR_NO_SITE(none.shape(), ValueError, {"shape", "the NDArray is empty"});
}

// ---- The hierarchy ----

TEST(ErrorsTest, ExceptionHierarchy) {
  // DTypeError is a ValueError; every ndjit exception is an ndjit::Error and a runtime_error.
  NDArray b = nd::zeros({1}, DType::kBool);
  EXPECT_THROW(nd::negative(b), ValueError);
  EXPECT_THROW(nd::negative(b), Error);
  EXPECT_THROW(F32({2}) + F32({3}), Error);
  EXPECT_THROW(F32({2}) + F32({3}), std::runtime_error);
}

// The operators by name: same results as the operators, and their errors name the caller's line.
TEST(NamedOperatorsTest, MatchTheOperatorsAndNameTheCaller) {
  const NDArray a = nd::array(std::vector<int32_t>{1, 2, 3});
  const NDArray b = nd::array(std::vector<int32_t>{3, 2, 1});
  const auto same = [](const NDArray& x, const NDArray& y) {
    EXPECT_EQ(x.dtype(), y.dtype());
    EXPECT_EQ(testing::Values(x.asnumpy()), testing::Values(y.asnumpy()));
  };
  same(nd::add(a, b), a + b);
  same(nd::subtract(a, 1), a - 1);
  same(nd::multiply(2.5, b), 2.5 * b);
  same(nd::divide(a, b), a / b);
  EXPECT_EQ(nd::divide(a, b).dtype(), DType::kFloat64);  // true division, as the operator
  same(nd::equal(a, b), a == b);
  same(nd::not_equal(a, b), a != b);
  same(nd::less(a, b), a < b);
  same(nd::less_equal(a, b), a <= b);
  same(nd::greater(a, b), a > b);
  same(nd::greater_equal(a, b), a >= b);
  const NDArray flags = a > 1;
  EXPECT_NDJIT_ERROR(nd::subtract(flags, flags), DTypeError,
                     {"subtract", "boolean subtract is not supported"});
  EXPECT_NDJIT_ERROR(nd::add(a, nd::zeros({2})), ShapeError, {"add"});
}

}  // namespace
}  // namespace ndjit
