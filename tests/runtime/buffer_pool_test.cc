// The buffer pool on its own: alignment, reuse within a size class, the cache bound and the
// counters Stats reports from it.
#include "runtime/buffer_pool.h"

#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "gtest/gtest.h"

namespace ndjit::runtime {
namespace {

class BufferPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    BufferPool::Get().Trim();
    BufferPool::Get().ResetStats();
  }
  void TearDown() override {
    BufferPool::Get().set_max_cached_bytes(size_t{2} << 30);
    BufferPool::Get().Trim();
  }
};

TEST_F(BufferPoolTest, BuffersAre64ByteAlignedAndWritable) {
  for (size_t bytes : {size_t{1}, size_t{63}, size_t{4096}, size_t{100000}}) {
    std::shared_ptr<std::byte> b = BufferPool::Get().Allocate(bytes);
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(b.get()) % 64, 0u) << bytes;
    std::memset(b.get(), 0xab, bytes);
  }
}

TEST_F(BufferPoolTest, AReleasedBufferIsReusedWithinItsSizeClass) {
  BufferPool& pool = BufferPool::Get();
  std::byte* first = nullptr;
  {
    std::shared_ptr<std::byte> b = pool.Allocate(1 << 20);
    first = b.get();
    EXPECT_EQ(pool.stats().live_bytes, 1 << 20);
  }
  EXPECT_EQ(pool.stats().live_bytes, 0);
  EXPECT_GE(pool.stats().cached_bytes, 1 << 20);
  // A slightly smaller request of the same class gets the same buffer, without the system.
  std::shared_ptr<std::byte> again = pool.Allocate((1 << 20) - 100);
  EXPECT_EQ(again.get(), first);
  const BufferPoolStats s = pool.stats();
  EXPECT_EQ(s.allocations, 2);
  EXPECT_EQ(s.fresh, 1);
  EXPECT_EQ(s.bytes_requested, (1 << 20) + (1 << 20) - 100);
}

TEST_F(BufferPoolTest, TheCacheBoundSendsTheRestBackAndTrimEmptiesIt) {
  BufferPool& pool = BufferPool::Get();
  pool.set_max_cached_bytes(1 << 20);
  {
    std::vector<std::shared_ptr<std::byte>> held;
    for (int i = 0; i < 4; ++i) held.push_back(pool.Allocate(1 << 20));
  }
  EXPECT_LE(pool.stats().cached_bytes, 1 << 20);
  pool.Trim();
  EXPECT_EQ(pool.stats().cached_bytes, 0);
  // Nothing cached: the next buffer comes from the system.
  pool.ResetStats();
  std::shared_ptr<std::byte> b = pool.Allocate(4096);
  EXPECT_EQ(pool.stats().fresh, 1);
}

TEST_F(BufferPoolTest, LargeBuffersAreWholeAlignedHugePages) {
  // Classes of 4 MiB and more are whole 2 MiB pages; smaller ones keep 1/8 steps.
  EXPECT_EQ(BufferPool::SizeClass((size_t{4} << 20) + 1), size_t{6} << 20);
  EXPECT_EQ(BufferPool::SizeClass((size_t{64} << 20) + 1), size_t{80} << 20);
  EXPECT_EQ(BufferPool::SizeClass((size_t{3} << 20) + 1), (size_t{3} << 20) + (size_t{1} << 19));
  BufferPool& pool = BufferPool::Get();
  for (bool huge : {true, false}) {
    pool.Trim();
    pool.ResetStats();
    std::shared_ptr<std::byte> b = pool.Allocate((size_t{5} << 20) + 3, huge);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(b.get()) % BufferPool::kHugePage, 0u);
    std::memset(b.get(), 1, (size_t{5} << 20) + 3);
    const BufferPoolStats s = pool.stats();
    EXPECT_EQ(s.bytes_fresh, int64_t{6} << 20);
    // Advised where the system has transparent huge pages, and only when asked.
    EXPECT_TRUE(s.huge_page_bytes == 0 || s.huge_page_bytes == s.bytes_fresh);
    if (!huge) {
      EXPECT_EQ(s.huge_page_bytes, 0);
    }
  }
  // Below the threshold: 64-byte alignment only, never advised.
  pool.ResetStats();
  std::shared_ptr<std::byte> small = pool.Allocate(size_t{1} << 20, true);
  EXPECT_EQ(pool.stats().huge_page_bytes, 0);
}

}  // namespace
}  // namespace ndjit::runtime
