// Optimized graphs by recorded graph (see optimized_graphs.h).
#include "runtime/optimized_graphs.h"

#include <utility>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ir/structural.h"

namespace ndjit::runtime {

OptimizedGraphs& OptimizedGraphs::Get() {
  static auto* graphs = new OptimizedGraphs();
  return *graphs;
}

OptimizedGraphs::Key OptimizedGraphs::KeyFor(const ir::Graph& recorded,
                                             const passes::PipelineOptions& options) {
  Key key;
  // Printing, timing and dumping are effects of running the passes, which a cached result would
  // skip.
  key.cacheable = options.dump_dir.empty() && !options.time_passes && !options.print_before_all &&
                  options.print_before.empty() && !options.print_after_all &&
                  options.print_after.empty() && !options.print_changed;
  if (!key.cacheable) return key;
  if (!options.disable.empty() || options.bisect_limit >= 0) {
    key.options = absl::StrCat(absl::StrJoin(options.disable, ","), ";", options.bisect_limit);
  }
  key.hash = absl::HashOf(ir::StructuralHash(recorded, /*parameter_values=*/true), key.options);
  return key;
}

std::shared_ptr<const OptimizedGraphs::Entry> OptimizedGraphs::Find(const ir::Graph& recorded,
                                                                    const Key& key) {
  if (!key.cacheable) return nullptr;
  std::shared_ptr<const Entry> entry;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(key.hash);
    if (it == entries_.end()) return nullptr;
    entry = it->second;
  }
  // Compared outside the lock: entries are immutable.
  if (!ir::StructurallyEqual(recorded, *entry->recorded, /*parameter_values=*/true)) {
    return nullptr;
  }
  return entry;
}

bool OptimizedGraphs::SeenBefore(const Key& key) {
  if (!key.cacheable) return false;
  std::lock_guard<std::mutex> lock(mu_);
  if (seen_.size() >= kMaxSightings) seen_.clear();
  return !seen_.insert(key.hash).second;
}

void OptimizedGraphs::Add(const Key& key, std::unique_ptr<const ir::Graph> recorded,
                          std::unique_ptr<const ir::Graph> optimized) {
  const int64_t nodes = recorded->num_nodes() + optimized->num_nodes();
  if (nodes > kMaxNodes) return;
  auto entry = std::make_shared<Entry>();
  entry->recorded = std::move(recorded);
  entry->optimized_hash = ir::StructuralHash(*optimized, /*parameter_values=*/false);
  entry->optimized = std::move(optimized);
  std::lock_guard<std::mutex> lock(mu_);
  if (entries_.size() >= kMaxEntries || nodes_ + nodes > kMaxNodes) {
    entries_.clear();
    nodes_ = 0;
  }
  // A different graph with the same hash keeps its entry: the first one stays.
  if (entries_.try_emplace(key.hash, std::move(entry)).second) nodes_ += nodes;
}

}  // namespace ndjit::runtime
