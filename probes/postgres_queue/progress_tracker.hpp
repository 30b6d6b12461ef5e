#pragma once
// Per-queue progress where finished rows are deleted and the table's delete counter cannot be
// told apart by queue (README.md, "Progress without kept rows"). Each round tracks a bounded
// sample of every queue's jobs: the next few to run and the few claimed last. The next round
// looks them up by primary key: a tracked job that left the table or changed state (claimed,
// finished, failed, retried), or a job claimed since the previous round, is progress observed.
// A lower bound by construction: jobs that start and finish between two rounds without having
// been tracked are never seen. These are observations, not completions. Pure: the probe runs
// the SQL and hands the rows in.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace qw::probes::queue {

class ProgressTracker {
 public:
  // A tracked job as the previous round saw it.
  struct Job {
    std::string queue;
    std::string signature;  // state letter and started timestamp: a change is progress
  };
  // A tracked job as this round's lookup found it (absent: it left the table).
  struct Found {
    std::string id;
    std::string signature;
  };
  // This round's view of one queue: the jobs to track next, and claims since the previous one.
  struct Head {
    std::string queue;
    std::vector<std::string> ready_ids;
    std::vector<std::pair<std::string, std::string>> running;  // id, signature
    std::optional<std::uint64_t> claims;  // none: no started timestamp to tell claims by
  };

  // The ids to look up this round, and the previous round's database now ('infinity' before
  // one, so that nothing counts as a claim on the first round).
  std::vector<std::string> tracked_ids() const;
  const std::string& previous_now() const { return previous_now_; }
  // Whether a previous round exists to compare with: before it, nothing is known.
  bool compares() const { return previous_now_ != kNoRound; }

  // Progress events per queue in this round, from the lookup of the tracked ids and the heads.
  // Every queue in `heads` has an entry (0 when nothing moved) once a previous round exists.
  std::map<std::string, std::uint64_t> observe(const std::vector<Found>& found,
                                               const std::vector<Head>& heads) const;
  // The round succeeded: track the heads' jobs from now on.
  void advance(const std::vector<Head>& heads, std::string database_now);

  static std::string signature(char state, const std::string& started) {
    return std::string(1, state) + started;
  }
  static constexpr const char* kNoRound = "infinity";

 private:
  std::map<std::string, Job> tracked_;  // by id
  std::string previous_now_ = kNoRound;
};

// How many ids each queue tracks per state: a budget of kMaxTrackedIds per source, shared.
int tracked_per_queue(std::size_t queues);
inline constexpr int kMaxTrackedPerQueue = 5;
inline constexpr int kMaxTrackedIds = 2000;

}  // namespace qw::probes::queue
