#include "ical/calendar.hpp"

#include <libical/ical.h>

#include <optional>
#include <set>
#include <string>

namespace taube::ical {

void ComponentDeleter::operator()(icalcomponent_impl* c) const { icalcomponent_free(c); }

std::string_view to_string(ComponentKind kind) {
  switch (kind) {
    case ComponentKind::kEvent: return "VEVENT";
    case ComponentKind::kTodo: return "VTODO";
    case ComponentKind::kJournal: return "VJOURNAL";
    case ComponentKind::kFreeBusy: return "VFREEBUSY";
  }
  return "?";
}

namespace {

std::optional<ComponentKind> kind_of(icalcomponent_kind k) {
  switch (k) {
    case ICAL_VEVENT_COMPONENT: return ComponentKind::kEvent;
    case ICAL_VTODO_COMPONENT: return ComponentKind::kTodo;
    case ICAL_VJOURNAL_COMPONENT: return ComponentKind::kJournal;
    case ICAL_VFREEBUSY_COMPONENT: return ComponentKind::kFreeBusy;
    default: return std::nullopt;
  }
}

struct Walk {
  std::size_t components = 0;
  std::size_t properties = 0;
  std::optional<std::string> lic_error;
  std::set<std::string> tzids;
};

// Counts everything, finds libical's X-LIC-ERROR markers (it keeps going after bad lines and
// records them as properties) and collects the TZIDs referenced by parameters.
void walk(icalcomponent* c, Walk& w, const Limits& limits) {
  if (++w.components > limits.max_components) return;
  for (icalproperty* p = icalcomponent_get_first_property(c, ICAL_ANY_PROPERTY); p != nullptr;
       p = icalcomponent_get_next_property(c, ICAL_ANY_PROPERTY)) {
    if (++w.properties > limits.max_properties) return;
    if (icalproperty_isa(p) == ICAL_XLICERROR_PROPERTY && !w.lic_error) {
      const char* text = icalproperty_get_xlicerror(p);
      w.lic_error = text != nullptr ? text : "unknown error";
    }
    if (icalparameter* tz = icalproperty_get_first_parameter(p, ICAL_TZID_PARAMETER)) {
      if (const char* id = icalparameter_get_tzid(tz)) w.tzids.insert(id);
    }
  }
  for (icalcomponent* s = icalcomponent_get_first_component(c, ICAL_ANY_COMPONENT); s != nullptr;
       s = icalcomponent_get_next_component(c, ICAL_ANY_COMPONENT)) {
    walk(s, w, limits);
    if (w.components > limits.max_components || w.properties > limits.max_properties) return;
  }
}

Invalid invalid(Violation v, std::string reason) { return Invalid{v, std::move(reason)}; }

// Case-insensitive search for "BEGIN:VCALENDAR" occurrences: libical silently wraps several
// top-level objects in an XROOT, but also silently drops text it cannot place.
std::size_t count_begin_vcalendar(std::string_view text) {
  std::size_t n = 0;
  constexpr std::string_view kNeedle = "BEGIN:VCALENDAR";
  for (std::size_t i = 0; i + kNeedle.size() <= text.size(); ++i) {
    if (i != 0 && text[i - 1] != '\n') continue;
    bool eq = true;
    for (std::size_t j = 0; j < kNeedle.size() && eq; ++j) {
      char c = text[i + j];
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
      eq = c == kNeedle[j];
    }
    if (eq) ++n;
  }
  return n;
}

}  // namespace

std::variant<Calendar, Invalid> Calendar::parse(std::string_view text, const Limits& limits) {
  if (text.size() > limits.max_object_bytes)
    return invalid(Violation::kTooLarge, "calendar object exceeds the maximum resource size");
  if (text.find('\0') != std::string_view::npos)
    return invalid(Violation::kSyntax, "calendar data contains a NUL byte");
  std::size_t begins = count_begin_vcalendar(text);
  if (begins == 0) return invalid(Violation::kNotCalendar, "no BEGIN:VCALENDAR found");
  if (begins > 1)
    return invalid(Violation::kNotCalendar, "more than one VCALENDAR in one resource");

  icalerror_set_errors_are_fatal(0);
  std::string copy(text);  // libical wants a NUL-terminated string
  std::unique_ptr<icalcomponent, ComponentDeleter> root(icalparser_parse_string(copy.c_str()));
  icalerror_clear_errno();
  if (!root) return invalid(Violation::kSyntax, "calendar data is not valid iCalendar");
  if (icalcomponent_isa(root.get()) != ICAL_VCALENDAR_COMPONENT)
    return invalid(Violation::kNotCalendar, "the top-level component is not a VCALENDAR");

  Walk w;
  walk(root.get(), w, limits);
  if (w.components > limits.max_components)
    return invalid(Violation::kTooLarge, "calendar object has too many components");
  if (w.properties > limits.max_properties)
    return invalid(Violation::kTooLarge, "calendar object has too many properties");
  if (w.lic_error) return invalid(Violation::kSyntax, "invalid iCalendar: " + *w.lic_error);

  icalproperty* version = icalcomponent_get_first_property(root.get(), ICAL_VERSION_PROPERTY);
  const char* vtext = version != nullptr ? icalproperty_get_version(version) : nullptr;
  if (vtext == nullptr || std::string_view(vtext) != "2.0")
    return invalid(Violation::kSyntax, "VCALENDAR must have VERSION:2.0");
  // RFC 4791 4.1: a stored calendar object resource carries no METHOD (that is iTIP).
  if (icalcomponent_get_first_property(root.get(), ICAL_METHOD_PROPERTY) != nullptr)
    return invalid(Violation::kObjectRules, "METHOD is not allowed in a calendar object resource");

  std::optional<ComponentKind> kind;
  std::string uid;
  bool have_master = false;
  std::set<std::string> recurrence_ids;
  for (icalcomponent* c = icalcomponent_get_first_component(root.get(), ICAL_ANY_COMPONENT);
       c != nullptr; c = icalcomponent_get_next_component(root.get(), ICAL_ANY_COMPONENT)) {
    icalcomponent_kind k = icalcomponent_isa(c);
    if (k == ICAL_VTIMEZONE_COMPONENT) continue;
    std::optional<ComponentKind> ck = kind_of(k);
    if (!ck) {
      if (k == ICAL_X_COMPONENT) continue;  // RFC 5545 3.6: unknown components are kept
      // libical has no name for some kinds it produces from broken input.
      const char* kname = icalcomponent_kind_to_string(k);
      return invalid(Violation::kObjectRules,
                     std::string("component ") + (kname != nullptr ? kname : "(unknown)") +
                         " is not allowed at the top level of a calendar object");
    }
    if (kind && *kind != *ck)
      return invalid(Violation::kObjectRules,
                     "a calendar object resource holds components of one type only");
    kind = ck;
    icalproperty* up = icalcomponent_get_first_property(c, ICAL_UID_PROPERTY);
    const char* u = up != nullptr ? icalproperty_get_uid(up) : nullptr;
    if (u == nullptr || *u == '\0')
      return invalid(Violation::kObjectRules, std::string(to_string(*ck)) + " has no UID");
    if (uid.empty()) {
      uid = u;
    } else if (uid != u) {
      return invalid(Violation::kObjectRules, "all components must share one UID");
    }
    icalproperty* rid = icalcomponent_get_first_property(c, ICAL_RECURRENCEID_PROPERTY);
    if (rid == nullptr) {
      if (have_master)
        return invalid(Violation::kObjectRules,
                       "more than one component without RECURRENCE-ID for the same UID");
      have_master = true;
    } else {
      const char* s = icalproperty_as_ical_string(rid);
      if (s == nullptr || !recurrence_ids.insert(s).second)
        return invalid(Violation::kObjectRules, "two overrides with the same RECURRENCE-ID");
    }
    if (*ck != ComponentKind::kFreeBusy && *ck != ComponentKind::kTodo &&
        icalcomponent_get_first_property(c, ICAL_DTSTART_PROPERTY) == nullptr &&
        *ck == ComponentKind::kEvent)
      return invalid(Violation::kObjectRules, "VEVENT has no DTSTART");
  }
  if (!kind)
    return invalid(Violation::kObjectRules,
                   "no VEVENT, VTODO, VJOURNAL or VFREEBUSY in the calendar object");
  for (const std::string& id : w.tzids) {
    if (icalcomponent_get_timezone(root.get(), id.c_str()) == nullptr)
      return invalid(Violation::kObjectRules, "no VTIMEZONE for TZID " + id);
  }
  return Calendar(std::move(root), *kind, std::move(uid));
}

std::string Calendar::to_ical() const {
  char* s = icalcomponent_as_ical_string_r(root_.get());
  std::string out = s != nullptr ? s : "";
  free(s);
  return out;
}

}  // namespace taube::ical
