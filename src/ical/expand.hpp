// Recurrence expansion and time-range matching for a validated Calendar (RFC 4791 9.9,
// RFC 5545 3.8.5). Honours RRULE, RDATE, EXDATE, overrides (RECURRENCE-ID), VTIMEZONE/TZID
// and all-day (DATE) values, and stops at Limits::max_instances, max_iterations and
// max_expand_time. Pure; the caller serialises use of one Calendar.
#pragma once
#include <chrono>
#include <optional>
#include <vector>

#include "ical/calendar.hpp"
#include "ical/limits.hpp"

namespace taube::ical {

using Time = std::chrono::sys_seconds;

struct Instance {
  Time start;
  Time end;             // == start for a zero-length instance (RFC 4791 9.9)
  Time recurrence_id;   // the original start, in UTC: the RECURRENCE-ID of this instance
  bool all_day = false;
  bool overridden = false;  // comes from a component with RECURRENCE-ID
};

enum class ExpandStatus {
  kOk,
  kTooMany,   // more than max_instances in the range, or max_iterations steps
  kTimeout,   // max_expand_time passed
};

struct Expansion {
  ExpandStatus status = ExpandStatus::kOk;
  std::vector<Instance> instances;  // sorted by start; partial when status != kOk
};

// The instances that overlap [start, end) under the RFC 4791 9.9 rules. Floating times and
// DATE values are taken as UTC (RFC 4791 leaves them to the calendar's time zone, which the
// caller does not pass yet). VFREEBUSY components yield no instances. VTODO without DTSTART
// and DUE (RFC 4791 9.9 last rows) yields one instance spanning the whole range.
// REQUIRES: start < end.
Expansion expand(const Calendar& calendar, Time start, Time end, const Limits& limits);

// The UTC span covering every instance (from the earliest start to the latest end), for a
// store's time-range pre-filter. A superset: nullopt on a side means unbounded or unknown
// (an RRULE without COUNT or UNTIL, a VTODO without dates, a limit hit).
struct Span {
  std::optional<Time> start;
  std::optional<Time> end;
};
Span span(const Calendar& calendar, const Limits& limits);

enum class Match { kNo, kYes, kTooMany };
// Whether any instance overlaps [start, end) (CALDAV:time-range in a calendar-query).
// kTooMany when the expansion hit a limit before an overlapping instance was found. When
// the whole range holds too many instances, growing windows from its start are tried, so
// that an endless frequent rule still matches a wide range.
Match overlaps(const Calendar& calendar, Time start, Time end, const Limits& limits);

}  // namespace taube::ical
