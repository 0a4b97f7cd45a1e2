// The host buffer pool (see buffer_pool.h).
#include "runtime/buffer_pool.h"

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <fstream>
#include <new>
#include <string>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace ndjit::runtime {

BufferPool& BufferPool::Get() {
  static auto* pool = new BufferPool();  // never destroyed: buffers may outlive static objects
  return *pool;
}

size_t BufferPool::SizeClass(size_t bytes) {
  bytes = std::max<size_t>(bytes, 64);
  if (bytes <= 4096) return std::bit_ceil(bytes);
  const size_t step = std::max(std::bit_ceil(bytes) / 8, bytes >= kHugePageMin ? kHugePage : 0);
  return (bytes + step - 1) / step * step;
}

namespace {

// Whether the system gives transparent huge pages to regions advised with MADV_HUGEPAGE: its
// mode (/sys/kernel/mm/transparent_hugepage/enabled) is `always` or `madvise`. madvise itself
// succeeds under `never` too, so its result alone does not say. Read once.
bool SystemHasHugePages() {
  static const bool enabled = [] {
    std::ifstream in("/sys/kernel/mm/transparent_hugepage/enabled");
    std::string mode;
    std::getline(in, mode);
    return mode.find("[always]") != std::string::npos ||
           mode.find("[madvise]") != std::string::npos;
  }();
  return enabled;
}

// Storage for a fresh buffer of size class `cls`: large ones 2 MiB-aligned (whole huge pages)
// and, when `huge` and the system has huge pages, advised as transparent huge pages. Returns
// whether they were advised.
std::byte* AllocateFresh(size_t cls, bool huge, bool* advised) {
  *advised = false;
  if (cls < BufferPool::kHugePageMin) {
    return static_cast<std::byte*>(std::aligned_alloc(64, cls));
  }
  auto* p = static_cast<std::byte*>(std::aligned_alloc(BufferPool::kHugePage, cls));
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (p != nullptr && huge && SystemHasHugePages()) {
    *advised = madvise(p, cls, MADV_HUGEPAGE) == 0;
  }
#else
  (void)huge;
#endif
  return p;
}

}  // namespace

std::shared_ptr<std::byte> BufferPool::Allocate(size_t bytes, bool huge_pages) {
  const size_t cls = SizeClass(bytes);
  std::byte* p = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.allocations;
    stats_.bytes_requested += static_cast<int64_t>(bytes);
    stats_.live_bytes += static_cast<int64_t>(cls);
    auto it = free_.find(cls);
    if (it != free_.end()) {
      p = it->second;
      free_.erase(it);
      stats_.cached_bytes -= static_cast<int64_t>(cls);
    } else {
      ++stats_.fresh;
      stats_.bytes_fresh += static_cast<int64_t>(cls);
    }
  }
  if (p == nullptr) {
    bool advised = false;
    p = AllocateFresh(cls, huge_pages, &advised);
    if (p == nullptr) {
      std::lock_guard<std::mutex> lock(mu_);
      --stats_.allocations;
      --stats_.fresh;
      stats_.bytes_requested -= static_cast<int64_t>(bytes);
      stats_.bytes_fresh -= static_cast<int64_t>(cls);
      stats_.live_bytes -= static_cast<int64_t>(cls);
      throw std::bad_alloc();
    }
    if (advised) {
      std::lock_guard<std::mutex> lock(mu_);
      stats_.huge_page_bytes += static_cast<int64_t>(cls);
    }
  }
  return std::shared_ptr<std::byte>(p, [this, cls](std::byte* q) { Release(q, cls); });
}

void BufferPool::Release(std::byte* p, size_t cls) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stats_.live_bytes -= static_cast<int64_t>(cls);
    if (static_cast<size_t>(stats_.cached_bytes) + cls <= max_cached_bytes_) {
      free_.emplace(cls, p);
      stats_.cached_bytes += static_cast<int64_t>(cls);
      return;
    }
  }
  std::free(p);
}

BufferPoolStats BufferPool::stats() {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void BufferPool::ResetStats() {
  std::lock_guard<std::mutex> lock(mu_);
  stats_.allocations = 0;
  stats_.fresh = 0;
  stats_.bytes_fresh = 0;
  stats_.bytes_requested = 0;
  stats_.huge_page_bytes = 0;
}

void BufferPool::Trim() {
  std::multimap<size_t, std::byte*> drop;
  {
    std::lock_guard<std::mutex> lock(mu_);
    drop.swap(free_);
    stats_.cached_bytes = 0;
  }
  for (auto& [cls, p] : drop) std::free(p);
}

void BufferPool::set_max_cached_bytes(size_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  max_cached_bytes_ = bytes;
}

}  // namespace ndjit::runtime
