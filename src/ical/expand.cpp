#include "ical/expand.hpp"

#include <libical/ical.h>

#include <algorithm>
#include <ctime>
#include <map>
#include <optional>
#include <set>
#include <string>

namespace taube::ical {
namespace {

using Clock = std::chrono::steady_clock;

std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

// Fields as if in UTC: the meaning of a floating time or a DATE here (see expand.hpp).
std::int64_t as_utc_fields(const icaltimetype& t) {
  std::int64_t days = days_from_civil(t.year, static_cast<unsigned>(t.month),
                                      static_cast<unsigned>(t.day));
  if (t.is_date) return days * 86400;
  return days * 86400 + t.hour * 3600 + t.minute * 60 + t.second;
}

// The zone a value is in: its own, or the TZID parameter looked up among the object's
// VTIMEZONEs (icalproperty_get_exdate/rdate do not attach it).
const icaltimezone* zone_of(icalcomponent* root, icalproperty* p, const icaltimetype& t) {
  if (t.is_date) return nullptr;
  if (icaltime_is_utc(t)) return icaltimezone_get_utc_timezone();
  if (t.zone != nullptr) return t.zone;
  if (p == nullptr) return nullptr;
  icalparameter* tz = icalproperty_get_first_parameter(p, ICAL_TZID_PARAMETER);
  if (tz == nullptr) return nullptr;
  const char* id = icalparameter_get_tzid(tz);
  if (id == nullptr) return nullptr;
  return icalcomponent_get_timezone(root, std::string(id).c_str());
}

std::int64_t to_utc(const icaltimetype& t, const icaltimezone* zone) {
  if (t.is_date || zone == nullptr || zone == icaltimezone_get_utc_timezone())
    return as_utc_fields(t);
  icaltimetype local = t;
  local.zone = nullptr;
  icaltimetype utc = icaltime_convert_to_zone(icaltime_set_timezone(&local, const_cast<icaltimezone*>(zone)),
                                              icaltimezone_get_utc_timezone());
  return as_utc_fields(utc);
}

struct Shape {
  std::int64_t start = 0;
  std::int64_t duration = 0;
  bool all_day = false;
  bool unbounded = false;  // VTODO with neither DTSTART nor DUE
  const icaltimezone* zone = nullptr;
  icaltimetype dtstart{};
};

std::optional<Shape> shape_of(icalcomponent* root, icalcomponent* c) {
  Shape s;
  icalproperty* ps = icalcomponent_get_first_property(c, ICAL_DTSTART_PROPERTY);
  icalproperty* pe = icalcomponent_get_first_property(c, ICAL_DTEND_PROPERTY);
  icalproperty* pd = icalcomponent_get_first_property(c, ICAL_DURATION_PROPERTY);
  icalproperty* pdue = icalcomponent_get_first_property(c, ICAL_DUE_PROPERTY);
  if (ps == nullptr && pdue == nullptr) {
    if (icalcomponent_isa(c) != ICAL_VTODO_COMPONENT) return std::nullopt;
    s.unbounded = true;
    return s;
  }
  icalproperty* anchor = ps != nullptr ? ps : pdue;
  icaltimetype t = ps != nullptr ? icalproperty_get_dtstart(ps) : icalproperty_get_due(pdue);
  if (icaltime_is_null_time(t) || !icaltime_is_valid_time(t)) return std::nullopt;
  s.dtstart = t;
  s.zone = zone_of(root, anchor, t);
  s.all_day = t.is_date != 0;
  s.start = to_utc(t, s.zone);
  icalproperty* pend = pe != nullptr ? pe : (ps != nullptr ? pdue : nullptr);
  if (pend != nullptr) {
    icaltimetype e = pend == pe ? icalproperty_get_dtend(pe) : icalproperty_get_due(pdue);
    if (!icaltime_is_null_time(e))
      s.duration = std::max<std::int64_t>(0, to_utc(e, zone_of(root, pend, e)) - s.start);
  } else if (pd != nullptr) {
    s.duration = std::max(0, icaldurationtype_as_int(icalproperty_get_duration(pd)));
  } else if (s.all_day && icalcomponent_isa(c) != ICAL_VTODO_COMPONENT) {
    s.duration = 86400;  // RFC 4791 9.9: a DATE DTSTART without DTEND lasts one day
  }
  return s;
}

class Expander {
 public:
  Expander(const Limits& limits, std::int64_t start, std::int64_t end)
      : limits_(limits), start_(start), end_(end), deadline_(Clock::now() + limits.max_expand_time) {}

  // false: stop (a limit was hit)
  bool step() {
    ++iterations_;
    if (iterations_ > limits_.max_iterations) {
      out_.status = ExpandStatus::kTooMany;
      return false;
    }
    if ((iterations_ & 255) == 0 && Clock::now() > deadline_) {
      out_.status = ExpandStatus::kTimeout;
      return false;
    }
    return true;
  }
  bool overlaps(std::int64_t s, std::int64_t duration) const {
    if (duration == 0) return start_ <= s && s < end_;
    return start_ < s + duration && s < end_;
  }
  bool add(std::int64_t s, std::int64_t duration, std::int64_t rid, bool all_day, bool overridden) {
    if (!overlaps(s, duration)) return true;
    if (out_.instances.size() >= limits_.max_instances) {
      out_.status = ExpandStatus::kTooMany;
      return false;
    }
    out_.instances.push_back(Instance{Time(std::chrono::seconds(s)),
                                      Time(std::chrono::seconds(s + duration)),
                                      Time(std::chrono::seconds(rid)), all_day, overridden});
    return true;
  }
  std::int64_t end() const { return end_; }
  void too_many() { out_.status = ExpandStatus::kTooMany; }
  Expansion take() {
    std::sort(out_.instances.begin(), out_.instances.end(),
              [](const Instance& a, const Instance& b) { return a.start < b.start; });
    return std::move(out_);
  }
  bool ok() const { return out_.status == ExpandStatus::kOk; }

 private:
  const Limits& limits_;
  std::int64_t start_, end_;
  Clock::time_point deadline_;
  std::size_t iterations_ = 0;
  Expansion out_;
};

bool is_set(const short* by, std::size_t size) {
  return size > 0 && by[0] != ICAL_RECURRENCE_ARRAY_MAX;
}

// Whether libical can iterate `rule` in bounded time. One icalrecur_iterator_next()
// call scans forward until something matches, unbounded by our iteration cap: a
// sub-daily rule whose day-level filters never (or rarely) match scans millions of
// steps (found by ical_fuzz: FREQ=HOURLY;BYMONTH=11;BYDAY=1SU took over 10 s). So we
// refuse those, and the numeric BYDAY that RFC 5545 3.3.10 allows only with MONTHLY
// or YEARLY; the caller reports "too many instances".
bool is_bounded_rule(const icalrecurrencetype& rule) {
  const bool sub_daily = rule.freq == ICAL_SECONDLY_RECURRENCE || rule.freq == ICAL_MINUTELY_RECURRENCE ||
                         rule.freq == ICAL_HOURLY_RECURRENCE;
  const bool day_filters = is_set(rule.by_day, ICAL_BY_DAY_SIZE) || is_set(rule.by_month_day, ICAL_BY_MONTHDAY_SIZE) ||
                           is_set(rule.by_year_day, ICAL_BY_YEARDAY_SIZE) ||
                           is_set(rule.by_week_no, ICAL_BY_WEEKNO_SIZE) || is_set(rule.by_month, ICAL_BY_MONTH_SIZE);
  if (sub_daily && day_filters) return false;
  if (rule.freq != ICAL_MONTHLY_RECURRENCE && rule.freq != ICAL_YEARLY_RECURRENCE) {
    for (std::size_t i = 0; i < ICAL_BY_DAY_SIZE && rule.by_day[i] != ICAL_RECURRENCE_ARRAY_MAX; ++i)
      if (icalrecurrencetype_day_position(rule.by_day[i]) != 0) return false;
  }
  return true;
}

// Starts of the master's instances, keyed by UTC start, up to the range end.
// `cap`: more starts than this in the range cannot come under max_instances after EXDATEs
// and overrides, so the expansion stops there.
bool master_starts(icalcomponent* root, icalcomponent* master, const Shape& shape, Expander& ex,
                   std::size_t cap, std::set<std::int64_t>& starts) {
  starts.insert(shape.start);
  for (icalproperty* p = icalcomponent_get_first_property(master, ICAL_RRULE_PROPERTY);
       p != nullptr; p = icalcomponent_get_next_property(master, ICAL_RRULE_PROPERTY)) {
    icalrecurrencetype rule = icalproperty_get_rrule(p);
    if (rule.freq == ICAL_NO_RECURRENCE) continue;
    if (!is_bounded_rule(rule)) {
      ex.too_many();
      return false;
    }
    icaltimetype first = shape.dtstart;
    if (!first.is_date && shape.zone != nullptr) first = icaltime_set_timezone(&first, const_cast<icaltimezone*>(shape.zone));
    icalrecur_iterator* it = icalrecur_iterator_new(rule, first);
    if (it == nullptr) continue;
    bool go = true;
    for (icaltimetype t = icalrecur_iterator_next(it); go && !icaltime_is_null_time(t);
         t = icalrecur_iterator_next(it)) {
      if (!ex.step()) {
        go = false;
        break;
      }
      std::int64_t s = to_utc(t, t.is_date ? nullptr : shape.zone);
      if (s >= ex.end()) break;
      if (ex.overlaps(s, shape.duration)) starts.insert(s);
      if (starts.size() > cap) {
        ex.too_many();
        go = false;
      }
    }
    icalrecur_iterator_free(it);
    if (!go) return false;
  }
  for (icalproperty* p = icalcomponent_get_first_property(master, ICAL_RDATE_PROPERTY);
       p != nullptr; p = icalcomponent_get_next_property(master, ICAL_RDATE_PROPERTY)) {
    if (!ex.step()) return false;
    icaldatetimeperiodtype r = icalproperty_get_rdate(p);
    icaltimetype t = icaltime_is_null_time(r.time) ? r.period.start : r.time;
    if (icaltime_is_null_time(t)) continue;
    starts.insert(to_utc(t, zone_of(root, p, t)));
  }
  for (icalproperty* p = icalcomponent_get_first_property(master, ICAL_EXDATE_PROPERTY);
       p != nullptr; p = icalcomponent_get_next_property(master, ICAL_EXDATE_PROPERTY)) {
    if (!ex.step()) return false;
    icaltimetype t = icalproperty_get_exdate(p);
    if (icaltime_is_null_time(t)) continue;
    std::int64_t x = to_utc(t, zone_of(root, p, t));
    if (t.is_date && !shape.all_day) {
      // A DATE EXDATE on a DATE-TIME event excludes every instance on that (UTC) day.
      for (auto i = starts.lower_bound(x); i != starts.end() && *i < x + 86400;) i = starts.erase(i);
    } else {
      starts.erase(x);
    }
  }
  return true;
}

}  // namespace

Expansion expand(const Calendar& calendar, Time start, Time end, const Limits& limits) {
  icalcomponent* root = calendar.root();
  Expander ex(limits, start.time_since_epoch().count(), end.time_since_epoch().count());
  icalcomponent* master = nullptr;
  std::map<std::int64_t, icalcomponent*> overrides;
  for (icalcomponent* c = icalcomponent_get_first_component(root, ICAL_ANY_COMPONENT);
       c != nullptr; c = icalcomponent_get_next_component(root, ICAL_ANY_COMPONENT)) {
    icalcomponent_kind k = icalcomponent_isa(c);
    if (k != ICAL_VEVENT_COMPONENT && k != ICAL_VTODO_COMPONENT && k != ICAL_VJOURNAL_COMPONENT)
      continue;
    icalproperty* rp = icalcomponent_get_first_property(c, ICAL_RECURRENCEID_PROPERTY);
    if (rp == nullptr) {
      master = c;
      continue;
    }
    icaltimetype rid = icalproperty_get_recurrenceid(rp);
    if (icaltime_is_null_time(rid)) continue;
    overrides[to_utc(rid, zone_of(root, rp, rid))] = c;
  }
  if (master != nullptr) {
    if (std::optional<Shape> shape = shape_of(root, master)) {
      if (shape->unbounded) {
        ex.add(start.time_since_epoch().count(),
               (end - start).count(), start.time_since_epoch().count(), false, false);
      } else {
        std::set<std::int64_t> starts;
        std::size_t cap = limits.max_instances + overrides.size() +
                          icalcomponent_count_properties(master, ICAL_EXDATE_PROPERTY) + 1;
        master_starts(root, master, *shape, ex, cap, starts);
        for (std::int64_t s : starts) {
          if (!ex.ok()) break;
          if (overrides.count(s) != 0) continue;
          if (!ex.add(s, shape->duration, s, shape->all_day, false)) break;
        }
      }
    }
  }
  for (auto& [rid, c] : overrides) {
    if (!ex.ok()) break;
    std::optional<Shape> shape = shape_of(root, c);
    if (!shape || shape->unbounded) continue;
    if (!ex.add(shape->start, shape->duration, rid, shape->all_day, true)) break;
  }
  return ex.take();
}

Match overlaps(const Calendar& calendar, Time start, Time end, const Limits& limits) {
  Expansion e = expand(calendar, start, end, limits);
  if (!e.instances.empty()) return Match::kYes;
  if (e.status == ExpandStatus::kOk) return Match::kNo;
  // Too many instances in the whole range (an endless daily rule against a ten-year
  // range): an overlapping instance, if any, is usually near the start. Windows
  // partition the range, so an instance overlapping it overlaps one of them.
  std::chrono::seconds width = std::chrono::hours(1);
  for (Time from = start; from < end;) {
    Time to = end - from > width ? from + width : end;
    Expansion w = expand(calendar, from, to, limits);
    if (!w.instances.empty()) return Match::kYes;
    if (w.status != ExpandStatus::kOk) return Match::kTooMany;
    from = to;
    width *= 2;
  }
  return Match::kNo;
}

Span span(const Calendar& calendar, const Limits& limits) {
  icalcomponent* root = calendar.root();
  Span out;
  std::optional<std::int64_t> first;
  bool endless = false;
  for (icalcomponent* c = icalcomponent_get_first_component(root, ICAL_ANY_COMPONENT);
       c != nullptr; c = icalcomponent_get_next_component(root, ICAL_ANY_COMPONENT)) {
    icalcomponent_kind k = icalcomponent_isa(c);
    if (k != ICAL_VEVENT_COMPONENT && k != ICAL_VTODO_COMPONENT && k != ICAL_VJOURNAL_COMPONENT)
      continue;
    std::optional<Shape> shape = shape_of(root, c);
    if (!shape || shape->unbounded) return out;
    std::int64_t s = shape->start;
    if (icalproperty* rp = icalcomponent_get_first_property(c, ICAL_RECURRENCEID_PROPERTY)) {
      icaltimetype rid = icalproperty_get_recurrenceid(rp);
      if (!icaltime_is_null_time(rid)) s = std::min(s, to_utc(rid, zone_of(root, rp, rid)));
    }
    for (icalproperty* p = icalcomponent_get_first_property(c, ICAL_RDATE_PROPERTY); p != nullptr;
         p = icalcomponent_get_next_property(c, ICAL_RDATE_PROPERTY)) {
      icaldatetimeperiodtype r = icalproperty_get_rdate(p);
      icaltimetype t = icaltime_is_null_time(r.time) ? r.period.start : r.time;
      if (!icaltime_is_null_time(t)) s = std::min(s, to_utc(t, zone_of(root, p, t)));
    }
    for (icalproperty* p = icalcomponent_get_first_property(c, ICAL_RRULE_PROPERTY); p != nullptr;
         p = icalcomponent_get_next_property(c, ICAL_RRULE_PROPERTY)) {
      icalrecurrencetype rule = icalproperty_get_rrule(p);
      if (rule.freq != ICAL_NO_RECURRENCE && rule.count == 0 && icaltime_is_null_time(rule.until))
        endless = true;
    }
    first = first ? std::min(*first, s) : s;
  }
  if (!first) return out;
  // A day of slack on each side covers DATE values taken as UTC in another zone.
  out.start = Time(std::chrono::seconds(*first - 86400));
  if (endless) return out;
  Time from = *out.start;
  Time to = Time(std::chrono::seconds(std::int64_t{7258118400}));  // 2200-01-01
  if (from >= to) return out;
  Expansion e = expand(calendar, from, to, limits);
  if (e.status != ExpandStatus::kOk) return out;
  Time last = *out.start;
  for (const Instance& i : e.instances) last = std::max(last, i.end);
  out.end = last + std::chrono::seconds(86400);
  return out;
}

}  // namespace taube::ical
