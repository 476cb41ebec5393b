#include "imap/wire/datetime.hpp"

#include <array>
#include <cstdio>

#include "base/ascii.hpp"

namespace taube::imap::wire {
namespace {

constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

std::optional<int> digits(std::string_view s) {
  if (s.empty() || s.size() > 4) return std::nullopt;
  int v = 0;
  for (char c : s) {
    if (!ascii::is_digit(c)) return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

std::optional<Date> make_date(std::string_view day, std::string_view month, std::string_view year) {
  auto d = digits(day);
  auto y = digits(year);
  if (!d || !y || year.size() != 4 || day.size() > 2) return std::nullopt;
  int m = 0;
  for (std::size_t i = 0; i < kMonths.size(); ++i)
    if (ascii::iequals(month, kMonths[i])) m = static_cast<int>(i) + 1;
  if (m == 0 || *d < 1 || *d > days_in_month(*y, m)) return std::nullopt;
  return Date{*y, m, *d};
}

}  // namespace

std::optional<Date> parse_date(std::string_view text) {
  const auto a = text.find('-');
  if (a == std::string_view::npos) return std::nullopt;
  const auto b = text.find('-', a + 1);
  if (b == std::string_view::npos) return std::nullopt;
  return make_date(text.substr(0, a), text.substr(a + 1, b - a - 1), text.substr(b + 1));
}

std::optional<DateTime> parse_date_time(std::string_view text) {
  if (!text.empty() && text[0] == ' ') text.remove_prefix(1);  // date-day-fixed SP DIGIT
  // d-Mon-yyyy hh:mm:ss +zzzz
  const auto sp1 = text.find(' ');
  if (sp1 == std::string_view::npos) return std::nullopt;
  auto date = parse_date(text.substr(0, sp1));
  if (!date) return std::nullopt;
  const auto rest = text.substr(sp1 + 1);
  if (rest.size() != 14 || rest[2] != ':' || rest[5] != ':' || rest[8] != ' ') return std::nullopt;
  auto h = digits(rest.substr(0, 2));
  auto mi = digits(rest.substr(3, 2));
  auto s = digits(rest.substr(6, 2));
  const char sign = rest[9];
  auto zh = digits(rest.substr(10, 2));
  auto zm = digits(rest.substr(12, 2));
  if (!h || !mi || !s || !zh || !zm || (sign != '+' && sign != '-')) return std::nullopt;
  if (*h > 23 || *mi > 59 || *s > 60 || *zm > 59) return std::nullopt;
  DateTime dt;
  dt.date = *date;
  dt.hour = *h;
  dt.minute = *mi;
  dt.second = *s;
  dt.zone_minutes = (sign == '-' ? -1 : 1) * (*zh * 60 + *zm);
  return dt;
}

std::int64_t days_from_civil(const Date& date) {
  // Howard Hinnant's algorithm.
  std::int64_t y = date.year - (date.month <= 2 ? 1 : 0);
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t mp = (date.month + 9) % 12;
  const std::int64_t doy = (153 * mp + 2) / 5 + date.day - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

std::int64_t DateTime::to_unix() const {
  return days_from_civil(date) * 86400 + hour * 3600 + minute * 60 + second - zone_minutes * 60;
}

std::string format_date_time(std::int64_t unix_seconds, int zone_minutes) {
  std::int64_t t = unix_seconds + zone_minutes * 60;
  std::int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
  std::int64_t secs = t - days * 86400;
  // civil_from_days
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const std::int64_t doe = days - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  const std::int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  const int az = zone_minutes < 0 ? -zone_minutes : zone_minutes;
  char buf[64];
  std::snprintf(buf, sizeof buf, "\"%02d-%s-%04lld %02d:%02d:%02d %c%02d%02d\"", d,
                std::string(kMonths[static_cast<std::size_t>(m - 1)]).c_str(), static_cast<long long>(y),
                static_cast<int>(secs / 3600), static_cast<int>(secs / 60 % 60), static_cast<int>(secs % 60),
                zone_minutes < 0 ? '-' : '+', az / 60, az % 60);
  return buf;
}

}  // namespace taube::imap::wire
