// iCalendar texts shared by the ical tests.
#pragma once
#include <string>

namespace taube::ical::test {

inline const std::string kNewYork =
    "BEGIN:VTIMEZONE\r\nTZID:America/New_York\r\n"
    "BEGIN:DAYLIGHT\r\nTZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400\r\nTZNAME:EDT\r\n"
    "DTSTART:19700308T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU\r\nEND:DAYLIGHT\r\n"
    "BEGIN:STANDARD\r\nTZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\nTZNAME:EST\r\n"
    "DTSTART:19701101T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU\r\nEND:STANDARD\r\n"
    "END:VTIMEZONE\r\n";

inline std::string calendar(const std::string& body) {
  return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Taube//test//EN\r\n" + body +
         "END:VCALENDAR\r\n";
}

// Weekly on Monday 09:00 New York, ten times from 2026-01-05; 2026-01-19 excluded; the
// 2026-01-26 instance moved to Tuesday 2026-01-27 09:00.
inline const std::string kWeeklyWithException = calendar(
    kNewYork +
    "BEGIN:VEVENT\r\nUID:weekly-1@example.com\r\nDTSTAMP:20260101T000000Z\r\n"
    "DTSTART;TZID=America/New_York:20260105T090000\r\n"
    "DTEND;TZID=America/New_York:20260105T100000\r\n"
    "RRULE:FREQ=WEEKLY;COUNT=10\r\n"
    "EXDATE;TZID=America/New_York:20260119T090000\r\n"
    "SUMMARY:Team meeting\r\nEND:VEVENT\r\n"
    "BEGIN:VEVENT\r\nUID:weekly-1@example.com\r\nDTSTAMP:20260101T000000Z\r\n"
    "RECURRENCE-ID;TZID=America/New_York:20260126T090000\r\n"
    "DTSTART;TZID=America/New_York:20260127T090000\r\n"
    "DTEND;TZID=America/New_York:20260127T100000\r\n"
    "SUMMARY:Team meeting (moved)\r\nEND:VEVENT\r\n");

}  // namespace taube::ical::test
