// IMAP dates (RFC 9051 9: date, date-time; used by SEARCH and APPEND, and
// written in INTERNALDATE). Strict parsing of untrusted text; calendar
// validation; conversion to Unix time. Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace taube::imap::wire {

struct Date {
  int year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..31, valid for the month
  friend bool operator==(const Date&, const Date&) = default;
};

struct DateTime {
  Date date;
  int hour = 0, minute = 0, second = 0;
  int zone_minutes = 0;  // east of UTC, "-0700" -> -420

  // Seconds since 1970-01-01T00:00:00Z.
  std::int64_t to_unix() const;
  friend bool operator==(const DateTime&, const DateTime&) = default;
};

// date-text = date-day "-" date-month "-" date-year, e.g. "1-Feb-1994".
std::optional<Date> parse_date(std::string_view text);
// The inside of a date-time's quotes: "17-Jul-1996 02:44:25 -0700"; the day is
// 2 digits or SP + digit (date-day-fixed); a 1-digit day is also tolerated.
std::optional<DateTime> parse_date_time(std::string_view text);
// Days since 1970-01-01 of a (valid) date.
std::int64_t days_from_civil(const Date& date);
// "dd-Mon-yyyy hh:mm:ss +zzzz" (with quotes) for `unix_seconds` shown in `zone_minutes`.
std::string format_date_time(std::int64_t unix_seconds, int zone_minutes = 0);

}  // namespace taube::imap::wire
