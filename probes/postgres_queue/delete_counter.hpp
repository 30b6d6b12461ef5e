#pragma once
// Completions of a table whose finished rows are deleted, from PostgreSQL's cumulative
// per-table delete counter (pg_stat_get_tuples_deleted). Exact for committed deletes, but
// the server publishes a backend's counts up to ~1 s after commit (10 s when it goes idle), and
// every delete counts: clean-up of failed rows too. A stats reset makes the counter go down;
// that round counts nothing rather than a negative or a huge number. Pure.
#include <cstdint>
#include <optional>

namespace qw::probes::queue {

class DeleteCounter {
 public:
  // Returns the deletes since the previous call; the first call only sets the baseline.
  std::uint64_t advance(std::int64_t cumulative) {
    std::uint64_t delta = 0;
    if (last_ && cumulative >= *last_) delta = static_cast<std::uint64_t>(cumulative - *last_);
    last_ = cumulative;
    return delta;
  }

 private:
  std::optional<std::int64_t> last_;
};

}  // namespace qw::probes::queue
