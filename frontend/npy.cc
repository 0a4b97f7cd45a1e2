// NumPy .npy files: HostArray::load_npy/save_npy and nd::load_npy/save_npy.
//
// Reads format versions 1.0, 2.0 and 3.0 in C order for ndjit's nine dtypes; big-endian data
// ('>' or '!') are byte-swapped on load. bfloat16 is stored as descr '<V2', which is what NumPy
// writes for ml_dtypes.bfloat16 arrays, and a '<V2' (or NumPy's plain np.dtype('V2'), '|V2') file
// loads as bfloat16. Writes version 1.0 (2.0 when the header needs more than 65535 bytes) with a
// header byte-identical to np.save's, padding included, so the data start at a multiple of 64.
// A Fortran-order file is a NotSupportedError unless its layout equals C order (at most one
// dimension above 1); bytes after the data are an error, as are bytes missing. A malformed file
// is a ValueError (DTypeError for a dtype ndjit lacks) whose message starts
// "load_npy: <path>: "; every size is checked against the file's size before anything is
// allocated or read, so no file makes the loader read out of bounds or allocate unboundedly.
#include <sys/stat.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ndjit/host_array.h"
#include "ndjit/nd.h"

namespace ndjit {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;
constexpr size_t kPreambleLen = kMagicLen + 2;  // magic, major and minor version
constexpr size_t kAlign = 64;                   // numpy.lib.format.ARRAY_ALIGN
constexpr size_t kGrowthAxisMaxDigits = 21;     // numpy.lib.format.GROWTH_AXIS_MAX_DIGITS
constexpr int kMaxNesting = 32;                 // of tuples, lists and dicts in a header
constexpr bool kNativeLittle = std::endian::native == std::endian::little;

// Who throws, on which file, and (for nd::) the caller's site.
struct NpyContext {
  const char* op;
  const std::string& path;
  const SourceLocation* site;
};

template <typename E>
[[noreturn]] void Throw(const NpyContext& c, const std::string& detail) {
  std::string msg = absl::StrCat(c.op, ": ", c.path, ": ", detail);
  if (c.site != nullptr) {
    absl::StrAppend(&msg, " at ", c.site->file_name(), ":", c.site->line(), ":", c.site->column());
  }
  throw E(msg);
}

std::string ErrnoText(int err) { return std::strerror(err); }

// Printable form of untrusted bytes for messages: non-printing bytes as \xNN, cut at `max_len`.
std::string Printable(std::string_view s, size_t max_len = 160) {
  std::string out;
  for (size_t i = 0; i < s.size() && i < max_len; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  if (s.size() > max_len) out += "...";
  return out;
}

// Python's repr of a shape tuple: "()", "(3,)", "(2, 3)".
std::string ShapeRepr(const std::vector<int64_t>& shape) {
  std::string out = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) out += ", ";
    absl::StrAppend(&out, shape[i]);
  }
  if (shape.size() == 1) out += ",";
  return out + ")";
}

// ---- The header: a Python literal ----

// A parsed Python literal (what ast.literal_eval accepts, less floats, complex and bytes).
struct Literal {
  enum class Kind { kStr, kInt, kBool, kNone, kTuple, kList, kDict };
  Kind kind = Kind::kNone;
  std::string str;             // kStr: the decoded string
  int64_t int_value = 0;       // kInt
  bool int_overflow = false;   // kInt: the value does not fit int64
  bool bool_value = false;     // kBool
  std::vector<Literal> items;  // kTuple, kList; kDict: key, value, key, value, ...
  std::string_view text;       // its source text, within the header
};

class LiteralParser {
 public:
  LiteralParser(const NpyContext& ctx, const std::string& text) : ctx_(ctx), text_(text) {}

  // The whole text must be one literal, with only whitespace around it.
  Literal ParseAll() {
    Literal v = ParseValue(0);
    SkipSpace();
    if (pos_ != text_.size()) Fail("unexpected text after the dict");
    return v;
  }

 private:
  [[noreturn]] void Fail(const std::string& what) {
    Throw<ValueError>(ctx_, absl::StrCat("cannot parse the header \"", Printable(text_),
                                         "\": ", what, " at offset ", pos_));
  }

  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return AtEnd() ? '\0' : text_[pos_]; }
  static bool IsSpace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
  }
  static bool IsDigit(char c) { return c >= '0' && c <= '9'; }
  static bool IsNameChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || IsDigit(c);
  }
  void SkipSpace() {
    while (!AtEnd() && IsSpace(text_[pos_])) ++pos_;
  }

  Literal ParseValue(int depth) {
    if (depth > kMaxNesting) Fail("literals nested too deeply");
    SkipSpace();
    const size_t start = pos_;
    Literal v;
    const char c = Peek();
    if (AtEnd()) {
      Fail("unexpected end of the header");
    } else if (c == '\'' || c == '"') {
      v.kind = Literal::Kind::kStr;
      v.str = ParseString();
    } else if (c == '(' || c == '[' || c == '{') {
      ParseContainer(depth, &v);
    } else if (c == '-' || c == '+' || IsDigit(c)) {
      ParseInt(&v);
    } else if (IsNameChar(c)) {
      const size_t name_start = pos_;
      while (!AtEnd() && IsNameChar(text_[pos_])) ++pos_;
      const std::string name = text_.substr(name_start, pos_ - name_start);
      if (name == "True" || name == "False") {
        v.kind = Literal::Kind::kBool;
        v.bool_value = name == "True";
      } else if (name == "None") {
        v.kind = Literal::Kind::kNone;
      } else {
        pos_ = name_start;
        Fail(absl::StrCat("unexpected name '", Printable(name, 40), "'"));
      }
    } else {
      Fail(absl::StrCat("unexpected character '", Printable(std::string(1, c)), "'"));
    }
    v.text = std::string_view(text_).substr(start, pos_ - start);
    return v;
  }

  std::string ParseString() {
    const char quote = text_[pos_++];
    std::string out;
    while (true) {
      if (AtEnd()) Fail("unterminated string");
      const char c = text_[pos_++];
      if (c == quote) return out;
      if (c == '\n') Fail("unterminated string");
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (AtEnd()) Fail("unterminated string");
      const char e = text_[pos_++];
      switch (e) {
        case 'n':
          out.push_back('\n');
          break;
        case 't':
          out.push_back('\t');
          break;
        case '\\':
        case '\'':
        case '"':
          out.push_back(e);
          break;
        default:  // kept as written, as Python does for unknown escapes
          out.push_back('\\');
          out.push_back(e);
      }
    }
  }

  // A decimal integer with an optional sign, '_' between digits, and Python 2's 'L' suffix.
  void ParseInt(Literal* v) {
    v->kind = Literal::Kind::kInt;
    bool negative = false;
    if (Peek() == '-' || Peek() == '+') {
      negative = Peek() == '-';
      ++pos_;
      SkipSpace();
    }
    if (!IsDigit(Peek())) Fail("expected a digit");
    uint64_t magnitude = 0;
    bool overflow = false;
    while (true) {
      const char c = Peek();
      if (IsDigit(c)) {
        if (__builtin_mul_overflow(magnitude, uint64_t{10}, &magnitude) ||
            __builtin_add_overflow(magnitude, static_cast<uint64_t>(c - '0'), &magnitude)) {
          overflow = true;
        }
        ++pos_;
      } else if (c == '_' && pos_ + 1 < text_.size() && IsDigit(text_[pos_ + 1])) {
        ++pos_;
      } else {
        break;
      }
    }
    if (Peek() == 'L' || Peek() == 'l') ++pos_;
    if (!AtEnd() && (IsNameChar(Peek()) || Peek() == '.')) Fail("unsupported number literal");
    constexpr uint64_t kMaxPositive = static_cast<uint64_t>(INT64_MAX);
    if (overflow || magnitude > kMaxPositive + (negative ? 1 : 0)) {
      v->int_overflow = true;
    } else if (negative) {
      v->int_value = magnitude == kMaxPositive + 1 ? INT64_MIN : -static_cast<int64_t>(magnitude);
    } else {
      v->int_value = static_cast<int64_t>(magnitude);
    }
  }

  // (), (x,), (x, y), (x) (just x), [...], {k: v, ...}, each allowing a trailing comma.
  void ParseContainer(int depth, Literal* v) {
    const char open = text_[pos_++];
    const char close = open == '(' ? ')' : open == '[' ? ']' : '}';
    v->kind = open == '('   ? Literal::Kind::kTuple
              : open == '[' ? Literal::Kind::kList
                            : Literal::Kind::kDict;
    bool saw_comma = false;
    while (true) {
      SkipSpace();
      if (Peek() == close) {
        ++pos_;
        break;
      }
      if (!v->items.empty() && !saw_comma) {
        Fail(absl::StrCat("expected ',' or '", std::string(1, close), "'"));
      }
      v->items.push_back(ParseValue(depth + 1));
      if (open == '{') {
        SkipSpace();
        if (Peek() != ':') Fail("expected ':'");
        ++pos_;
        v->items.push_back(ParseValue(depth + 1));
      }
      SkipSpace();
      saw_comma = Peek() == ',';
      if (saw_comma) ++pos_;
    }
    if (open == '(' && v->items.size() == 1 && !saw_comma) {
      // A parenthesized value, not a tuple.
      Literal inner = std::move(v->items[0]);
      *v = std::move(inner);
    }
  }

  const NpyContext& ctx_;
  const std::string& text_;
  size_t pos_ = 0;
};

// What a header says about the data.
struct Header {
  DType dtype = DType::kFloat32;
  bool swap = false;  // the data's byte order is not the host's
  std::vector<int64_t> shape;
  uint64_t nbytes = 0;
};

constexpr char kSupportedDescrs[] =
    "ndjit reads b1, i1, u1, i4, i8, f2, f4 and f8 in either byte order, and <V2 or |V2 as "
    "bfloat16";

// The dtype of a descr string ("<f4") and whether its bytes must be swapped for this host.
std::pair<DType, bool> ParseDescr(const NpyContext& ctx, const Literal& descr) {
  if (descr.kind != Literal::Kind::kStr) {
    const char* what = descr.kind == Literal::Kind::kList    ? "structured dtypes are not supported"
                       : descr.kind == Literal::Kind::kTuple ? "subarray dtypes are not supported"
                                                             : "the descr is not a dtype string";
    Throw<DTypeError>(ctx, absl::StrCat("unsupported dtype descr ", Printable(descr.text), " (",
                                        what, "; ", kSupportedDescrs, ")"));
  }
  const std::string& s = descr.str;
  std::string code = s;
  char order = '=';
  if (!s.empty() && std::string("<>|=!").find(s[0]) != std::string::npos) {
    order = s[0];
    code = s.substr(1);
  }
  struct Entry {
    const char* code;
    DType dtype;
  };
  static constexpr Entry kTable[] = {
      {"b1", DType::kBool},    {"i1", DType::kInt8},    {"u1", DType::kUInt8},
      {"i4", DType::kInt32},   {"i8", DType::kInt64},   {"f2", DType::kFloat16},
      {"f4", DType::kFloat32}, {"f8", DType::kFloat64}, {"V2", DType::kBFloat16},
  };
  const Entry* found = nullptr;
  for (const Entry& e : kTable) {
    if (code == e.code) found = &e;
  }
  const bool big = order == '>' || order == '!';
  if (found == nullptr || (found->dtype == DType::kBFloat16 && big)) {
    Throw<DTypeError>(ctx, absl::StrCat("unsupported dtype descr '", Printable(s, 60), "' (",
                                        kSupportedDescrs, ")"));
  }
  // '|', '=' and no order mean the host's; '<' little-endian; '>' and '!' big-endian.
  const bool swap =
      DTypeSize(found->dtype) > 1 && (order == '<' || big) && (order == '<') != kNativeLittle;
  return {found->dtype, swap};
}

Header ParseHeader(const NpyContext& ctx, const std::string& text) {
  const Literal root = LiteralParser(ctx, text).ParseAll();
  if (root.kind != Literal::Kind::kDict) {
    Throw<ValueError>(ctx, absl::StrCat("the header \"", Printable(text), "\" is not a dict"));
  }
  const Literal* descr = nullptr;
  const Literal* fortran_order = nullptr;
  const Literal* shape = nullptr;
  for (size_t i = 0; i + 1 < root.items.size(); i += 2) {
    const Literal& key = root.items[i];
    const Literal** slot = nullptr;
    if (key.kind == Literal::Kind::kStr) {
      if (key.str == "descr") slot = &descr;
      if (key.str == "fortran_order") slot = &fortran_order;
      if (key.str == "shape") slot = &shape;
    }
    if (slot == nullptr) {
      Throw<ValueError>(ctx, absl::StrCat("unexpected key ", Printable(key.text, 60),
                                          " in the header (a .npy header has exactly 'descr', "
                                          "'fortran_order' and 'shape')"));
    }
    if (*slot != nullptr) {
      Throw<ValueError>(ctx,
                        absl::StrCat("duplicate key ", Printable(key.text, 60), " in the header"));
    }
    *slot = &root.items[i + 1];
  }
  for (const auto& [name, slot] :
       {std::pair{"descr", descr}, std::pair{"fortran_order", fortran_order},
        std::pair{"shape", shape}}) {
    if (slot == nullptr) {
      Throw<ValueError>(
          ctx, absl::StrCat("the header \"", Printable(text), "\" lacks the key '", name, "'"));
    }
  }

  Header h;
  std::tie(h.dtype, h.swap) = ParseDescr(ctx, *descr);

  if (shape->kind != Literal::Kind::kTuple) {
    Throw<ValueError>(
        ctx, absl::StrCat("the shape ", Printable(shape->text, 60), " is not a tuple of integers"));
  }
  for (const Literal& d : shape->items) {
    if (d.kind != Literal::Kind::kInt) {
      Throw<ValueError>(
          ctx, absl::StrCat("the shape ", Printable(shape->text, 60),
                            " has a dimension that is not an integer: ", Printable(d.text, 60)));
    }
    if (d.int_overflow) {
      Throw<ValueError>(ctx,
                        absl::StrCat("the shape ", Printable(shape->text, 60), " has a dimension ",
                                     Printable(d.text, 60), " that overflows int64"));
    }
    if (d.int_value < 0) {
      Throw<ValueError>(ctx, absl::StrCat("the shape ", Printable(shape->text, 60),
                                          " has a negative dimension ", d.int_value));
    }
    h.shape.push_back(d.int_value);
  }
  // Element count and byte size, each checked for overflow (a zero dimension makes both 0).
  uint64_t count = 1;
  bool overflow = false;  // of the count
  for (int64_t d : h.shape) {
    overflow |= __builtin_mul_overflow(count, static_cast<uint64_t>(d), &count);
  }
  const bool has_zero = std::find(h.shape.begin(), h.shape.end(), 0) != h.shape.end();
  if (!has_zero &&
      (overflow || count > static_cast<uint64_t>(INT64_MAX) ||
       __builtin_mul_overflow(count, static_cast<uint64_t>(DTypeSize(h.dtype)), &h.nbytes) ||
       h.nbytes > static_cast<uint64_t>(INT64_MAX))) {
    Throw<ValueError>(ctx, absl::StrCat("the byte size of shape ", ShapeRepr(h.shape), " of ",
                                        DTypeName(h.dtype), " overflows int64"));
  }

  if (fortran_order->kind != Literal::Kind::kBool) {
    Throw<ValueError>(ctx, absl::StrCat("fortran_order is ", Printable(fortran_order->text, 60),
                                        ", not True or False"));
  }
  if (fortran_order->bool_value) {
    // Fortran and C order lay out the same bytes when at most one dimension exceeds 1.
    const auto big_dims =
        std::count_if(h.shape.begin(), h.shape.end(), [](int64_t d) { return d > 1; });
    if (big_dims > 1 && !has_zero) {
      Throw<NotSupportedError>(
          ctx, absl::StrCat("the array of shape ", ShapeRepr(h.shape),
                            " is stored in Fortran order, which ndjit does not read; save it in "
                            "C order (numpy.ascontiguousarray)"));
    }
  }
  return h;
}

// ---- Files ----

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

void ReadExactly(const NpyContext& ctx, std::FILE* f, void* dst, size_t n, const char* what) {
  if (n == 0) return;
  if (std::fread(dst, 1, n, f) != n) {
    const int err = errno;
    Throw<ValueError>(ctx, std::ferror(f)
                               ? absl::StrCat("error reading ", what, ": ", ErrnoText(err))
                               : absl::StrCat("unexpected end of file reading ", what,
                                              " (was the file changed?)"));
  }
}

void ByteSwap(void* data, size_t nbytes, int width) {
  auto* p = static_cast<unsigned char*>(data);
  for (size_t i = 0; i + width <= nbytes; i += width) std::reverse(p + i, p + i + width);
}

HostArray LoadNpy(const std::string& path, const SourceLocation* site) {
  const NpyContext ctx{"load_npy", path, site};
  File file(std::fopen(path.c_str(), "rb"));
  if (file == nullptr) {
    Throw<ValueError>(ctx, absl::StrCat("cannot open for reading: ", ErrnoText(errno)));
  }
  struct stat st;
  if (fstat(fileno(file.get()), &st) != 0) {
    Throw<ValueError>(ctx, absl::StrCat("cannot stat: ", ErrnoText(errno)));
  }
  if (S_ISDIR(st.st_mode)) Throw<ValueError>(ctx, "is a directory, not a .npy file");
  if (!S_ISREG(st.st_mode)) Throw<ValueError>(ctx, "is not a regular file");
  const uint64_t file_size = static_cast<uint64_t>(st.st_size);

  // Magic and version.
  unsigned char pre[kPreambleLen + 4] = {};
  const size_t have = static_cast<size_t>(std::min<uint64_t>(file_size, kPreambleLen));
  ReadExactly(ctx, file.get(), pre, have, "the preamble");
  if (std::memcmp(pre, kMagic, std::min(have, kMagicLen)) != 0) {
    Throw<ValueError>(ctx, absl::StrCat("not a .npy file: it starts with \"",
                                        Printable(std::string(reinterpret_cast<char*>(pre),
                                                              std::min(have, kMagicLen))),
                                        "\", not \"\\x93NUMPY\""));
  }
  if (have < kPreambleLen) {
    Throw<ValueError>(ctx, absl::StrCat("truncated .npy file: ", file_size,
                                        " bytes, shorter than the magic string and version"));
  }
  const int major = pre[6], minor = pre[7];
  if (minor != 0 || major < 1 || major > 3) {
    Throw<ValueError>(ctx, absl::StrCat("unsupported .npy format version ", major, ".", minor,
                                        " (ndjit reads 1.0, 2.0 and 3.0)"));
  }
  const size_t len_size = major == 1 ? 2 : 4;
  if (file_size < kPreambleLen + len_size) {
    Throw<ValueError>(ctx, absl::StrCat("truncated .npy file: ", file_size,
                                        " bytes, shorter than the header length field"));
  }
  ReadExactly(ctx, file.get(), pre + kPreambleLen, len_size, "the header length");
  uint64_t header_len = 0;
  for (size_t i = 0; i < len_size; ++i) {
    header_len |= static_cast<uint64_t>(pre[kPreambleLen + i]) << (8 * i);
  }
  const uint64_t data_offset = kPreambleLen + len_size + header_len;
  if (data_offset > file_size) {
    Throw<ValueError>(ctx, absl::StrCat("truncated .npy file: the header length ", header_len,
                                        " runs past the end of the file (", file_size, " bytes)"));
  }
  std::string text(static_cast<size_t>(header_len), '\0');
  ReadExactly(ctx, file.get(), text.data(), text.size(), "the header");

  const Header h = ParseHeader(ctx, text);
  const uint64_t data_size = file_size - data_offset;
  if (data_size < h.nbytes) {
    Throw<ValueError>(
        ctx, absl::StrCat("truncated data: shape ", ShapeRepr(h.shape), " of ", DTypeName(h.dtype),
                          " needs ", h.nbytes, " bytes, the file has ", data_size));
  }
  if (data_size > h.nbytes) {
    Throw<ValueError>(
        ctx,
        absl::StrCat("file has ", data_size - h.nbytes, " trailing bytes after the ", h.nbytes,
                     " bytes of data of shape ", ShapeRepr(h.shape), " of ", DTypeName(h.dtype)));
  }

  HostArray out(h.dtype, h.shape);
  ReadExactly(ctx, file.get(), out.raw_data(), out.nbytes(), "the data");
  if (h.swap) ByteSwap(out.raw_data(), out.nbytes(), DTypeSize(h.dtype));
  if (h.dtype == DType::kBool) {  // every bool is canonical 0/1
    auto* p = static_cast<unsigned char*>(out.raw_data());
    for (size_t i = 0; i < out.nbytes(); ++i) p[i] = p[i] != 0;
  }
  return out;
}

// The descr np.save writes for the dtype, in the host's byte order.
std::string DescrOf(DType dtype) {
  const char order = kNativeLittle ? '<' : '>';
  switch (dtype) {
    case DType::kBool:
      return "|b1";
    case DType::kInt8:
      return "|i1";
    case DType::kUInt8:
      return "|u1";
    case DType::kInt32:
      return absl::StrCat(std::string(1, order), "i4");
    case DType::kInt64:
      return absl::StrCat(std::string(1, order), "i8");
    case DType::kFloat16:
      return absl::StrCat(std::string(1, order), "f2");
    case DType::kBFloat16:  // as NumPy writes ml_dtypes.bfloat16
      return absl::StrCat(std::string(1, order), "V2");
    case DType::kFloat32:
      return absl::StrCat(std::string(1, order), "f4");
    case DType::kFloat64:
      return absl::StrCat(std::string(1, order), "f8");
  }
  throw InternalError(absl::StrCat("save_npy: unknown dtype ", static_cast<int>(dtype)));
}

// Magic, version, header length and header, exactly as numpy.lib.format writes them.
std::string Preamble(const HostArray& a) {
  std::string header =
      absl::StrCat("{'descr': '", DescrOf(a.dtype()),
                   "', 'fortran_order': False, 'shape': ", ShapeRepr(a.shape()), ", }");
  // NumPy leaves room for the first dimension to grow to GROWTH_AXIS_MAX_DIGITS digits.
  if (a.ndim() > 0) {
    const size_t digits = absl::StrCat(a.shape()[0]).size();
    if (digits < kGrowthAxisMaxDigits) header.append(kGrowthAxisMaxDigits - digits, ' ');
  }
  const size_t hlen = header.size() + 1;  // with the final '\n'
  for (int major : {1, 2}) {
    const size_t len_size = major == 1 ? 2 : 4;
    // As NumPy: a full 64 bytes of padding when the rest is already aligned.
    const size_t pad = kAlign - (kPreambleLen + len_size + hlen) % kAlign;
    const uint64_t total = hlen + pad;
    if (major == 1 && total > 0xffff) continue;
    std::string out(kMagic, kMagicLen);
    out.push_back(static_cast<char>(major));
    out.push_back('\0');
    for (size_t i = 0; i < len_size; ++i) out.push_back(static_cast<char>(total >> (8 * i)));
    out += header;
    out.append(pad, ' ');
    out.push_back('\n');
    return out;
  }
  throw InternalError("save_npy: unreachable");
}

void SaveNpy(const HostArray& a, const std::string& path, const SourceLocation* site) {
  const NpyContext ctx{"save_npy", path, site};
  const std::string preamble = Preamble(a);
  File file(std::fopen(path.c_str(), "wb"));
  if (file == nullptr) {
    Throw<ValueError>(ctx, absl::StrCat("cannot open for writing: ", ErrnoText(errno)));
  }
  auto write = [&](const void* p, size_t n) {
    if (n > 0 && std::fwrite(p, 1, n, file.get()) != n) {
      Throw<ValueError>(ctx, absl::StrCat("error writing: ", ErrnoText(errno)));
    }
  };
  write(preamble.data(), preamble.size());
  write(a.raw_data(), a.nbytes());
  if (std::fclose(file.release()) != 0) {
    Throw<ValueError>(ctx, absl::StrCat("error writing: ", ErrnoText(errno)));
  }
}

}  // namespace

HostArray HostArray::load_npy(const std::string& path) { return LoadNpy(path, nullptr); }

void HostArray::save_npy(const std::string& path) const { SaveNpy(*this, path, nullptr); }

namespace nd {

NDArray load_npy(const std::string& path, SourceLocation site) {
  return array(LoadNpy(path, &site), site);
}

void save_npy(const NDArray& a, const std::string& path, SourceLocation site) {
  if (a.is_none()) {
    Throw<ValueError>(NpyContext{"save_npy", path, &site},
                      "the NDArray is empty (default-constructed)");
  }
  SaveNpy(a.asnumpy(site), path, &site);
}

}  // namespace nd
}  // namespace ndjit
