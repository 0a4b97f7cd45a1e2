// The compile cache on disk (see disk_cache.h).
#include "runtime/disk_cache.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
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
    if (const char* d = std::getenv("NDJIT_CACHE_DIR"); d != nullptr && *d != '\0') s->root = d;
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

uint64_t Checksum(absl::string_view key, absl::string_view description, absl::string_view payload) {
  const std::string all = absl::StrCat(key, description, payload);
  return Fnv1a(std::string_view(all));
}

std::optional<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return std::nullopt;
  return bytes;
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
    fs::directory_iterator it(KindDir(root, kind), ec);
    if (ec) continue;
    for (const fs::directory_entry& d : it) {
      const std::string name = d.path().filename().string();
      const bool entry = absl::EndsWith(name, kEntrySuffix);
      const bool temporary = absl::StrContains(name, ".tmp.");
      if (!entry && !temporary) continue;
      struct stat st;
      if (::stat(d.path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
      out.push_back(FileInfo{
          d.path(), kind, static_cast<int64_t>(st.st_size),
          static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec, temporary});
    }
  }
  return out;
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

uint64_t Fnv1a(std::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
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
  const CacheSettings s = GetCacheSettings();
  if (!s.enabled || s.root.empty()) return std::nullopt;
  const fs::path path = KindDir(s.root, kind_) / EntryName(key);
  auto miss = [&] {
    std::lock_guard<std::mutex> lock(mu_);
    ++counters_.misses;
    return std::nullopt;
  };
  std::optional<std::string> bytes = ReadFile(path);
  if (!bytes.has_value()) return miss();
  Entry e = Parse(absl::string_view(*bytes));
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
  const CacheSettings s = GetCacheSettings();
  if (!s.enabled || s.root.empty()) return;
  const fs::path dir = KindDir(s.root, kind_);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    Warn(dir.string(),
         absl::StrCat("cannot create the directory (", ec.message(), "); nothing is kept"));
    return;
  }
  const std::string header =
      absl::StrFormat("%s\n%s\n%d %d %d %016x\n", kMagic, kind_, key.size(), description.size(),
                      payload.size(), Checksum(key, View(description), View(payload)));
  // Written aside under a name no other writer uses, then renamed over the entry.
  static std::atomic<int64_t> serial{0};
  const fs::path path = dir / EntryName(key);
  const fs::path tmp = absl::StrCat(path.string(), ".tmp.", ::getpid(), ".", serial.fetch_add(1));
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << header << key << description << payload;
    out.close();
    if (!out) {
      fs::remove(tmp, ec);
      Warn(dir.string(), "cannot write entries (disk full or no permission); nothing is kept");
      return;
    }
  }
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return;
  }
  const int64_t written =
      static_cast<int64_t>(header.size() + key.size() + description.size() + payload.size());
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++counters_.stores;
  }
  Usage& u = CurrentUsage();
  int64_t evicted = 0;
  {
    std::lock_guard<std::mutex> lock(u.mu);
    if (u.root != s.root || u.bytes < 0) {
      u.root = s.root;
      u.bytes = 0;
      for (const FileInfo& f : ScanFiles(s.root)) u.bytes += f.bytes;
    } else {
      u.bytes += written;
    }
    if (u.bytes > s.max_bytes) {
      evicted = EvictCache(s.root, s.max_bytes / 10 * 9);
      u.bytes = 0;
      for (const FileInfo& f : ScanFiles(s.root)) u.bytes += f.bytes;
    }
  }
  if (evicted > 0) {
    std::lock_guard<std::mutex> lock(mu_);
    counters_.evictions += evicted;
  }
}

void DiskCache::Reject(const std::string& key, const std::string& why) {
  const CacheSettings s = GetCacheSettings();
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++counters_.bad_entries;
    --counters_.hits;
    ++counters_.misses;
  }
  Warn((KindDir(s.root, kind_) / EntryName(key)).string(),
       absl::StrCat("the backend rejected it (", why, "); compiled again and replaced"));
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
    std::optional<std::string> bytes = ReadFile(f.path);
    if (!bytes.has_value()) {
      info.problem = "cannot be read";
    } else {
      Entry e = Parse(absl::string_view(*bytes));
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

int64_t EvictCache(const std::string& root, int64_t target) {
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
  return removed;
}

}  // namespace ndjit::runtime
