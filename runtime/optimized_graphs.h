// Optimized graphs by recorded graph: the default pipeline's result for a graph it optimized
// before, so that a program that materializes the same computation again (a training step, a
// loop over small arrays) skips the passes and goes straight to the plan cache.
//
// Keys are exact: the recorded graph's structure with every constant's value (ir::StructuralHash
// with parameter values), plus the pipeline options that change its result (disabled passes, a
// bisect limit); an entry is used only when the stored recorded graph is structurally equal.
// A graph whose float constants changed still shares its compiled plan (the plan cache ignores
// those values) but runs the passes again, since folding may have combined them. A graph is
// kept on its second sighting, so a loop whose values change every iteration pays one hash per
// materialization and no copy. Call sites are not part of the key: a caller that reports an
// error from a cached graph must redo the work on its own graph (whose sites are the user's).
// Bounded: the entries are cleared when they hold 512 graph pairs or 2^20 nodes, the sightings
// at 8,192. Thread-safe.
#ifndef NDJIT_RUNTIME_OPTIMIZED_GRAPHS_H_
#define NDJIT_RUNTIME_OPTIMIZED_GRAPHS_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "ir/graph.h"
#include "passes/pipeline.h"

namespace ndjit::runtime {

class OptimizedGraphs {
 public:
  struct Entry {
    std::unique_ptr<const ir::Graph> recorded;
    std::unique_ptr<const ir::Graph> optimized;
    // ir::StructuralHash(*optimized) without parameter values: the plan cache's key, computed
    // once (ExecuteOptions::structural_hash).
    size_t optimized_hash = 0;
  };
  // What a materialization looks up: built from the recorded graph before the passes.
  struct Key {
    size_t hash = 0;
    std::string options;
    bool cacheable = false;  // false when the pipeline has effects beyond its result
  };

  static OptimizedGraphs& Get();

  static Key KeyFor(const ir::Graph& recorded, const passes::PipelineOptions& options);
  // The entry for `recorded`, or null.
  std::shared_ptr<const Entry> Find(const ir::Graph& recorded, const Key& key);
  // Whether a graph with this key was seen before without being kept (then the caller keeps a
  // copy of the recorded graph and adds it); notes the sighting.
  bool SeenBefore(const Key& key);
  void Add(const Key& key, std::unique_ptr<const ir::Graph> recorded,
           std::unique_ptr<const ir::Graph> optimized);

 private:
  static constexpr size_t kMaxEntries = 512;
  static constexpr int64_t kMaxNodes = int64_t{1} << 20;
  static constexpr size_t kMaxSightings = 8192;

  std::mutex mu_;
  absl::flat_hash_map<size_t, std::shared_ptr<const Entry>> entries_;
  int64_t nodes_ = 0;  // in the entries' graphs
  absl::flat_hash_set<size_t> seen_;
};

}  // namespace ndjit::runtime

#endif  // NDJIT_RUNTIME_OPTIMIZED_GRAPHS_H_
