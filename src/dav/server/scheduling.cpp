#include "dav/server/scheduling.hpp"

#include <algorithm>
#include <ctime>
#include <functional>
#include <map>
#include <random>
#include <variant>

#include "dav/sched/itip.hpp"
#include "dav/server/filters.hpp"
#include "dav/wire/multistatus.hpp"
#include "ical/calendar.hpp"
#include "ical/expand.hpp"
#include "log/log.hpp"
#include "store/dav.hpp"
#include "store/queue.hpp"

namespace taube::dav::server {

namespace asio = boost::asio;
using asio::awaitable;
using sched::Message;
using sched::Method;
using store::CollectionKind;
using store::kSystemActor;

namespace {

std::string random_hex(std::size_t bytes) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < bytes; ++i) {
    auto b = static_cast<unsigned>(rng() & 0xff);
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

std::string rfc5322_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

std::string domain_of(const std::string& address) {
  auto at = address.rfind('@');
  return at == std::string::npos ? std::string() : address.substr(at + 1);
}

// A DavPut for a calendar object: validated, with the index fields. nullopt when the
// text does not validate (then nothing is stored).
std::optional<store::DavPut> calendar_put(std::string name, std::string text, const ical::Limits& limits) {
  auto parsed = ical::Calendar::parse(text, limits);
  if (!std::holds_alternative<ical::Calendar>(parsed)) return std::nullopt;
  const ical::Calendar& c = std::get<ical::Calendar>(parsed);
  ical::Span s = ical::span(c, limits);
  store::DavPut put;
  put.name = std::move(name);
  put.uid = c.uid();
  put.component = std::string(ical::to_string(c.kind()));
  put.range_start = s.start;
  put.range_end = s.end;
  put.content = std::move(text);
  put.content_type = "text/calendar; charset=utf-8";
  return put;
}

enum class Where { kLocal, kExternal, kUnknown };

struct Recipient {
  Where where = Where::kUnknown;
  store::Account account;
};

awaitable<Recipient> find_recipient(store::Store& store, std::string address) {
  Recipient r;
  auto a = co_await store.find_account(address);
  if (a) {
    r.where = Where::kLocal;
    r.account = std::move(*a);
    co_return r;
  }
  auto ids = co_await store.resolve_recipient(address);
  if (ids && !ids->empty()) {
    auto acc = co_await store.get_account(ids->front());
    if (acc) {
      r.where = Where::kLocal;
      r.account = std::move(*acc);
    }
    co_return r;
  }
  if (!ids && ids.error().code == ErrorCode::kPermissionDenied) r.where = Where::kExternal;
  co_return r;
}

// The recipient's calendar copy of `uid`: (collection, name), or nullopt.
awaitable<std::optional<std::pair<store::CollectionId, std::string>>> find_copy(
    store::DavStore& dav, store::AccountId owner, std::string uid) {
  auto refs = co_await dav.find_uid(kSystemActor, owner, uid);
  if (refs) {
    for (const store::ResourceRef& ref : *refs)
      if (ref.kind == CollectionKind::kCalendar)
        co_return std::make_pair(ref.collection, ref.name);
  }
  co_return std::nullopt;
}

awaitable<bool> to_inbox(store::DavStore& dav, store::AccountId owner, const Message& m,
                         const std::string& uid) {
  std::string inbox_name(store::kScheduleInbox);
  auto inbox = co_await dav.get_collection(kSystemActor, owner, inbox_name);
  if (!inbox) co_return false;
  store::DavPut put;
  put.name = random_hex(12) + ".ics";
  put.uid = uid;
  put.component = m.ical.find("BEGIN:VTODO") != std::string::npos ? "VTODO" : "VEVENT";
  put.content = m.ical;
  put.content_type = "text/calendar; charset=utf-8; method=" + std::string(sched::to_string(m.method));
  auto done = co_await dav.put_resource(kSystemActor, inbox->id, std::move(put));
  co_return done.has_value();
}

// Stores `text` as the calendar copy of `owner` (replacing `where` when given, else new
// in the default calendar).
awaitable<bool> store_copy(store::DavStore& dav, const SchedulingOptions& options, store::AccountId owner,
                           std::optional<std::pair<store::CollectionId, std::string>> where,
                           std::string text) {
  store::CollectionId collection{};
  std::string name;
  if (where) {
    collection = where->first;
    name = where->second;
  } else {
    std::string cal_name(store::kDefaultCalendar);
    auto c = co_await dav.get_collection(kSystemActor, owner, cal_name);
    if (!c) co_return false;
    collection = c->id;
    name = "sched-" + random_hex(10) + ".ics";
  }
  auto put = calendar_put(std::move(name), std::move(text), options.ical);
  if (!put) co_return false;
  auto done = co_await dav.put_resource(kSystemActor, collection, std::move(*put));
  co_return done.has_value();
}

// Busy time of a local account in [start, end): its own calendars (RFC 6638 5: the
// calendars in the free-busy set; here every calendar of the account). Events
// with the UID `except_uid` are left out (a room judging an update of one).
awaitable<std::optional<std::vector<sched::Period>>> busy_of(store::DavStore& dav, const SchedulingOptions& options,
                                                             store::AccountId who, ical::Time start, ical::Time end,
                                                             std::string except_uid) {
  auto list = co_await dav.list_collections(kSystemActor, who);
  if (!list) co_return std::nullopt;
  std::vector<sched::Period> out;
  for (const store::Collection& c : *list) {
    if (c.kind != CollectionKind::kCalendar) continue;
    store::ResourceFilter filter;
    filter.start = start;
    filter.end = end;
    filter.with_content = true;
    auto members = co_await dav.list_resources(kSystemActor, c.id, filter);
    if (!members) co_return std::nullopt;
    for (const store::DavResource& r : *members) {
      if (!except_uid.empty() && r.uid == except_uid) continue;
      auto parsed = ical::Calendar::parse(r.content, options.ical);
      if (!std::holds_alternative<ical::Calendar>(parsed)) continue;
      std::vector<BusyPeriod> busy;
      if (!busy_periods(std::get<ical::Calendar>(parsed), start, end, options.ical, busy)) co_return std::nullopt;
      for (const BusyPeriod& b : busy) out.emplace_back(b.start, b.end);
    }
  }
  co_return out;
}

// Whether every instance of `text` is free in the calendars of `room` (other UIDs only).
awaitable<bool> room_is_free(store::DavStore& dav, const SchedulingOptions& options,
                             store::AccountId room, std::string text) {
  auto parsed = ical::Calendar::parse(text, options.ical);
  if (!std::holds_alternative<ical::Calendar>(parsed)) co_return false;
  const ical::Calendar& event = std::get<ical::Calendar>(parsed);
  ical::Span s = ical::span(event, options.ical);
  if (!s.start) co_return false;
  ical::Time start = *s.start;
  // An endless series is checked for a year.
  ical::Time end = s.end ? std::max(*s.end, start + std::chrono::seconds(1))
                         : start + std::chrono::hours(24 * 366);
  ical::Expansion mine = ical::expand(event, start, end, options.ical);
  if (mine.status != ical::ExpandStatus::kOk) co_return false;
  auto others = busy_of(dav, options, room, start, end, std::string(event.uid()));
  auto busy = co_await std::move(others);
  if (!busy) co_return false;
  for (const auto& [busy_start, busy_end] : *busy)
    for (const ical::Instance& i : mine.instances)
      if (i.start < busy_end && busy_start < std::max(i.end, i.start + std::chrono::seconds(1))) co_return false;
  co_return true;
}

bool is_room(const SchedulingOptions& options, const std::string& address) {
  return std::find(options.rooms.begin(), options.rooms.end(), address) != options.rooms.end();
}

// Delivers one message to a local account. For a room's REQUEST, `room_reply` receives
// the room's REPLY.
awaitable<bool> deliver_local(store::Store& store, const SchedulingOptions& options,
                              const store::Account& to, const Message& m, const std::string& uid,
                              std::optional<std::string>& room_reply) {
  store::DavStore& dav = store.dav();
  auto where = co_await find_copy(dav, to.id, uid);
  std::string current;
  if (where) {
    auto existing = co_await dav.get_resource(kSystemActor, where->first, where->second);
    if (existing) current = std::move(existing->content);
  }
  // A message only touches a copy of the same organizer's event: another account
  // reusing the UID must not overwrite (or cancel) somebody else's meeting.
  std::optional<sched::Info> sent = sched::inspect(m.ical);
  std::optional<sched::Info> held = current.empty() ? std::nullopt : sched::inspect(current);
  if (!sent) co_return false;
  if (held && held->organizer != sent->organizer) co_return false;
  if (m.method == Method::kReply && held && held->organizer != to.address) co_return false;
  switch (m.method) {
    case Method::kRequest: {
      std::string copy = sched::without_method(m.ical);
      if (is_room(options, to.address)) {
        bool free = co_await room_is_free(dav, options, to.id, copy);
        copy = sched::with_partstat(copy, to.address, free ? "ACCEPTED" : "DECLINED");
        room_reply = sched::reply_from(copy, to.address);
        if (!free) {
          // A declined booking does not occupy the room.
          co_return co_await to_inbox(dav, to.id, m, uid);
        }
      }
      bool stored = co_await store_copy(dav, options, to.id, where, copy);
      bool queued = co_await to_inbox(dav, to.id, m, uid);
      co_return stored && queued;
    }
    case Method::kCancel: {
      if (where && !current.empty()) {
        std::string text = sched::cancelled(current);
        co_await store_copy(dav, options, to.id, where, text);
      }
      co_return co_await to_inbox(dav, to.id, m, uid);
    }
    case Method::kReply: {
      if (where && !current.empty()) {
        auto updated = sched::apply_reply(current, m.ical);
        if (updated) co_await store_copy(dav, options, to.id, where, *updated);
      }
      co_return co_await to_inbox(dav, to.id, m, uid);
    }
  }
  co_return false;
}

awaitable<bool> send_imip(store::Store& store, const std::string& from, const Message& m,
                          const std::string& summary) {
  std::string id = random_hex(16) + "@" + domain_of(from);
  std::string mail = sched::imip_mail(m, from, summary, rfc5322_now(), id);
  store::Outbound out;
  out.sender = from;
  out.recipients.push_back(store::OutboundRecipient{m.recipient, {}, 0});
  auto queued = co_await store.queue().enqueue(std::move(mail), std::move(out));
  if (!queued) log::warn("dav.sched.imip_not_queued", {{"to", m.recipient}, {"error", queued.error().detail}});
  co_return queued.has_value();
}

// Sends one message; returns the SCHEDULE-STATUS (RFC 6638 3.2.9).
awaitable<std::string> send(store::Store& store, const SchedulingOptions& options, const std::string& from,
                            const Message& m, const sched::Info& info,
                            std::optional<std::string>& room_reply) {
  Recipient r = co_await find_recipient(store, m.recipient);
  if (r.where == Where::kLocal) {
    bool ok = co_await deliver_local(store, options, r.account, m, info.uid, room_reply);
    co_return ok ? "1.2" : "5.1";
  }
  if (r.where == Where::kExternal) {
    bool ok = co_await send_imip(store, from, m, info.summary);
    co_return ok ? "1.1" : "5.1";
  }
  co_return "3.7";
}

}  // namespace

awaitable<std::optional<std::string>> schedule_put(store::Store& store, const SchedulingOptions& options,
                                                   const store::Account& owner, std::string before,
                                                   std::string now) {
  std::optional<sched::Info> info = sched::inspect(now);
  if (!info) {
    if (!before.empty()) co_await schedule_delete(store, options, owner, before);
    co_return std::nullopt;
  }
  if (info->organizer == owner.address) {
    std::vector<Message> messages = sched::organizer_put(before, now);
    if (messages.empty()) co_return std::nullopt;
    std::map<std::string, std::string> status;
    std::string updated = now;
    for (const Message& m : messages) {
      std::optional<std::string> room_reply;
      std::string s = co_await send(store, options, owner.address, m, *info, room_reply);
      if (m.method == Method::kRequest) status[m.recipient] = s;
      if (room_reply) {
        // The room answered at once: its answer goes into the organizer's copy now and
        // into the organizer's inbox like any reply.
        if (auto applied = sched::apply_reply(updated, *room_reply)) updated = *applied;
        Message reply{Method::kReply, owner.address, *room_reply};
        co_await to_inbox(store.dav(), owner.id, reply, info->uid);
      }
    }
    // A room's answer already carries 2.0.
    std::optional<sched::Info> after = sched::inspect(updated);
    for (auto it = status.begin(); it != status.end();) {
      const sched::Attendee* a = after ? after->find(it->first) : nullptr;
      if (a != nullptr && is_room(options, it->first) && a->partstat != "NEEDS-ACTION") it = status.erase(it);
      else ++it;
    }
    co_return sched::with_schedule_status(updated, status);
  }
  if (info->find(owner.address) != nullptr) {
    std::optional<Message> reply = sched::attendee_put(before, now, owner.address);
    if (reply) {
      std::optional<std::string> unused;
      co_await send(store, options, owner.address, *reply, *info, unused);
    }
  }
  co_return std::nullopt;
}

awaitable<void> schedule_delete(store::Store& store, const SchedulingOptions& options,
                                const store::Account& owner, std::string object) {
  std::optional<sched::Info> info = sched::inspect(object);
  if (!info) co_return;
  std::vector<Message> messages;
  if (info->organizer == owner.address) {
    messages = sched::organizer_delete(object);
  } else if (auto reply = sched::attendee_delete(object, owner.address)) {
    messages.push_back(std::move(*reply));
  }
  for (const Message& m : messages) {
    std::optional<std::string> unused;
    co_await send(store, options, owner.address, m, *info, unused);
  }
}

awaitable<std::optional<std::string>> schedule_freebusy(store::Store& store, const SchedulingOptions& options,
                                                        const store::Account& owner, std::string body) {
  std::optional<sched::FreeBusyRequest> req = sched::parse_freebusy_request(body);
  if (!req || req->organizer != owner.address) co_return std::nullopt;
  std::string out =
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
      "<C:schedule-response xmlns:D=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\">\n";
  for (const std::string& who : req->attendees) {
    out += "<C:response><C:recipient><D:href>mailto:" + wire::escape_xml(who) + "</D:href></C:recipient>";
    Recipient r = co_await find_recipient(store, who);
    std::optional<std::vector<sched::Period>> busy;
    if (r.where == Where::kLocal) {
      auto op = busy_of(store.dav(), options, r.account.id, req->start, req->end, std::string());
      busy = co_await std::move(op);
    }
    if (busy) {
      out += "<C:request-status>2.0;Success</C:request-status><C:calendar-data>" +
             wire::escape_xml(sched::freebusy_reply(*req, who, std::move(*busy))) + "</C:calendar-data>";
    } else if (r.where == Where::kLocal) {
      out += "<C:request-status>5.1;Service unavailable</C:request-status>";
    } else {
      out += "<C:request-status>3.7;Invalid calendar user</C:request-status>";
    }
    out += "</C:response>\n";
  }
  out += "</C:schedule-response>\n";
  co_return out;
}

}  // namespace taube::dav::server
