// iTIP (RFC 5546) for CalDAV implicit scheduling (RFC 6638 3.2) and iMIP (RFC 6047):
// given the old and new text of a calendar object, which scheduling messages to send,
// and how an incoming message changes the recipient's copy. Pure over libical: no store,
// no server; the DAV server (dav/server) delivers what this module computes.
//
// Calendar user addresses are compared as lower-case "mailto:" addresses; `address()`
// strips the scheme so the result can be looked up as an account.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace taube::dav::sched {

enum class Method { kRequest, kReply, kCancel };
std::string_view to_string(Method m);  // "REQUEST", ...

struct Attendee {
  std::string address;   // lower case, without "mailto:"
  std::string partstat;  // "NEEDS-ACTION" when absent
  bool server_agent = true;  // SCHEDULE-AGENT absent or SERVER (RFC 6638 7.1)
};

// The scheduling facts of a calendar object: its UID, ORGANIZER and the union of the
// ATTENDEEs of all its components. nullopt when it has no ORGANIZER (not a scheduling
// object resource, RFC 6638 3.1) or does not parse.
struct Info {
  std::string uid;
  std::string organizer;  // lower case, without "mailto:"
  std::string summary;
  std::vector<Attendee> attendees;
  const Attendee* find(std::string_view address) const;
};
std::optional<Info> inspect(std::string_view ical);

// "mailto:A@Example.org" -> "a@example.org"; other schemes give "".
std::string address(std::string_view cal_address);

struct Message {
  Method method = Method::kRequest;
  std::string recipient;  // address (no scheme)
  std::string ical;       // a VCALENDAR with METHOD
};

// Organizer PUT (RFC 6638 3.2.1.1/3.2.1.2): REQUEST to every server-scheduled attendee
// of `now` (except the organizer) when the object is new or changed, CANCEL to those
// dropped since `before`. `before` is empty for a new object.
std::vector<Message> organizer_put(std::string_view before, std::string_view now);
// Organizer DELETE (3.2.1.3): CANCEL to every server-scheduled attendee.
std::vector<Message> organizer_delete(std::string_view object);
// Attendee PUT (3.2.2.1): a REPLY to the organizer when `attendee`'s PARTSTAT changed.
std::optional<Message> attendee_put(std::string_view before, std::string_view now,
                                    std::string_view attendee);
// Attendee DELETE (3.2.2.3): a REPLY with PARTSTAT=DECLINED, unless already declined.
std::optional<Message> attendee_delete(std::string_view object, std::string_view attendee);

// The recipient's calendar copy for an incoming REQUEST: the request without METHOD.
std::string without_method(std::string_view itip);
// `object` with `attendee`'s PARTSTAT set (room auto-accept/decline); RSVP dropped.
std::string with_partstat(std::string_view object, std::string_view attendee,
                          std::string_view partstat);
// A REPLY from `attendee` built from their copy (auto-accept of rooms).
std::string reply_from(std::string_view copy, std::string_view attendee);
// The organizer's copy after a REPLY: the replying attendee's PARTSTAT taken over, its
// SCHEDULE-STATUS set to 2.0. nullopt when the reply does not fit (other UID, unknown
// attendee).
std::optional<std::string> apply_reply(std::string_view organizer_copy, std::string_view reply);
// The organizer's copy with SCHEDULE-STATUS on the attendees named (RFC 6638 7.3:
// "1.2" delivered, "1.1" sent by mail, "3.7" invalid calendar user, "5.1" failed).
std::string with_schedule_status(std::string_view object,
                                 const std::map<std::string, std::string>& status);
// The object marked STATUS:CANCELLED (the attendee's copy after a CANCEL).
std::string cancelled(std::string_view object);

// An iMIP message (RFC 6047 2.4, 3): multipart/alternative with a text/plain summary and
// the text/calendar part with method=, CRLF line ends. `date` is an RFC 5322 date.
std::string imip_mail(const Message& m, std::string_view from, std::string_view summary,
                      std::string_view date, std::string_view message_id);

// RFC 6638 5: a free/busy request POSTed to the outbox (METHOD:REQUEST, one VFREEBUSY
// with ORGANIZER, ATTENDEEs, DTSTART and DTEND in UTC).
struct FreeBusyRequest {
  std::string uid;
  std::string organizer;
  std::vector<std::string> attendees;  // addresses, in request order
  std::chrono::sys_seconds start{};
  std::chrono::sys_seconds end{};
};
std::optional<FreeBusyRequest> parse_freebusy_request(std::string_view ical);
using Period = std::pair<std::chrono::sys_seconds, std::chrono::sys_seconds>;
// The METHOD:REPLY VFREEBUSY of `attendee` with `busy` (sorted and merged here).
std::string freebusy_reply(const FreeBusyRequest& request, std::string_view attendee,
                           std::vector<Period> busy);

}  // namespace taube::dav::sched
