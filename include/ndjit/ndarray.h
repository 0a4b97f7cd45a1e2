// NDArray: a handle to a lazily computed array.
//
// Every op returns at once and only records a node. Values are computed by a background engine,
// when something hands them over (ndjit::flush(), eval_async()) or a blocking accessor needs
// them: asnumpy(), asscalar(), wait_to_read(), or ndjit::waitall(). An NDArray is a handle:
// copies name the same array (as NumPy names, torch::Tensor and MXNet's C++ NDArray do), so
// `NDArray d = a; a += 1;` changes what d reads too; copy() makes an independent one. Handles
// are cheap to copy, safe to use from several threads, and safe to destroy while work is
// pending.
//
// In-place ops (+=, -=, *=, /=, slice_assign, copyto, fill) follow MXNet's dependency order:
// arrays computed from `a` before the write keep the old value, arrays computed after it see the
// new one, and writes apply in program order. Under the hood nothing is overwritten: the array
// is pointed at a new node (DESIGN.md "Engine"). While autograd records, in-place writes to an
// array with attach_grad() are a ValueError (ndjit/autograd.h).
//
// Every function takes a defaulted std::source_location as its last argument: errors, dumps and
// profiles name the caller's file:line. Shape, dtype and axis errors throw at the call; errors
// found while computing throw at the accessor.
#ifndef NDJIT_NDARRAY_H_
#define NDJIT_NDARRAY_H_

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <source_location>
#include <string>
#include <type_traits>
#include <vector>

#include "ndjit/context.h"
#include "ndjit/dtype.h"
#include "ndjit/error.h"
#include "ndjit/host_array.h"

namespace ndjit {

namespace runtime {
class Value;  // the lazily computed value behind a handle (opaque to users)
}  // namespace runtime
namespace frontend {
class Handle;  // the variable an NDArray names (opaque to users)
}  // namespace frontend

using SourceLocation = std::source_location;

// A C++ number used as an operand. It keeps the kind of the C++ type (bool, integer, floating)
// for NumPy 2's "weak scalar" promotion: float32_array * 2.0 stays float32, int32_array + 1 stays
// int32. Standing alone (nd::full), a scalar's dtype is bool, int64 (any integer type), float32
// (float) or float64 (double).
class Scalar {
 public:
  enum class Kind : uint8_t { kBool, kInt, kFloat };
  template <typename T, std::enable_if_t<std::is_arithmetic_v<T>, int> = 0>
  Scalar(T v) {  // NOLINT(google-explicit-constructor): scalars convert implicitly, as in NumPy
    if constexpr (std::is_same_v<T, bool>) {
      kind_ = Kind::kBool;
      i_ = v ? 1 : 0;
      natural_ = DType::kBool;
    } else if constexpr (std::is_integral_v<T>) {
      kind_ = Kind::kInt;
      i_ = static_cast<int64_t>(v);
      natural_ = DType::kInt64;
    } else {
      kind_ = Kind::kFloat;
      f_ = static_cast<double>(v);
      natural_ = std::is_same_v<T, float> ? DType::kFloat32 : DType::kFloat64;
    }
  }
  Kind kind() const { return kind_; }
  bool is_float() const { return kind_ == Kind::kFloat; }
  int64_t as_int() const { return is_float() ? static_cast<int64_t>(f_) : i_; }
  double as_double() const { return is_float() ? f_ : static_cast<double>(i_); }
  DType natural_dtype() const { return natural_; }

 private:
  Kind kind_ = Kind::kInt;
  int64_t i_ = 0;
  double f_ = 0.0;
  DType natural_ = DType::kInt64;
};

// One axis of a basic slice, as Python's start:stop:step. Missing start/stop default as in NumPy
// (depending on the step's sign); negative values count from the end; out-of-range values clip.
struct Slice {
  std::optional<int64_t> start;
  std::optional<int64_t> stop;
  int64_t step = 1;
  Slice() = default;  // the whole axis, ':'
  Slice(std::optional<int64_t> start_, std::optional<int64_t> stop_, int64_t step_ = 1)
      : start(start_), stop(stop_), step(step_) {}
};
inline constexpr std::nullopt_t None = std::nullopt;

// Axes of a reduction: omitted or {} means every axis; one int or a list names axes (negative
// values count from the end).
class Axes {
 public:
  Axes() = default;
  Axes(int64_t axis) : axes_(std::vector<int64_t>{axis}) {}  // NOLINT: a single axis
  Axes(std::initializer_list<int64_t> axes) {                // NOLINT
    if (axes.size() > 0) axes_ = std::vector<int64_t>(axes);
  }
  Axes(std::vector<int64_t> axes) : axes_(std::move(axes)) {}  // NOLINT
  bool all() const { return !axes_.has_value(); }
  const std::vector<int64_t>& list() const { return *axes_; }

 private:
  std::optional<std::vector<int64_t>> axes_;
};

class Operand;

// How backward() writes a variable's gradient (MXNet's grad_req): overwrite it, add to it, or
// leave it alone.
enum class GradReq { kWrite, kAdd, kNull };

class NDArray {
 public:
  // An empty handle; any op or accessor on it throws ValueError.
  NDArray();
  ~NDArray();
  NDArray(const NDArray&);
  NDArray& operator=(const NDArray&);
  NDArray(NDArray&&) noexcept;
  NDArray& operator=(NDArray&&) noexcept;

  bool is_none() const { return handle_ == nullptr; }
  DType dtype() const;
  const std::vector<int64_t>& shape() const;
  int ndim() const { return static_cast<int>(shape().size()); }
  int64_t size() const;
  // Where the array was created.
  std::string created_at() const;
  // Whether the values are computed (false until an accessor needed them).
  bool is_computed() const;

  // ---- Blocking accessors ----
  // Blocks until the values are computed; returns a fresh host copy.
  HostArray asnumpy(SourceLocation site = SourceLocation::current()) const;
  // Blocks; throws ValueError unless size() == 1. The value is converted to T as by static_cast.
  template <typename T>
  T asscalar(SourceLocation site = SourceLocation::current()) const {
    static_assert(std::is_arithmetic_v<T>, "asscalar<T> needs an arithmetic T");
    const ScalarValue v = ScalarAt(site);
    return v.is_float ? static_cast<T>(v.f) : static_cast<T>(v.i);
  }
  // Blocks until the array is computed. Throws the error of a failed computation if no accessor
  // reported it yet (and only then: an error is reported once).
  void wait_to_read(SourceLocation site = SourceLocation::current()) const;
  // Hands the array's pending work to the engine and returns at once (a later accessor waits
  // only for what is still running).
  void eval_async(SourceLocation site = SourceLocation::current()) const;

  // ---- In-place ops (NumPy's rules) ----
  // `a op= b` computes `a op b` with broadcasting and promotion; the result must have a's shape
  // (ValueError) and its dtype must cast to a's dtype within its kind (bool < unsigned < signed
  // < float, NumPy's "same_kind"; DTypeError otherwise: int32 /= 2 is an error, as in NumPy).
  // Scalars are weak: float32 += 1.5 stays float32. Returns *this.
  NDArray& operator+=(const Operand& b);
  NDArray& operator-=(const Operand& b);
  NDArray& operator*=(const Operand& b);
  NDArray& operator/=(const Operand& b);
  // `a[slices] = value`: one Slice per leading axis (any step, negative too); `value` is an
  // array or a scalar broadcast to the slice's shape (ShapeError otherwise) and converted to
  // a's dtype as by astype. Other elements keep their values. nd::slice_assign is the
  // functional form. Returns *this.
  NDArray& slice_assign(std::vector<Slice> slices, const Operand& value,
                        SourceLocation site = SourceLocation::current());
  // Sets every element to `value` (converted to the dtype as by astype). Returns *this.
  NDArray& fill(Scalar value, SourceLocation site = SourceLocation::current());
  // Writes this array's values into `dst` (np.copyto: broadcast to dst's shape, "same_kind"
  // casting) and returns dst. dst is a handle: every copy of it sees the new values. Copying an
  // array onto itself does nothing.
  NDArray copyto(const NDArray& dst, SourceLocation site = SourceLocation::current()) const;
  // A copy of this array on `ctx` (MXNet's copyto(ctx)); always a new array.
  NDArray copyto(const Context& ctx, SourceLocation site = SourceLocation::current()) const;
  // This array when it is on `ctx` already, else copyto(ctx).
  NDArray as_in_context(const Context& ctx, SourceLocation site = SourceLocation::current()) const;
  // The context the array is on.
  Context context(SourceLocation site = SourceLocation::current()) const;

  // ---- Methods mirroring nd:: functions ----
  NDArray astype(DType dtype, SourceLocation site = SourceLocation::current()) const;
  // A view with another shape (one -1 is inferred), sharing this array's variable as MXNet's
  // reshape method does: an in-place op on either one is seen by both. nd::reshape returns an
  // independent array instead.
  NDArray reshape(std::vector<int64_t> shape,
                  SourceLocation site = SourceLocation::current()) const;
  NDArray transpose(std::vector<int64_t> axes = {},
                    SourceLocation site = SourceLocation::current()) const;
  NDArray broadcast_to(std::vector<int64_t> shape,
                       SourceLocation site = SourceLocation::current()) const;
  // Basic slicing: one Slice per leading axis (missing trailing axes are taken whole).
  NDArray slice(std::vector<Slice> slices, SourceLocation site = SourceLocation::current()) const;
  NDArray sum(Axes axes = {}, bool keepdims = false,
              SourceLocation site = SourceLocation::current()) const;
  NDArray mean(Axes axes = {}, bool keepdims = false,
               SourceLocation site = SourceLocation::current()) const;
  NDArray max(Axes axes = {}, bool keepdims = false,
              SourceLocation site = SourceLocation::current()) const;
  NDArray min(Axes axes = {}, bool keepdims = false,
              SourceLocation site = SourceLocation::current()) const;
  NDArray argmax(std::optional<int64_t> axis = std::nullopt, bool keepdims = false,
                 SourceLocation site = SourceLocation::current()) const;
  // An independent array with the same values (a new node; later changes to either do not
  // affect the other).
  NDArray copy(SourceLocation site = SourceLocation::current()) const;

  // ---- Autograd (see ndjit/autograd.h) ----
  // Makes this array's variable a differentiation variable with a gradient buffer of zeros
  // (same shape and dtype; the dtype must be a float, DTypeError otherwise). Calling it again
  // replaces the buffer with zeros and sets `req`. On a recorded result it also cuts the
  // recorded history: gradients stop at this array. See ndjit/autograd.h for the lifetime rule.
  void attach_grad(GradReq req = GradReq::kWrite,
                   SourceLocation site = SourceLocation::current()) const;
  // The gradient buffer, a handle (it sees later backward passes); an empty NDArray (is_none())
  // when attach_grad() was never called.
  NDArray grad() const;
  // Computes the gradient of this array with respect to every variable it was computed from
  // inside an autograd::Record scope and writes them to their grad() buffers. The head gradient
  // defaults to ones (a non-scalar head sums over its elements, as in MXNet). Records the
  // gradient computation lazily, like any op: nothing is computed until something reads it.
  void backward(std::optional<NDArray> head_grad = std::nullopt, bool retain_graph = false,
                SourceLocation site = SourceLocation::current()) const;
  // The same values, cut off from the recorded graph: no gradient flows through the result.
  NDArray detach(SourceLocation site = SourceLocation::current()) const;

  // For the frontend implementation: a new array holding `value`, the current value, and the
  // variable.
  explicit NDArray(std::shared_ptr<runtime::Value> value);
  explicit NDArray(std::shared_ptr<frontend::Handle> handle);
  std::shared_ptr<runtime::Value> value() const;
  const std::shared_ptr<frontend::Handle>& handle() const { return handle_; }

 private:
  struct ScalarValue {
    bool is_float;
    double f;
    int64_t i;
  };
  ScalarValue ScalarAt(SourceLocation site) const;

  std::shared_ptr<frontend::Handle> handle_;
};

// An operand of an arithmetic or comparison operator: an NDArray or a C++ number. Converting to
// it records where the operator was written.
class Operand {
 public:
  Operand(const NDArray& a, SourceLocation site = SourceLocation::current())  // NOLINT
      : array_(a), scalar_(0), is_array_(true), site_(site) {}
  template <typename T, std::enable_if_t<std::is_arithmetic_v<T>, int> = 0>
  Operand(T v, SourceLocation site = SourceLocation::current())  // NOLINT
      : scalar_(v), is_array_(false), site_(site) {}
  bool is_array() const { return is_array_; }
  const NDArray& array() const { return array_; }
  const Scalar& scalar() const { return scalar_; }
  const SourceLocation& site() const { return site_; }

 private:
  NDArray array_;
  Scalar scalar_;
  bool is_array_;
  SourceLocation site_;
};

// Arithmetic with NumPy broadcasting and promotion. `/` is true division (integers give
// float64); `%` is NumPy's remainder (sign of the divisor).
NDArray operator+(const Operand& a, const Operand& b);
NDArray operator-(const Operand& a, const Operand& b);
NDArray operator*(const Operand& a, const Operand& b);
NDArray operator/(const Operand& a, const Operand& b);
NDArray operator%(const Operand& a, const Operand& b);
NDArray operator-(const Operand& a);
// Comparisons return bool arrays.
NDArray operator==(const Operand& a, const Operand& b);
NDArray operator!=(const Operand& a, const Operand& b);
NDArray operator<(const Operand& a, const Operand& b);
NDArray operator<=(const Operand& a, const Operand& b);
NDArray operator>(const Operand& a, const Operand& b);
NDArray operator>=(const Operand& a, const Operand& b);

}  // namespace ndjit

#endif  // NDJIT_NDARRAY_H_
