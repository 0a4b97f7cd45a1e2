// Helpers shared by the IR test suites (tests/ir/*_test.cc): tensors, graphs and status checks.
#ifndef NDJIT_TESTS_IR_IR_TEST_UTIL_H_
#define NDJIT_TESTS_IR_IR_TEST_UTIL_H_

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "ir/graph.h"
#include "ir/host_tensor.h"
#include "ir/interpreter.h"
#include "ir/shape.h"

namespace ndjit::ir {

// Short dtype names for test tables (test-only header).
constexpr DType kBool = DType::kBool;
constexpr DType kI8 = DType::kInt8;
constexpr DType kU8 = DType::kUInt8;
constexpr DType kI32 = DType::kInt32;
constexpr DType kI64 = DType::kInt64;
constexpr DType kF16 = DType::kFloat16;
constexpr DType kBF16 = DType::kBFloat16;
constexpr DType kF32 = DType::kFloat32;
constexpr DType kF64 = DType::kFloat64;

}  // namespace ndjit::ir

namespace ndjit::ir::testing {

// All nine dtypes in enum order.
inline std::vector<DType> AllDTypes() {
  std::vector<DType> v;
  for (int i = 0; i < kNumDTypes; ++i) v.push_back(static_cast<DType>(i));
  return v;
}

inline TensorType T(DType dtype, Shape shape) { return TensorType{dtype, std::move(shape)}; }

// A tensor whose elements are `values` stored with the dtype's conversion (StoreDouble).
inline HostTensor FromDoubles(DType dtype, Shape shape, const std::vector<double>& values) {
  HostTensor t(T(dtype, std::move(shape)));
  EXPECT_EQ(t.num_elements(), static_cast<int64_t>(values.size()));
  for (size_t i = 0; i < values.size() && static_cast<int64_t>(i) < t.num_elements(); ++i) {
    StoreDouble(t, static_cast<int64_t>(i), values[i]);
  }
  return t;
}

// A tensor whose elements are `values` stored with StoreInt (integers wrap).
inline HostTensor FromInts(DType dtype, Shape shape, const std::vector<int64_t>& values) {
  HostTensor t(T(dtype, std::move(shape)));
  EXPECT_EQ(t.num_elements(), static_cast<int64_t>(values.size()));
  for (size_t i = 0; i < values.size() && static_cast<int64_t>(i) < t.num_elements(); ++i) {
    StoreInt(t, static_cast<int64_t>(i), values[i]);
  }
  return t;
}

inline std::vector<double> Doubles(const HostTensor& t) {
  std::vector<double> v;
  for (int64_t i = 0; i < t.num_elements(); ++i) v.push_back(LoadAsDouble(t, i));
  return v;
}

inline std::vector<int64_t> Ints(const HostTensor& t) {
  std::vector<int64_t> v;
  for (int64_t i = 0; i < t.num_elements(); ++i) v.push_back(LoadAsInt(t, i));
  return v;
}

// The raw 16-bit storage of a float16/bfloat16 tensor.
inline std::vector<uint16_t> Bits16(const HostTensor& t) {
  std::vector<uint16_t> v;
  for (int64_t i = 0; i < t.num_elements(); ++i) v.push_back(t.data_as<uint16_t>()[i]);
  return v;
}

// Elementwise comparison with a relative tolerance. NaN must meet NaN, infinities must be equal,
// and with `signed_zeros` a zero must have the expected sign.
inline ::testing::AssertionResult Close(const std::vector<double>& actual,
                                        const std::vector<double>& expected, double rtol = 0.0,
                                        bool signed_zeros = false) {
  if (actual.size() != expected.size()) {
    return ::testing::AssertionFailure()
           << "size " << actual.size() << " != expected " << expected.size();
  }
  for (size_t i = 0; i < actual.size(); ++i) {
    const double a = actual[i], e = expected[i];
    bool ok;
    if (std::isnan(e) || std::isnan(a)) {
      ok = std::isnan(e) && std::isnan(a);
    } else if (std::isinf(e) || std::isinf(a)) {
      ok = a == e;
    } else {
      ok = std::fabs(a - e) <= rtol * std::fabs(e);
      if (ok && signed_zeros && e == 0.0) ok = std::signbit(a) == std::signbit(e);
    }
    if (!ok) {
      return ::testing::AssertionFailure()
             << "at " << i << ": " << a << " vs expected " << e << " (rtol " << rtol << ")";
    }
  }
  return ::testing::AssertionSuccess();
}

// Asserts that `status` has `code` and a message containing `fragment`.
inline ::testing::AssertionResult HasError(const absl::Status& status, absl::StatusCode code,
                                           std::string_view fragment) {
  if (status.ok()) return ::testing::AssertionFailure() << "expected an error, got OK";
  if (status.code() != code) {
    return ::testing::AssertionFailure() << "wrong code: " << status;
  }
  const std::string message(status.message());
  if (message.find(fragment) == std::string::npos) {
    return ::testing::AssertionFailure()
           << "message \"" << status.message() << "\" lacks \"" << fragment << "\"";
  }
  return ::testing::AssertionSuccess();
}

template <typename T>
::testing::AssertionResult HasError(const absl::StatusOr<T>& s, absl::StatusCode code,
                                    std::string_view fragment) {
  return HasError(s.status(), code, fragment);
}

// Builds a one-op graph over fresh inputs of the argument types, interprets it and returns the
// single result; failures are reported as test failures and give an empty tensor.
inline absl::StatusOr<HostTensor> TryEvalOp(Op op, const std::vector<HostTensor>& args,
                                            Attrs attrs = {},
                                            std::optional<TensorType> type = std::nullopt) {
  Graph g("eval");
  std::vector<Node*> operands;
  for (const HostTensor& a : args) operands.push_back(g.AddInput(a.type()));
  absl::StatusOr<Node*> node = g.AddNode(op, operands, std::move(attrs), std::move(type));
  if (!node.ok()) return node.status();
  g.AddOutput(*node);
  absl::StatusOr<std::vector<HostTensor>> r = Interpret(g, args);
  if (!r.ok()) return r.status();
  if (r->size() != 1) return absl::InternalError("expected one result");
  return (*r)[0];
}

inline HostTensor EvalOp(Op op, const std::vector<HostTensor>& args, Attrs attrs = {},
                         std::optional<TensorType> type = std::nullopt) {
  absl::StatusOr<HostTensor> r = TryEvalOp(op, args, std::move(attrs), std::move(type));
  if (!r.ok()) {
    ADD_FAILURE() << OpName(op) << ": " << r.status();
    return HostTensor();
  }
  return *r;
}

}  // namespace ndjit::ir::testing

#endif  // NDJIT_TESTS_IR_IR_TEST_UTIL_H_
