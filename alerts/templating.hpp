#pragma once
// Annotation templates, a deliberately small subset of Prometheus' Go templates:
//
//   {{ $labels.NAME }}                   the alert's label (empty when absent)
//   {{ $value }}                         the rule's value: 12, 0.125, 3.142
//   {{ $value | humanizeDuration }}      the value read as seconds: "5m 3s", "1d 2h", "250ms"
//   {{ $externalURL }}                   alerting.external_url
//
// Anything else between {{ and }} is left in the text exactly as written, so a typo shows up in
// the page instead of crashing the daemon or silently vanishing. Pure: no I/O, no clock.
#include <string>
#include <string_view>

#include "alerts/alert.hpp"

namespace qw::alerts {

struct TemplateData {
  const Labels& labels;
  double value = 0;
  std::string_view external_url;
};

std::string expand_template(std::string_view text, const TemplateData& data);
Annotations expand_annotations(const Annotations& templates, const TemplateData& data);

// Integers without decimals ("42"), others rounded to 3 decimals with trailing zeros dropped
// ("0.125", "3.142"); NaN and infinities as "NaN", "+Inf", "-Inf" like Prometheus.
std::string format_value(double value);
// Seconds as "1d 2h 3m 4s", "5m 3s", "250ms"; negative values get a leading "-".
std::string humanize_duration(double seconds);

}  // namespace qw::alerts
