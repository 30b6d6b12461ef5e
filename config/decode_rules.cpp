// The `rules` section: thresholds and per-queue overrides. (Skeleton: filled in with issue 3.)
#include "config/decoders.hpp"

namespace qw::config::detail {

void decode_rules(Context& ctx, const Value& value, RulesConfig& out) {
  (void)ctx;
  (void)value;
  (void)out;
}

}  // namespace qw::config::detail
