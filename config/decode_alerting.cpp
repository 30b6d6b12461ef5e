// The `alerting` section: routes, inhibition, receivers. (Skeleton: filled in with issue 3.)
#include "config/decoders.hpp"

namespace qw::config::detail {

void decode_alerting(Context& ctx, const Value& value, AlertingConfig& out) {
  (void)ctx;
  (void)value;
  (void)out;
}

}  // namespace qw::config::detail
