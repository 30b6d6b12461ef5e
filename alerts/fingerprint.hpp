#pragma once
// An alert's identity: a 64-bit FNV-1a hash of its sorted labels, as 16 lowercase hex digits.
//
// THIS FUNCTION MUST NEVER CHANGE. Fingerprints are written to the alert state file (a restart
// finds its alerts by them), to the outbox, and sent as PagerDuty's dedup_key and in webhook
// payloads: a different hash after an upgrade would re-page every open incident and orphan the
// old ones so they never resolve. tests/unit/alerts/fingerprint_test.cpp pins known values.
#include <string>
#include <string_view>

#include "alerts/alert.hpp"

namespace qw::alerts {

std::string fingerprint(const Labels& labels);

// The same hash over any text (receiver names in notification ids).
std::string fingerprint_text(std::string_view text);

}  // namespace qw::alerts
