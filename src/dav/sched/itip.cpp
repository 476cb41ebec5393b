#include "dav/sched/itip.hpp"

#include <libical/ical.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <set>

namespace taube::dav::sched {

namespace {

struct Free {
  void operator()(icalcomponent* c) const { icalcomponent_free(c); }
};
using Comp = std::unique_ptr<icalcomponent, Free>;

Comp parse(std::string_view text) {
  std::string s(text);
  icalcomponent* c = icalparser_parse_string(s.c_str());
  if (c != nullptr && icalcomponent_isa(c) != ICAL_VCALENDAR_COMPONENT) {
    icalcomponent_free(c);
    c = nullptr;
  }
  return Comp(c);
}

std::string text_of(icalcomponent* c) {
  char* s = icalcomponent_as_ical_string_r(c);
  std::string out = s != nullptr ? s : "";
  std::free(s);
  return out;
}

std::string lower(std::string s) {
  for (char& ch : s)
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  return s;
}

std::string param(icalproperty* p, const char* name) {
  const char* v = icalproperty_get_parameter_as_string(p, name);
  return v != nullptr ? std::string(v) : std::string();
}

// The scheduled components: VEVENT, VTODO, VJOURNAL (not VTIMEZONE).
template <typename F>
void each_component(icalcomponent* root, F&& f) {
  for (icalcomponent* c = icalcomponent_get_first_component(root, ICAL_ANY_COMPONENT); c != nullptr;
       c = icalcomponent_get_next_component(root, ICAL_ANY_COMPONENT)) {
    icalcomponent_kind k = icalcomponent_isa(c);
    if (k == ICAL_VEVENT_COMPONENT || k == ICAL_VTODO_COMPONENT || k == ICAL_VJOURNAL_COMPONENT) f(c);
  }
}

template <typename F>
void each_attendee(icalcomponent* c, F&& f) {
  std::vector<icalproperty*> props;
  for (icalproperty* p = icalcomponent_get_first_property(c, ICAL_ATTENDEE_PROPERTY); p != nullptr;
       p = icalcomponent_get_next_property(c, ICAL_ATTENDEE_PROPERTY))
    props.push_back(p);
  for (icalproperty* p : props) f(p);  // f may remove p
}

std::string attendee_address(icalproperty* p) {
  const char* v = icalproperty_get_attendee(p);
  return v != nullptr ? address(v) : std::string();
}

void set_method(icalcomponent* root, Method m) {
  icalproperty* p = icalcomponent_get_first_property(root, ICAL_METHOD_PROPERTY);
  while (p != nullptr) {
    icalcomponent_remove_property(root, p);
    icalproperty_free(p);
    p = icalcomponent_get_first_property(root, ICAL_METHOD_PROPERTY);
  }
  icalproperty_method v = m == Method::kRequest ? ICAL_METHOD_REQUEST
                          : m == Method::kReply ? ICAL_METHOD_REPLY
                                                : ICAL_METHOD_CANCEL;
  icalcomponent_add_property(root, icalproperty_new_method(v));
}

void stamp(icalcomponent* c) {
  icalproperty* p = icalcomponent_get_first_property(c, ICAL_DTSTAMP_PROPERTY);
  icaltimetype now = icaltime_current_time_with_zone(icaltimezone_get_utc_timezone());
  if (p != nullptr) icalproperty_set_dtstamp(p, now);
  else icalcomponent_add_property(c, icalproperty_new_dtstamp(now));
}

// Organizer-side bookkeeping that must not travel (RFC 6638 3.2.3: SCHEDULE-STATUS is
// removed from what is sent; SCHEDULE-FORCE-SEND too).
void strip_private(icalcomponent* root) {
  each_component(root, [](icalcomponent* c) {
    each_attendee(c, [](icalproperty* p) {
      icalproperty_remove_parameter_by_name(p, "SCHEDULE-STATUS");
      icalproperty_remove_parameter_by_name(p, "SCHEDULE-FORCE-SEND");
    });
    if (icalproperty* o = icalcomponent_get_first_property(c, ICAL_ORGANIZER_PROPERTY)) {
      icalproperty_remove_parameter_by_name(o, "SCHEDULE-STATUS");
      icalproperty_remove_parameter_by_name(o, "SCHEDULE-FORCE-SEND");
    }
  });
}

// Keeps only the ATTENDEE `who` in every component.
void only_attendee(icalcomponent* root, std::string_view who) {
  each_component(root, [&](icalcomponent* c) {
    each_attendee(c, [&](icalproperty* p) {
      if (attendee_address(p) != who) {
        icalcomponent_remove_property(c, p);
        icalproperty_free(p);
      }
    });
  });
}

std::string message_text(std::string_view object, Method m, const std::string* only) {
  Comp root = parse(object);
  if (!root) return {};
  strip_private(root.get());
  if (only != nullptr) only_attendee(root.get(), *only);
  if (m == Method::kCancel) {
    each_component(root.get(), [](icalcomponent* c) {
      icalcomponent_set_status(c, ICAL_STATUS_CANCELLED);
      icalcomponent_set_sequence(c, icalcomponent_get_sequence(c) + 1);
    });
  }
  each_component(root.get(), [](icalcomponent* c) { stamp(c); });
  set_method(root.get(), m);
  return text_of(root.get());
}

// The object as the attendees see it, for change detection.
std::string canonical(std::string_view object) {
  Comp root = parse(object);
  if (!root) return {};
  strip_private(root.get());
  each_component(root.get(), [](icalcomponent* c) {
    icalproperty* p = icalcomponent_get_first_property(c, ICAL_DTSTAMP_PROPERTY);
    if (p != nullptr) {
      icalcomponent_remove_property(c, p);
      icalproperty_free(p);
    }
  });
  return text_of(root.get());
}

std::string partstat_of(const Info& info, std::string_view who) {
  const Attendee* a = info.find(who);
  return a != nullptr ? a->partstat : std::string();
}

std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t line = 0;
  for (std::size_t i = 0; i < in.size(); i += 3) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    if (i + 2 < in.size()) v |= static_cast<unsigned char>(in[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += i + 2 < in.size() ? kAlphabet[v & 63] : '=';
    line += 4;
    if (line >= 76) {
      out += "\r\n";
      line = 0;
    }
  }
  if (line != 0) out += "\r\n";
  return out;
}

bool ascii_only(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u >= 0x20 && u < 0x7f;
  });
}

std::string header_text(std::string_view s) {
  if (ascii_only(s)) return std::string(s);
  std::string b = base64(s);
  b.erase(std::remove_if(b.begin(), b.end(), [](char c) { return c == '\r' || c == '\n'; }), b.end());
  return "=?UTF-8?B?" + b + "?=";
}

std::string crlf(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r')) out += '\r';
    out += s[i];
  }
  return out;
}

}  // namespace

std::string_view to_string(Method m) {
  switch (m) {
    case Method::kRequest: return "REQUEST";
    case Method::kReply: return "REPLY";
    case Method::kCancel: return "CANCEL";
  }
  return "REQUEST";
}

std::string address(std::string_view cal_address) {
  std::string s = lower(std::string(cal_address));
  if (s.rfind("mailto:", 0) != 0) return {};
  s.erase(0, 7);
  if (s.find('@') == std::string::npos) return {};
  return s;
}

const Attendee* Info::find(std::string_view who) const {
  for (const Attendee& a : attendees)
    if (a.address == who) return &a;
  return nullptr;
}

std::optional<Info> inspect(std::string_view ical) {
  Comp root = parse(ical);
  if (!root) return std::nullopt;
  Info info;
  each_component(root.get(), [&](icalcomponent* c) {
    if (info.uid.empty() && icalcomponent_get_uid(c) != nullptr) info.uid = icalcomponent_get_uid(c);
    if (info.summary.empty() && icalcomponent_get_summary(c) != nullptr)
      info.summary = icalcomponent_get_summary(c);
    if (info.organizer.empty()) {
      if (icalproperty* o = icalcomponent_get_first_property(c, ICAL_ORGANIZER_PROPERTY)) {
        const char* v = icalproperty_get_organizer(o);
        if (v != nullptr) info.organizer = address(v);
      }
    }
    each_attendee(c, [&](icalproperty* p) {
      std::string who = attendee_address(p);
      if (who.empty() || info.find(who) != nullptr) return;
      Attendee a;
      a.address = who;
      a.partstat = param(p, "PARTSTAT");
      if (a.partstat.empty()) a.partstat = "NEEDS-ACTION";
      std::string agent = param(p, "SCHEDULE-AGENT");
      a.server_agent = agent.empty() || lower(agent) == "server";
      info.attendees.push_back(std::move(a));
    });
  });
  if (info.organizer.empty()) return std::nullopt;
  return info;
}

std::vector<Message> organizer_put(std::string_view before, std::string_view now) {
  std::vector<Message> out;
  std::optional<Info> after = inspect(now);
  std::optional<Info> prior = before.empty() ? std::nullopt : inspect(before);
  if (!after) {
    if (prior) return organizer_delete(before);  // the organizer removed scheduling
    return out;
  }
  bool changed = !prior || canonical(before) != canonical(now);
  if (changed) {
    std::string request = message_text(now, Method::kRequest, nullptr);
    for (const Attendee& a : after->attendees) {
      if (a.address == after->organizer || !a.server_agent) continue;
      out.push_back(Message{Method::kRequest, a.address, request});
    }
  }
  if (prior) {
    for (const Attendee& a : prior->attendees) {
      if (a.address == prior->organizer || !a.server_agent || after->find(a.address) != nullptr)
        continue;
      out.push_back(Message{Method::kCancel, a.address, message_text(before, Method::kCancel, &a.address)});
    }
  }
  return out;
}

std::vector<Message> organizer_delete(std::string_view object) {
  std::vector<Message> out;
  std::optional<Info> info = inspect(object);
  if (!info) return out;
  std::string cancel = message_text(object, Method::kCancel, nullptr);
  for (const Attendee& a : info->attendees) {
    if (a.address == info->organizer || !a.server_agent) continue;
    out.push_back(Message{Method::kCancel, a.address, cancel});
  }
  return out;
}

std::optional<Message> attendee_put(std::string_view before, std::string_view now,
                                    std::string_view attendee) {
  std::optional<Info> after = inspect(now);
  if (!after || after->organizer == attendee) return std::nullopt;
  const Attendee* me = after->find(attendee);
  if (me == nullptr || !me->server_agent) return std::nullopt;
  std::optional<Info> prior = before.empty() ? std::nullopt : inspect(before);
  std::string old_partstat = prior ? partstat_of(*prior, attendee) : std::string("NEEDS-ACTION");
  if (old_partstat == me->partstat) return std::nullopt;
  std::string who(attendee);
  return Message{Method::kReply, after->organizer, message_text(now, Method::kReply, &who)};
}

std::optional<Message> attendee_delete(std::string_view object, std::string_view attendee) {
  std::optional<Info> info = inspect(object);
  if (!info || info->organizer == attendee) return std::nullopt;
  const Attendee* me = info->find(attendee);
  if (me == nullptr || !me->server_agent || me->partstat == "DECLINED") return std::nullopt;
  std::string declined = with_partstat(object, attendee, "DECLINED");
  std::string who(attendee);
  return Message{Method::kReply, info->organizer, message_text(declined, Method::kReply, &who)};
}

std::string without_method(std::string_view itip) {
  Comp root = parse(itip);
  if (!root) return std::string(itip);
  icalproperty* p = icalcomponent_get_first_property(root.get(), ICAL_METHOD_PROPERTY);
  while (p != nullptr) {
    icalcomponent_remove_property(root.get(), p);
    icalproperty_free(p);
    p = icalcomponent_get_first_property(root.get(), ICAL_METHOD_PROPERTY);
  }
  return text_of(root.get());
}

std::string with_partstat(std::string_view object, std::string_view attendee,
                          std::string_view partstat) {
  Comp root = parse(object);
  if (!root) return std::string(object);
  std::string value(partstat);
  each_component(root.get(), [&](icalcomponent* c) {
    each_attendee(c, [&](icalproperty* p) {
      if (attendee_address(p) != attendee) return;
      icalproperty_set_parameter_from_string(p, "PARTSTAT", value.c_str());
      icalproperty_remove_parameter_by_name(p, "RSVP");
    });
  });
  return text_of(root.get());
}

std::string reply_from(std::string_view copy, std::string_view attendee) {
  std::string who(attendee);
  return message_text(copy, Method::kReply, &who);
}

std::optional<std::string> apply_reply(std::string_view organizer_copy, std::string_view reply) {
  std::optional<Info> r = inspect(reply);
  std::optional<Info> mine = inspect(organizer_copy);
  if (!r || !mine || r->uid != mine->uid || r->attendees.size() != 1) return std::nullopt;
  const Attendee& who = r->attendees.front();
  if (mine->find(who.address) == nullptr) return std::nullopt;
  Comp root = parse(organizer_copy);
  if (!root) return std::nullopt;
  each_component(root.get(), [&](icalcomponent* c) {
    each_attendee(c, [&](icalproperty* p) {
      if (attendee_address(p) != who.address) return;
      icalproperty_set_parameter_from_string(p, "PARTSTAT", who.partstat.c_str());
      icalproperty_remove_parameter_by_name(p, "RSVP");
      icalproperty_set_parameter_from_string(p, "SCHEDULE-STATUS", "2.0");
    });
  });
  return text_of(root.get());
}

std::string with_schedule_status(std::string_view object,
                                 const std::map<std::string, std::string>& status) {
  Comp root = parse(object);
  if (!root) return std::string(object);
  each_component(root.get(), [&](icalcomponent* c) {
    each_attendee(c, [&](icalproperty* p) {
      auto it = status.find(attendee_address(p));
      if (it != status.end())
        icalproperty_set_parameter_from_string(p, "SCHEDULE-STATUS", it->second.c_str());
    });
  });
  return text_of(root.get());
}

std::string cancelled(std::string_view object) {
  Comp root = parse(object);
  if (!root) return std::string(object);
  each_component(root.get(), [](icalcomponent* c) { icalcomponent_set_status(c, ICAL_STATUS_CANCELLED); });
  icalproperty* p = icalcomponent_get_first_property(root.get(), ICAL_METHOD_PROPERTY);
  if (p != nullptr) {
    icalcomponent_remove_property(root.get(), p);
    icalproperty_free(p);
  }
  return text_of(root.get());
}

std::string imip_mail(const Message& m, std::string_view from, std::string_view summary,
                      std::string_view date, std::string_view message_id) {
  std::string method(to_string(m.method));
  std::string subject = m.method == Method::kRequest ? "Invitation: "
                        : m.method == Method::kReply ? "Reply: "
                                                     : "Cancelled: ";
  subject += summary.empty() ? std::string("(no title)") : std::string(summary);
  std::string boundary = "=_taube_imip_" + std::string(message_id.substr(0, message_id.find('@')));
  std::string text = subject + "\n\nThis message carries a calendar " + lower(method) +
                     " (iCalendar, RFC 6047) from " + std::string(from) + ".\n";
  std::string out;
  out += "From: <" + std::string(from) + ">\r\n";
  out += "To: <" + m.recipient + ">\r\n";
  out += "Subject: " + header_text(subject) + "\r\n";
  out += "Date: " + std::string(date) + "\r\n";
  out += "Message-ID: <" + std::string(message_id) + ">\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: multipart/alternative; boundary=\"" + boundary + "\"\r\n\r\n";
  out += "--" + boundary + "\r\n";
  out += "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n";
  out += base64(text);
  out += "--" + boundary + "\r\n";
  out += "Content-Type: text/calendar; charset=UTF-8; method=" + method + "\r\n";
  out += "Content-Transfer-Encoding: base64\r\n\r\n";
  out += base64(crlf(m.ical));
  out += "--" + boundary + "--\r\n";
  return out;
}

namespace {

std::chrono::sys_seconds utc_of(icaltimetype t) {
  icaltimetype u = icaltime_convert_to_zone(t, icaltimezone_get_utc_timezone());
  return std::chrono::sys_seconds(std::chrono::seconds(icaltime_as_timet(u)));
}

icaltimetype ical_of(std::chrono::sys_seconds t) {
  return icaltime_from_timet_with_zone(static_cast<time_t>(t.time_since_epoch().count()), 0,
                                       icaltimezone_get_utc_timezone());
}

}  // namespace

std::optional<FreeBusyRequest> parse_freebusy_request(std::string_view ical) {
  Comp root = parse(ical);
  if (!root || icalcomponent_get_method(root.get()) != ICAL_METHOD_REQUEST) return std::nullopt;
  icalcomponent* fb = icalcomponent_get_first_component(root.get(), ICAL_VFREEBUSY_COMPONENT);
  if (fb == nullptr) return std::nullopt;
  FreeBusyRequest r;
  if (icalcomponent_get_uid(fb) != nullptr) r.uid = icalcomponent_get_uid(fb);
  icalproperty* o = icalcomponent_get_first_property(fb, ICAL_ORGANIZER_PROPERTY);
  if (o == nullptr || icalproperty_get_organizer(o) == nullptr) return std::nullopt;
  r.organizer = address(icalproperty_get_organizer(o));
  each_attendee(fb, [&](icalproperty* p) {
    std::string who = attendee_address(p);
    if (!who.empty()) r.attendees.push_back(who);
  });
  icaltimetype s = icalcomponent_get_dtstart(fb);
  icaltimetype e = icalcomponent_get_dtend(fb);
  if (icaltime_is_null_time(s) || icaltime_is_null_time(e) || r.organizer.empty() || r.attendees.empty())
    return std::nullopt;
  r.start = utc_of(s);
  r.end = utc_of(e);
  if (r.end <= r.start) return std::nullopt;
  return r;
}

std::string freebusy_reply(const FreeBusyRequest& request, std::string_view attendee,
                           std::vector<Period> busy) {
  std::sort(busy.begin(), busy.end());
  std::vector<Period> merged;
  for (const Period& p : busy) {
    if (!merged.empty() && p.first <= merged.back().second) merged.back().second = std::max(merged.back().second, p.second);
    else merged.push_back(p);
  }
  Comp root(icalcomponent_new(ICAL_VCALENDAR_COMPONENT));
  icalcomponent_add_property(root.get(), icalproperty_new_version("2.0"));
  icalcomponent_add_property(root.get(), icalproperty_new_prodid("-//Taube//CalDAV//EN"));
  icalcomponent_add_property(root.get(), icalproperty_new_method(ICAL_METHOD_REPLY));
  icalcomponent* fb = icalcomponent_new(ICAL_VFREEBUSY_COMPONENT);
  if (!request.uid.empty()) icalcomponent_set_uid(fb, request.uid.c_str());
  stamp(fb);
  icalcomponent_set_dtstart(fb, ical_of(request.start));
  icalcomponent_set_dtend(fb, ical_of(request.end));
  std::string org = "mailto:" + request.organizer;
  icalcomponent_add_property(fb, icalproperty_new_organizer(org.c_str()));
  std::string att = "mailto:" + std::string(attendee);
  icalcomponent_add_property(fb, icalproperty_new_attendee(att.c_str()));
  for (const Period& p : merged) {
    icalperiodtype period = icalperiodtype_null_period();
    period.start = ical_of(p.first);
    period.end = ical_of(p.second);
    icalproperty* f = icalproperty_new_freebusy(period);
    icalproperty_set_parameter_from_string(f, "FBTYPE", "BUSY");
    icalcomponent_add_property(fb, f);
  }
  icalcomponent_add_component(root.get(), fb);
  return text_of(root.get());
}

}  // namespace taube::dav::sched
