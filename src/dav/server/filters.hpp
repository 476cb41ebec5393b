// CalDAV calendar-query (RFC 4791 9.7) and CardDAV addressbook-query (RFC 6352 10.5)
// filters evaluated on parsed objects, server-side expansion of calendar-data (RFC 4791
// 9.6.5) and free/busy (RFC 4791 7.10). Pure over ical/; used by the DAV handlers.
#pragma once

#include <string>
#include <vector>

#include "dav/wire/requests.hpp"
#include "ical/calendar.hpp"
#include "ical/expand.hpp"
#include "ical/vcard.hpp"

namespace taube::dav::server {

enum class FilterResult { kNo, kYes, kTooMany };

// Whether `calendar` matches the VCALENDAR comp-filter. kTooMany when a time-range could
// not be decided within the expansion limits.
FilterResult match_calendar(const ical::Calendar& calendar, const wire::CompFilter& filter,
                            const ical::Limits& limits);

// Whether `card` matches the addressbook-query filter.
bool match_vcard(const ical::Vcard& card, const wire::AddressbookQuery& query);

// Text match with the collation of `m` (i;ascii-casemap, i;unicode-casemap taken as ASCII
// case-insensitive, i;octet exact), negate-condition applied.
bool text_matches(const wire::TextMatch& m, std::string_view value);

// RFC 4791 9.6.5: the object with its recurrence expanded into one component per instance
// overlapping [start, end), in UTC, without RRULE/RDATE/EXDATE and VTIMEZONE. nullopt when
// the expansion hit a limit.
std::optional<std::string> expanded_ical(const ical::Calendar& calendar, ical::Time start,
                                         ical::Time end, const ical::Limits& limits);

struct BusyPeriod {
  ical::Time start;
  ical::Time end;
};
// Busy time of `calendar` within [start, end): instances of opaque, not cancelled VEVENTs,
// clipped to the range. False when the expansion hit a limit.
bool busy_periods(const ical::Calendar& calendar, ical::Time start, ical::Time end,
                  const ical::Limits& limits, std::vector<BusyPeriod>& out);
// A VCALENDAR with one VFREEBUSY holding the merged periods (RFC 4791 7.10).
std::string freebusy_ical(std::vector<BusyPeriod> periods, ical::Time start, ical::Time end,
                          ical::Time now);

}  // namespace taube::dav::server
