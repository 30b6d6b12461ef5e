#include "alerts/templating.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace qw::alerts {
namespace {

std::string expand(const std::string& text, double value = 0) {
  const Labels labels{{"queue", "mailers"}, {"target", "primary"}};
  return expand_template(text, TemplateData{labels, value, "https://qw.example/"});
}

TEST(Templating, LabelsValueAndExternalUrl) {
  EXPECT_EQ(expand("Queue {{ $labels.queue }} on {{$labels.target}}"), "Queue mailers on primary");
  EXPECT_EQ(expand("{{ $value }} jobs", 42), "42 jobs");
  EXPECT_EQ(expand("see {{ $externalURL }}"), "see https://qw.example/");
}

TEST(Templating, MissingLabelIsEmpty) {
  EXPECT_EQ(expand("[{{ $labels.team }}]"), "[]");
}

TEST(Templating, UnknownPlaceholdersStayVisible) {
  EXPECT_EQ(expand("{{ .Labels.queue }} {{ $value | printf }} {{ $labels. }}"),
            "{{ .Labels.queue }} {{ $value | printf }} {{ $labels. }}");
  EXPECT_EQ(expand("{{ $labels.queue }} and {{ unterminated"), "mailers and {{ unterminated");
  EXPECT_EQ(expand("}} {{"), "}} {{");
  EXPECT_EQ(expand(""), "");
}

TEST(Templating, HumanizeDuration) {
  EXPECT_EQ(expand("{{ $value | humanizeDuration }}", 303), "5m 3s");
  EXPECT_EQ(humanize_duration(0), "0s");
  EXPECT_EQ(humanize_duration(0.25), "250ms");
  EXPECT_EQ(humanize_duration(59.9), "59s");
  EXPECT_EQ(humanize_duration(3600), "1h");
  EXPECT_EQ(humanize_duration(93784), "1d 2h 3m 4s");
  EXPECT_EQ(humanize_duration(-90), "-1m 30s");
}

TEST(Templating, ValueFormatting) {
  EXPECT_EQ(format_value(0), "0");
  EXPECT_EQ(format_value(-7), "-7");
  EXPECT_EQ(format_value(1e6), "1000000");
  EXPECT_EQ(format_value(0.125), "0.125");
  EXPECT_EQ(format_value(3.14159), "3.142");
  EXPECT_EQ(format_value(0.5), "0.5");
  EXPECT_EQ(format_value(-0.0001), "0");
  EXPECT_EQ(format_value(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(format_value(std::numeric_limits<double>::infinity()), "+Inf");
}

TEST(Templating, AnnotationsExpandEach) {
  const Labels labels{{"queue", "q1"}};
  const Annotations out = expand_annotations({{"summary", "{{ $labels.queue }} stalled"},
                                              {"runbook_url", "https://rb/{{ $labels.queue }}"}},
                                             TemplateData{labels, 0, ""});
  EXPECT_EQ(out.at("summary"), "q1 stalled");
  EXPECT_EQ(out.at("runbook_url"), "https://rb/q1");
}

}  // namespace
}  // namespace qw::alerts
