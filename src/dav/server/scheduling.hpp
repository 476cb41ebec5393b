// Implicit scheduling (RFC 6638 3.2) for the CalDAV handlers: after a PUT or DELETE of a
// scheduling object resource, deliver what dav/sched computes. Local attendees (accounts
// of local domains) get the iTIP message in their schedule inbox and the event in their
// default calendar; the organizer's copy takes over replies; everybody else gets an iMIP
// mail (RFC 6047) through the outbound queue. Rooms (Options::rooms) answer at once:
// ACCEPTED when their calendar is free for every instance, DECLINED otherwise.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ical/limits.hpp"
#include "store/store.hpp"

namespace taube::dav::server {

struct SchedulingOptions {
  ical::Limits ical;
  std::vector<std::string> rooms;  // addresses, lower case
};

// After `owner` stored `now` (replacing `before`, "" when new) in one of their calendars.
// Returns the object to store instead of `now` when the organizer's copy changed
// (SCHEDULE-STATUS, a room's answer), else nullopt.
boost::asio::awaitable<std::optional<std::string>> schedule_put(store::Store& store,
                                                                const SchedulingOptions& options,
                                                                const store::Account& owner,
                                                                std::string before, std::string now);
// After `owner` deleted `object` from one of their calendars.
boost::asio::awaitable<void> schedule_delete(store::Store& store, const SchedulingOptions& options,
                                             const store::Account& owner, std::string object);

// RFC 6638 5: a VFREEBUSY REQUEST POSTed to the outbox of `owner`. Returns the
// CALDAV:schedule-response XML, or nullopt when the body is not such a request.
boost::asio::awaitable<std::optional<std::string>> schedule_freebusy(store::Store& store,
                                                                     const SchedulingOptions& options,
                                                                     const store::Account& owner,
                                                                     std::string body);

}  // namespace taube::dav::server
