// `providers`: cloud providers' status feeds (probes/provider_status), each key one row
// (config/schema.hpp). Targets link to them by name (`targets[].provider`).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "config/decoders.hpp"
#include "config/schema.hpp"

namespace qw::config::detail {
namespace {

constexpr EnumWord<ProviderKind> kKinds[] = {
    {"statuspage", ProviderKind::statuspage},
    {"rss", ProviderKind::rss},
    {"atom", ProviderKind::atom},
};

// http:// or https:// and a host: the fetcher (alerts/http_client.cpp) speaks nothing else.
Reader<std::string> feed_url_reader() {
  return Reader<std::string>{
      [](Context& ctx, const Value& v) -> std::optional<std::string> {
        std::optional<std::string> url = read_nonempty_string(ctx, v);
        if (!url) return std::nullopt;
        const auto scheme_end = url->find("://");
        const std::string scheme =
            scheme_end == std::string::npos ? "" : url->substr(0, scheme_end);
        const std::size_t host_at = scheme_end == std::string::npos ? 0 : scheme_end + 3;
        if ((scheme != "http" && scheme != "https") || host_at >= url->size() ||
            (*url)[host_at] == '/' || (*url)[host_at] == ':') {
          ctx.error(v.path, v.mark, "not an http:// or https:// URL with a host");
          return std::nullopt;
        }
        return url;
      },
      [](const std::string& s) { return s; }, "an `http://` or `https://` URL"};
}

// read_string_list refuses an empty entry, which would match every incident.
Reader<std::vector<std::string>> substrings_reader() {
  return Reader<std::vector<std::string>>{
      [](Context& ctx, const Value& v) { return read_string_list(ctx, v); },
      [](const std::vector<std::string>& l) { return fmt::format("{}", fmt::join(l, ", ")); },
      "a list of strings"};
}

std::vector<Field<ProviderConfig>> make_provider_rows() {
  using P = ProviderConfig;
  return {
      required(field("name", &P::name, name_reader(),
                     "unique among providers; the `provider` label and targets' link")),
      field("kind", &P::kind, enum_reader(kKinds),
            "the feed's format: Statuspage v2 JSON, RSS 2.0 or Atom 1.0"),
      required(field("url", &P::url, feed_url_reader(),
                     "the feed: Statuspage's `/api/v2/summary.json` or "
                     "`/api/v2/incidents/unresolved.json`; the RSS or Atom feed's address")),
      default_text(field("components", &P::components, substrings_reader(),
                         "incidents counted: a case-insensitive substring of a component, group "
                         "or category name, or of the title"),
                   "every incident"),
      field("interval", &P::interval, duration_reader(bounds::kProviderInterval),
            "how often the feed is fetched"),
      field("timeout", &P::timeout, duration_reader(bounds::kProviderTimeout),
            "the whole fetch, from resolving the host to the last byte"),
      field("max_bytes", &P::max_bytes, integer_reader(bounds::kProviderMaxBytes),
            "a larger response is refused, not read on"),
      field("max_age", &P::max_age, duration_reader(bounds::kProviderMaxAge),
            "RSS and Atom only: an item published longer ago is history, not an open incident"),
  };
}

ProviderConfig decode_provider(Context& ctx, const Value& value) {
  ProviderConfig out;
  out.mark = value.mark;
  MapReader map(ctx, value, keys_of(provider_fields()));
  decode_fields(ctx, map, provider_fields(), out);
  return out;
}

}  // namespace

const std::vector<Field<ProviderConfig>>& provider_fields() {
  static const std::vector<Field<ProviderConfig>> rows = make_provider_rows();
  return rows;
}

void decode_providers(Context& ctx, const Value& value, std::vector<ProviderConfig>& out) {
  for (const Value& item : read_sequence(ctx, value)) {
    ProviderConfig provider = decode_provider(ctx, item);
    const ProviderConfig* first = find_by_name(out, provider.name);
    if (!provider.name.empty() && first != nullptr) {
      ctx.error(child_path(item.path, "name"), mark_of(item.node["name"].Mark()),
                fmt::format("duplicate provider name \"{}\" (first defined at line {})",
                            provider.name, first->mark.line));
      continue;
    }
    out.push_back(std::move(provider));
  }
}

}  // namespace qw::config::detail
