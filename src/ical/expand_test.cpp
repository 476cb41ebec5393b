#include "ical/expand.hpp"

#include <gtest/gtest.h>

#include <chrono>

#include "ical/test_objects.hpp"

namespace taube::ical {
namespace {

using namespace std::chrono;
using test::calendar;

Time at(year_month_day d, hours h = hours(0), minutes m = minutes(0)) {
  return Time(sys_days(d).time_since_epoch() + h + m);
}

Calendar parse(const std::string& text) {
  auto r = Calendar::parse(text, {});
  if (auto* inv = std::get_if<Invalid>(&r)) ADD_FAILURE() << inv->reason;
  return std::move(std::get<Calendar>(r));
}

TEST(IcalExpand, WeeklyEventWithExceptionAndTimezone) {
  Calendar c = parse(test::kWeeklyWithException);
  Expansion e = expand(c, at(2026y / 1 / 1), at(2026y / 3 / 31), {});
  ASSERT_EQ(e.status, ExpandStatus::kOk);
  // 09:00 EST = 14:00Z; after 2026-03-08 09:00 EDT = 13:00Z. 01-19 excluded, 01-26 moved.
  std::vector<Time> want = {at(2026y / 1 / 5, 14h),  at(2026y / 1 / 12, 14h),
                            at(2026y / 1 / 27, 14h), at(2026y / 2 / 2, 14h),
                            at(2026y / 2 / 9, 14h),  at(2026y / 2 / 16, 14h),
                            at(2026y / 2 / 23, 14h), at(2026y / 3 / 2, 14h),
                            at(2026y / 3 / 9, 13h)};
  ASSERT_EQ(e.instances.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(e.instances[i].start, want[i]) << i;
    EXPECT_EQ(e.instances[i].end - e.instances[i].start, hours(1)) << i;
  }
  EXPECT_TRUE(e.instances[2].overridden);
  EXPECT_EQ(e.instances[2].recurrence_id, at(2026y / 1 / 26, 14h));
  EXPECT_FALSE(e.instances[1].overridden);
}

TEST(IcalExpand, RangeSelectsOnlyOverlappingInstances) {
  Calendar c = parse(test::kWeeklyWithException);
  // [01-12 14:30Z, 01-27 14:00Z): 01-12 (runs to 15:00) overlaps; 01-27 starts at the end.
  Expansion e = expand(c, at(2026y / 1 / 12, 14h, 30min), at(2026y / 1 / 27, 14h), {});
  ASSERT_EQ(e.instances.size(), 1u);
  EXPECT_EQ(e.instances[0].start, at(2026y / 1 / 12, 14h));
  EXPECT_EQ(overlaps(c, at(2026y / 1 / 19), at(2026y / 1 / 20), {}), Match::kNo);  // EXDATE
  EXPECT_EQ(overlaps(c, at(2026y / 1 / 27), at(2026y / 1 / 28), {}), Match::kYes);  // moved
  EXPECT_EQ(overlaps(c, at(2026y / 1 / 26), at(2026y / 1 / 27), {}), Match::kNo);
  EXPECT_EQ(overlaps(c, at(2026y / 3 / 16), at(2027y / 1 / 1), {}), Match::kNo);  // COUNT
}

TEST(IcalExpand, MillionsOfInstancesAreCappedFast) {
  Calendar c = parse(calendar("BEGIN:VEVENT\r\nUID:storm\r\nDTSTAMP:20260101T000000Z\r\n"
                              "DTSTART:20260101T000000Z\r\nRRULE:FREQ=SECONDLY\r\nEND:VEVENT\r\n"));
  auto t0 = steady_clock::now();
  Expansion e = expand(c, at(2026y / 1 / 1), at(2027y / 1 / 1), {});
  EXPECT_EQ(e.status, ExpandStatus::kTooMany);
  EXPECT_LE(e.instances.size(), Limits{}.max_instances);
  EXPECT_EQ(overlaps(c, at(2030y / 1 / 1), at(2030y / 1 / 2), {}), Match::kTooMany);
  EXPECT_LT(steady_clock::now() - t0, seconds(5));
}

// Found by ical_fuzz: one libical iterator step scanned for over 10 s looking for an
// hour that matches day-level filters. Such rules are refused before libical sees them.
TEST(IcalExpand, SubDailyRulesWithDayFiltersAreRefusedFast) {
  for (const char* rrule : {"FREQ=HOURLY;BYMONTH=11;BYDAY=1SU", "FREQ=MINUTELY;BYMONTHDAY=30;BYMONTH=2",
                            "FREQ=WEEKLY;BYDAY=2MO"}) {
    Calendar c = parse(calendar(std::string("BEGIN:VEVENT\r\nUID:slow\r\nDTSTAMP:20260101T000000Z\r\n"
                                            "DTSTART:20260101T090000Z\r\nRRULE:") +
                                rrule + "\r\nEND:VEVENT\r\n"));
    auto t0 = steady_clock::now();
    Expansion e = expand(c, at(2026y / 1 / 1), at(2027y / 1 / 1), {});
    EXPECT_EQ(e.status, ExpandStatus::kTooMany) << rrule;
    EXPECT_EQ(overlaps(c, at(2026y / 1 / 1), at(2026y / 2 / 1), {}), Match::kTooMany) << rrule;
    EXPECT_LT(steady_clock::now() - t0, seconds(1)) << rrule;
  }
  // Day-level filters with a daily or coarser frequency still expand.
  Calendar ok = parse(calendar("BEGIN:VEVENT\r\nUID:ok\r\nDTSTAMP:20260101T000000Z\r\n"
                               "DTSTART:20260105T090000Z\r\nRRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=3\r\nEND:VEVENT\r\n"));
  EXPECT_EQ(expand(ok, at(2026y / 1 / 1), at(2027y / 1 / 1), {}).instances.size(), 3u);
}

TEST(IcalExpand, AllDayEventWithoutDtendLastsOneDay) {
  Calendar c = parse(calendar("BEGIN:VEVENT\r\nUID:ad\r\nDTSTAMP:20260101T000000Z\r\n"
                              "DTSTART;VALUE=DATE:20260310\r\nRRULE:FREQ=YEARLY\r\n"
                              "EXDATE;VALUE=DATE:20270310\r\nEND:VEVENT\r\n"));
  Expansion e = expand(c, at(2026y / 1 / 1), at(2029y / 1 / 1), {});
  ASSERT_EQ(e.instances.size(), 2u);
  EXPECT_EQ(e.instances[0].start, at(2026y / 3 / 10));
  EXPECT_EQ(e.instances[0].end, at(2026y / 3 / 11));
  EXPECT_TRUE(e.instances[0].all_day);
  EXPECT_EQ(e.instances[1].start, at(2028y / 3 / 10));
  EXPECT_EQ(overlaps(c, at(2026y / 3 / 10, 23h), at(2026y / 3 / 12), {}), Match::kYes);
}

TEST(IcalExpand, ZeroLengthEventMatchesOnlyFromItsStart) {
  // RFC 4791 9.9: DATE-TIME DTSTART, no DTEND/DURATION: start <= DTSTART < end.
  Calendar c = parse(calendar("BEGIN:VEVENT\r\nUID:z\r\nDTSTAMP:20260101T000000Z\r\n"
                              "DTSTART:20260105T120000Z\r\nEND:VEVENT\r\n"));
  EXPECT_EQ(overlaps(c, at(2026y / 1 / 5, 12h), at(2026y / 1 / 5, 13h), {}), Match::kYes);
  EXPECT_EQ(overlaps(c, at(2026y / 1 / 5, 11h), at(2026y / 1 / 5, 12h), {}), Match::kNo);
}

TEST(IcalExpand, RdateAddsInstances) {
  Calendar c = parse(calendar("BEGIN:VEVENT\r\nUID:r\r\nDTSTAMP:20260101T000000Z\r\n"
                              "DTSTART:20260105T120000Z\r\nDURATION:PT30M\r\n"
                              "RDATE:20260201T080000Z,20260301T080000Z\r\nEND:VEVENT\r\n"));
  Expansion e = expand(c, at(2026y / 1 / 1), at(2026y / 12 / 31), {});
  ASSERT_EQ(e.instances.size(), 3u);
  EXPECT_EQ(e.instances[1].start, at(2026y / 2 / 1, 8h));
  EXPECT_EQ(e.instances[2].end, at(2026y / 3 / 1, 8h, 30min));
}

TEST(IcalExpand, InstanceCapIsConfigurable) {
  Calendar c = parse(test::kWeeklyWithException);
  Limits l;
  l.max_instances = 3;
  Expansion e = expand(c, at(2026y / 1 / 1), at(2026y / 12 / 31), l);
  EXPECT_EQ(e.status, ExpandStatus::kTooMany);
  EXPECT_LE(e.instances.size(), 3u);
}

}  // namespace
}  // namespace taube::ical
