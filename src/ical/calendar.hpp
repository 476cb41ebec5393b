// A validated iCalendar object as stored in one CalDAV resource (RFC 4791 4.1).
// Calendar::parse turns untrusted bytes into a Calendar or an Invalid with a reason the
// HTTP layer can send (403 + CALDAV:valid-calendar-object-resource or 400). A Calendar
// owns its libical tree; it is movable, not copyable, and not shared between threads.
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <variant>

#include "ical/limits.hpp"

struct icalcomponent_impl;

namespace taube::ical {

enum class ComponentKind { kEvent, kTodo, kJournal, kFreeBusy };
std::string_view to_string(ComponentKind kind);  // "VEVENT", ...

// Which precondition a violation breaks; the HTTP layer maps it to a status and an element.
enum class Violation {
  kTooLarge,        // over Limits: 413 / CALDAV:max-resource-size
  kSyntax,          // not parseable iCalendar (incl. X-LIC-ERROR): CALDAV:valid-calendar-data
  kNotCalendar,     // not exactly one VCALENDAR: CALDAV:valid-calendar-data
  kObjectRules,     // RFC 4791 4.1 rules: CALDAV:valid-calendar-object-resource
};

struct Invalid {
  Violation violation;
  std::string reason;  // one English sentence, safe to send to the client
};

struct ComponentDeleter {
  void operator()(icalcomponent_impl* c) const;
};

class Calendar {
 public:
  // Parses and validates `text` (RFC 5545 + RFC 4791 4.1): exactly one VCALENDAR with
  // VERSION:2.0 and PRODID... (not required: clients omit PRODID), no METHOD, one or more
  // components of one kind among VEVENT/VTODO/VJOURNAL/VFREEBUSY all carrying the same UID
  // (at most one without RECURRENCE-ID, no two with the same RECURRENCE-ID), VTIMEZONEs
  // for every TZID used, no X-LIC-ERROR anywhere, and within `limits`.
  static std::variant<Calendar, Invalid> parse(std::string_view text, const Limits& limits);

  ComponentKind kind() const { return kind_; }
  const std::string& uid() const { return uid_; }
  // The VCALENDAR; owned by this object, valid while it lives.
  icalcomponent_impl* root() const { return root_.get(); }
  // RFC 5545 text of the whole object (libical's serialisation).
  std::string to_ical() const;

 private:
  Calendar(std::unique_ptr<icalcomponent_impl, ComponentDeleter> root, ComponentKind kind,
           std::string uid)
      : root_(std::move(root)), kind_(kind), uid_(std::move(uid)) {}
  std::unique_ptr<icalcomponent_impl, ComponentDeleter> root_;
  ComponentKind kind_;
  std::string uid_;
};

}  // namespace taube::ical
