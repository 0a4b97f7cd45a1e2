// A pool of host buffers, so that repeated materializations reuse memory instead of page-faulting
// fresh allocations (a fresh 64 MiB buffer costs ~10x more to fill than a reused one).
//
// Allocate returns 64-byte aligned storage whose last reference returns it to the pool. Buffers
// are kept in size classes (powers of two up to 4 KiB, then multiples of 1/8 of the next power of
// two), reused within a class, and the pool keeps at most `max_cached_bytes` of free buffers (the
// rest go back to the system). Thread-safe.
#ifndef NDJIT_RUNTIME_BUFFER_POOL_H_
#define NDJIT_RUNTIME_BUFFER_POOL_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>

namespace ndjit::runtime {

struct BufferPoolStats {
  int64_t allocations = 0;      // Allocate calls
  int64_t fresh = 0;            // of those, served by the system allocator
  int64_t bytes_fresh = 0;      // bytes of those
  int64_t bytes_requested = 0;  // sum of the sizes asked for
  int64_t cached_bytes = 0;     // free buffers held now
  int64_t live_bytes = 0;       // buffers handed out and not yet returned
};

class BufferPool {
 public:
  static BufferPool& Get();

  std::shared_ptr<std::byte> Allocate(size_t bytes);
  BufferPoolStats stats();
  void ResetStats();
  // Returns every cached buffer to the system.
  void Trim();
  void set_max_cached_bytes(size_t bytes);

 private:
  void Release(std::byte* p, size_t size_class);
  static size_t SizeClass(size_t bytes);

  std::mutex mu_;
  std::multimap<size_t, std::byte*> free_;  // size class -> buffer
  size_t max_cached_bytes_ = size_t{2} << 30;
  BufferPoolStats stats_;
};

}  // namespace ndjit::runtime

#endif  // NDJIT_RUNTIME_BUFFER_POOL_H_
