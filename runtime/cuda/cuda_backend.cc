// The engine's GPU kernel backend (see cuda_backend.h).
#include "runtime/cuda/cuda_backend.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "codegen/cuda/cuda_source.h"
#include "ir/kernel.h"
#include "runtime/compile_log.h"
#include "runtime/cuda/driver.h"
#include "runtime/disk_cache.h"

namespace ndjit::runtime::cuda {

namespace cg = codegen::cuda;

namespace {

std::atomic<int64_t> g_launches{0}, g_allocations{0}, g_allocator_hits{0};

// Device memory by size class: powers of two from 256 bytes to 1 MiB, then multiples of 1 MiB
// (a large buffer wastes less than a MiB). Freed blocks wait in a free list for the next request
// of their class instead of going back to the driver; when the driver runs out, the cached blocks
// are given back and the allocation is tried once more.
class Allocator {
 public:
  explicit Allocator(Driver::Device* device) : device_(device) {}
  absl::StatusOr<uint64_t> Allocate(int64_t bytes, int64_t* size_class) {
    constexpr int64_t kMiB = int64_t{1} << 20;
    int64_t c = 256;
    while (c < bytes && c < kMiB) c *= 2;
    if (c < bytes) c = (bytes + kMiB - 1) / kMiB * kMiB;
    *size_class = c;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto& list = free_[c];
      if (!list.empty()) {
        const uint64_t p = list.back();
        list.pop_back();
        g_allocator_hits.fetch_add(1);
        return p;
      }
    }
    absl::StatusOr<uint64_t> p = device_->Allocate(static_cast<size_t>(c));
    if (!p.ok() && absl::IsResourceExhausted(p.status())) {
      Trim();  // give the cached blocks back and try once more
      p = device_->Allocate(static_cast<size_t>(c));
    }
    if (p.ok()) g_allocations.fetch_add(1);
    return p;
  }
  void Release(uint64_t p, int64_t size_class) {
    std::lock_guard<std::mutex> lock(mu_);
    free_[size_class].push_back(p);
  }

 private:
  void Trim() {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [c, list] : free_) {
      for (uint64_t p : list) (void)device_->Free(p);
      list.clear();
    }
  }
  Driver::Device* device_;
  std::mutex mu_;
  std::map<int64_t, std::vector<uint64_t>> free_;
};

struct LoadedKernel {
  cg::RenderedKernel rendered;
  std::vector<bool> outputs;  // per buffer: whether the kernel writes it (copied back)
  int num_params = 0;
  int num_values = 0;  // passed after the size parameters
  void* i32 = nullptr;
  void* i64 = nullptr;
  int max_threads = cg::kMaxBlockThreads;  // occupancy: threads per block
  int64_t blocks_per_sm = 1;
};

class DeviceState {
 public:
  explicit DeviceState(Driver::Device* device) : device_(device), allocator_(device) {}

  absl::StatusOr<std::shared_ptr<const LoadedKernel>> Load(const ir::Kernel& kernel) {
    const std::string key = ir::PrintKernel(kernel);
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = kernels_.find(key); it != kernels_.end()) return it->second;
    auto loaded = std::make_shared<LoadedKernel>();
    absl::StatusOr<cg::RenderedKernel> r = cg::RenderKernel(kernel, cg::EntryName(kernel.name));
    if (!r.ok()) return r.status();
    loaded->rendered = *std::move(r);
    for (const ir::KBuffer& b : kernel.buffers) loaded->outputs.push_back(b.output);
    loaded->num_params = kernel.num_params;
    loaded->num_values = kernel.num_values;
    const int sm = device_->info().sm();
    const auto start = std::chrono::steady_clock::now();
    cg::ImageSource source = cg::ImageSource::kCompiled;
    const std::string program = cg::ProgramText({loaded->rendered});
    absl::StatusOr<cg::CudaImage> image = cg::CompileProgramCached(
        program, loaded->rendered.entry + ".cu", sm, &DiskCache::Cuda(), &source);
    if (!image.ok()) return image.status();
    if (source != cg::ImageSource::kMemory) {
      // The op-by-op rerun after a failed fused kernel is not told apart here (the executor's
      // backend interface passes only the kernel).
      NoteCompile(kernel, key, "cuda", /*unfused_retry=*/false, source == cg::ImageSource::kDisk,
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    std::vector<std::string> entries = {loaded->rendered.entry + "_i64"};
    if (loaded->rendered.has_i32) entries.push_back(loaded->rendered.entry + "_i32");
    absl::StatusOr<std::vector<void*>> functions = device_->LoadKernels(image->image, entries);
    if (!functions.ok() && source == cg::ImageSource::kDisk) {
      // An image from the disk cache the driver rejects: compile it again (once).
      cg::RejectCachedProgram(
          program, sm, &DiskCache::Cuda(),
          absl::StrCat("the driver rejected it: ", functions.status().message()));
      image = cg::CompileProgramCached(program, loaded->rendered.entry + ".cu", sm,
                                       &DiskCache::Cuda(), &source);
      if (!image.ok()) return image.status();
      functions = device_->LoadKernels(image->image, entries);
    }
    if (!functions.ok()) return functions.status();
    loaded->i64 = (*functions)[0];
    if (loaded->rendered.has_i32) loaded->i32 = (*functions)[1];
    // Occupancy of the 64-bit entry (the one with more registers) decides the block size.
    absl::StatusOr<int> max_threads = device_->MaxThreadsPerBlock(loaded->i64);
    if (!max_threads.ok()) return max_threads.status();
    loaded->max_threads = std::min(*max_threads, cg::kMaxBlockThreads);
    absl::StatusOr<int> per_sm =
        device_->ActiveBlocksPerMultiprocessor(loaded->i64, loaded->max_threads);
    if (!per_sm.ok()) return per_sm.status();
    loaded->blocks_per_sm = std::max(1, *per_sm);
    kernels_.emplace(key, loaded);
    return std::shared_ptr<const LoadedKernel>(loaded);
  }

  // Copies the buffers in, launches, copies the outputs and the check status back.
  absl::Status Run(const LoadedKernel& k, void* const* buffers, const int64_t* params,
                   int64_t* status, const LaunchSize& size) {
    const cg::LaunchShape shape = cg::ChooseLaunch(
        k.rendered, size.points, size.work, cg::IndexBound(size.max_elements, params, k.num_params),
        k.max_threads, k.blocks_per_sm * device_->info().multiprocessors);
    void* fn = shape.index64 ? k.i64 : k.i32;
    const size_t nb = k.outputs.size();
    std::vector<uint64_t> dev(nb + 1, 0);
    std::vector<int64_t> classes(nb + 1, 0);
    absl::Status st;
    size_t allocated = 0;
    // Whatever happens below, the blocks go back to the allocator.
    struct Release {
      Allocator& allocator;
      const std::vector<uint64_t>& dev;
      const std::vector<int64_t>& classes;
      const size_t& count;
      ~Release() {
        for (size_t b = 0; b < count; ++b) allocator.Release(dev[b], classes[b]);
      }
    } release{allocator_, dev, classes, allocated};
    for (; allocated <= nb && st.ok(); ++allocated) {
      const int64_t bytes =
          allocated < nb ? std::max<int64_t>(1, size.buffer_bytes[allocated]) : 3 * 8;
      absl::StatusOr<uint64_t> p = allocator_.Allocate(bytes, &classes[allocated]);
      if (!p.ok()) {
        st = p.status();
        break;
      }
      dev[allocated] = *p;
    }
    for (size_t b = 0; b < nb && st.ok(); ++b) {
      if (size.buffer_bytes[b] > 0) {
        st = device_->CopyToDevice(dev[b], buffers[b], static_cast<size_t>(size.buffer_bytes[b]));
      }
    }
    if (st.ok()) st = device_->CopyToDevice(dev[nb], status, 3 * sizeof(int64_t));
    if (st.ok()) {
      std::vector<long long> param_values(params, params + k.num_params + k.num_values);
      std::vector<void*> args;
      for (size_t b = 0; b < nb; ++b) args.push_back(&dev[b]);
      for (long long& p : param_values) args.push_back(&p);
      args.push_back(&dev[nb]);
      st = device_->Launch(fn, shape.grid, shape.block_x, args, 0, shape.block_y);
      g_launches.fetch_add(1);
    }
    for (size_t b = 0; b < nb && st.ok(); ++b) {
      if (k.outputs[b] && size.buffer_bytes[b] > 0) {
        st = device_->CopyToHost(buffers[b], dev[b], static_cast<size_t>(size.buffer_bytes[b]));
      }
    }
    if (st.ok()) st = device_->CopyToHost(status, dev[nb], 3 * sizeof(int64_t));
    return st;
  }

 private:
  Driver::Device* device_;
  Allocator allocator_;
  std::mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<LoadedKernel>> kernels_;
};

DeviceState* StateFor(Driver::Device* device) {
  static std::mutex mu;
  static auto* states = new std::map<Driver::Device*, std::unique_ptr<DeviceState>>();
  std::lock_guard<std::mutex> lock(mu);
  std::unique_ptr<DeviceState>& s = (*states)[device];
  if (s == nullptr) s = std::make_unique<DeviceState>(device);
  return s.get();
}

}  // namespace

absl::StatusOr<KernelBackend> DeviceBackend(int ordinal) {
  absl::StatusOr<Driver*> driver = Driver::Get();
  if (!driver.ok()) return driver.status();
  absl::StatusOr<Driver::Device*> device = (*driver)->device(ordinal);
  if (!device.ok()) return device.status();
  DeviceState* state = StateFor(*device);
  return KernelBackend([state](const ir::Kernel& kernel) -> absl::StatusOr<KernelRunner> {
    absl::StatusOr<std::shared_ptr<const LoadedKernel>> loaded = state->Load(kernel);
    if (!loaded.ok()) return loaded.status();
    std::shared_ptr<const LoadedKernel> k = *loaded;
    return KernelRunner([state, k](void* const* buffers, const int64_t* params, int64_t* status,
                                   const LaunchSize& size) {
      return state->Run(*k, buffers, params, status, size);
    });
  });
}

DeviceCounters GetDeviceCounters() {
  return DeviceCounters{g_launches.load(), g_allocations.load(), g_allocator_hits.load()};
}

}  // namespace ndjit::runtime::cuda
