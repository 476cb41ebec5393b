// The CalDAV/CardDAV server (RFC 4918, 4791, 5689, 6352, 6578, 6764) as routes of the HTTP
// session: OPTIONS, PROPFIND, PROPPATCH, MKCOL, MKCALENDAR, GET/HEAD, PUT, DELETE and
// REPORT below /dav/ (URL layout in paths.hpp), PROPFIND on "/" for discovery and the
// /.well-known redirects. Requests are authenticated with Basic against the accounts,
// accepted only over TLS, from loopback (when allowed) or from a trusted proxy. Data lives
// in store::DavStore; iCalendar and vCard are validated by ical/ before they are stored.
// The routes share one read-only Context; every request runs on its session's strand.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "auth/authenticator.hpp"
#include "dav/wire/xml.hpp"
#include "http/server/session.hpp"
#include "ical/limits.hpp"
#include "ical/vcard.hpp"
#include "store/store.hpp"

namespace taube::dav::server {

struct Options {
  ical::Limits ical;         // max_object_bytes is the largest calendar object (403/413)
  ical::VcardLimits vcard;
  wire::Limits xml;          // request bodies of PROPFIND, REPORT, ...
  bool allow_plaintext_from_loopback = true;
  // Addresses of TLS-terminating proxies whose plain-HTTP requests may carry Basic
  // credentials (the proxy did TLS with the client).
  std::vector<std::string> trusted_proxies;
  std::string realm = "Taube";
  // Accounts that are rooms (lower-case addresses): they answer invitations at once,
  // ACCEPTED when free and DECLINED when busy (RFC 6638 scheduling, scheduling.hpp).
  std::vector<std::string> rooms;
};

// Adds the DAV routes to `routes`. REQUIRES: store and authenticator outlive the routes.
void add_dav_routes(http::server::Routes& routes, store::Store& store,
                    auth::Authenticator& authenticator, Options options);

// The DAV header of OPTIONS (RFC 4918 10.1, RFC 4791 5.1, RFC 6352 6.1, RFC 5689 3).
inline constexpr std::string_view kDavHeader = "1, 3, calendar-access, addressbook, extended-mkcol";

}  // namespace taube::dav::server
