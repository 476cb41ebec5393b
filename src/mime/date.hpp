// RFC 5322 date-time parsing (section 3.3, obsolete forms of 4.3) for the Summary's
// sent date: tolerant of missing weekday or seconds, two-digit years, named and
// military zones, comments and asctime-like token orders.
// Pure function.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace taube::mime {

struct DateTime {
  std::int64_t unix_seconds = 0;  // the instant, UTC
  int tz_offset_minutes = 0;      // the zone as written, e.g. +0200 -> 120

  friend bool operator==(const DateTime&, const DateTime&) = default;
};

// nullopt when no day, month and year can be found or a field is out of range.
// A missing time is midnight, a missing or unknown zone is +0000 (RFC 5322 4.3).
std::optional<DateTime> parse_date(std::string_view value);

}  // namespace taube::mime
