#include "dav/server/filters.hpp"

#include <gtest/gtest.h>

namespace taube::dav::server {
namespace {

using std::chrono::sys_days;
using namespace std::chrono_literals;

constexpr const char* kWeekly =
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n"
    "BEGIN:VEVENT\r\nUID:w\r\nDTSTAMP:20261101T000000Z\r\nDTSTART:20261202T080000Z\r\n"
    "DTEND:20261202T090000Z\r\nRRULE:FREQ=WEEKLY;COUNT=5\r\nEXDATE:20261216T080000Z\r\n"
    "SUMMARY:Team meeting\r\nLOCATION;ALTREP=\"http://x/\":Room 1\r\nEND:VEVENT\r\n"
    "BEGIN:VEVENT\r\nUID:w\r\nDTSTAMP:20261101T000000Z\r\nRECURRENCE-ID:20261223T080000Z\r\n"
    "DTSTART:20261223T140000Z\r\nDTEND:20261223T150000Z\r\nSUMMARY:Moved\r\nEND:VEVENT\r\n"
    "END:VCALENDAR\r\n";

ical::Calendar parse(const char* text) {
  auto r = ical::Calendar::parse(text, ical::Limits{});
  EXPECT_TRUE(std::holds_alternative<ical::Calendar>(r));
  return std::move(std::get<ical::Calendar>(r));
}

ical::Time at(std::chrono::year_month_day d, std::chrono::hours h = 0h) { return sys_days(d) + h; }

wire::CompFilter event_in(ical::Time s, ical::Time e) {
  wire::CompFilter ev;
  ev.name = "VEVENT";
  ev.time_range = wire::TimeRange{s, e};
  wire::CompFilter top;
  top.name = "VCALENDAR";
  top.comp_filters.push_back(ev);
  return top;
}

TEST(Filters, TimeRangeHonoursRecurrence) {
  using namespace std::chrono;
  ical::Calendar c = parse(kWeekly);
  ical::Limits l;
  auto m = [&](ical::Time s, ical::Time e) { return match_calendar(c, event_in(s, e), l); };
  EXPECT_EQ(m(at(2026y / 12 / 9), at(2026y / 12 / 10)), FilterResult::kYes);
  EXPECT_EQ(m(at(2026y / 12 / 16), at(2026y / 12 / 17)), FilterResult::kNo);  // EXDATE
  EXPECT_EQ(m(at(2026y / 12 / 23, 8h), at(2026y / 12 / 23, 9h)), FilterResult::kNo);  // moved away
  EXPECT_EQ(m(at(2026y / 12 / 23, 14h), at(2026y / 12 / 23, 15h)), FilterResult::kYes);
  EXPECT_EQ(m(at(2027y / 1 / 1), at(2027y / 2 / 1)), FilterResult::kNo);  // COUNT=5 ends 30 Dec
}

TEST(Filters, PropAndTextMatch) {
  ical::Calendar c = parse(kWeekly);
  wire::CompFilter top;
  top.name = "VCALENDAR";
  wire::CompFilter ev;
  ev.name = "VEVENT";
  wire::PropFilter summary;
  summary.name = "SUMMARY";
  summary.text_matches.push_back(wire::TextMatch{"team MEETING"});
  ev.prop_filters.push_back(summary);
  top.comp_filters.push_back(ev);
  EXPECT_EQ(match_calendar(c, top, {}), FilterResult::kYes);
  top.comp_filters[0].prop_filters[0].text_matches[0].collation = "i;octet";
  EXPECT_EQ(match_calendar(c, top, {}), FilterResult::kNo);
  top.comp_filters[0].prop_filters[0].text_matches[0].negate = true;
  EXPECT_EQ(match_calendar(c, top, {}), FilterResult::kYes);
  // is-not-defined and param-filter
  wire::PropFilter nodesc;
  nodesc.name = "DESCRIPTION";
  nodesc.is_not_defined = true;
  wire::PropFilter loc;
  loc.name = "LOCATION";
  loc.param_filters.push_back(wire::ParamFilter{"ALTREP", false, wire::TextMatch{"http://x"}});
  top.comp_filters[0].prop_filters = {nodesc, loc};
  EXPECT_EQ(match_calendar(c, top, {}), FilterResult::kYes);
  top.comp_filters[0].prop_filters[1].param_filters[0].is_not_defined = true;
  EXPECT_EQ(match_calendar(c, top, {}), FilterResult::kNo);
  // A VTODO comp-filter does not match an event.
  wire::CompFilter todo;
  todo.name = "VTODO";
  top.comp_filters = {todo};
  EXPECT_EQ(match_calendar(c, top, {}), FilterResult::kNo);
}

TEST(Filters, ExpandedOutputIsUtcInstances) {
  using namespace std::chrono;
  ical::Calendar c = parse(kWeekly);
  auto text = expanded_ical(c, at(2026y / 12 / 1), at(2027y / 1 / 1), {});
  ASSERT_TRUE(text);
  EXPECT_EQ(text->find("RRULE"), std::string::npos);
  EXPECT_EQ(text->find("EXDATE"), std::string::npos);
  std::size_t events = 0;
  for (std::size_t p = text->find("BEGIN:VEVENT"); p != std::string::npos; p = text->find("BEGIN:VEVENT", p + 1))
    ++events;
  EXPECT_EQ(events, 4u);  // 2, 9, 23 (moved), 30
  EXPECT_NE(text->find("RECURRENCE-ID:20261223T080000Z"), std::string::npos);
  EXPECT_NE(text->find("DTSTART:20261223T140000Z"), std::string::npos);
  EXPECT_NE(text->find("DTSTART:20261230T080000Z"), std::string::npos);
}

TEST(Filters, SecondlyRuleHitsTheCap) {
  using namespace std::chrono;
  ical::Calendar c = parse(
      "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:s\r\n"
      "DTSTAMP:20260101T000000Z\r\nDTSTART:20260101T000000Z\r\nDTEND:20260101T000001Z\r\n"
      "RRULE:FREQ=SECONDLY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n");
  // A year-wide time-range still matches (windows from the start)...
  EXPECT_EQ(match_calendar(c, event_in(at(2026y / 1 / 1), at(2027y / 1 / 1)), {}), FilterResult::kYes);
  // ...but expanding it, or reaching December, is over the limits.
  EXPECT_FALSE(expanded_ical(c, at(2026y / 1 / 1), at(2027y / 1 / 1), {}));
  EXPECT_EQ(match_calendar(c, event_in(at(2026y / 12 / 1), at(2026y / 12 / 2)), {}), FilterResult::kTooMany);
}

TEST(Filters, FreeBusyMergesPeriods) {
  using namespace std::chrono;
  ical::Calendar c = parse(kWeekly);
  std::vector<BusyPeriod> busy;
  ASSERT_TRUE(busy_periods(c, at(2026y / 12 / 1), at(2027y / 1 / 1), {}, busy));
  EXPECT_EQ(busy.size(), 4u);
  busy.push_back(BusyPeriod{at(2026y / 12 / 2, 8h) + 30min, at(2026y / 12 / 2, 10h)});
  std::string fb = freebusy_ical(busy, at(2026y / 12 / 1), at(2027y / 1 / 1), at(2026y / 11 / 1));
  EXPECT_NE(fb.find("FREEBUSY:20261202T080000Z/20261202T100000Z\r\n"), std::string::npos) << fb;
  EXPECT_NE(fb.find("DTSTART:20261201T000000Z"), std::string::npos);
}

TEST(Filters, Vcard) {
  auto parsed = ical::parse_vcard(
      "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:u\r\nFN:Bob Builder\r\nEMAIL;TYPE=work:bob@example.net\r\n"
      "END:VCARD\r\n",
      {});
  ASSERT_TRUE(std::holds_alternative<ical::Vcard>(parsed));
  const ical::Vcard& v = std::get<ical::Vcard>(parsed);
  wire::AddressbookQuery q;
  wire::PropFilter email;
  email.name = "EMAIL";
  wire::TextMatch ends{"EXAMPLE.NET"};
  ends.match_type = wire::TextMatch::Type::kEndsWith;
  email.text_matches.push_back(ends);
  q.filters.push_back(email);
  EXPECT_TRUE(match_vcard(v, q));
  wire::PropFilter tel;
  tel.name = "TEL";
  q.filters.push_back(tel);
  EXPECT_TRUE(match_vcard(v, q));  // anyof
  q.all_of = true;
  EXPECT_FALSE(match_vcard(v, q));
  q.filters[1].is_not_defined = true;
  EXPECT_TRUE(match_vcard(v, q));
  wire::PropFilter type;
  type.name = "EMAIL";
  type.param_filters.push_back(wire::ParamFilter{"TYPE", false, wire::TextMatch{"home"}});
  q.filters = {type};
  EXPECT_FALSE(match_vcard(v, q));
}

}  // namespace
}  // namespace taube::dav::server
