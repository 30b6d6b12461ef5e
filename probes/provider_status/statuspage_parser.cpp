// The Atlassian Statuspage v2 public API (/api/v2/summary.json, /api/v2/incidents/unresolved.json).
// Fields as published: an incident has id, name, status (investigating, identified, monitoring,
// resolved, postmortem; scheduled ones: scheduled, in_progress, verifying, completed), impact
// (none, minor, major, critical, maintenance), shortlink, created_at, started_at,
// incident_updates[] (body, created_at) and components[] (id, name, group_id, status); summary.json
// also lists the page's components, where a group is a component with "group": true. See
// README.md for the sources.
#include <boost/json.hpp>

#include "probes/provider_status/feed.hpp"

namespace qw::probes::provider {

namespace json = boost::json;

namespace {

std::string str(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v || !v->is_string()) return "";
  return clean_text(std::string_view(v->get_string()));
}

bool open_status(const std::string& status) {
  // Scheduled maintenance that has not begun, and incidents that are over, are not open.
  return status != "resolved" && status != "postmortem" && status != "completed" &&
         status != "scheduled";
}

}  // namespace

FeedResult parse_statuspage(std::string_view text) {
  FeedResult out;
  json::parse_options options;
  options.max_depth = 32;  // Statuspage nests four levels; a hostile document gets no further
  boost::system::error_code ec;
  json::monotonic_resource resource;
  const json::value doc = json::parse(text, ec, &resource, options);
  if (ec) {
    out.error = "malformed JSON: " + ec.message();
    return out;
  }
  const json::object* root = doc.if_object();
  const json::value* incidents = root ? root->if_contains("incidents") : nullptr;
  if (!incidents || !incidents->is_array()) {
    out.error = "not a Statuspage v2 document: no \"incidents\" array";
    return out;
  }
  // Group names by id, from summary.json's page components: "SQL Database" in group "West
  // Europe" then matches a filter on either name.
  std::vector<std::pair<std::string, std::string>> groups;
  if (const json::value* comps = root->if_contains("components"); comps && comps->is_array()) {
    for (const json::value& c : comps->get_array()) {
      if (!c.is_object()) continue;
      const json::object& o = c.get_object();
      const json::value* g = o.if_contains("group");
      if (g && g->is_bool() && g->get_bool() && groups.size() < 1000)
        groups.emplace_back(str(o, "id"), str(o, "name"));
    }
  }
  for (const json::value& v : incidents->get_array()) {
    if (!v.is_object()) continue;
    const json::object& o = v.get_object();
    ProviderIncident inc;
    inc.status = str(o, "status");
    if (!open_status(inc.status)) continue;
    inc.id = str(o, "id");
    inc.title = str(o, "name");
    inc.link = str(o, "shortlink");
    inc.impact = str(o, "impact");
    if (inc.impact.empty()) inc.impact = "unknown";
    std::string started = str(o, "started_at");
    if (started.empty()) started = str(o, "created_at");
    inc.started_at = parse_rfc3339(started);
    if (const json::value* ups = o.if_contains("incident_updates"); ups && ups->is_array()) {
      // Newest first, as the API lists them.
      const json::array& list = ups->get_array();
      if (!list.empty() && list.front().is_object())
        inc.summary = str(list.front().get_object(), "body");
    }
    if (const json::value* comps = o.if_contains("components"); comps && comps->is_array()) {
      for (const json::value& c : comps->get_array()) {
        if (!c.is_object() || inc.components.size() >= kMaxComponents) continue;
        const json::object& co = c.get_object();
        inc.components.push_back(str(co, "name"));
        const std::string group_id = str(co, "group_id");
        for (const auto& [id, name] : groups) {
          if (!group_id.empty() && id == group_id && inc.components.size() < kMaxComponents)
            inc.components.push_back(name);
        }
      }
    }
    if (inc.id.empty()) inc.id = inc.title;
    if (out.incidents.size() < kMaxIncidents) out.incidents.push_back(std::move(inc));
  }
  out.ok = true;
  return out;
}

}  // namespace qw::probes::provider
