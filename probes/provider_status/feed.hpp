#pragma once
// What a provider's status feed says, reduced to the incidents queuewatch reports: parsed from
// the Atlassian Statuspage v2 JSON API or from an RSS 2.0 / Atom 1.0 feed (see README.md for the
// published formats each field comes from). Plain values: no I/O here, the fetcher is apart.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qw::probes::provider {

struct ProviderIncident {
  std::string id;      // Statuspage id, RSS guid, Atom id (else the link, else the title)
  std::string title;   // Statuspage name, RSS/Atom title
  std::string link;    // Statuspage shortlink, RSS link, Atom link href
  std::string status;  // Statuspage: investigating, identified, monitoring; feeds: empty
  std::string impact;  // Statuspage: none, minor, major, critical, maintenance; feeds: "unknown"
  // Statuspage: the affected components' names (and their groups' names); feeds: categories.
  std::vector<std::string> components;
  std::optional<std::int64_t> started_at;  // Unix seconds: started_at, else created_at; pubDate
  std::string summary;                     // the latest update's body, or the item's description
};

struct FeedResult {
  bool ok = false;
  std::string error;  // why the document was refused, when !ok
  std::vector<ProviderIncident> incidents;
};

// Limits that hold for any input, however hostile: a feed is someone else's document.
inline constexpr std::size_t kMaxIncidents = 200;    // the rest are dropped (and counted)
inline constexpr std::size_t kMaxFieldBytes = 2048;  // longer text is cut (at a UTF-8 boundary)
inline constexpr std::size_t kMaxComponents = 32;    // per incident

// /api/v2/summary.json or /api/v2/incidents/unresolved.json: both carry "incidents". Resolved
// and postmortem incidents are skipped (summary.json lists only unresolved ones anyway).
FeedResult parse_statuspage(std::string_view json);

// An RSS 2.0 (<rss><channel><item>) or Atom 1.0 (<feed><entry>) document, told apart by its root.
// A feed has no incident state: every item is reported, except those whose title says
// "[RESOLVED]" (the form AWS's feed uses); the probe drops items older than its max_age.
FeedResult parse_feed(std::string_view xml);

// "2014-05-14T14:22:39.441-06:00" (RFC 3339 / ISO 8601) and "Sun, 06 Sep 2009 16:20:00 +0000"
// (RFC 822 with four-digit years, as RSS 2.0 uses): Unix seconds, or none when malformed.
std::optional<std::int64_t> parse_rfc3339(std::string_view text);
std::optional<std::int64_t> parse_rfc822(std::string_view text);

// Cuts text to at most `max` bytes without splitting a UTF-8 sequence, collapsing whitespace
// runs to one space and trimming: feed text goes into one-line annotations and label values.
std::string clean_text(std::string_view text, std::size_t max = kMaxFieldBytes);

}  // namespace qw::probes::provider
