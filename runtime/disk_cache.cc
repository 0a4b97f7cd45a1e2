// The compile cache on disk (see disk_cache.h).
#include "runtime/disk_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace ndjit::runtime {

namespace fs = std::filesystem;

namespace {

// Abseil's string_view is its own type in this Abseil; the interface takes the standard one.
absl::string_view View(std::string_view s) { return absl::string_view(s.data(), s.size()); }

constexpr absl::string_view kMagic = "NDJIT-CACHE 1";
constexpr absl::string_view kEntrySuffix = ".ndjk";
constexpr const char* kKinds[] = {"cpu", "cuda"};

std::mutex& SettingsMu() {
  static auto* mu = new std::mutex();
  return *mu;
}

// Says a bad environment value once, at the first use of the cache.
void WarnEnv(const std::string& variable, const std::string& value, const std::string& expected) {
  std::cerr << "ndjit: warning: " << variable << "=\"" << value << "\": expected " << expected
            << "; using the default\n";
}

std::string DefaultRoot() {
  if (const char* d = std::getenv("NDJIT_CACHE_DIR"); d != nullptr && *d != '\0') return d;
  if (const char* d = std::getenv("XDG_CACHE_HOME"); d != nullptr && *d != '\0') {
    return (fs::path(d) / "ndjit").string();
  }
  if (const char* d = std::getenv("HOME"); d != nullptr && *d != '\0') {
    return (fs::path(d) / ".cache" / "ndjit").string();
  }
  return {};
}

CacheSettings& Settings() {
  static CacheSettings* settings = [] {
    auto* s = new CacheSettings();
    s->root = DefaultRoot();
    if (const char* e = std::getenv("NDJIT_CACHE"); e != nullptr && *e != '\0') {
      const std::string v = e;
      if (v == "0") {
        s->enabled = false;
      } else if (v != "1") {
        WarnEnv("NDJIT_CACHE", v, "1 or 0");
      }
    }
    if (const char* m = std::getenv("NDJIT_CACHE_MAX_BYTES"); m != nullptr && *m != '\0') {
      absl::StatusOr<int64_t> bytes = ParseByteSize(m);
      if (bytes.ok()) {
        s->max_bytes = *bytes;
      } else {
        WarnEnv("NDJIT_CACHE_MAX_BYTES", m, "a positive size such as 1073741824, 512M or 2G");
      }
    }
    return s;
  }();
  return *settings;
}

fs::path KindDir(const std::string& root, const std::string& kind) { return fs::path(root) / kind; }

std::string EntryName(const std::string& key) {
  return absl::StrFormat("%016x%s", Fnv1a(std::string_view(key)), kEntrySuffix);
}

// FNV-1a over key, description and payload in turn (the same value as over their concatenation,
// without copying an entry).
uint64_t Checksum(absl::string_view key, absl::string_view description, absl::string_view payload) {
  uint64_t h = kFnv1aOffset;
  for (absl::string_view part : {key, description, payload}) {
    h = Fnv1a(std::string_view(part.data(), part.size()), h);
  }
  return h;
}

// Entries are a few kilobytes (a CUDA image a few megabytes): no file larger than this is read.
constexpr int64_t kMaxEntryBytes = int64_t{256} << 20;

// What reading one entry file gave: its bytes, or why they were not read (`problem` empty and no
// bytes: no such file, a plain miss).
struct FileRead {
  std::optional<std::string> bytes;
  std::string problem;
};

// Reads a regular file of at most `limit` bytes, checking what was opened (not the path again),
// without following a symbolic link and without blocking on a FIFO.
FileRead ReadEntryFile(const fs::path& path, int64_t limit) {
  FileRead r;
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno != ENOENT) r.problem = absl::StrCat("cannot be opened: ", std::strerror(errno));
    return r;
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    r.problem = absl::StrCat("cannot be read: ", std::strerror(errno));
  } else if (!S_ISREG(st.st_mode)) {
    r.problem = "not a regular file";
  } else if (st.st_size > std::min(limit, kMaxEntryBytes)) {
    r.problem = absl::StrCat(st.st_size, " bytes, more than the cache's limit");
  } else {
    std::string bytes(static_cast<size_t>(st.st_size), '\0');
    size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n =
          ::pread(fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    if (done == bytes.size()) {
      r.bytes = std::move(bytes);
    } else {
      r.problem = "truncated while read";
    }
  }
  ::close(fd);
  return r;
}

// Why the cache must not use `dir` (other users could put code there that this process would
// run), or "" when it may. A directory that does not exist yet is created by Store, mode 0700.
std::string Untrusted(const fs::path& dir) {
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) return "";
  if (!S_ISDIR(st.st_mode)) return "not a directory";
  if (st.st_uid != ::geteuid()) return "owned by another user";
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) return "writable by other users";
  return "";
}

// A parsed entry; `problem` is empty when it is whole.
struct Entry {
  std::string kind;
  absl::string_view key, description, payload;
  std::string problem;
};

Entry Parse(absl::string_view bytes) {
  Entry e;
  auto line = [&bytes](absl::string_view* out) {
    const size_t nl = bytes.find('\n');
    if (nl == absl::string_view::npos) return false;
    *out = bytes.substr(0, nl);
    bytes.remove_prefix(nl + 1);
    return true;
  };
  absl::string_view magic, kind, sizes;
  if (!line(&magic) || !absl::StartsWith(magic, "NDJIT-CACHE ")) {
    e.problem = "not an ndjit cache entry";
    return e;
  }
  if (magic != kMagic) {
    e.problem = absl::StrCat("written in another format (\"", magic, "\", this build reads \"",
                             kMagic, "\")");
    return e;
  }
  if (!line(&kind) || !line(&sizes)) {
    e.problem = "truncated header";
    return e;
  }
  e.kind = std::string(kind);
  uint64_t key_size = 0, description_size = 0, payload_size = 0, checksum = 0;
  std::vector<absl::string_view> fields = absl::StrSplit(sizes, ' ');
  if (fields.size() != 4 || !absl::SimpleAtoi(fields[0], &key_size) ||
      !absl::SimpleAtoi(fields[1], &description_size) ||
      !absl::SimpleAtoi(fields[2], &payload_size) || !absl::SimpleHexAtoi(fields[3], &checksum)) {
    e.problem = "corrupt header";
    return e;
  }
  if (key_size > bytes.size() || description_size > bytes.size() - key_size ||
      payload_size != bytes.size() - key_size - description_size) {
    e.problem = absl::StrCat("truncated or padded (", bytes.size(), " bytes after the header, ",
                             key_size + description_size + payload_size, " expected)");
    return e;
  }
  e.key = bytes.substr(0, key_size);
  e.description = bytes.substr(key_size, description_size);
  e.payload = bytes.substr(key_size + description_size);
  if (Checksum(e.key, e.description, e.payload) != checksum) e.problem = "corrupt (checksum)";
  return e;
}

// Entries and leftover temporary files under `root`, with their sizes and times.
struct FileInfo {
  fs::path path;
  std::string kind;
  int64_t bytes = 0;
  int64_t mtime_ns = 0;
  bool temporary = false;
};
std::vector<FileInfo> ScanFiles(const std::string& root) {
  std::vector<FileInfo> out;
  for (const char* kind : kKinds) {
    std::error_code ec;
    for (fs::directory_iterator it(KindDir(root, kind), ec), end; !ec && it != end;
         it.increment(ec)) {
      const std::string name = it->path().filename().string();
      const bool entry = absl::EndsWith(name, kEntrySuffix);
      const bool temporary = absl::StrContains(name, ".tmp.");
      if (!entry && !temporary) continue;
      struct stat st;
      if (::lstat(it->path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
      out.push_back(FileInfo{
          it->path(), kind, static_cast<int64_t>(st.st_size),
          static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec, temporary});
    }
  }
  return out;
}

// The bytes of the entries under `root` (temporary files are not counted).
int64_t EntryBytes(const std::string& root) {
  int64_t total = 0;
  for (const FileInfo& f : ScanFiles(root)) total += f.temporary ? 0 : f.bytes;
  return total;
}

// What this process believes the cache holds, to evict only when a store may have crossed the
// cap (a scan of the directories is the truth; other processes add to it meanwhile).
struct Usage {
  std::mutex mu;
  std::string root;  // the root `bytes` was measured for
  int64_t bytes = -1;
};
Usage& CurrentUsage() {
  static auto* u = new Usage();
  return *u;
}

}  // namespace

absl::StatusOr<int64_t> ParseByteSize(std::string_view text) {
  std::string t(absl::StripAsciiWhitespace(View(text)));
  int64_t scale = 1;
  if (!t.empty()) {
    switch (absl::ascii_toupper(static_cast<unsigned char>(t.back()))) {
      case 'K':
        scale = int64_t{1} << 10;
        break;
      case 'M':
        scale = int64_t{1} << 20;
        break;
      case 'G':
        scale = int64_t{1} << 30;
        break;
      default:
        break;
    }
    if (scale != 1) t.pop_back();
  }
  int64_t v = 0;
  if (!absl::SimpleAtoi(t, &v) || v <= 0 || v > INT64_MAX / scale) {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", View(text), "\" is not a positive size (bytes, or with a K, M or G suffix)"));
  }
  return v * scale;
}

uint64_t Fnv1a(std::string_view bytes, uint64_t seed) {
  uint64_t h = seed;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

CacheSettings GetCacheSettings() {
  std::lock_guard<std::mutex> lock(SettingsMu());
  return Settings();
}

void SetCacheEnabled(bool enabled) {
  std::lock_guard<std::mutex> lock(SettingsMu());
  Settings().enabled = enabled;
}

void SetCacheDir(std::string root) {
  std::lock_guard<std::mutex> lock(SettingsMu());
  Settings().root = root.empty() ? DefaultRoot() : std::move(root);
}

absl::Status SetCacheMaxBytes(int64_t max_bytes) {
  if (max_bytes <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("cache size limit ", max_bytes, ": expected a positive number of bytes"));
  }
  std::lock_guard<std::mutex> lock(SettingsMu());
  Settings().max_bytes = max_bytes;
  return absl::OkStatus();
}

DiskCache& DiskCache::Cpu() {
  static auto* cache = new DiskCache("cpu");
  return *cache;
}

DiskCache& DiskCache::Cuda() {
  static auto* cache = new DiskCache("cuda");
  return *cache;
}

bool DiskCache::Active() const {
  const CacheSettings s = GetCacheSettings();
  return s.enabled && !s.root.empty();
}

void DiskCache::Warn(const std::string& path, const std::string& problem) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!warned_.insert(path).second) return;
  }
  std::cerr << "ndjit: warning: compile cache: " << path << ": " << problem << "\n";
}

std::optional<std::string> DiskCache::Load(const std::string& key) {
  // Nothing a damaged cache holds may fail a compile: any error is a miss.
  try {
    return LoadEntry(key);
  } catch (const std::exception& e) {
    Warn(kind_, absl::StrCat("reading the cache failed (", e.what(), "); compiling instead"));
  }
  std::lock_guard<std::mutex> lock(mu_);
  ++counters_.misses;
  return std::nullopt;
}

std::optional<std::string> DiskCache::LoadEntry(const std::string& key) {
  const CacheSettings s = GetCacheSettings();
  if (!s.enabled || s.root.empty()) return std::nullopt;
  const fs::path dir = KindDir(s.root, kind_);
  const fs::path path = dir / EntryName(key);
  auto miss = [&] {
    std::lock_guard<std::mutex> lock(mu_);
    ++counters_.misses;
    return std::nullopt;
  };
  for (const fs::path& d : {fs::path(s.root), dir}) {
    if (std::string why = Untrusted(d); !why.empty()) {
      Warn(d.string(), absl::StrCat(why,
                                    ": the compile cache is not used there (its entries are "
                                    "code this process would run)"));
      return miss();
    }
  }
  FileRead read = ReadEntryFile(path, s.max_bytes);
  Entry e;
  if (read.bytes.has_value()) {
    e = Parse(absl::string_view(*read.bytes));
  } else if (read.problem.empty()) {
    return miss();
  } else {
    e.problem = read.problem;
  }
  if (e.problem.empty() && e.kind != kind_) {
    e.problem = absl::StrCat("holds a ", e.kind, " entry where a ", kind_, " one belongs");
  }
  if (e.problem.empty() && e.key != key) {
    e.problem = "holds another key (a foreign entry, or a hash collision)";
  }
  if (!e.problem.empty()) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++counters_.bad_entries;
    }
    Warn(path.string(), absl::StrCat(e.problem, "; not used, compiled again and replaced"));
    return miss();
  }
  // The entry's time is its last use, which eviction goes by.
  std::error_code ec;
  fs::last_write_time(path, fs::file_time_type::clock::now(), ec);
  std::lock_guard<std::mutex> lock(mu_);
  ++counters_.hits;
  return std::string(e.payload);
}

void DiskCache::Store(const std::string& key, std::string_view description,
                      std::string_view payload) {
  try {
    StoreEntry(key, description, payload);
  } catch (const std::exception& e) {
    Warn(kind_, absl::StrCat("writing the cache failed (", e.what(), "); nothing is kept"));
  }
}

void DiskCache::StoreEntry(const std::string& key, std::string_view description,
                           std::string_view payload) {
  const CacheSettings s = GetCacheSettings();
  if (!s.enabled || s.root.empty()) return;
  const fs::path root(s.root);
  const fs::path dir = KindDir(s.root, kind_);
  std::error_code ec;
  // The cache's own directories are private to the user: entries are code.
  if (root.has_parent_path()) fs::create_directories(root.parent_path(), ec);
  for (const fs::path& d : {root, dir}) {
    if (::mkdir(d.c_str(), 0700) != 0 && errno != EEXIST) {
      Warn(d.string(), absl::StrCat("cannot create the directory (", std::strerror(errno),
                                    "); nothing is kept"));
      return;
    }
    if (std::string why = Untrusted(d); !why.empty()) {
      Warn(d.string(), absl::StrCat(why,
                                    ": the compile cache is not used there (its entries are "
                                    "code this process would run)"));
      return;
    }
  }
  const int64_t size = static_cast<int64_t>(key.size() + description.size() + payload.size());
  // One entry may take a quarter of the cache at most (larger ones would evict everything).
  if (size > s.max_bytes / 4 || size > kMaxEntryBytes) return;
  const std::string header =
      absl::StrFormat("%s\n%s\n%d %d %d %016x\n", kMagic, kind_, key.size(), description.size(),
                      payload.size(), Checksum(key, View(description), View(payload)));
  // Written aside under a name no other writer can have (mkstemp), then renamed over the entry.
  const fs::path path = dir / EntryName(key);
  std::string tmp = path.string() + ".tmp.XXXXXX";
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0) {
    Warn(dir.string(),
         absl::StrCat("cannot write entries (", std::strerror(errno), "); nothing is kept"));
    return;
  }
  bool written = true;
  for (absl::string_view part :
       {absl::string_view(header), absl::string_view(key), View(description), View(payload)}) {
    while (written && !part.empty()) {
      const ssize_t n = ::write(fd, part.data(), part.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        written = false;
        break;
      }
      part.remove_prefix(static_cast<size_t>(n));
    }
  }
  written = ::close(fd) == 0 && written;
  if (!written) {
    ::unlink(tmp.c_str());
    Warn(dir.string(), "cannot write entries (disk full?); nothing is kept");
    return;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++counters_.stores;
  }
  // The cap is kept by this process's count of what the cache holds, measured at its first store
  // and corrected at every eviction: other processes' stores are seen then (a soft cap).
  Usage& u = CurrentUsage();
  int64_t evicted = 0;
  {
    std::lock_guard<std::mutex> lock(u.mu);
    if (u.root != s.root || u.bytes < 0) {
      u.root = s.root;
      u.bytes = EntryBytes(s.root);
    } else {
      u.bytes += static_cast<int64_t>(header.size()) + size;
    }
    if (u.bytes > s.max_bytes) evicted = EvictCache(s.root, s.max_bytes / 10 * 9, &u.bytes);
  }
  if (evicted > 0) {
    std::lock_guard<std::mutex> lock(mu_);
    counters_.evictions += evicted;
  }
}

void DiskCache::Reject(const std::string& key, const std::string& why) {
  try {
    const CacheSettings s = GetCacheSettings();
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++counters_.bad_entries;
      --counters_.hits;
      ++counters_.misses;
    }
    const fs::path path = KindDir(s.root, kind_) / EntryName(key);
    std::error_code ec;
    fs::remove(path, ec);
    Warn(path.string(), absl::StrCat("the backend rejected it (", why, "); removed"));
  } catch (const std::exception&) {
    // Only bookkeeping failed; the caller compiles anyway.
  }
}

DiskCacheCounters DiskCache::counters() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counters_;
}

std::vector<CacheEntryInfo> ListCacheEntries(const std::string& root) {
  std::vector<CacheEntryInfo> out;
  for (const FileInfo& f : ScanFiles(root)) {
    if (f.temporary) continue;
    CacheEntryInfo info;
    info.kind = f.kind;
    info.path = f.path.string();
    info.bytes = f.bytes;
    info.last_use_unix_seconds = f.mtime_ns / 1000000000;
    const FileRead read = ReadEntryFile(f.path, GetCacheSettings().max_bytes);
    if (!read.bytes.has_value()) {
      info.problem = read.problem.empty() ? "removed while listed" : read.problem;
    } else {
      Entry e = Parse(absl::string_view(*read.bytes));
      info.problem = e.problem;
      if (e.problem.empty() && e.kind != f.kind) info.problem = "in the wrong kind's directory";
      if (e.problem.empty()) {
        info.description = std::string(e.description);
        if (f.path.filename().string() != EntryName(std::string(e.key))) {
          info.problem = "its name is not its key's hash";
        }
      }
    }
    out.push_back(std::move(info));
  }
  std::sort(out.begin(), out.end(), [](const CacheEntryInfo& a, const CacheEntryInfo& b) {
    return a.last_use_unix_seconds != b.last_use_unix_seconds
               ? a.last_use_unix_seconds > b.last_use_unix_seconds
               : a.path < b.path;
  });
  return out;
}

absl::StatusOr<int64_t> ClearCache(const std::string& root) {
  if (root.empty()) return absl::InvalidArgumentError("no cache directory");
  int64_t removed = 0;
  for (const FileInfo& f : ScanFiles(root)) {
    std::error_code ec;
    if (fs::remove(f.path, ec)) {
      ++removed;
    } else if (ec) {
      return absl::UnavailableError(
          absl::StrCat("cannot remove ", f.path.string(), ": ", ec.message()));
    }
  }
  return removed;
}

int64_t EvictCache(const std::string& root, int64_t target, int64_t* remaining) {
  std::vector<FileInfo> files = ScanFiles(root);
  const int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  int64_t total = 0, removed = 0;
  std::vector<FileInfo> entries;
  for (FileInfo& f : files) {
    // A temporary file an hour old belongs to a writer that died.
    if (f.temporary) {
      std::error_code ec;
      if (now_ns - f.mtime_ns > int64_t{3600} * 1000000000 && fs::remove(f.path, ec)) ++removed;
      continue;
    }
    total += f.bytes;
    entries.push_back(std::move(f));
  }
  std::sort(entries.begin(), entries.end(), [](const FileInfo& a, const FileInfo& b) {
    return a.mtime_ns != b.mtime_ns ? a.mtime_ns < b.mtime_ns : a.path < b.path;
  });
  for (const FileInfo& f : entries) {
    if (total <= target) break;
    std::error_code ec;
    if (fs::remove(f.path, ec)) ++removed;
    // Removed here or by another process: either way it no longer counts.
    total -= f.bytes;
  }
  if (remaining != nullptr) *remaining = total;
  return removed;
}

}  // namespace ndjit::runtime
