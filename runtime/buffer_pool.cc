// The host buffer pool (see buffer_pool.h).
#include "runtime/buffer_pool.h"

#include <bit>
#include <cstdlib>
#include <new>

namespace ndjit::runtime {

BufferPool& BufferPool::Get() {
  static auto* pool = new BufferPool();  // never destroyed: buffers may outlive static objects
  return *pool;
}

size_t BufferPool::SizeClass(size_t bytes) {
  bytes = std::max<size_t>(bytes, 64);
  if (bytes <= 4096) return std::bit_ceil(bytes);
  const size_t step = std::bit_ceil(bytes) / 8;
  return (bytes + step - 1) / step * step;
}

std::shared_ptr<std::byte> BufferPool::Allocate(size_t bytes) {
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
    p = static_cast<std::byte*>(std::aligned_alloc(64, cls));
    if (p == nullptr) throw std::bad_alloc();
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
