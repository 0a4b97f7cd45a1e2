// Tests .npy interop: NumPy-written files load, ndjit writes NumPy's exact bytes, bad files throw.
//
// The files under tests/data/npy were written by NumPy with generate.py; the values they hold are
// hard-coded here (change both together). A file ndjit writes is compared byte for byte with the
// file np.save wrote for the same array, which shows that NumPy reads it. Malformed files are
// built here from valid bytes; each must throw the exact exception type with a message that starts
// "load_npy: <path>: " (and must stay clean under AddressSanitizer).
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <string>
#include <typeinfo>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace ndjit {
namespace {

namespace nd = ndjit::nd;
using Shape = std::vector<int64_t>;

std::string DataPath(const std::string& name) {
  return std::string(NDJIT_TEST_DATA_DIR) + "/npy/" + name;
}

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << "cannot write " << path;
}

std::string RawBytes(const HostArray& h) {
  return std::string(static_cast<const char*>(h.raw_data()), h.nbytes());
}

// A host array of the given values and shape.
template <typename T>
HostArray Host(const std::vector<T>& values, Shape shape) {
  HostArray h(DTypeOf<T>::value, std::move(shape));
  EXPECT_EQ(static_cast<size_t>(h.size()), values.size());
  if (!values.empty()) std::memcpy(h.raw_data(), values.data(), values.size() * sizeof(T));
  return h;
}
HostArray HostBool(const std::vector<int>& values, Shape shape) {
  HostArray h(DType::kBool, std::move(shape));
  for (size_t i = 0; i < values.size(); ++i) h.data<bool>()[i] = values[i] != 0;
  return h;
}
template <typename T>
std::vector<T> FromBits(const std::vector<uint16_t>& bits) {
  std::vector<T> out(bits.size());
  for (size_t i = 0; i < bits.size(); ++i) out[i].bits = bits[i];
  return out;
}

// The values generate.py writes for each dtype as a 2x3 array.
struct Reference {
  const char* file;
  HostArray expected;
};
std::vector<Reference> References2x3() {
  constexpr int64_t kI64Min = std::numeric_limits<int64_t>::min();
  constexpr int64_t kI64Max = std::numeric_limits<int64_t>::max();
  const Shape s{2, 3};
  std::vector<Reference> r;
  r.push_back({"bool_2x3.npy", HostBool({1, 0, 1, 0, 0, 1}, s)});
  r.push_back({"int8_2x3.npy", Host<int8_t>({-128, -1, 0, 1, 2, 127}, s)});
  r.push_back({"uint8_2x3.npy", Host<uint8_t>({0, 1, 2, 127, 128, 255}, s)});
  r.push_back({"int32_2x3.npy", Host<int32_t>({INT32_MIN, -1, 0, 1, 2, INT32_MAX}, s)});
  r.push_back({"int64_2x3.npy", Host<int64_t>({kI64Min, -1, 0, 1, 2, kI64Max}, s)});
  r.push_back({"float16_2x3.npy", Host<float16>({float16(-65504.0f), float16(-1.5f), float16(0.0f),
                                                 float16(0.5f), float16(1.0f), float16(65504.0f)},
                                                s)});
  r.push_back({"bfloat16_2x3.npy",
               Host(FromBits<bfloat16>({0x3f80, 0xc000, 0x3f00, 0x4049, 0x7f80, 0xff80}), s)});
  r.push_back({"float32_2x3.npy",
               Host<float>({-1.5f, 0.0f, 0.1f, 1.0f, 2.5f, std::numeric_limits<float>::max()}, s)});
  r.push_back({"float64_2x3.npy",
               Host<double>({-1.5, 0.0, 0.1, 1.0, 2.5, std::numeric_limits<double>::max()}, s)});
  return r;
}

// Runs `f`, which must throw exactly `E` with a message starting `prefix` and holding `fragment`.
template <typename E>
void ExpectThrow(const std::function<void()>& f, const std::string& prefix,
                 const std::string& fragment, const char* type_name) {
  try {
    f();
  } catch (const std::exception& e) {
    const std::string what = e.what();
    EXPECT_TRUE(typeid(e) == typeid(E))
        << "expected exactly " << type_name << ", got " << typeid(e).name() << ": " << what;
    EXPECT_EQ(what.rfind(prefix, 0), 0u)
        << "message lacks the prefix \"" << prefix << "\": " << what;
    EXPECT_NE(what.find(fragment), std::string::npos)
        << "message lacks \"" << fragment << "\": " << what;
    return;
  }
  ADD_FAILURE() << "expected " << type_name << " with \"" << fragment << "\", nothing was thrown";
}
// Loading `path` must throw exactly `Exc` with "load_npy: <path>: " and `fragment`.
#define EXPECT_LOAD_ERROR(path, Exc, fragment)               \
  ExpectThrow<Exc>([&] { (void)HostArray::load_npy(path); }, \
                   "load_npy: " + std::string(path) + ": ", fragment, #Exc)

// "\x93NUMPY", version, little-endian header length, header text, data.
std::string MakeNpy(const std::string& header, const std::string& data, int major = 1,
                    int minor = 0) {
  std::string out("\x93NUMPY", 6);
  out.push_back(static_cast<char>(major));
  out.push_back(static_cast<char>(minor));
  const size_t len_size = major == 1 ? 2 : 4;
  for (size_t i = 0; i < len_size; ++i) out.push_back(static_cast<char>(header.size() >> (8 * i)));
  return out + header + data;
}
std::string Dict(const std::string& descr, const std::string& shape, bool fortran = false) {
  return "{'descr': " + descr + ", 'fortran_order': " + (fortran ? "True" : "False") +
         ", 'shape': " + shape + ", }\n";
}

class NpyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "ndjit_npy_XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Temp(const std::string& name) const { return dir_ + "/" + name; }
  // Writes `bytes` to a temporary file and returns its path.
  std::string TempFile(const std::string& bytes, const std::string& name = "bad.npy") {
    const std::string path = Temp(name);
    WriteBytes(path, bytes);
    return path;
  }

  std::string dir_;
};

// ---- Loading NumPy's files ----

TEST_F(NpyTest, LoadsEveryDtypeWrittenByNumPy) {
  for (const Reference& ref : References2x3()) {
    SCOPED_TRACE(ref.file);
    const HostArray h = HostArray::load_npy(DataPath(ref.file));
    EXPECT_EQ(h.dtype(), ref.expected.dtype());
    EXPECT_EQ(h.shape(), (Shape{2, 3}));
    EXPECT_EQ(RawBytes(h), RawBytes(ref.expected));
  }
  // Spot checks through the typed accessors.
  EXPECT_EQ(HostArray::load_npy(DataPath("int64_2x3.npy")).to_vector<int64_t>()[0],
            std::numeric_limits<int64_t>::min());
  EXPECT_EQ(HostArray::load_npy(DataPath("float32_2x3.npy")).to_vector<float>()[2], 0.1f);
  EXPECT_EQ(HostArray::load_npy(DataPath("float64_2x3.npy")).to_vector<double>()[2], 0.1);
  EXPECT_EQ(static_cast<float>(
                HostArray::load_npy(DataPath("bfloat16_2x3.npy")).to_vector<bfloat16>()[3]),
            3.140625f);
}

TEST_F(NpyTest, LoadsVoid2AsBFloat16) {
  const HostArray h = HostArray::load_npy(DataPath("void2_2x3.npy"));  // descr '|V2'
  EXPECT_EQ(h.dtype(), DType::kBFloat16);
  EXPECT_EQ(RawBytes(h), RawBytes(HostArray::load_npy(DataPath("bfloat16_2x3.npy"))));
}

TEST_F(NpyTest, NdLoadNpyMakesAnArray) {
  for (const Reference& ref : References2x3()) {
    SCOPED_TRACE(ref.file);
    const NDArray a = nd::load_npy(DataPath(ref.file));
    EXPECT_EQ(a.dtype(), ref.expected.dtype());
    EXPECT_EQ(a.shape(), (Shape{2, 3}));
    EXPECT_EQ(RawBytes(a.asnumpy()), RawBytes(ref.expected));
  }
  const NDArray x = nd::load_npy(DataPath("float32_2x3.npy"));
  EXPECT_TRUE(
      testing::AllClose(testing::Values((x * 2.0f).asnumpy()),
                        {-3.0, 0.0, 0.2, 2.0, 5.0, std::numeric_limits<double>::infinity()}));
}

TEST_F(NpyTest, LoadsShapes) {
  const HostArray scalar = HostArray::load_npy(DataPath("int64_0d.npy"));
  EXPECT_EQ(scalar.dtype(), DType::kInt64);
  EXPECT_EQ(scalar.shape(), Shape{});
  EXPECT_EQ(scalar.size(), 1);
  EXPECT_EQ(scalar.data<int64_t>()[0], -42);
  EXPECT_EQ(nd::load_npy(DataPath("int64_0d.npy")).asscalar<int64_t>(), -42);

  const HostArray empty = HostArray::load_npy(DataPath("float32_0x3.npy"));
  EXPECT_EQ(empty.dtype(), DType::kFloat32);
  EXPECT_EQ(empty.shape(), (Shape{0, 3}));
  EXPECT_EQ(empty.size(), 0);
  EXPECT_EQ(empty.nbytes(), 0u);
  EXPECT_EQ(nd::load_npy(DataPath("float32_0x3.npy")).shape(), (Shape{0, 3}));

  const HostArray u8 = HostArray::load_npy(DataPath("uint8_300.npy"));
  ASSERT_EQ(u8.shape(), Shape{300});
  for (int i = 0; i < 300; ++i) EXPECT_EQ(u8.data<uint8_t>()[i], i * 7 % 256) << i;

  const HostArray i32 = HostArray::load_npy(DataPath("int32_2x3x4.npy"));
  ASSERT_EQ(i32.shape(), (Shape{2, 3, 4}));
  for (int i = 0; i < 24; ++i) EXPECT_EQ(i32.data<int32_t>()[i], i - 12) << i;

  const HostArray pad = HostArray::load_npy(DataPath("uint8_pad64.npy"));
  EXPECT_EQ(pad.shape(), (Shape{0, 100, 100, 100, 100, 100, 100, 100, 1000}));
  EXPECT_EQ(pad.size(), 0);
}

TEST_F(NpyTest, LoadsSpecialFloats) {
  const HostArray f16 = HostArray::load_npy(DataPath("float16_special.npy"));
  const HostArray f32 = HostArray::load_npy(DataPath("float32_special.npy"));
  const HostArray f64 = HostArray::load_npy(DataPath("float64_special.npy"));
  ASSERT_EQ(f16.dtype(), DType::kFloat16);
  ASSERT_EQ(f32.dtype(), DType::kFloat32);
  ASSERT_EQ(f64.dtype(), DType::kFloat64);
  // nan, inf, -inf, -0.0, 0.0, the smallest subnormal.
  const double tiny[] = {std::ldexp(1.0, -24), std::ldexp(1.0, -149), 5e-324};
  int k = 0;
  for (const HostArray* h : {&f16, &f32, &f64}) {
    SCOPED_TRACE(DTypeName(h->dtype()));
    ASSERT_EQ(h->shape(), Shape{6});
    const std::vector<double> v = testing::Values(*h);
    EXPECT_TRUE(std::isnan(v[0]));
    EXPECT_EQ(v[1], std::numeric_limits<double>::infinity());
    EXPECT_EQ(v[2], -std::numeric_limits<double>::infinity());
    EXPECT_EQ(v[3], 0.0);
    EXPECT_TRUE(std::signbit(v[3]));
    EXPECT_EQ(v[4], 0.0);
    EXPECT_FALSE(std::signbit(v[4]));
    EXPECT_EQ(v[5], tiny[k++]);
  }
}

TEST_F(NpyTest, LoadsFormatVersions2And3) {
  const std::string expected = RawBytes(HostArray::load_npy(DataPath("float32_2x3.npy")));
  for (const char* file : {"float32_v2.npy", "float32_v3.npy"}) {
    SCOPED_TRACE(file);
    const std::string bytes = ReadBytes(DataPath(file));
    ASSERT_GT(bytes.size(), 8u);
    EXPECT_EQ(bytes[6], file == std::string("float32_v2.npy") ? 2 : 3);
    const HostArray h = HostArray::load_npy(DataPath(file));
    EXPECT_EQ(h.dtype(), DType::kFloat32);
    EXPECT_EQ(h.shape(), (Shape{2, 3}));
    EXPECT_EQ(RawBytes(h), expected);
  }
}

TEST_F(NpyTest, ByteSwapsBigEndianFiles) {
  const std::pair<const char*, const char*> pairs[] = {
      {"be_int32.npy", "int32_2x3.npy"},     {"be_int64.npy", "int64_2x3.npy"},
      {"be_float16.npy", "float16_2x3.npy"}, {"be_float32.npy", "float32_2x3.npy"},
      {"be_float64.npy", "float64_2x3.npy"},
  };
  for (const auto& [big, little] : pairs) {
    SCOPED_TRACE(big);
    const HostArray b = HostArray::load_npy(DataPath(big));
    const HostArray l = HostArray::load_npy(DataPath(little));
    EXPECT_EQ(b.dtype(), l.dtype());
    EXPECT_EQ(b.shape(), l.shape());
    EXPECT_EQ(RawBytes(b), RawBytes(l));
  }
}

TEST_F(NpyTest, RejectsNumPyFilesNdjitCannotHold) {
  const std::string fortran = DataPath("fortran_float32.npy");
  EXPECT_LOAD_ERROR(fortran, NotSupportedError, "Fortran order");
  const std::pair<const char*, const char*> unsupported[] = {
      {"unsupported_complex64.npy", "'<c8'"}, {"unsupported_unicode.npy", "'<U3'"},
      {"unsupported_object.npy", "'|O'"},     {"unsupported_uint32.npy", "'<u4'"},
      {"unsupported_int16.npy", "'<i2'"},     {"unsupported_structured.npy", "structured"},
  };
  for (const auto& [file, fragment] : unsupported) {
    SCOPED_TRACE(file);
    const std::string path = DataPath(file);
    EXPECT_LOAD_ERROR(path, DTypeError, fragment);
  }
}

// ---- Writing ----

TEST_F(NpyTest, SavesNumPysExactBytes) {
  for (const Reference& ref : References2x3()) {
    SCOPED_TRACE(ref.file);
    const std::string path = Temp(ref.file);
    ref.expected.save_npy(path);
    EXPECT_EQ(ReadBytes(path), ReadBytes(DataPath(ref.file)));
  }
  // Other shapes, the header that needs 64 extra bytes of padding, and special floats: what
  // ndjit loads from NumPy's file it writes back unchanged.
  for (const char* file :
       {"int64_0d.npy", "float32_0x3.npy", "uint8_300.npy", "int32_2x3x4.npy", "uint8_pad64.npy",
        "float16_special.npy", "float32_special.npy", "float64_special.npy"}) {
    SCOPED_TRACE(file);
    const std::string path = Temp(file);
    HostArray::load_npy(DataPath(file)).save_npy(path);
    EXPECT_EQ(ReadBytes(path), ReadBytes(DataPath(file)));
  }
}

TEST_F(NpyTest, NdSaveNpyWritesTheComputedValues) {
  const std::string path = Temp("nd.npy");
  const NDArray a = nd::array<float>({-3.0f, 0.0f, 0.2f, 2.0f, 5.0f, 6.0f}, {2, 3});
  nd::save_npy(a * 0.5f, path);  // a pending expression is computed first
  const std::vector<float> expected = {-1.5f, 0.0f, 0.1f, 1.0f, 2.5f, 3.0f};
  EXPECT_EQ(HostArray::load_npy(path).to_vector<float>(), expected);

  for (const Reference& ref : References2x3()) {
    SCOPED_TRACE(ref.file);
    nd::save_npy(nd::array(ref.expected), path);
    EXPECT_EQ(ReadBytes(path), ReadBytes(DataPath(ref.file)));
  }
}

TEST_F(NpyTest, RoundTripsEveryDtypeBitExactly) {
  const float nan_payload = std::bit_cast<float>(uint32_t{0x7fc01234});
  const float neg_nan = std::bit_cast<float>(uint32_t{0xffc00001});
  const double nan64 = std::bit_cast<double>(uint64_t{0x7ff8000000abcdefULL});
  std::vector<uint16_t> all16(65536);
  for (int i = 0; i < 65536; ++i) all16[i] = static_cast<uint16_t>(i);
  std::vector<HostArray> arrays;
  arrays.push_back(HostBool({1, 0, 0, 1}, {2, 2}));
  arrays.push_back(Host<int8_t>({-128, 127, 0, -1}, {4}));
  arrays.push_back(Host<uint8_t>({255, 0, 7}, {3, 1}));
  arrays.push_back(Host<int32_t>({INT32_MIN, INT32_MAX, 0x01020304}, {1, 3}));
  arrays.push_back(Host<int64_t>({std::numeric_limits<int64_t>::min(), 0x0102030405060708LL}, {2}));
  arrays.push_back(Host(FromBits<float16>(all16), {256, 256}));  // every bit pattern
  arrays.push_back(Host(FromBits<bfloat16>(all16), {65536}));
  arrays.push_back(Host<float>({nan_payload, neg_nan, -0.0f, std::numeric_limits<float>::infinity(),
                                std::numeric_limits<float>::denorm_min(), 1e-3f},
                               {3, 2}));
  arrays.push_back(
      Host<double>({nan64, -0.0, std::numeric_limits<double>::denorm_min(), 1e300}, {2, 1, 2}));
  arrays.push_back(HostArray(DType::kFloat64, {}));          // 0-d
  arrays.push_back(HostArray(DType::kInt32, {3, 0, 2}));     // size 0
  arrays.push_back(HostArray(DType::kBFloat16, {0}));        // size 0, 1-d
  arrays.push_back(HostArray(DType::kUInt8, {1, 1, 1, 1}));  // many dims
  for (const HostArray& h : arrays) {
    SCOPED_TRACE(std::string(DTypeName(h.dtype())) + " " + h.ToString().substr(0, 40));
    const std::string path = Temp("round.npy");
    h.save_npy(path);
    const std::string bytes = ReadBytes(path);
    // Header: version 1.0, padded with spaces, ends with '\n', data aligned to 64 bytes.
    ASSERT_GE(bytes.size(), 10u);
    EXPECT_EQ(bytes.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
    const size_t offset =
        10 + static_cast<uint8_t>(bytes[8]) + 256 * static_cast<uint8_t>(bytes[9]);
    EXPECT_EQ(offset % 64, 0u);
    EXPECT_EQ(bytes[offset - 1], '\n');
    EXPECT_EQ(bytes.size(), offset + h.nbytes());
    const HostArray back = HostArray::load_npy(path);
    EXPECT_EQ(back.dtype(), h.dtype());
    EXPECT_EQ(back.shape(), h.shape());
    EXPECT_EQ(RawBytes(back), RawBytes(h));  // NaN payloads and -0.0 included
  }
  // NaN survives as NaN and -0.0 keeps its sign through nd:: too.
  const std::string path = Temp("nd_round.npy");
  nd::save_npy(nd::array(arrays[7]), path);
  const std::vector<float> v = nd::load_npy(path).asnumpy().to_vector<float>();
  EXPECT_TRUE(std::isnan(v[0]));
  EXPECT_TRUE(std::isnan(v[1]));
  EXPECT_EQ(v[2], 0.0f);
  EXPECT_TRUE(std::signbit(v[2]));
}

TEST_F(NpyTest, WritesVersion2WhenTheHeaderIsLarge) {
  const HostArray h(DType::kInt8, Shape(25000, 1));  // "1, " per dim: a header over 65535 bytes
  const std::string path = Temp("v2.npy");
  h.save_npy(path);
  const std::string bytes = ReadBytes(path);
  ASSERT_GE(bytes.size(), 12u);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x93NUMPY\x02\x00", 8));
  uint64_t len = 0;
  for (int i = 0; i < 4; ++i) len |= uint64_t{static_cast<uint8_t>(bytes[8 + i])} << (8 * i);
  EXPECT_GT(len, 65535u);
  EXPECT_EQ((12 + len) % 64, 0u);
  EXPECT_EQ(bytes.size(), 12 + len + 1);
  const HostArray back = HostArray::load_npy(path);
  EXPECT_EQ(back.shape(), h.shape());
  EXPECT_EQ(back.dtype(), DType::kInt8);
}

TEST_F(NpyTest, SaveErrors) {
  const HostArray h = Host<float>({1, 2}, {2});
  const std::string missing_dir = Temp("no_such_dir/a.npy");
  ExpectThrow<ValueError>([&] { h.save_npy(missing_dir); }, "save_npy: " + missing_dir + ": ",
                          "cannot open for writing: No such file or directory", "ValueError");
  ExpectThrow<ValueError>([&] { h.save_npy(dir_); }, "save_npy: " + dir_ + ": ",
                          "cannot open for writing", "ValueError");
  // nd::save_npy names the caller's line.
  const std::string site = testing::ThisFile() + ":";
  ExpectThrow<ValueError>([&] { nd::save_npy(nd::array(h), missing_dir); },
                          "save_npy: " + missing_dir + ": ", site, "ValueError");
  ExpectThrow<ValueError>([&] { nd::save_npy(NDArray(), missing_dir); },
                          "save_npy: " + missing_dir + ": ", "empty", "ValueError");
  if (access("/dev/full", W_OK) == 0) {  // a device that is always full: the write fails
    ExpectThrow<ValueError>(
        [&] { Host<float>(std::vector<float>(1 << 16), {1 << 16}).save_npy("/dev/full"); },
        "save_npy: /dev/full: ", "error writing", "ValueError");
  }
}

// ---- Malformed files ----

class NpyMalformedTest : public NpyTest {
 protected:
  void SetUp() override {
    NpyTest::SetUp();
    valid_ = ReadBytes(DataPath("float32_2x3.npy"));
    ASSERT_EQ(valid_.size(), 128u + 24u);
    data_ = valid_.substr(128);
  }
  std::string valid_;  // NumPy's 2x3 float32 file: 128 bytes of preamble and header, 24 of data
  std::string data_;
};

TEST_F(NpyMalformedTest, EveryTruncationIsAnError) {
  for (size_t n = 0; n < valid_.size(); ++n) {
    SCOPED_TRACE(n);
    const std::string path = TempFile(valid_.substr(0, n));
    EXPECT_LOAD_ERROR(path, ValueError, "truncated");
  }
  EXPECT_EQ(HostArray::load_npy(TempFile(valid_)).size(), 6);
}

TEST_F(NpyMalformedTest, BadMagic) {
  for (size_t i = 0; i < 6; ++i) {
    SCOPED_TRACE(i);
    std::string bytes = valid_;
    bytes[i] ^= 0x20;
    const std::string path = TempFile(bytes);
    EXPECT_LOAD_ERROR(path, ValueError, "not a .npy file");
  }
  const std::string text = TempFile("hello, world\n");
  EXPECT_LOAD_ERROR(text, ValueError, "not a .npy file: it starts with \"hello,\"");
  const std::string short_bad = TempFile("\x93NUM");
  EXPECT_LOAD_ERROR(short_bad, ValueError, "truncated");
  const std::string short_wrong = TempFile("PK");  // a zip (.npz) is not a .npy file
  EXPECT_LOAD_ERROR(short_wrong, ValueError, "not a .npy file");
}

TEST_F(NpyMalformedTest, BadVersions) {
  for (const auto& [major, minor] : {std::pair{0, 0}, {4, 0}, {1, 1}, {2, 5}, {255, 255}}) {
    SCOPED_TRACE(major);
    std::string bytes = valid_;
    bytes[6] = static_cast<char>(major);
    bytes[7] = static_cast<char>(minor);
    const std::string path = TempFile(bytes);
    EXPECT_LOAD_ERROR(
        path, ValueError,
        "unsupported .npy format version " + std::to_string(major) + "." + std::to_string(minor));
  }
}

TEST_F(NpyMalformedTest, HeaderLengthBeyondTheFile) {
  std::string v1 = valid_;
  v1[8] = v1[9] = '\xff';
  const std::string p1 = TempFile(v1, "v1.npy");
  EXPECT_LOAD_ERROR(p1, ValueError, "the header length 65535 runs past the end of the file");
  const std::string v2 = MakeNpy(std::string(200, ' '), "", 2).substr(0, 12) + "{}";
  std::string huge = v2;
  huge[8] = huge[9] = huge[10] = huge[11] = '\xff';
  const std::string p2 = TempFile(huge, "v2.npy");
  EXPECT_LOAD_ERROR(p2, ValueError, "the header length 4294967295 runs past the end");
}

TEST_F(NpyMalformedTest, UnparsableHeaders) {
  const std::pair<std::string, std::string> cases[] = {
      {"['descr', '<f4']", "is not a dict"},
      {"(2, 3)", "is not a dict"},
      {"", "unexpected end of the header"},
      {"   \n", "unexpected end of the header"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)", "expected ',' or '}'"},
      {"{'descr' '<f4', 'fortran_order': False, 'shape': (2, 3)}", "expected ':'"},
      {"{'descr': '<f4, 'fortran_order': False, 'shape': (2, 3)}", "cannot parse"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)} extra", "unexpected text"},
      {std::string("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}\0", 58),
       "unexpected text"},
      {"{'descr': '<f4', 'fortran_order': false, 'shape': (2, 3)}", "unexpected name 'false'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2.0, 3)}", "unsupported number"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2 3)}", "expected ',' or ')'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,, 3)}", "unexpected character ','"},
      {"{'descr': '<f4' 'fortran_order': False}", "expected ',' or '}'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (-, 3)}", "expected a digit"},
      {"\x80\xff{}", "unexpected character '\\x80'"},
      {"{'shape': " + std::string(100, '(') + std::string(100, ')') + "}", "nested too deeply"},
      {std::string(100000, '['), "nested too deeply"},
  };
  for (const auto& [header, fragment] : cases) {
    SCOPED_TRACE(header.substr(0, 80));
    const std::string path = TempFile(MakeNpy(header, data_));
    EXPECT_LOAD_ERROR(path, ValueError, fragment);
  }
}

TEST_F(NpyMalformedTest, BadKeys) {
  const std::pair<std::string, std::string> cases[] = {
      {"{'fortran_order': False, 'shape': (2, 3)}", "lacks the key 'descr'"},
      {"{'descr': '<f4', 'shape': (2, 3)}", "lacks the key 'fortran_order'"},
      {"{'descr': '<f4', 'fortran_order': False}", "lacks the key 'shape'"},
      {"{}", "lacks the key 'descr'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'extra': 1}",
       "unexpected key 'extra'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 1: 2}", "unexpected key 1"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'shape': (2, 3)}",
       "duplicate key 'shape'"},
      {"{'descr': '<f4', 'fortran_order': 0, 'shape': (2, 3)}", "fortran_order is 0"},
      {"{'descr': '<f4', 'fortran_order': None, 'shape': (2, 3)}", "not True or False"},
  };
  for (const auto& [header, fragment] : cases) {
    SCOPED_TRACE(header);
    const std::string path = TempFile(MakeNpy(header, data_));
    EXPECT_LOAD_ERROR(path, ValueError, fragment);
  }
}

TEST_F(NpyMalformedTest, BadShapes) {
  const std::pair<std::string, std::string> cases[] = {
      {"[2, 3]", "is not a tuple"},
      {"(6)", "is not a tuple"},  // a parenthesized int
      {"None", "is not a tuple"},
      {"('2', 3)", "not an integer: '2'"},
      {"(True, 6)", "not an integer: True"},
      {"((2,), 3)", "not an integer"},
      {"(-1, 3)", "negative dimension -1"},
      {"(2, -9223372036854775808)", "negative dimension -9223372036854775808"},
      {"(99999999999999999999, 3)", "dimension 99999999999999999999 that overflows int64"},
      {"(9223372036854775808,)", "overflows int64"},
      {"(4294967296, 4294967296)",
       "byte size of shape (4294967296, 4294967296) of float32 "
       "overflows int64"},
      {"(2305843009213693952,)", "byte size"},  // 2^61 elements of 4 bytes
      {"(1000000000000,)",
       "truncated data: shape (1000000000000,) of float32 needs "
       "4000000000000 bytes, the file has 24"},
      {"(2, 2)", "file has 8 trailing bytes after the 16 bytes of data"},
      {"(2, 4)", "truncated data"},
      {"()", "20 trailing bytes"},
      {"(0, 3)", "24 trailing bytes"},
  };
  for (const auto& [shape, fragment] : cases) {
    SCOPED_TRACE(shape);
    const std::string path = TempFile(MakeNpy(Dict("'<f4'", shape), data_));
    EXPECT_LOAD_ERROR(path, ValueError, fragment);
  }
  // Data one byte short or long.
  const std::string short_path = TempFile(valid_.substr(0, valid_.size() - 1));
  EXPECT_LOAD_ERROR(short_path, ValueError, "needs 24 bytes, the file has 23");
  const std::string long_path = TempFile(valid_ + "x");
  EXPECT_LOAD_ERROR(long_path, ValueError, "file has 1 trailing bytes");
}

TEST_F(NpyMalformedTest, FortranOrder) {
  const std::string two_d = TempFile(MakeNpy(Dict("'<f4'", "(2, 3)", true), data_));
  EXPECT_LOAD_ERROR(two_d, NotSupportedError, "stored in Fortran order");
  // Layouts equal to C order load.
  for (const char* shape : {"(6,)", "(1, 6)", "(6, 1, 1)", "(0, 3)", "()"}) {
    SCOPED_TRACE(shape);
    const std::string data = std::string(shape) == "(0, 3)" ? ""
                             : std::string(shape) == "()"   ? data_.substr(0, 4)
                                                            : data_;
    const HostArray h = HostArray::load_npy(TempFile(MakeNpy(Dict("'<f4'", shape, true), data)));
    EXPECT_EQ(h.nbytes(), data.size());
  }
}

TEST_F(NpyMalformedTest, UnsupportedDescrs) {
  for (const char* descr : {"'<c8'", "'<U3'", "'|O'", "'<u4'", "'<i2'", "'<f16'", "'>V2'", "'|V4'",
                            "''", "'float32'", "'<M8[ns]'"}) {
    SCOPED_TRACE(descr);
    const std::string path = TempFile(MakeNpy(Dict(descr, "(2, 3)"), data_));
    EXPECT_LOAD_ERROR(path, DTypeError, std::string("unsupported dtype descr ") + descr);
  }
  const std::pair<const char*, const char*> others[] = {
      {"[('a', '<i4'), ('b', '<f4')]", "structured dtypes are not supported"},
      {"('<f4', (2,))", "subarray dtypes are not supported"},
      {"4", "not a dtype string"},
  };
  for (const auto& [descr, fragment] : others) {
    SCOPED_TRACE(descr);
    const std::string path = TempFile(MakeNpy(Dict(descr, "(2, 3)"), data_));
    EXPECT_LOAD_ERROR(path, DTypeError, fragment);
  }
}

TEST_F(NpyMalformedTest, UnreadablePaths) {
  const std::string missing = Temp("missing.npy");
  EXPECT_LOAD_ERROR(missing, ValueError, "cannot open for reading: No such file or directory");
  EXPECT_LOAD_ERROR(dir_, ValueError, "is a directory");
  // nd::load_npy adds the caller's line.
  ExpectThrow<ValueError>([&] { (void)nd::load_npy(missing); }, "load_npy: " + missing + ": ",
                          testing::ThisFile() + ":", "ValueError");
}

// ---- Lenient but valid inputs ----

TEST_F(NpyMalformedTest, AcceptsAnyValidHeaderSyntax) {
  const std::string expected = RawBytes(HostArray::load_npy(DataPath("float32_2x3.npy")));
  const std::string headers[] = {
      "{'shape': (2, 3), 'descr': '<f4', 'fortran_order': False}",  // any key order, no padding
      "{ \"descr\" : \"<f4\" ,\n\t'fortran_order':False,'shape':( 2 ,3 , ),}",
      "{'descr': '=f4', 'fortran_order': False, 'shape': (2L, 3L), }  \n",  // Python 2 longs
      "{'descr': 'f4', 'fortran_order': False, 'shape': (+2, 3)}",
      "{'descr': '<f4', 'fortran_order': (False), 'shape': ((2), 3)}",
  };
  for (const std::string& header : headers) {
    SCOPED_TRACE(header);
    const HostArray h = HostArray::load_npy(TempFile(MakeNpy(header, data_)));
    EXPECT_EQ(h.shape(), (Shape{2, 3}));
    EXPECT_EQ(RawBytes(h), expected);
  }
  // Versions 2.0 and 3.0 with unaligned data.
  for (int major : {2, 3}) {
    const HostArray h =
        HostArray::load_npy(TempFile(MakeNpy(Dict("'<f4'", "(2, 3)"), data_, major)));
    EXPECT_EQ(RawBytes(h), expected);
  }
  // '|' and '=' orders on multi-byte types, and '!' (network order) big-endian.
  const HostArray bar = HostArray::load_npy(TempFile(MakeNpy(Dict("'|f4'", "(2, 3)"), data_)));
  EXPECT_EQ(RawBytes(bar), expected);
  std::string swapped = data_;
  for (size_t i = 0; i < swapped.size(); i += 4) std::reverse(&swapped[i], &swapped[i + 4]);
  const HostArray net = HostArray::load_npy(TempFile(MakeNpy(Dict("'!f4'", "(2, 3)"), swapped)));
  EXPECT_EQ(RawBytes(net), expected);
}

TEST_F(NpyMalformedTest, NormalizesBoolBytes) {
  const std::string path =
      TempFile(MakeNpy(Dict("'|b1'", "(5,)"), std::string("\0\1\2\x80\xff", 5)));
  const HostArray h = HostArray::load_npy(path);
  ASSERT_EQ(h.dtype(), DType::kBool);
  EXPECT_EQ(RawBytes(h), std::string("\0\1\1\1\1", 5));
  const NDArray a = nd::load_npy(path);
  EXPECT_EQ(nd::sum(a).asscalar<int64_t>(), 4);
}

}  // namespace
}  // namespace ndjit
