// Array creation: from host data, constants, ranges, random numbers.
#include <atomic>
#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "frontend/builder.h"
#include "ir/dtype.h"
#include "ir/random.h"
#include "ndjit/nd.h"
#include "runtime/materializer.h"

namespace ndjit::nd {
namespace {

using frontend::CheckDType;
using frontend::Fail;
using frontend::ValuePtr;

ir::Shape CheckShape(const char* api, const Shape& shape, const SourceLocation& site) {
  frontend::CheckShape(api, shape, {}, site);
  return shape;
}

NDArray FromBytes(const char* api, const void* data, DType dtype, const Shape& shape,
                  const SourceLocation& site) {
  CheckDType(api, dtype, site);
  ir::HostTensor t(ir::TensorType{dtype, CheckShape(api, shape, site)});
  if (t.size_bytes() > 0) {
    if (data == nullptr) Fail<ValueError>(api, "data pointer is null", {}, site);
    std::memcpy(t.data(), data, t.size_bytes());
  }
  if (dtype == DType::kBool) {  // normalize bytes to 0/1 so that every bool is canonical
    auto* p = t.data_as<uint8_t>();
    for (int64_t i = 0; i < t.num_elements(); ++i) p[i] = p[i] != 0;
  }
  return frontend::Wrap(runtime::Value::Realized(std::move(t), ir::SourceLoc::From(site)));
}

std::atomic<uint64_t> g_seed_base{0x5eed};
std::atomic<uint64_t> g_seed_counter{0};

ValuePtr RandomLeaf(ir::RandomDist dist, DType dtype, const Shape& shape,
                    std::optional<uint64_t> seed, const SourceLocation& site) {
  ir::Attrs attrs;
  attrs.dist = dist;
  attrs.seed = seed ? *seed : frontend::NextRandomSeed();
  return frontend::Record(ir::Op::kRandom, {}, std::move(attrs), ir::TensorType{dtype, shape},
                          site);
}

// v * scale + shift, leaving out the identity steps.
ValuePtr ScaleShift(ValuePtr v, double scale, double shift, const SourceLocation& site) {
  const ir::TensorType t = v->type();
  if (scale != 1.0) {
    v = frontend::Record(ir::Op::kMul,
                         {v, frontend::Constant(frontend::ScalarForDType(scale, t.dtype), t, site)},
                         {}, std::nullopt, site);
  }
  if (shift != 0.0) {
    v = frontend::Record(ir::Op::kAdd,
                         {v, frontend::Constant(frontend::ScalarForDType(shift, t.dtype), t, site)},
                         {}, std::nullopt, site);
  }
  return v;
}

}  // namespace

template <typename T>
NDArray array(const std::vector<T>& data, Shape shape, SourceLocation site) {
  CheckShape("array", shape, site);
  const int64_t n = ir::NumElements(shape);
  if (n != static_cast<int64_t>(data.size())) {
    Fail<ShapeError>("array",
                     absl::StrCat("cannot make an array of shape ", ir::ShapeToNumpyString(shape),
                                  " (", n, " elements) from ", data.size(), " values"),
                     {}, site);
  }
  if constexpr (std::is_same_v<T, bool>) {  // std::vector<bool> is packed
    std::vector<uint8_t> bytes(data.begin(), data.end());
    return FromBytes("array", bytes.data(), DType::kBool, shape, site);
  } else {
    return FromBytes("array", data.data(), DTypeOf<T>::value, shape, site);
  }
}

#define NDJIT_INSTANTIATE_ARRAY(T) \
  template NDArray array<T>(const std::vector<T>&, Shape, SourceLocation);
NDJIT_INSTANTIATE_ARRAY(bool)
NDJIT_INSTANTIATE_ARRAY(int8_t)
NDJIT_INSTANTIATE_ARRAY(uint8_t)
NDJIT_INSTANTIATE_ARRAY(int32_t)
NDJIT_INSTANTIATE_ARRAY(int64_t)
NDJIT_INSTANTIATE_ARRAY(float16)
NDJIT_INSTANTIATE_ARRAY(bfloat16)
NDJIT_INSTANTIATE_ARRAY(float)
NDJIT_INSTANTIATE_ARRAY(double)
#undef NDJIT_INSTANTIATE_ARRAY

NDArray array(const HostArray& host, SourceLocation site) {
  return FromBytes("array", host.raw_data(), host.dtype(), host.shape(), site);
}

NDArray array_from_buffer(const void* data, DType dtype, Shape shape, SourceLocation site) {
  return FromBytes("array_from_buffer", data, dtype, shape, site);
}

NDArray full(Shape shape, Scalar value, std::optional<DType> dtype, SourceLocation site) {
  CheckShape("full", shape, site);
  const DType dt = dtype ? *dtype : value.natural_dtype();
  CheckDType("full", dt, site);
  if (!frontend::IntScalarFits(value, dt)) {
    Fail<ValueError>("full",
                     absl::StrCat("integer fill value ", value.as_int(), " is out of bounds for ",
                                  DTypeName(dt)),
                     {}, site);
  }
  return frontend::Wrap(
      frontend::Constant(frontend::ScalarForDType(value, dt), ir::TensorType{dt, shape}, site));
}

NDArray zeros(Shape shape, DType dtype, SourceLocation site) {
  CheckShape("zeros", shape, site);
  CheckDType("zeros", dtype, site);
  return full(std::move(shape), 0, dtype, site);
}

NDArray ones(Shape shape, DType dtype, SourceLocation site) {
  CheckShape("ones", shape, site);
  CheckDType("ones", dtype, site);
  return full(std::move(shape), 1, dtype, site);
}

NDArray arange(Scalar start, Scalar stop, Scalar step, std::optional<DType> dtype,
               SourceLocation site) {
  const bool all_int = !start.is_float() && !stop.is_float() && !step.is_float();
  DType dt = DType::kInt64;
  if (!all_int) {
    // C++ floats alone give float32; any double gives float64.
    dt = DType::kFloat32;
    for (const Scalar* s : {&start, &stop, &step}) {
      if (s->is_float() && s->natural_dtype() == DType::kFloat64) dt = DType::kFloat64;
    }
  }
  if (dtype) dt = *dtype;
  CheckDType("arange", dt, site);
  if (dt == DType::kBool) Fail<DTypeError>("arange", "no bool ranges", {}, site);
  int64_t n = 0;
  if (all_int) {
    const int64_t a = start.as_int(), b = stop.as_int(), s = step.as_int();
    if (s == 0) Fail<ValueError>("arange", "step must not be zero", {}, site);
    // ceil((b - a) / s) without overflow for the common ranges; computed in 128 bits.
    const __int128 span = static_cast<__int128>(b) - a;
    __int128 q = span / s;
    if (span % s != 0 && ((span < 0) == (s < 0))) ++q;
    n = q > 0 ? static_cast<int64_t>(q) : 0;
  } else {
    const double a = start.as_double(), b = stop.as_double(), s = step.as_double();
    if (s == 0.0) Fail<ValueError>("arange", "step must not be zero", {}, site);
    const double len = std::ceil((b - a) / s);
    if (!std::isfinite(len)) {
      Fail<ValueError>("arange", "the length of the range is not finite", {}, site);
    }
    if (len >= 9.2e18) Fail<ShapeError>("arange", "the range is too long", {}, site);
    n = len > 0 ? static_cast<int64_t>(len) : 0;
  }
  // start + iota * step, computed in float64 for float results (as NumPy fills float ranges)
  // and in int64 for integer results, then cast to the requested dtype.
  const DType compute = (IsFloat(dt) || !all_int) ? DType::kFloat64 : DType::kInt64;
  const ir::TensorType t{compute, {n}};
  ir::Attrs iota_attrs;
  iota_attrs.axis = 0;
  ValuePtr idx = frontend::Record(ir::Op::kIota, {}, iota_attrs, t, site);
  ValuePtr v = idx;
  if (compute == DType::kInt64 ? step.as_int() != 1 : step.as_double() != 1.0) {
    v = frontend::Record(ir::Op::kMul,
                         {v, frontend::Constant(frontend::ScalarForDType(step, compute), t, site)},
                         {}, std::nullopt, site);
  }
  if (compute == DType::kInt64 ? start.as_int() != 0 : start.as_double() != 0.0) {
    v = frontend::Record(ir::Op::kAdd,
                         {v, frontend::Constant(frontend::ScalarForDType(start, compute), t, site)},
                         {}, std::nullopt, site);
  }
  return frontend::Wrap(frontend::CastTo(v, dt, site));
}

NDArray arange(Scalar stop, SourceLocation site) { return arange(0, stop, 1, std::nullopt, site); }

namespace random {

void seed(uint64_t s) {
  g_seed_base.store(s);
  g_seed_counter.store(0);
}

NDArray uniform(double low, double high, Shape shape, std::optional<uint64_t> seed, DType dtype,
                SourceLocation site) {
  CheckShape("random.uniform", shape, site);
  CheckDType("random.uniform", dtype, site);
  if (!IsFloat(dtype)) {
    Fail<DTypeError>("random.uniform",
                     absl::StrCat("dtype must be a float dtype, got ", DTypeName(dtype)), {}, site);
  }
  if (!(low <= high) || !std::isfinite(high - low)) {
    Fail<ValueError>("random.uniform",
                     absl::StrCat("need finite low <= high, got low=", low, " high=", high), {},
                     site);
  }
  ValuePtr u = RandomLeaf(ir::RandomDist::kUniform, dtype, shape, seed, site);
  return frontend::Wrap(ScaleShift(u, high - low, low, site));
}

NDArray normal(double mean, double stddev, Shape shape, std::optional<uint64_t> seed, DType dtype,
               SourceLocation site) {
  CheckShape("random.normal", shape, site);
  CheckDType("random.normal", dtype, site);
  if (!IsFloat(dtype)) {
    Fail<DTypeError>("random.normal",
                     absl::StrCat("dtype must be a float dtype, got ", DTypeName(dtype)), {}, site);
  }
  if (!(stddev >= 0) || !std::isfinite(stddev) || !std::isfinite(mean)) {
    Fail<ValueError>(
        "random.normal",
        absl::StrCat("need finite mean and stddev >= 0, got mean=", mean, " stddev=", stddev), {},
        site);
  }
  ValuePtr z = RandomLeaf(ir::RandomDist::kNormal, dtype, shape, seed, site);
  return frontend::Wrap(ScaleShift(z, stddev, mean, site));
}

}  // namespace random
}  // namespace ndjit::nd

namespace ndjit::nd {
namespace {

using frontend::CheckDType;
using frontend::Fail;
using frontend::ValuePtr;

ValuePtr Op2(ir::Op op, const ValuePtr& a, const ValuePtr& b, const SourceLocation& site) {
  return frontend::Record(op, {a, b}, {}, std::nullopt, site);
}

ValuePtr ConstLike(double v, const ValuePtr& like, const SourceLocation& site) {
  return frontend::Constant(frontend::ScalarForDType(v, like->type().dtype), like->type(), site);
}

ValuePtr Iota(DType dtype, const ir::Shape& shape, int64_t axis, const SourceLocation& site) {
  ir::Attrs attrs;
  attrs.axis = axis;
  return frontend::Record(ir::Op::kIota, {}, attrs, ir::TensorType{dtype, shape}, site);
}

}  // namespace

NDArray empty(Shape shape, DType dtype, SourceLocation site) {
  CheckDType("empty", dtype, site);
  frontend::CheckShape("empty", shape, {}, site);
  return full(std::move(shape), 0, dtype, site);
}

NDArray linspace(double start, double stop, int64_t num, bool endpoint, DType dtype,
                 SourceLocation site) {
  CheckDType("linspace", dtype, site);
  if (num < 0) {
    Fail<ValueError>("linspace", absl::StrCat("number of samples, ", num, ", must be non-negative"),
                     {}, site);
  }
  if (!std::isfinite(start) || !std::isfinite(stop)) {
    Fail<ValueError>("linspace", "start and stop must be finite", {}, site);
  }
  // numpy.linspace: y = iota * step + start in float64 (or iota / div * delta when step
  // underflows to 0), and the last value set to stop when the endpoint is included.
  const int64_t div = endpoint ? num - 1 : num;
  const double delta = stop - start;
  ValuePtr idx = Iota(DType::kFloat64, {num}, 0, site);
  ValuePtr y;
  if (div > 0) {
    const double step = delta / div;
    y = step == 0.0
            ? Op2(ir::Op::kMul,
                  Op2(ir::Op::kDiv, idx, ConstLike(static_cast<double>(div), idx, site), site),
                  ConstLike(delta, idx, site), site)
            : Op2(ir::Op::kMul, idx, ConstLike(step, idx, site), site);
  } else {
    y = Op2(ir::Op::kMul, idx, ConstLike(delta, idx, site), site);
  }
  y = Op2(ir::Op::kAdd, y, ConstLike(start, idx, site), site);
  if (endpoint && num > 1) {
    ValuePtr last = Op2(ir::Op::kEq, idx, ConstLike(static_cast<double>(num - 1), idx, site), site);
    y = frontend::Record(ir::Op::kSelect, {last, ConstLike(stop, idx, site), y}, {}, std::nullopt,
                         site);
  }
  // NumPy 2 floors before casting to an integer dtype.
  if (!IsFloat(dtype)) y = frontend::Record(ir::Op::kFloor, {y}, {}, std::nullopt, site);
  return frontend::Wrap(frontend::CastTo(y, dtype, site));
}

NDArray eye(int64_t n, std::optional<int64_t> m, int64_t k, DType dtype, SourceLocation site) {
  CheckDType("eye", dtype, site);
  const int64_t cols = m ? *m : n;
  if (n < 0 || cols < 0) {
    Fail<ValueError>("eye", absl::StrCat("negative dimensions are not allowed: ", n, " x ", cols),
                     {}, site);
  }
  frontend::CheckShape("eye", {n, cols}, {}, site);
  // (column - row) == k, as bool, then cast.
  ValuePtr rows = Iota(DType::kInt64, {n, cols}, 0, site);
  ValuePtr columns = Iota(DType::kInt64, {n, cols}, 1, site);
  ValuePtr diff = Op2(ir::Op::kSub, columns, rows, site);
  ValuePtr on =
      Op2(ir::Op::kEq, diff, frontend::Constant(ir::Scalar::Int(k), diff->type(), site), site);
  return frontend::Wrap(frontend::CastTo(on, dtype, site));
}

NDArray identity(int64_t n, DType dtype, SourceLocation site) {
  return eye(n, std::nullopt, 0, dtype, site);
}

NDArray zeros_like(const NDArray& a, std::optional<DType> dtype, SourceLocation site) {
  const ValuePtr& v = frontend::ValueOf(a, "zeros_like", site);
  return full(v->type().shape, 0, dtype ? *dtype : v->type().dtype, site);
}

NDArray ones_like(const NDArray& a, std::optional<DType> dtype, SourceLocation site) {
  const ValuePtr& v = frontend::ValueOf(a, "ones_like", site);
  return full(v->type().shape, 1, dtype ? *dtype : v->type().dtype, site);
}

NDArray empty_like(const NDArray& a, std::optional<DType> dtype, SourceLocation site) {
  const ValuePtr& v = frontend::ValueOf(a, "empty_like", site);
  return full(v->type().shape, 0, dtype ? *dtype : v->type().dtype, site);
}

NDArray full_like(const NDArray& a, Scalar value, std::optional<DType> dtype, SourceLocation site) {
  const ValuePtr& v = frontend::ValueOf(a, "full_like", site);
  return full(v->type().shape, value, dtype ? *dtype : v->type().dtype, site);
}

namespace random {

NDArray randint(int64_t low, int64_t high, Shape shape, std::optional<uint64_t> seed, DType dtype,
                SourceLocation site) {
  CheckDType("random.randint", dtype, site);
  frontend::CheckShape("random.randint", shape, {}, site);
  if (!IsInteger(dtype)) {
    Fail<DTypeError>("random.randint",
                     absl::StrCat("dtype must be an integer dtype, got ", DTypeName(dtype)), {},
                     site);
  }
  if (low >= high) {
    Fail<ValueError>("random.randint", absl::StrCat("low >= high (", low, " >= ", high, ")"), {},
                     site);
  }
  const __int128 range = static_cast<__int128>(high) - low;
  if (range > (__int128{1} << 53)) {
    Fail<ValueError>("random.randint", "ranges wider than 2^53 are not supported", {}, site);
  }
  if (!frontend::IntScalarFits(low, dtype) || !frontend::IntScalarFits(high - 1, dtype)) {
    Fail<ValueError>(
        "random.randint",
        absl::StrCat("[", low, ", ", high, ") is out of bounds for ", DTypeName(dtype)), {}, site);
  }
  // min(floor(u * range), range - 1) + low, with u uniform in [0, 1) on 53 bits: exact in
  // float64 for ranges up to 2^53.
  const double r = static_cast<double>(range);
  ValuePtr u = RandomLeaf(ir::RandomDist::kUniform, DType::kFloat64, shape, seed, site);
  ValuePtr scaled = frontend::Record(
      ir::Op::kFloor, {Op2(ir::Op::kMul, u, ConstLike(r, u, site), site)}, {}, std::nullopt, site);
  ValuePtr k = Op2(ir::Op::kMin, scaled, ConstLike(r - 1, u, site), site);
  ValuePtr k64 = frontend::CastTo(k, DType::kInt64, site);
  ValuePtr v =
      Op2(ir::Op::kAdd, k64, frontend::Constant(ir::Scalar::Int(low), k64->type(), site), site);
  return frontend::Wrap(frontend::CastTo(v, dtype, site));
}

}  // namespace random
}  // namespace ndjit::nd

namespace ndjit::frontend {
uint64_t NextRandomSeed() {
  return ir::SplitMix64(nd::g_seed_base.load() + ir::SplitMix64(nd::g_seed_counter.fetch_add(1)));
}
}  // namespace ndjit::frontend
