#include "dav/server/filters.hpp"

#include <libical/ical.h>

#include <algorithm>
#include <cstdio>
#include <optional>

#include "dav/wire/requests.hpp"

namespace taube::dav::server {

namespace {

using std::chrono::seconds;

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool equal_ci(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

// The instant of a DATE or DATE-TIME value (floating and DATE taken as UTC, as ical/ does).
std::int64_t utc_of(icalcomponent* root, icalproperty* p, icaltimetype t) {
  icaltimezone* zone = nullptr;
  if (!t.is_date && !icaltime_is_utc(t)) {
    if (icalparameter* tz = icalproperty_get_first_parameter(p, ICAL_TZID_PARAMETER)) {
      if (const char* id = icalparameter_get_tzid(tz))
        zone = icalcomponent_get_timezone(root, std::string(id).c_str());
    }
  }
  if (icaltime_is_utc(t)) zone = icaltimezone_get_utc_timezone();
  if (zone == nullptr) zone = icaltimezone_get_utc_timezone();
  icaltimetype local = t;
  local.zone = nullptr;
  return static_cast<std::int64_t>(icaltime_as_timet_with_zone(local, zone));
}

std::string property_text(icalproperty* p) {
  icalvalue* v = icalproperty_get_value(p);
  if (v != nullptr && icalvalue_isa(v) == ICAL_TEXT_VALUE) {
    const char* t = icalvalue_get_text(v);
    return t != nullptr ? t : "";
  }
  char* s = icalproperty_get_value_as_string_r(p);
  std::string out = s != nullptr ? s : "";
  if (s != nullptr) icalmemory_free_buffer(s);
  return out;
}

std::vector<icalproperty*> properties_named(icalcomponent* c, const std::string& name) {
  std::vector<icalproperty*> out;
  for (icalproperty* p = icalcomponent_get_first_property(c, ICAL_ANY_PROPERTY); p != nullptr;
       p = icalcomponent_get_next_property(c, ICAL_ANY_PROPERTY)) {
    const char* n = icalproperty_get_property_name(p);
    if (n != nullptr && equal_ci(n, name)) out.push_back(p);
  }
  return out;
}

bool in_range(std::int64_t t, const wire::TimeRange& r) {
  if (r.start && t < r.start->time_since_epoch().count()) return false;
  if (r.end && t >= r.end->time_since_epoch().count()) return false;
  return true;
}

bool param_matches(icalproperty* p, const wire::ParamFilter& f) {
  std::optional<std::string> value;
  for (icalparameter* q = icalproperty_get_first_parameter(p, ICAL_ANY_PARAMETER); q != nullptr;
       q = icalproperty_get_next_parameter(p, ICAL_ANY_PARAMETER)) {
    const char* n = icalparameter_kind_to_string(icalparameter_isa(q));
    std::string name = n != nullptr ? n : "";
    if (icalparameter_isa(q) == ICAL_X_PARAMETER || icalparameter_isa(q) == ICAL_IANA_PARAMETER) {
      const char* x = icalparameter_get_xname(q);
      name = x != nullptr ? x : "";
    }
    if (!equal_ci(name, f.name)) continue;
    char* s = icalparameter_as_ical_string_r(q);
    std::string text = s != nullptr ? s : "";
    if (s != nullptr) icalmemory_free_buffer(s);
    if (auto eq = text.find('='); eq != std::string::npos) text = text.substr(eq + 1);
    if (text.size() >= 2 && text.front() == '"' && text.back() == '"') text = text.substr(1, text.size() - 2);
    value = text;
    break;
  }
  if (f.is_not_defined) return !value.has_value();
  if (!value) return false;
  return !f.text_match || text_matches(*f.text_match, *value);
}

bool prop_matches(icalcomponent* root, icalcomponent* c, const wire::PropFilter& f) {
  std::vector<icalproperty*> props = properties_named(c, f.name);
  if (f.is_not_defined) return props.empty();
  for (icalproperty* p : props) {
    bool ok = true;
    if (f.time_range) {
      icalvalue* v = icalproperty_get_value(p);
      icalvalue_kind k = v != nullptr ? icalvalue_isa(v) : ICAL_NO_VALUE;
      if (k != ICAL_DATETIME_VALUE && k != ICAL_DATE_VALUE) {
        ok = false;
      } else {
        ok = in_range(utc_of(root, p, icalvalue_get_datetime(v)), *f.time_range);
      }
    }
    for (const wire::TextMatch& m : f.text_matches)
      if (ok) ok = text_matches(m, property_text(p));
    for (const wire::ParamFilter& pf : f.param_filters)
      if (ok) ok = param_matches(p, pf);
    if (ok) return true;
  }
  return false;
}

struct Evaluator {
  const ical::Calendar& calendar;
  const ical::Limits& limits;
  bool too_many = false;

  bool time_range_matches(icalcomponent* parent, const wire::TimeRange& r) {
    if (parent != calendar.root()) return true;  // VALARM and deeper: not evaluated
    // Open sides become far bounds; ical::overlaps searches growing windows when needed.
    ical::Time start = r.start.value_or(ical::Time(seconds(0)));
    ical::Time end = r.end.value_or(ical::Time(seconds(std::int64_t{7258118400})));
    if (start >= end) return false;
    ical::Match m = ical::overlaps(calendar, start, end, limits);
    if (m == ical::Match::kTooMany) too_many = true;
    return m == ical::Match::kYes;
  }

  bool component(icalcomponent* c, const wire::CompFilter& f) {
    for (const wire::PropFilter& pf : f.prop_filters)
      if (!prop_matches(calendar.root(), c, pf)) return false;
    for (const wire::CompFilter& cf : f.comp_filters)
      if (!child(c, cf)) return false;
    return true;
  }

  bool child(icalcomponent* parent, const wire::CompFilter& f) {
    std::vector<icalcomponent*> subs;
    for (icalcomponent* s = icalcomponent_get_first_component(parent, ICAL_ANY_COMPONENT);
         s != nullptr; s = icalcomponent_get_next_component(parent, ICAL_ANY_COMPONENT)) {
      const char* n = icalcomponent_kind_to_string(icalcomponent_isa(s));
      if (n != nullptr && equal_ci(n, f.name)) subs.push_back(s);
    }
    if (f.is_not_defined) return subs.empty();
    if (subs.empty()) return false;
    if (f.time_range && !time_range_matches(parent, *f.time_range)) return false;
    for (icalcomponent* s : subs)
      if (component(s, f)) return true;
    return false;
  }
};

icaltimetype utc_time(std::int64_t t, bool is_date) {
  return icaltime_from_timet_with_zone(static_cast<time_t>(t), is_date ? 1 : 0,
                                       icaltimezone_get_utc_timezone());
}

std::string utc_text(ical::Time t) { return wire::format_utc_time(t); }

}  // namespace

bool text_matches(const wire::TextMatch& m, std::string_view value) {
  bool octet = m.collation == "i;octet";
  auto eq = [&](char a, char b) { return octet ? a == b : lower(a) == lower(b); };
  std::string_view needle = m.text;
  bool found = false;
  switch (m.match_type) {
    case wire::TextMatch::Type::kEquals:
      found = value.size() == needle.size() &&
              std::equal(value.begin(), value.end(), needle.begin(), eq);
      break;
    case wire::TextMatch::Type::kStartsWith:
      found = value.size() >= needle.size() &&
              std::equal(needle.begin(), needle.end(), value.begin(), eq);
      break;
    case wire::TextMatch::Type::kEndsWith:
      found = value.size() >= needle.size() &&
              std::equal(needle.begin(), needle.end(), value.end() - static_cast<long>(needle.size()), eq);
      break;
    case wire::TextMatch::Type::kContains:
      found = std::search(value.begin(), value.end(), needle.begin(), needle.end(), eq) != value.end();
      break;
  }
  return found != m.negate;
}

FilterResult match_calendar(const ical::Calendar& calendar, const wire::CompFilter& filter,
                            const ical::Limits& limits) {
  if (filter.is_not_defined) return FilterResult::kNo;  // the VCALENDAR is always there
  Evaluator e{calendar, limits};
  bool yes = e.component(calendar.root(), filter);
  if (yes) return FilterResult::kYes;
  return e.too_many ? FilterResult::kTooMany : FilterResult::kNo;
}

bool match_vcard(const ical::Vcard& card, const wire::AddressbookQuery& query) {
  auto prop_filter = [&](const wire::PropFilter& f) {
    bool any = false;
    for (const ical::VcardProperty& p : card.properties) {
      if (!equal_ci(p.name, f.name)) continue;
      any = true;
      if (f.is_not_defined) return false;
      std::vector<bool> tests;
      std::string value = ical::unescape_text(p.value);
      for (const wire::TextMatch& m : f.text_matches) tests.push_back(text_matches(m, value));
      for (const wire::ParamFilter& pf : f.param_filters) {
        const std::string* pv = nullptr;
        for (const auto& [k, v] : p.params)
          if (equal_ci(k, pf.name)) pv = &v;
        if (pf.is_not_defined) tests.push_back(pv == nullptr);
        else tests.push_back(pv != nullptr && (!pf.text_match || text_matches(*pf.text_match, *pv)));
      }
      if (tests.empty()) return true;
      bool ok = f.all_of ? std::all_of(tests.begin(), tests.end(), [](bool b) { return b; })
                         : std::any_of(tests.begin(), tests.end(), [](bool b) { return b; });
      if (ok) return true;
    }
    return f.is_not_defined && !any;
  };
  if (query.filters.empty()) return true;
  if (query.all_of) return std::all_of(query.filters.begin(), query.filters.end(), prop_filter);
  return std::any_of(query.filters.begin(), query.filters.end(), prop_filter);
}

std::optional<std::string> expanded_ical(const ical::Calendar& calendar, ical::Time start,
                                         ical::Time end, const ical::Limits& limits) {
  ical::Expansion e = ical::expand(calendar, start, end, limits);
  if (e.status != ical::ExpandStatus::kOk) return std::nullopt;
  icalcomponent* root = calendar.root();
  icalcomponent* master = nullptr;
  std::vector<std::pair<std::int64_t, icalcomponent*>> overrides;
  for (icalcomponent* c = icalcomponent_get_first_component(root, ICAL_ANY_COMPONENT);
       c != nullptr; c = icalcomponent_get_next_component(root, ICAL_ANY_COMPONENT)) {
    icalcomponent_kind k = icalcomponent_isa(c);
    if (k != ICAL_VEVENT_COMPONENT && k != ICAL_VTODO_COMPONENT && k != ICAL_VJOURNAL_COMPONENT)
      continue;
    icalproperty* rp = icalcomponent_get_first_property(c, ICAL_RECURRENCEID_PROPERTY);
    if (rp == nullptr) master = c;
    else overrides.emplace_back(utc_of(root, rp, icalproperty_get_recurrenceid(rp)), c);
  }
  bool recurring = !overrides.empty() ||
                   (master != nullptr &&
                    (icalcomponent_get_first_property(master, ICAL_RRULE_PROPERTY) != nullptr ||
                     icalcomponent_get_first_property(master, ICAL_RDATE_PROPERTY) != nullptr));
  icalcomponent* out = icalcomponent_new(ICAL_VCALENDAR_COMPONENT);
  for (icalproperty* p = icalcomponent_get_first_property(root, ICAL_ANY_PROPERTY); p != nullptr;
       p = icalcomponent_get_next_property(root, ICAL_ANY_PROPERTY))
    icalcomponent_add_property(out, icalproperty_new_clone(p));
  for (const ical::Instance& i : e.instances) {
    std::int64_t rid = i.recurrence_id.time_since_epoch().count();
    icalcomponent* source = master;
    if (i.overridden) {
      for (auto& [r, c] : overrides)
        if (r == rid) source = c;
    }
    if (source == nullptr) continue;
    icalcomponent* copy = icalcomponent_new_clone(source);
    for (icalproperty_kind k : {ICAL_RRULE_PROPERTY, ICAL_RDATE_PROPERTY, ICAL_EXDATE_PROPERTY,
                                ICAL_EXRULE_PROPERTY, ICAL_DTSTART_PROPERTY, ICAL_DTEND_PROPERTY,
                                ICAL_DURATION_PROPERTY, ICAL_RECURRENCEID_PROPERTY}) {
      while (icalproperty* p = icalcomponent_get_first_property(copy, k)) {
        icalcomponent_remove_property(copy, p);
        icalproperty_free(p);
      }
    }
    icalcomponent_add_property(copy, icalproperty_new_dtstart(utc_time(i.start.time_since_epoch().count(), i.all_day)));
    if (i.end != i.start)
      icalcomponent_add_property(copy, icalproperty_new_dtend(utc_time(i.end.time_since_epoch().count(), i.all_day)));
    if (recurring)
      icalcomponent_add_property(copy, icalproperty_new_recurrenceid(utc_time(rid, i.all_day)));
    icalcomponent_add_component(out, copy);
  }
  char* text = icalcomponent_as_ical_string_r(out);
  std::string result = text != nullptr ? text : "";
  if (text != nullptr) icalmemory_free_buffer(text);
  icalcomponent_free(out);
  return result;
}

bool busy_periods(const ical::Calendar& calendar, ical::Time start, ical::Time end,
                  const ical::Limits& limits, std::vector<BusyPeriod>& out) {
  if (calendar.kind() != ical::ComponentKind::kEvent) return true;
  icalcomponent* root = calendar.root();
  for (icalcomponent* c = icalcomponent_get_first_component(root, ICAL_VEVENT_COMPONENT);
       c != nullptr; c = icalcomponent_get_next_component(root, ICAL_VEVENT_COMPONENT)) {
    if (icalcomponent_get_first_property(c, ICAL_RECURRENCEID_PROPERTY) != nullptr) continue;
    if (icalcomponent_get_status(c) == ICAL_STATUS_CANCELLED) return true;
    if (icalproperty* t = icalcomponent_get_first_property(c, ICAL_TRANSP_PROPERTY))
      if (icalproperty_get_transp(t) == ICAL_TRANSP_TRANSPARENT) return true;
  }
  ical::Expansion e = ical::expand(calendar, start, end, limits);
  if (e.status != ical::ExpandStatus::kOk) return false;
  for (const ical::Instance& i : e.instances) {
    if (i.end == i.start) continue;
    out.push_back(BusyPeriod{std::max(i.start, start), std::min(i.end, end)});
  }
  return true;
}

std::string freebusy_ical(std::vector<BusyPeriod> periods, ical::Time start, ical::Time end,
                          ical::Time now) {
  std::sort(periods.begin(), periods.end(),
            [](const BusyPeriod& a, const BusyPeriod& b) { return a.start < b.start; });
  std::vector<BusyPeriod> merged;
  for (const BusyPeriod& p : periods) {
    if (!merged.empty() && p.start <= merged.back().end) merged.back().end = std::max(merged.back().end, p.end);
    else merged.push_back(p);
  }
  std::string out = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Taube//CalDAV//EN\r\nBEGIN:VFREEBUSY\r\n";
  out += "DTSTAMP:" + utc_text(now) + "\r\n";
  out += "DTSTART:" + utc_text(start) + "\r\nDTEND:" + utc_text(end) + "\r\n";
  for (const BusyPeriod& p : merged) out += "FREEBUSY:" + utc_text(p.start) + "/" + utc_text(p.end) + "\r\n";
  out += "END:VFREEBUSY\r\nEND:VCALENDAR\r\n";
  return out;
}

}  // namespace taube::dav::server
