// ndjit::gluon::data: datasets and the batch loader (ArrayDataset, DataLoader).
#ifndef NDJIT_GLUON_DATA_H_
#define NDJIT_GLUON_DATA_H_

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <vector>

#include "ndjit/ndarray.h"

namespace ndjit::gluon {

// ---- Data ----
namespace data {

// Samples along the first axis of `data` and `label` (equal lengths, ValueError otherwise). The
// arrays are handed to the engine at construction (MXNet's dataset holds computed arrays).
class ArrayDataset {
 public:
  ArrayDataset(NDArray data, NDArray label, SourceLocation site = SourceLocation::current());
  int64_t size() const { return size_; }
  const NDArray& data() const { return data_; }
  const NDArray& label() const { return label_; }

 private:
  NDArray data_;
  NDArray label_;
  int64_t size_;
};

struct Batch {
  NDArray data;
  NDArray label;
};

// Batches of a dataset (MXNet's DataLoader without worker processes: batches are lazy gathers
// that fuse into the step that reads them). shuffle draws a fresh order at every begin() from
// ndjit's generator (nd::random::seed makes it reproducible). last_batch: "keep" (a short
// last batch), "discard" (drop it) or "rollover" (its samples start the next pass); another
// value is a ValueError.
class DataLoader {
 public:
  DataLoader(ArrayDataset dataset, int64_t batch_size, bool shuffle = false,
             std::string last_batch = "keep", SourceLocation site = SourceLocation::current());

  // Batches in one pass (the next pass's count, for rollover).
  int64_t size() const;

  class Iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = Batch;
    using difference_type = std::ptrdiff_t;
    using pointer = const Batch*;
    using reference = const Batch&;
    const Batch& operator*() const { return batch_; }
    const Batch* operator->() const { return &batch_; }
    Iterator& operator++();
    void operator++(int) { ++*this; }
    bool operator==(const Iterator& o) const { return index_ == o.index_; }
    bool operator!=(const Iterator& o) const { return index_ != o.index_; }

   private:
    friend class DataLoader;
    Iterator(DataLoader* loader, int64_t index);
    void Load();
    DataLoader* loader_;
    int64_t index_;
    Batch batch_;
  };
  // Starts a pass: draws the order when shuffling and takes the samples a rollover carried. So
  // every call to begin() is a new pass (a range-for calls it once); the iterators of a pass stay
  // valid until the next begin() and while the loader lives.
  Iterator begin();
  Iterator end();

 private:
  friend class Iterator;
  Batch MakeBatch(int64_t b) const;

  ArrayDataset dataset_;
  int64_t batch_size_;
  bool shuffle_;
  std::string last_batch_;
  std::vector<int64_t> order_;     // sample indices of the current pass
  std::vector<int64_t> leftover_;  // rollover: samples carried into the next pass
  int64_t batches_ = 0;            // in the current pass
};

}  // namespace data

}  // namespace ndjit::gluon

#endif  // NDJIT_GLUON_DATA_H_
