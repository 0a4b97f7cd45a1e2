// Where compiled code is kept between processes. The backends (codegen/cpu, codegen/cuda) produce
// and load the bytes; the runtime decides where they live and for how long (runtime/disk_cache.h
// implements this over a directory). Entries are code the process will run: the store must only
// return what a process of this build wrote. Every method is called from several threads at once.
#ifndef NDJIT_CODEGEN_OBJECT_STORE_H_
#define NDJIT_CODEGEN_OBJECT_STORE_H_

#include <optional>
#include <string>
#include <string_view>

namespace ndjit::codegen {

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;
  // The bytes stored under `key` (compared in full), or nullopt: none, or an entry that cannot be
  // used (the store says why, once).
  virtual std::optional<std::string> Load(const std::string& key) = 0;
  // Keeps `payload` under `key`. `description` is for people listing the store (kernel names, the
  // call sites that produced it); it is not part of the key. Never fails: an entry that cannot be
  // written is only a later miss.
  virtual void Store(const std::string& key, std::string_view description,
                     std::string_view payload) = 0;
  // The caller could not use what Load returned for `key` (the backend rejected it): the entry
  // is removed, and the store says why, once.
  virtual void Reject(const std::string& key, const std::string& why) = 0;
};

}  // namespace ndjit::codegen

#endif  // NDJIT_CODEGEN_OBJECT_STORE_H_
