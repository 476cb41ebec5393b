#include "ical/calendar.hpp"

#include <gtest/gtest.h>

#include "ical/test_objects.hpp"

namespace taube::ical {
namespace {

using test::calendar;

std::string reason_of(const std::string& text, Violation expected, const Limits& limits = {}) {
  auto r = Calendar::parse(text, limits);
  if (!std::holds_alternative<Invalid>(r)) return "<accepted>";
  const Invalid& inv = std::get<Invalid>(r);
  EXPECT_EQ(inv.violation, expected) << inv.reason;
  return inv.reason;
}

const std::string kEvent =
    "BEGIN:VEVENT\r\nUID:e1\r\nDTSTAMP:20060206T001102Z\r\nDTSTART:20060104T140000Z\r\n"
    "DURATION:PT1H\r\nSUMMARY:Event #1\r\nEND:VEVENT\r\n";

TEST(IcalCalendar, AcceptsEventWithOverrideAndTimezone) {
  auto r = Calendar::parse(test::kWeeklyWithException, {});
  ASSERT_TRUE(std::holds_alternative<Calendar>(r)) << std::get<Invalid>(r).reason;
  const Calendar& c = std::get<Calendar>(r);
  EXPECT_EQ(c.kind(), ComponentKind::kEvent);
  EXPECT_EQ(c.uid(), "weekly-1@example.com");
  EXPECT_NE(c.to_ical().find("RRULE:FREQ=WEEKLY;COUNT=10"), std::string::npos);
}

TEST(IcalCalendar, AcceptsTodoFromRfc4791AppendixB) {
  auto r = Calendar::parse(calendar("BEGIN:VTODO\r\nDTSTAMP:20060205T235335Z\r\n"
                                    "DUE;VALUE=DATE:20060104\r\nSTATUS:NEEDS-ACTION\r\n"
                                    "SUMMARY:Task #1\r\nUID:DDDEEB7915FA61233B861457@example.com\r\n"
                                    "END:VTODO\r\n"),
                           {});
  ASSERT_TRUE(std::holds_alternative<Calendar>(r));
  EXPECT_EQ(std::get<Calendar>(r).kind(), ComponentKind::kTodo);
}

TEST(IcalCalendar, RefusesMethod) {
  EXPECT_NE(reason_of(calendar("METHOD:REQUEST\r\n" + kEvent), Violation::kObjectRules)
                .find("METHOD"),
            std::string::npos);
}

TEST(IcalCalendar, RefusesMixedComponentTypes) {
  std::string todo = "BEGIN:VTODO\r\nUID:e1\r\nDTSTAMP:20060206T001102Z\r\nEND:VTODO\r\n";
  EXPECT_NE(reason_of(calendar(kEvent + todo), Violation::kObjectRules).find("one type"),
            std::string::npos);
}

TEST(IcalCalendar, RefusesTwoUids) {
  std::string other = kEvent;
  other.replace(other.find("UID:e1"), 6, "UID:e2");
  EXPECT_NE(reason_of(calendar(kEvent + other), Violation::kObjectRules).find("one UID"),
            std::string::npos);
}

TEST(IcalCalendar, RefusesTwoMasters) {
  EXPECT_NE(reason_of(calendar(kEvent + kEvent), Violation::kObjectRules)
                .find("without RECURRENCE-ID"),
            std::string::npos);
}

TEST(IcalCalendar, RefusesMissingUid) {
  std::string e = kEvent;
  e.erase(e.find("UID:e1\r\n"), 8);
  EXPECT_NE(reason_of(calendar(e), Violation::kObjectRules).find("no UID"), std::string::npos);
}

TEST(IcalCalendar, RefusesTwoCalendars) {
  EXPECT_NE(reason_of(calendar(kEvent) + calendar(kEvent), Violation::kNotCalendar)
                .find("more than one"),
            std::string::npos);
}

TEST(IcalCalendar, RefusesBareEventAndGarbage) {
  reason_of(kEvent, Violation::kNotCalendar);
  reason_of("hello world", Violation::kNotCalendar);
  reason_of("", Violation::kNotCalendar);
}

TEST(IcalCalendar, RefusesMismatchedComponentNames) {
  // Found by ical_fuzz: libical names no kind for this component (was a NULL dereference).
  std::string bad = kEvent;
  bad.replace(bad.find("BEGIN:VEVENT"), 12, "BEGIN:VEVCENT");
  auto r = Calendar::parse(calendar(bad), {});
  ASSERT_TRUE(std::holds_alternative<Invalid>(r));
}

TEST(IcalCalendar, RefusesLibicalErrorProperties) {
  std::string bad = kEvent;
  bad.replace(bad.find("DTSTART:20060104T140000Z"), 24, "DTSTART:2006-not-a-date");
  std::string reason = reason_of(calendar(bad), Violation::kSyntax);
  EXPECT_NE(reason.find("invalid iCalendar"), std::string::npos) << reason;
}

TEST(IcalCalendar, RefusesUnknownTzid) {
  std::string e = kEvent;
  e.replace(e.find("DTSTART:20060104T140000Z"), 24, "DTSTART;TZID=Mars/Olympus:20060104T140000");
  EXPECT_NE(reason_of(calendar(e), Violation::kObjectRules).find("Mars/Olympus"),
            std::string::npos);
}

TEST(IcalCalendar, RefusesEmptyCalendarAndWrongVersion) {
  reason_of(calendar(""), Violation::kObjectRules);
  std::string v1 = calendar(kEvent);
  v1.replace(v1.find("VERSION:2.0"), 11, "VERSION:1.0");
  reason_of(v1, Violation::kSyntax);
}

TEST(IcalCalendar, EnforcesLimits) {
  Limits l;
  l.max_object_bytes = 64;
  reason_of(calendar(kEvent), Violation::kTooLarge, l);
  l = Limits{};
  l.max_properties = 5;
  reason_of(calendar(kEvent), Violation::kTooLarge, l);
  l = Limits{};
  l.max_components = 1;
  reason_of(calendar(kEvent), Violation::kTooLarge, l);
}

}  // namespace
}  // namespace taube::ical
