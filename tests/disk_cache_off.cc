// Linked into the test binaries that compile kernels: tests count the kernels they compile, and a
// disk cache warm from an earlier run would load them instead. So the cache is off unless
// NDJIT_CACHE says otherwise (ctest sets NDJIT_CACHE=0; the cross-process tests start their
// children with NDJIT_CACHE=1). The cache's own tests turn it on in a directory of their own.
#include <cstdlib>

#include "gtest/gtest.h"
#include "runtime/disk_cache.h"

namespace {

class DiskCacheOff : public ::testing::Environment {
 public:
  void SetUp() override {
    if (std::getenv("NDJIT_CACHE") == nullptr) ndjit::runtime::SetCacheEnabled(false);
  }
};

[[maybe_unused]] ::testing::Environment* const kDiskCacheOff =
    ::testing::AddGlobalTestEnvironment(new DiskCacheOff);

}  // namespace
