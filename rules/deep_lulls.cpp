#include "rules/deep_lulls.hpp"

#include <algorithm>
#include <cmath>

namespace qw::rules {
namespace {

constexpr std::int64_t kBlockMinutes = 5;
constexpr std::int64_t kBlocksPerHour = 60 / kBlockMinutes;
// Blocks are counted once they ended two hours ago: by then an alert held over them (a stall's
// own blocks) has excluded their hour.
constexpr std::int64_t kLagBlocks = 2 * kBlocksPerHour + 1;
// A week of blocks is 2016: half of a count's weight is gone after a week.
const double kFade = std::exp2(-1.0 / (7 * 24 * kBlocksPerHour));

// The block's completions, or a negative number when it is not fully measured.
double block_count(const MinuteRing& minutes, std::int64_t block) {
  const WindowSums s =
      sum_minutes(minutes, block * kBlockMinutes - 1, block * kBlockMinutes + kBlockMinutes - 1);
  return s.measured_s >= 0.8 * kBlockMinutes * 60 ? s.completed : -1;
}

bool excluded(const HourRing& hours, const Timezone& tz, std::int64_t block) {
  const HourSlot* h = hours.read(local_hour_index(tz, block * kBlockMinutes * 60));
  return h != nullptr && h->excluded;
}

}  // namespace

std::size_t DeepLulls::index(int blocks) {
  return static_cast<std::size_t>(std::clamp(blocks, 1, kMaxBlocks) - 1);
}

void DeepLulls::count_new_blocks(const MinuteRing& minutes, const HourRing& hours,
                                 const Timezone& tz, std::int64_t now_s) {
  const std::int64_t last = floor_div(floor_div(now_s, 60), kBlockMinutes) - kLagBlocks;
  // The minute ring reaches back six hours; a block needs its hour before inside it.
  const std::int64_t oldest =
      floor_div(floor_div(now_s, 60) - kMinuteSlots, kBlockMinutes) + 1 + kBlocksPerHour;
  for (std::int64_t b = std::max(next_block_, oldest); b <= last; ++b) {
    for (double& r : runs_) r *= kFade;
    for (double& d : deep_) d *= kFade;
    double before = 0;
    bool measured = true;
    for (std::int64_t p = b - kBlocksPerHour; p < b && measured; ++p) {
      const double c = block_count(minutes, p);
      measured = c >= 0;
      before += c;
    }
    if (!measured || before <= 0) continue;  // an idle or unmeasured hour says nothing of lulls
    const double usual = before / kBlocksPerHour;
    // The runs of 1..kMaxBlocks blocks ending with this one, each against the same hour before
    // the run's last block (for a run, a slightly later hour: close enough, and conservative
    // when the run's own first blocks pull the mean down).
    double run = 0;
    for (int n = 1; n <= kMaxBlocks; ++n) {
      const std::int64_t blk = b - n + 1;
      const double c = block_count(minutes, blk);
      if (c < 0 || excluded(hours, tz, blk)) break;
      run += c;
      runs_[index(n)] += 1;
      if (run <= kDeepLull * usual * n) deep_[index(n)] += 1;
    }
  }
  next_block_ = std::max(next_block_, last + 1);
}

std::optional<DeepLulls> DeepLulls::restored(const Saved& s) {
  // A count fading by kFade per block never exceeds 1 / (1 - kFade), about 2,900.
  const double most = 1 / (1 - kFade) + 1;
  for (std::size_t i = 0; i < s.runs.size(); ++i) {
    if (!std::isfinite(s.runs[i]) || !std::isfinite(s.deep[i]) || s.deep[i] < 0 ||
        s.deep[i] > s.runs[i] || s.runs[i] > most)
      return std::nullopt;
  }
  DeepLulls d;
  d.next_block_ = s.next_block;
  d.runs_ = s.runs;
  d.deep_ = s.deep;
  return d;
}

double DeepLulls::surprise(int blocks) const {
  const std::size_t i = index(blocks);
  if (runs_[i] <= 0) return 0;
  return -std::log((deep_[i] + 1) / (runs_[i] + 1));
}

}  // namespace qw::rules
