#include "mime/date.hpp"

#include <array>
#include <charconv>
#include <string>
#include <vector>

#include "base/ascii.hpp"
#include "mime/params.hpp"

namespace taube::mime {
namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

int month_of(std::string_view t) {
  static constexpr std::array<std::string_view, 12> kMonths = {
      "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};
  if (t.size() < 3) return 0;
  for (std::size_t i = 0; i < kMonths.size(); ++i)
    if (ascii::iequals(t.substr(0, 3), kMonths[i])) return int(i) + 1;
  return 0;
}

std::optional<int> zone_of(std::string_view t) {
  if ((t[0] == '+' || t[0] == '-') && t.size() == 5) {
    int v = 0;
    for (std::size_t i = 1; i < 5; ++i) {
      if (!ascii::is_digit(t[i])) return std::nullopt;
      v = v * 10 + (t[i] - '0');
    }
    int minutes = (v / 100) * 60 + v % 100;
    if (v % 100 >= 60) return std::nullopt;
    return t[0] == '-' ? -minutes : minutes;
  }
  struct Named {
    std::string_view name;
    int hours;
  };
  static constexpr std::array<Named, 10> kZones = {
      Named{"UT", 0},   Named{"UTC", 0},  Named{"GMT", 0},  Named{"EST", -5}, Named{"EDT", -4},
      Named{"CST", -6}, Named{"CDT", -5}, Named{"MST", -7}, Named{"MDT", -6}, Named{"PST", -8}};
  for (const Named& z : kZones)
    if (ascii::iequals(t, z.name)) return z.hours * 60;
  if (ascii::iequals(t, "PDT")) return -7 * 60;
  // Military zones are unreliable (RFC 5322 4.3): treat as +0000.
  if (t.size() == 1 && ascii::is_alpha(t[0])) return 0;
  return std::nullopt;
}

bool to_int(std::string_view t, int& out) {
  if (t.empty() || t.size() > 9) return false;
  auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
  return ec == std::errc() && ptr == t.data() + t.size();
}

}  // namespace

std::optional<DateTime> parse_date(std::string_view value) {
  // obs-time allows CFWS around the colons: "09 :  55".
  std::string stripped = strip_comments(value.substr(0, 256));
  std::string clean;
  for (std::size_t k = 0; k < stripped.size(); ++k) {
    char c = stripped[k];
    if (ascii::is_space(c)) {
      std::size_t n = stripped.find_first_not_of(" \t", k);
      if ((n != std::string::npos && stripped[n] == ':') || (!clean.empty() && clean.back() == ':'))
        continue;
    }
    clean += c;
  }
  std::vector<std::string_view> toks;
  std::string_view s = clean;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (ascii::is_space(s[i]) || s[i] == ',' || s[i] == '\r' || s[i] == '\n'))
      ++i;
    std::size_t b = i;
    while (i < s.size() && !ascii::is_space(s[i]) && s[i] != ',' && s[i] != '\r' && s[i] != '\n')
      ++i;
    if (i > b) toks.push_back(s.substr(b, i - b));
  }
  int day = 0, month = 0, year = -1, hour = 0, minute = 0, second = 0, zone = 0;
  bool have_year = false;
  for (std::string_view t : toks) {
    int n = 0;
    if (t.find(':') != std::string_view::npos) {
      std::size_t c1 = t.find(':');
      std::size_t c2 = t.find(':', c1 + 1);
      if (!to_int(t.substr(0, c1), hour)) return std::nullopt;
      std::string_view mm = t.substr(c1 + 1, c2 == std::string_view::npos ? c2 : c2 - c1 - 1);
      if (!to_int(mm, minute)) return std::nullopt;
      if (c2 != std::string_view::npos && !to_int(t.substr(c2 + 1), second)) return std::nullopt;
    } else if (ascii::is_digit(t[0]) && to_int(t, n)) {
      if (day == 0 && t.size() <= 2 && n >= 1 && n <= 31) {
        day = n;
      } else if (!have_year) {
        year = n;
        have_year = true;
        // RFC 5322 4.3: two-digit years, and three-digit years plus 1900.
        if (t.size() <= 2)
          year += year < 50 ? 2000 : 1900;
        else if (t.size() == 3)
          year += 1900;
      }
    } else if (int m = month_of(t);
               m != 0 && month == 0 && ascii::is_alpha(t[0]) && !(t.size() == 3 && zone_of(t))) {
      month = m;
    } else if (auto z = zone_of(t)) {
      zone = *z;
    }
  }
  if (day == 0 || month == 0 || !have_year || year < 1000 || year > 9999) return std::nullopt;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60)
    return std::nullopt;
  std::int64_t days = days_from_civil(year, unsigned(month), unsigned(day));
  std::int64_t secs = days * 86400 + hour * 3600 + minute * 60 + std::min(second, 59);
  return DateTime{secs - std::int64_t(zone) * 60, zone};
}

}  // namespace taube::mime
