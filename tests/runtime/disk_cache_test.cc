// Tests of the compile cache on disk: entries, bad entries, the cap, the switch. The cross-process
// tests (a program run twice, concurrent writers) are in tests/frontend/disk_cache_test.cc.
#include "runtime/disk_cache.h"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace ndjit::runtime {
namespace {

namespace fs = std::filesystem;

// A fresh cache root, made current for the test and removed after it.
class DiskCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    saved_ = GetCacheSettings();
    root_ = fs::path(::testing::TempDir()) /
            ("ndjit_disk_cache_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    SetCacheDir(root_.string());
    SetCacheEnabled(true);
    ASSERT_TRUE(SetCacheMaxBytes(kDefaultCacheMaxBytes).ok());
  }
  void TearDown() override {
    SetCacheDir(saved_.root);
    SetCacheEnabled(saved_.enabled);
    ASSERT_TRUE(SetCacheMaxBytes(saved_.max_bytes).ok());
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  // The only entry file of `kind`.
  fs::path OnlyEntry(const std::string& kind) {
    std::vector<fs::path> files;
    for (const auto& d : fs::directory_iterator(root_ / kind)) files.push_back(d.path());
    EXPECT_EQ(files.size(), 1u);
    return files.empty() ? fs::path() : files[0];
  }

  static std::string Read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  static void Write(const fs::path& p, const std::string& bytes) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << bytes;
  }

  CacheSettings saved_;
  fs::path root_;
};

TEST_F(DiskCacheTest, StoresAndLoadsByTheWholeKey) {
  DiskCache& cache = DiskCache::Cpu();
  const DiskCacheCounters before = cache.counters();
  EXPECT_FALSE(cache.Load("key one").has_value());
  cache.Store("key one", "kernel one\n", std::string("obj\0ect", 7));
  std::optional<std::string> loaded = cache.Load("key one");
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(*loaded, std::string("obj\0ect", 7));
  EXPECT_FALSE(cache.Load("key two").has_value());
  // The other kind has its own directory.
  EXPECT_FALSE(DiskCache::Cuda().Load("key one").has_value());
  const DiskCacheCounters after = cache.counters();
  EXPECT_EQ(after.hits - before.hits, 1);
  EXPECT_EQ(after.misses - before.misses, 2);
  EXPECT_EQ(after.stores - before.stores, 1);
  EXPECT_EQ(after.bad_entries - before.bad_entries, 0);

  const std::vector<CacheEntryInfo> entries = ListCacheEntries(root_.string());
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].kind, "cpu");
  EXPECT_EQ(entries[0].description, "kernel one\n");
  EXPECT_EQ(entries[0].problem, "");
  EXPECT_EQ(entries[0].bytes, static_cast<int64_t>(fs::file_size(entries[0].path)));
}

TEST_F(DiskCacheTest, BadEntriesAreMissesSaidOnceAndReplaced) {
  DiskCache& cache = DiskCache::Cpu();
  struct Case {
    std::string name;
    std::function<std::string(const std::string&)> damage;
    std::string problem;
  };
  const std::vector<Case> cases = {
      {"truncated", [](const std::string& b) { return b.substr(0, b.size() - 3); },
       "truncated or padded"},
      {"padded", [](const std::string& b) { return b + "x"; }, "truncated or padded"},
      {"corrupt",
       [](const std::string& b) {
         std::string c = b;
         c[c.size() - 2] ^= 0x20;
         return c;
       },
       "corrupt (checksum)"},
      {"empty", [](const std::string&) { return std::string(); }, "not an ndjit cache entry"},
      {"foreign file",
       [](const std::string&) {
         return std::string(
             "\x7f"
             "ELF garbage");
       },
       "not an ndjit cache entry"},
      {"other version",
       [](const std::string& b) { return "NDJIT-CACHE 2" + b.substr(b.find('\n')); },
       "written in another format (\"NDJIT-CACHE 2\""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string key = "the key " + c.name;
    cache.Store(key, "d", "payload");
    const fs::path entry = fs::path(root_) / "cpu";
    fs::path file;
    for (const auto& d : fs::directory_iterator(entry)) {
      if (Read(d.path()).find(key) != std::string::npos) file = d.path();
    }
    ASSERT_FALSE(file.empty());
    Write(file, c.damage(Read(file)));
    const DiskCacheCounters before = cache.counters();
    ::testing::internal::CaptureStderr();
    EXPECT_FALSE(cache.Load(key).has_value());
    EXPECT_FALSE(cache.Load(key).has_value());
    const std::string said = ::testing::internal::GetCapturedStderr();
    // Said once, naming the file and the problem.
    EXPECT_NE(said.find(file.string() + ": " + c.problem), std::string::npos) << said;
    EXPECT_EQ(said.find(file.string(), said.find(file.string()) + 1), std::string::npos) << said;
    EXPECT_EQ(cache.counters().bad_entries - before.bad_entries, 2);
    // The fresh compile's store replaces it.
    cache.Store(key, "d", "payload");
    std::optional<std::string> loaded = cache.Load(key);
    ASSERT_TRUE(loaded.has_value());
    EXPECT_EQ(*loaded, "payload");
  }
}

TEST_F(DiskCacheTest, AnEntryOfAnotherKeyAtThisName) {
  // A whole, valid entry whose key is not the one looked up (what a 64-bit hash collision would
  // give): a miss.
  DiskCache& cache = DiskCache::Cpu();
  cache.Store("first key", "d", "first");
  const fs::path first = OnlyEntry("cpu");
  const std::string bytes = Read(first);
  fs::remove(first);
  cache.Store("second key", "d", "second");
  const fs::path second = OnlyEntry("cpu");
  Write(second, bytes);
  ::testing::internal::CaptureStderr();
  EXPECT_FALSE(cache.Load("second key").has_value());
  const std::string said = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(said.find("holds another key"), std::string::npos) << said;
  // An entry in the other kind's directory is not used either.
  fs::create_directories(root_ / "cuda");
  fs::copy_file(second, root_ / "cuda" / second.filename());
  fs::remove(second);
  cache.Store("first key", "d", "first");
  fs::copy_file(OnlyEntry("cpu"), root_ / "cuda" / OnlyEntry("cpu").filename(),
                fs::copy_options::overwrite_existing);
  ::testing::internal::CaptureStderr();
  EXPECT_FALSE(DiskCache::Cuda().Load("first key").has_value());
  const std::string said_cuda = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(said_cuda.find("holds a cpu entry where a cuda one belongs"), std::string::npos)
      << said_cuda;
}

TEST_F(DiskCacheTest, AFileLargerThanTheWholeCacheIsNotRead) {
  DiskCache& cache = DiskCache::Cpu();
  cache.Store("big", "", "x");
  const fs::path entry = OnlyEntry("cpu");
  ASSERT_TRUE(SetCacheMaxBytes(4096).ok());
  Write(entry, std::string(5000, 'z'));
  ::testing::internal::CaptureStderr();
  EXPECT_FALSE(cache.Load("big").has_value());
  const std::string said = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(said.find("5000 bytes, more than the cache's limit"), std::string::npos) << said;
  const std::vector<CacheEntryInfo> entries = ListCacheEntries(root_.string());
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].problem, "5000 bytes, more than the cache's limit");
}

TEST_F(DiskCacheTest, TheCapEvictsTheLeastRecentlyUsed) {
  DiskCache& cache = DiskCache::Cpu();
  // Each entry is a little under 3000 bytes (at most a quarter of the cap, or it is not stored);
  // the cap holds four.
  const std::string payload(2900, 'p');
  ASSERT_TRUE(SetCacheMaxBytes(12000).ok());
  const DiskCacheCounters before = cache.counters();
  auto age = [&](const std::string& key, int seconds_ago) {
    for (const auto& d : fs::directory_iterator(root_ / "cpu")) {
      if (Read(d.path()).find(key) != std::string::npos) {
        fs::last_write_time(d.path(),
                            fs::file_time_type::clock::now() - std::chrono::seconds(seconds_ago));
      }
    }
  };
  for (int k = 0; k < 4; ++k) {
    // (absl::StrCat: GCC 12 reports a false -Wrestrict in `"k" + std::to_string(k)` at -O2.)
    cache.Store(absl::StrCat("k", k), "", payload);
    age(absl::StrCat("k", k), 500 - 100 * k);
  }
  // Using k0 makes k1 the least recently used, then k2.
  ASSERT_TRUE(cache.Load("k0").has_value());
  cache.Store("k4", "", payload);
  // Over the cap: evicted down to 90% of it (three entries), oldest use first.
  EXPECT_FALSE(cache.Load("k1").has_value());
  EXPECT_FALSE(cache.Load("k2").has_value());
  EXPECT_TRUE(cache.Load("k0").has_value());
  EXPECT_TRUE(cache.Load("k3").has_value());
  EXPECT_TRUE(cache.Load("k4").has_value());
  EXPECT_EQ(cache.counters().evictions - before.evictions, 2);
  int64_t total = 0;
  for (const CacheEntryInfo& e : ListCacheEntries(root_.string())) total += e.bytes;
  EXPECT_LE(total, 10800);
  // An entry larger than a quarter of the cap is not stored.
  cache.Store("huge", "", std::string(3001, 'h'));
  EXPECT_FALSE(cache.Load("huge").has_value());

  EXPECT_FALSE(SetCacheMaxBytes(0).ok());
  EXPECT_FALSE(SetCacheMaxBytes(-5).ok());
}

TEST_F(DiskCacheTest, OffMeansNoLoadsAndNoStores) {
  DiskCache& cache = DiskCache::Cpu();
  cache.Store("kept", "", "x");
  SetCacheEnabled(false);
  EXPECT_FALSE(cache.Active());
  EXPECT_FALSE(cache.Load("kept").has_value());
  cache.Store("not kept", "", "y");
  SetCacheEnabled(true);
  EXPECT_TRUE(cache.Load("kept").has_value());
  EXPECT_FALSE(cache.Load("not kept").has_value());
}

TEST_F(DiskCacheTest, ADirectoryOthersCanWriteIsNotUsed) {
  DiskCache& cache = DiskCache::Cpu();
  cache.Store("k", "", "x");
  ASSERT_TRUE(cache.Load("k").has_value());
  // Entries are code: a cache directory another user could write into is refused, both ways.
  fs::permissions(root_ / "cpu", fs::perms::others_write, fs::perm_options::add);
  ::testing::internal::CaptureStderr();
  EXPECT_FALSE(cache.Load("k").has_value());
  cache.Store("k2", "", "y");
  const std::string said = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(said.find((root_ / "cpu").string() + ": writable by other users: the compile cache is "
                                                 "not used there"),
            std::string::npos)
      << said;
  EXPECT_FALSE(fs::exists(root_ / "cpu" / (std::string(16, '0') + ".ndjk")));
  fs::permissions(root_ / "cpu", fs::perms::others_write, fs::perm_options::remove);
  EXPECT_TRUE(cache.Load("k").has_value());
  EXPECT_FALSE(cache.Load("k2").has_value());
  // The directories the cache creates are private.
  EXPECT_EQ(fs::status(root_).permissions() & fs::perms::all, fs::perms::owner_all);
  EXPECT_EQ(fs::status(root_ / "cpu").permissions() & fs::perms::all, fs::perms::owner_all);
}

TEST_F(DiskCacheTest, OnlyRegularFilesAreRead) {
  DiskCache& cache = DiskCache::Cpu();
  cache.Store("k", "", "x");
  const fs::path entry = OnlyEntry("cpu");
  fs::remove(entry);
  // A FIFO would block a reader forever, a link could point anywhere.
  ASSERT_EQ(::mkfifo(entry.c_str(), 0600), 0);
  EXPECT_FALSE(cache.Load("k").has_value());
  fs::remove(entry);
  fs::create_symlink("/dev/zero", entry);
  EXPECT_FALSE(cache.Load("k").has_value());
  fs::remove(entry);
}

TEST_F(DiskCacheTest, ClearRemovesEntriesAndLeftovers) {
  DiskCache::Cpu().Store("a", "", "x");
  DiskCache::Cuda().Store("b", "", "y");
  Write(root_ / "cpu" / "0000000000000000.ndjk.tmp.1.0", "half an entry");
  Write(root_ / "cpu" / "README", "not ours");
  absl::StatusOr<int64_t> removed = ClearCache(root_.string());
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(*removed, 3);
  EXPECT_TRUE(ListCacheEntries(root_.string()).empty());
  EXPECT_TRUE(fs::exists(root_ / "cpu" / "README"));
}

TEST_F(DiskCacheTest, AnUnwritableDirectoryIsSaidOnceAndNothingFails) {
  Write(root_.string() + "_file", "a file where the cache directory would be");
  SetCacheDir(root_.string() + "_file");
  ::testing::internal::CaptureStderr();
  DiskCache::Cpu().Store("k", "", "x");
  DiskCache::Cpu().Store("k2", "", "x");
  const std::string said = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(said.find("_file: not a directory: the compile cache is not used there"),
            std::string::npos)
      << said;
  EXPECT_EQ(said.find("not a directory", said.find("not a directory") + 1), std::string::npos);
  EXPECT_FALSE(DiskCache::Cpu().Load("k").has_value());
  fs::remove(root_.string() + "_file");
}

TEST(ParseByteSize, Suffixes) {
  EXPECT_EQ(*ParseByteSize("1024"), 1024);
  EXPECT_EQ(*ParseByteSize("512K"), 512 << 10);
  EXPECT_EQ(*ParseByteSize("3m"), 3 << 20);
  EXPECT_EQ(*ParseByteSize("2G"), int64_t{2} << 30);
  for (const char* bad : {"", "G", "0", "-1", "1.5G", "12 bytes", "99999999999999999999"}) {
    EXPECT_FALSE(ParseByteSize(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace ndjit::runtime
