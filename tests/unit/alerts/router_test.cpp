#include "alerts/router.hpp"

#include <gtest/gtest.h>

#include "alert_test_support.hpp"

namespace qw::alerts {
namespace {

using test::receiver;

using namespace std::chrono_literals;
using Op = config::LabelMatcher::Op;

config::AlertingConfig routes() {
  config::AlertingConfig c;
  c.repeat_interval = 4h;
  c.default_receiver = "ops-log";
  c.receivers = {receiver("ops-log"), receiver("pager"), receiver("team-slack"), receiver("audit")};
  c.routes.push_back({{{"severity", Op::equal, "critical"}}, "pager", false, 1h});
  c.routes.push_back({{{"team", Op::equal, "payments"}}, "audit", true, std::nullopt});
  c.routes.push_back({{{"team", Op::regex, "pay.*"}}, "team-slack", false, std::nullopt});
  return c;
}

std::vector<std::string> receivers(const Router& r, const Labels& labels) {
  std::vector<std::string> out;
  for (const RouteMatch& m : r.route(labels)) out.push_back(m.receiver);
  return out;
}

TEST(Router, FirstMatchWins) {
  const Router r(routes());
  // Matches route 1 and 3; the first one stops the search.
  EXPECT_EQ(receivers(r, {{"severity", "critical"}, {"team", "payments"}}),
            std::vector<std::string>{"pager"});
}

TEST(Router, ContinueGoesOnToTheNextMatch) {
  const Router r(routes());
  EXPECT_EQ(receivers(r, {{"severity", "warning"}, {"team", "payments"}}),
            (std::vector<std::string>{"audit", "team-slack"}));
}

TEST(Router, DefaultReceiverWhenNothingMatches) {
  const Router r(routes());
  EXPECT_EQ(receivers(r, {{"severity", "warning"}}), std::vector<std::string>{"ops-log"});
  config::AlertingConfig none = routes();
  none.default_receiver.clear();
  EXPECT_TRUE(Router(none).route({{"severity", "warning"}}).empty());
}

TEST(Router, RepeatIntervalFromTheRouteOrTheRoot) {
  const Router r(routes());
  EXPECT_EQ(r.route({{"severity", "critical"}})[0].repeat_interval, 1h);
  EXPECT_EQ(r.route({{"team", "payroll"}})[0].repeat_interval, 4h);
  EXPECT_EQ(r.route({})[0].repeat_interval, 4h);
}

TEST(Router, AReceiverIsNotifiedOnceWhenRoutesRepeatIt) {
  config::AlertingConfig c;
  c.receivers = {receiver("pager")};
  c.routes.push_back({{}, "pager", true, std::nullopt});
  c.routes.push_back({{}, "pager", false, std::nullopt});
  EXPECT_EQ(Router(c).route({}).size(), 1u);
}

}  // namespace
}  // namespace qw::alerts
