// Fuzzes the status-feed parsers (probes/provider_status): a provider's feed is someone else's
// document, fetched over the network. The first byte picks the parser (Statuspage JSON or
// RSS/Atom XML); the rest is the document. Oracle: a refused document carries a reason and no
// incidents; an accepted one stays within the published bounds, in valid one-line UTF-8.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "probes/provider_status/feed.hpp"

namespace {

bool one_line_utf8(const std::string& s) {
  if (s.size() > qw::probes::provider::kMaxFieldBytes) return false;
  for (char c : s)
    if (c == '\n' || c == '\r' || c == '\t') return false;
  return qw::probes::provider::clean_text(s) == s;  // clean text is a fixed point
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view doc(reinterpret_cast<const char*>(data) + 1, size - 1);
  namespace p = qw::probes::provider;
  const p::FeedResult r = (data[0] & 1) ? p::parse_statuspage(doc) : p::parse_feed(doc);
  if (!r.ok && (r.error.empty() || !r.incidents.empty())) __builtin_trap();
  if (r.incidents.size() > p::kMaxIncidents) __builtin_trap();
  for (const auto& inc : r.incidents) {
    if (!one_line_utf8(inc.title) || !one_line_utf8(inc.link) || !one_line_utf8(inc.id) ||
        !one_line_utf8(inc.summary) || inc.impact.empty())
      __builtin_trap();
    if (inc.components.size() > p::kMaxComponents) __builtin_trap();
    for (const auto& c : inc.components)
      if (!one_line_utf8(c)) __builtin_trap();
  }
  return 0;
}
