// The one header a program includes: NDArray, the nd:: functions, and process-wide calls.
#ifndef NDJIT_NDJIT_H_
#define NDJIT_NDJIT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "ndjit/dtype.h"
#include "ndjit/error.h"
#include "ndjit/host_array.h"
#include "ndjit/nd.h"
#include "ndjit/ndarray.h"

namespace ndjit {

// Blocks until every array that a live handle can reach is computed.
void waitall(SourceLocation site = SourceLocation::current());

// The pending graph that computing `arrays` would evaluate now, in the IR's text form (computed
// arrays appear as `input` leaves). Computes nothing.
std::string pending_ir(const std::vector<NDArray>& arrays);

// Process-wide counters, for tests and tools.
struct Stats {
  int64_t nodes_recorded = 0;    // ops recorded
  int64_t materializations = 0;  // graphs computed
  int64_t nodes_evaluated = 0;   // nodes computed
};
Stats stats();
void reset_stats();

}  // namespace ndjit

#endif  // NDJIT_NDJIT_H_
