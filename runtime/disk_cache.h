// The compile cache on disk: compiled CPU objects and CUDA images kept across processes.
//
// Location: NDJIT_CACHE_DIR, else $XDG_CACHE_HOME/ndjit, else ~/.cache/ndjit; CPU entries in
// `cpu/`, CUDA entries in `cuda/`. With none of these variables set there is no disk cache.
//
// Trust: entries are code the process runs. The cache creates its directories with mode 0700 and
// uses none (said once) that another user owns or that group or others can write; the checksum
// finds damage, not tampering. Only regular files up to the cap (and 256 MiB) are read.
//
// Entry: one file per key, named by a 64-bit FNV-1a hash of the key (`<16 hex>.ndjk`), holding
//   "NDJIT-CACHE 1\n<kind>\n<key bytes> <description bytes> <payload bytes> <checksum>\n"
// then the key, the description and the payload. An entry is used only when its format version,
// kind and key match in full, its sizes add up to the file's and the FNV-1a checksum of the three
// parts matches: a truncated, corrupt, foreign or other-version entry is a miss, said once per
// process on stderr, and is replaced by the fresh compile. Entries are written to a temporary
// file in the same directory (mkstemp) and renamed, so a reader sees a whole entry or none (after
// a crash of the machine, a torn file fails its checksum); two processes that write the same
// entry both succeed (the last rename wins; both hold the same code).
//
// Size: entries of both kinds together are kept under a soft cap (default 1 GiB;
// NDJIT_CACHE_MAX_BYTES or SetCacheMaxBytes). A store that takes this process's count of the
// total over it rescans the cache and removes the least recently used entries (a load refreshes
// an entry's modification time) until the total is under 90% of it; stores of other processes
// are seen at that rescan. An entry larger than a quarter of the cap is not stored.
//
// Errors: loads and stores never fail a compile; a cache that cannot be read or written is said
// once on stderr and works as a miss.
//
// Switch: NDJIT_CACHE=0 (or SetCacheEnabled(false), ndjit::set_cache(false)) turns loads and
// stores off; the in-memory kernel caches are not affected.
#ifndef NDJIT_RUNTIME_DISK_CACHE_H_
#define NDJIT_RUNTIME_DISK_CACHE_H_

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "codegen/object_store.h"

namespace ndjit::runtime {

inline constexpr int64_t kDefaultCacheMaxBytes = int64_t{1} << 30;

struct CacheSettings {
  bool enabled = true;
  std::string root;  // empty: no location known (no disk cache)
  int64_t max_bytes = kDefaultCacheMaxBytes;
};
// The current settings (read once from the environment, then changed by the setters).
CacheSettings GetCacheSettings();
void SetCacheEnabled(bool enabled);
// An empty `root` restores the default location (NDJIT_CACHE_DIR, ...).
void SetCacheDir(std::string root);
// `max_bytes` must be positive.
absl::Status SetCacheMaxBytes(int64_t max_bytes);
// Parses a size: a positive integer with an optional K, M or G suffix (powers of 1024).
absl::StatusOr<int64_t> ParseByteSize(std::string_view text);

// The 64-bit FNV-1a hash of `bytes` (entry names and checksums); `seed` continues a hash.
inline constexpr uint64_t kFnv1aOffset = 0xcbf29ce484222325ull;
uint64_t Fnv1a(std::string_view bytes, uint64_t seed = kFnv1aOffset);

struct DiskCacheCounters {
  int64_t hits = 0;         // entries loaded
  int64_t misses = 0;       // keys with no usable entry
  int64_t stores = 0;       // entries written
  int64_t bad_entries = 0;  // entries found unusable (corrupt, truncated, foreign, other version)
  int64_t evictions = 0;    // entries removed to stay under the cap
};

// The entries of one kind ("cpu" or "cuda") under the current settings' root.
class DiskCache : public codegen::ObjectStore {
 public:
  static DiskCache& Cpu();
  static DiskCache& Cuda();

  // Whether loads and stores happen now (enabled, with a location).
  bool Active() const;
  std::optional<std::string> Load(const std::string& key) override;
  void Store(const std::string& key, std::string_view description,
             std::string_view payload) override;
  // The caller could not use what Load returned for `key` (the backend rejected the object):
  // counted as a bad entry, said once and removed.
  void Reject(const std::string& key, const std::string& why) override;
  DiskCacheCounters counters() const;

 private:
  explicit DiskCache(std::string kind) : kind_(std::move(kind)) {}
  // Load and Store without their guard (they may throw; the public ones never do).
  std::optional<std::string> LoadEntry(const std::string& key);
  void StoreEntry(const std::string& key, std::string_view description, std::string_view payload);
  // Says `problem` about `path` on stderr, once per path and process.
  void Warn(const std::string& path, const std::string& problem);

  const std::string kind_;
  mutable std::mutex mu_;
  DiskCacheCounters counters_;
  absl::flat_hash_set<std::string> warned_;
};

// One entry, as `ndjit-inspect cache list` shows it.
struct CacheEntryInfo {
  std::string kind;  // "cpu", "cuda"
  std::string path;
  int64_t bytes = 0;
  int64_t last_use_unix_seconds = 0;  // the file's modification time
  std::string description;            // the writer's description
  std::string problem;                // empty for a usable entry, else why it is not
};
// Every entry under `root` (both kinds), most recently used first.
std::vector<CacheEntryInfo> ListCacheEntries(const std::string& root);
// Removes every entry (and leftover temporary file) under `root`; returns how many files.
absl::StatusOr<int64_t> ClearCache(const std::string& root);
// Removes the least recently used entries under `root` until they total at most `target` bytes
// (and temporary files an hour old, which a writer that died left); returns how many files it
// removed, and the entries' bytes left in `remaining` when given.
int64_t EvictCache(const std::string& root, int64_t target, int64_t* remaining = nullptr);

}  // namespace ndjit::runtime

#endif  // NDJIT_RUNTIME_DISK_CACHE_H_
