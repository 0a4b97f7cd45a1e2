// A pool of host buffers, so that repeated materializations reuse memory instead of page-faulting
// fresh allocations (a fresh 64 MiB buffer costs ~10x more to fill than a reused one).
//
// Allocate returns 64-byte aligned storage whose last reference returns it to the pool. Buffers
// are kept in size classes (powers of two up to 4 KiB, then multiples of 1/8 of the next power of
// two), reused within a class, and the pool keeps at most `max_cached_bytes` of free buffers (the
// rest go back to the system). Thread-safe.
//
// Large buffers (at least kHugePageMin bytes) are aligned to 2 MiB and sized in whole 2 MiB
// pages (a request of 4 MiB + 1 byte takes a 6 MiB class). When Allocate's `huge_pages` is set
// (the executor's default; NDJIT_FLAGS=--huge-pages=0 clears it) and the system's transparent
// huge pages are `always` or `madvise` (/sys/kernel/mm/transparent_hugepage/enabled), a fresh one
// is advised as huge pages (madvise MADV_HUGEPAGE, Linux), as NumPy does by default (PyTorch on
// request). A loop that streams through 64 MiB then takes one TLB miss per 2 MiB instead of one
// per 4 KiB, which is worth ~5-25% on memory-bound kernels on a virtual machine (nested page
// walks). stats().huge_page_bytes counts the advised bytes; whether the kernel backs them with
// huge pages at fault time is its choice (AnonHugePages in /proc/self/smaps says).
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
  int64_t huge_page_bytes = 0;  // of bytes_fresh, those advised as huge pages
};

class BufferPool {
 public:
  static BufferPool& Get();

  // A fresh large buffer is advised as huge pages when `huge_pages` is set; one reused from the
  // cache keeps what it was given.
  std::shared_ptr<std::byte> Allocate(size_t bytes, bool huge_pages = true);
  BufferPoolStats stats();
  void ResetStats();
  // Returns every cached buffer to the system.
  void Trim();
  void set_max_cached_bytes(size_t bytes);

  static constexpr size_t kHugePage = size_t{2} << 20;
  static constexpr size_t kHugePageMin = size_t{4} << 20;
  // The size class a request of `bytes` is served from (and cached under).
  static size_t SizeClass(size_t bytes);

 private:
  void Release(std::byte* p, size_t size_class);

  std::mutex mu_;
  std::multimap<size_t, std::byte*> free_;  // size class -> buffer
  size_t max_cached_bytes_ = size_t{2} << 30;
  BufferPoolStats stats_;
};

}  // namespace ndjit::runtime

#endif  // NDJIT_RUNTIME_BUFFER_POOL_H_
