// RSS 2.0 and Atom 1.0 items as incidents. The element names are the published ones: RSS 2.0
// (RSS Advisory Board, rssboard.org/rss-specification: item title, link, description, pubDate,
// category, guid) and Atom (RFC 4287: entry id, title, link@href, summary, content, updated,
// published, category@term). See README.md.
#include <string>

#include "probes/provider_status/feed.hpp"
#include "probes/provider_status/xml_tree.hpp"

namespace qw::probes::provider {

namespace {

std::string text_of(const XmlElement* e) {
  return e ? clean_text(e->text) : std::string();
}

// Descriptions are often entity-encoded HTML ("&lt;p&gt;Starting at 07:10 UTC..."), decoded
// once by the XML reader into markup: the page wants the words.
std::string strip_tags(std::string_view html) {
  std::string out;
  bool in_tag = false;
  for (char c : html.substr(0, 8 * kMaxFieldBytes)) {
    if (c == '<') {
      in_tag = true;
      out += ' ';
    } else if (c == '>' && in_tag) {
      in_tag = false;
    } else if (!in_tag) {
      out += c;
    }
  }
  return clean_text(out);
}

bool says_resolved(const std::string& title) {
  return title.find("[RESOLVED]") != std::string::npos;
}

void keep(FeedResult& out, ProviderIncident inc) {
  if (says_resolved(inc.title) || out.incidents.size() >= kMaxIncidents) return;
  if (inc.id.empty()) inc.id = !inc.link.empty() ? inc.link : inc.title;
  inc.impact = "unknown";
  out.incidents.push_back(std::move(inc));
}

void read_rss(const XmlElement& rss, FeedResult& out) {
  const XmlElement* channel = rss.child("channel");
  if (!channel) {
    out.error = "RSS document without <channel>";
    return;
  }
  for (const XmlElement* item : channel->children_named("item")) {
    ProviderIncident inc;
    inc.title = text_of(item->child("title"));
    inc.link = text_of(item->child("link"));
    inc.id = text_of(item->child("guid"));
    inc.summary = item->child("description") ? strip_tags(item->child("description")->text) : "";
    if (const XmlElement* date = item->child("pubDate")) inc.started_at = parse_rfc822(date->text);
    for (const XmlElement* cat : item->children_named("category")) {
      if (inc.components.size() < kMaxComponents) inc.components.push_back(text_of(cat));
    }
    if (inc.title.empty() && inc.summary.empty()) continue;  // RSS requires one of the two
    keep(out, std::move(inc));
  }
  out.ok = true;
}

std::string atom_link(const XmlElement& entry) {
  std::string first;
  for (const XmlElement* link : entry.children_named("link")) {
    const auto href = link->attribute("href");
    if (!href) continue;
    const auto rel = link->attribute("rel");
    if (!rel || *rel == "alternate") return clean_text(*href);  // RFC 4287: no rel is alternate
    if (first.empty()) first = clean_text(*href);
  }
  return first;
}

void read_atom(const XmlElement& feed, FeedResult& out) {
  for (const XmlElement* entry : feed.children_named("entry")) {
    ProviderIncident inc;
    inc.title = strip_tags(entry->child("title") ? entry->child("title")->text : "");
    inc.link = atom_link(*entry);
    inc.id = text_of(entry->child("id"));
    const XmlElement* summary = entry->child("summary");
    if (!summary) summary = entry->child("content");
    inc.summary = summary ? strip_tags(summary->text) : "";
    // The incident started when it was first published; `updated` moves with every update.
    const XmlElement* date = entry->child("published");
    if (!date) date = entry->child("updated");
    if (date) inc.started_at = parse_rfc3339(clean_text(date->text));
    for (const XmlElement* cat : entry->children_named("category")) {
      const auto term = cat->attribute("term");
      if (term && inc.components.size() < kMaxComponents)
        inc.components.push_back(clean_text(*term));
    }
    keep(out, std::move(inc));
  }
  out.ok = true;
}

}  // namespace

FeedResult parse_feed(std::string_view xml) {
  FeedResult out;
  XmlParse parsed = parse_xml(xml);
  if (!parsed.root) {
    out.error = "malformed XML: " + parsed.error;
    return out;
  }
  if (parsed.root->name == "rss") {
    read_rss(*parsed.root, out);
  } else if (parsed.root->name == "feed") {
    read_atom(*parsed.root, out);
  } else {
    out.error =
        "neither RSS nor Atom: the root element is <" + clean_text(parsed.root->name, 64) + ">";
  }
  if (!out.ok) out.incidents.clear();
  return out;
}

}  // namespace qw::probes::provider
