// A lazily computed array value: the node a frontend handle points at.
//
// A Value records one op application (op, result type, attributes, call site, operand values).
// Until it is realized it keeps its operands alive; once materialization computes it, it keeps its
// buffer and drops its operands, so the graph behind a computed array is released. The recorded
// fields never change; only the state does, under the materializer's lock:
//
//   pending --(a flush stores it)--> queued --(the engine ran its task)--> realized | failed
//   pending --(a flush computes it without storing it)--> taken
//
// A failed value holds a DeferredError shared by every value the failure reached.
#ifndef NDJIT_RUNTIME_VALUE_H_
#define NDJIT_RUNTIME_VALUE_H_

#include <compare>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "ir/attrs.h"
#include "ir/graph.h"
#include "ir/host_tensor.h"
#include "ir/ops.h"
#include "ir/shape.h"

namespace ndjit::runtime {

class Value;
using ValuePtr = std::shared_ptr<Value>;
struct Task;

// An error raised while compiling or running, stored on every value it reached (MXNet's shared
// exception reference): the first blocking accessor that meets it reports it, and it is
// reported once.
struct DeferredError {
  absl::Status status;
  // Set once an accessor, waitall or the exit log reported it; guarded by the materializer.
  bool reported = false;
};
using ErrorPtr = std::shared_ptr<DeferredError>;

// Data a higher layer attaches to a value it recorded (autograd's record of how the value was
// computed, see frontend/autograd.h). The runtime only keeps it alive.
// An annotation that holds values releases them with ReleaseValues, so that long recorded
// chains are destroyed without recursion.
struct ValueAnnotation {
  virtual ~ValueAnnotation() = default;
};

// Drops `values` without recursing through the chains they hold: inside a value's destruction
// they join its work list, otherwise they are drained here.
void ReleaseValues(std::vector<std::shared_ptr<Value>> values);

// Where a value is computed: the host, GPU i, or anywhere (a value built only from constants,
// iota and random leaves, and the library's own index leaves: it follows the device of whatever
// reads it, and runs on the host when read there or by nothing).
class Device {
 public:
  static constexpr Device Cpu() { return Device(kCpuId); }
  static constexpr Device Gpu(int index) { return Device(index); }
  static constexpr Device Any() { return Device(kAnyId); }
  constexpr bool is_cpu() const { return id_ == kCpuId; }
  constexpr bool is_gpu() const { return id_ >= 0; }
  constexpr bool is_any() const { return id_ == kAnyId; }
  constexpr int gpu_index() const { return id_; }  // meaningful for is_gpu() only
  // Where a value on this device is computed when nothing pins it: Any on the host.
  constexpr Device OrCpu() const { return is_any() ? Cpu() : *this; }
  // The context's name as the API spells it: "cpu(0)", "gpu(1)"; "any context".
  std::string Name() const;
  constexpr bool operator==(const Device&) const = default;
  // Orders the host before GPU 0, 1, ... (Any first).
  constexpr auto operator<=>(const Device&) const = default;

 private:
  static constexpr int kCpuId = -1;
  static constexpr int kAnyId = -2;
  constexpr explicit Device(int id) : id_(id) {}
  int id_;
};

class Value : public std::enable_shared_from_this<Value> {
 public:
  // A pending value. The caller has checked the op's type rules (ir::InferType).
  // `device`: the context the value is computed on.
  static ValuePtr Pending(ir::Op op, ir::TensorType type, std::vector<ValuePtr> operands,
                          ir::Attrs attrs, ir::SourceLoc loc, Device device = Device::Cpu());
  // A realized value holding `buffer` (an `input` leaf when it appears in a graph).
  // `device`: the host, or Device::Any() for the library's own index and constant leaves, which
  // any context may read.
  static ValuePtr Realized(ir::HostTensor buffer, ir::SourceLoc loc, Device device = Device::Cpu());

  // Only Pending and Realized can make the key: the constructor is public for make_shared alone
  // (one allocation for the value and its reference counts).
  class Key {
    friend class Value;
    explicit Key() = default;
  };
  Value(Key, ir::Op op, ir::TensorType type, std::vector<ValuePtr> operands, ir::Attrs attrs,
        ir::SourceLoc loc)
      : op_(op),
        type_(std::move(type)),
        attrs_(std::move(attrs)),
        loc_(loc),
        operands_(std::move(operands)) {}
  ~Value();
  Value(const Value&) = delete;
  Value& operator=(const Value&) = delete;

  ir::Op op() const { return op_; }
  const ir::TensorType& type() const { return type_; }
  const ir::Attrs& attrs() const { return attrs_; }
  const ir::SourceLoc& loc() const { return loc_; }

  // Set at most once, by the thread that recorded the value, before the value reaches any other
  // handle or thread (the materializer's registry reads only the state); read-only afterwards.
  const std::shared_ptr<ValueAnnotation>& annotation() const { return annotation_; }
  // Fixed at creation (realized values are on the CPU).
  Device device() const { return device_; }
  void set_annotation(std::shared_ptr<ValueAnnotation> a) { annotation_ = std::move(a); }

 private:
  friend class Materializer;

  const ir::Op op_;
  const ir::TensorType type_;
  const ir::Attrs attrs_;
  const ir::SourceLoc loc_;
  std::shared_ptr<ValueAnnotation> annotation_;
  Device device_ = Device::Cpu();
  // Guarded by the materializer's lock once the value is shared.
  // kTaken: computed inside a submitted task without being stored (nothing outside the task
  // held it); a later graph that still needs it computes it again from its operands.
  enum class State : uint8_t { kPending, kTaken, kQueued, kRealized, kFailed };
  State state_ = State::kPending;
  // Counted in the materializer's pending-node and pending-byte totals (the bounds that trigger
  // automatic flushes) until the value leaves the pending state or dies.
  bool counted_ = false;
  std::vector<ValuePtr> operands_;
  // Scratch of the materializer's walks over pending values, in place of hash maps keyed by
  // value (guarded by the materializer's lock; meaningful only while `walk_.id` is the number
  // of the walk in progress, see Materializer::WalkPostOrder).
  struct Walk {
    uint64_t id = 0;
    ir::Node* node = nullptr;   // Collect: the value's node in the collected graph
    int32_t internal_refs = 0;  // Collect: references from the operand lists of collected values
    int32_t requested = 0;      // SubmitLocked: times the request names the value
    bool same_array = false;    // SubmitLocked: a requested value is this one under another name
    bool unstored = false;      // SubmitLocked: left unstored; computing it again costs
    int64_t cheap = 0;          //   its cone's elementary ops
    int expensive = 0;          //   and expensive ops (saturates at 2)
  } walk_;
  std::optional<ir::HostTensor> buffer_;
  std::shared_ptr<Task> task_;  // while queued: the engine task that computes it
  ErrorPtr error_;              // when failed
};

}  // namespace ndjit::runtime

#endif  // NDJIT_RUNTIME_VALUE_H_
