#include "dav/server/service.hpp"

#include <libxml/tree.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <map>
#include <optional>
#include <set>
#include <variant>

#include "base/ascii.hpp"
#include "dav/server/filters.hpp"
#include "dav/server/paths.hpp"
#include "dav/server/scheduling.hpp"
#include "dav/wire/multistatus.hpp"
#include "dav/wire/requests.hpp"
#include "http/basic_auth.hpp"
#include "ical/calendar.hpp"
#include "ical/expand.hpp"
#include "ical/vcard.hpp"
#include "log/log.hpp"
#include "store/dav.hpp"

namespace taube::dav::server {

namespace asio = boost::asio;
using asio::awaitable;
using http::Request;
using http::Response;
using store::Access;
using store::CollectionKind;
using wire::Element;
using wire::Name;

namespace {

constexpr std::string_view kApple = "http://apple.com/ns/ical/";
constexpr std::string_view kTaube = "http://taube.invalid/ns/";
constexpr std::string_view kSyncPrefix = "data:,taube-sync/";
constexpr std::string_view kAllow =
    "OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, PROPPATCH, MKCOL, MKCALENDAR, REPORT, POST";

struct Context {
  store::Store& store;
  auth::Authenticator& authenticator;
  Options options;
  SchedulingOptions scheduling;
};

Name dav(std::string_view local) { return Name{std::string(wire::ns::kDav), std::string(local)}; }
Name cal(std::string_view local) { return Name{std::string(wire::ns::kCalDav), std::string(local)}; }
Name card(std::string_view local) { return Name{std::string(wire::ns::kCardDav), std::string(local)}; }
Name cs(std::string_view local) { return Name{std::string(wire::ns::kCalendarServer), std::string(local)}; }
Name apple(std::string_view local) { return Name{std::string(kApple), std::string(local)}; }

Element el(Name n, std::string text = {}, std::vector<Element> children = {}) {
  Element e;
  e.name = std::move(n);
  e.text = std::move(text);
  e.children = std::move(children);
  return e;
}
Element href(std::string path) { return el(dav("href"), wire::encode_href(path)); }

std::string key_of(const Name& n) { return "{" + n.ns + "}" + n.local; }

std::string http_date(std::chrono::sys_seconds t) {
  std::time_t tt = static_cast<std::time_t>(t.time_since_epoch().count());
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

Response plain(int status, std::string text) {
  return http::text_response(status, std::move(text) + "\n");
}

Response xml(int status, std::string body) {
  Response r;
  r.status = status;
  r.headers.push_back({"Content-Type", "application/xml; charset=utf-8"});
  r.body = std::move(body);
  return r;
}

// RFC 4918 16: a DAV:error body naming the precondition, with a sentence for people.
Response precondition(int status, const Name& name, std::string_view reason,
                      std::vector<Element> children = {}) {
  std::string body = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:error xmlns:D=\"DAV:\"";
  std::string inner = "<P:" + name.local + " xmlns:P=\"" + wire::escape_xml(name.ns) + "\"";
  if (children.empty()) {
    inner += "/>";
  } else {
    inner += ">";
    for (const Element& c : children)  // hrefs only (no-uid-conflict)
      inner += "<D:href>" + wire::escape_xml(c.text) + "</D:href>";
    inner += "</P:" + name.local + ">";
  }
  body += ">" + inner + "<T:reason xmlns:T=\"" + std::string(kTaube) + "\">" +
          wire::escape_xml(reason) + "</T:reason></D:error>\n";
  return xml(status, std::move(body));
}

Response bad_body(const wire::Invalid& invalid) {
  return plain(invalid.too_large ? 413 : 400, invalid.reason);
}

Response store_error(const Error& e) {
  switch (e.code) {
    case ErrorCode::kNotFound: return plain(404, "not found");
    case ErrorCode::kPermissionDenied: return plain(403, "forbidden");
    case ErrorCode::kConflict: return plain(412, "precondition failed");
    case ErrorCode::kAlreadyExists: return plain(409, "already exists");
    case ErrorCode::kInvalidArgument: return plain(400, "invalid: " + e.detail);
    case ErrorCode::kTooLarge: return plain(413, "too large");
    case ErrorCode::kBusy:
    case ErrorCode::kUnavailable: {
      Response r = plain(503, "store unavailable, try again");
      r.headers.push_back({"Retry-After", "5"});
      return r;
    }
    default: return plain(500, "internal error");
  }
}

bool is_calendar_kind(CollectionKind k) {
  return k == CollectionKind::kCalendar || k == CollectionKind::kScheduleInbox ||
         k == CollectionKind::kScheduleOutbox;
}
bool in_space(const store::Collection& c, Space s) {
  return s == Space::kCalendars ? is_calendar_kind(c.kind) : c.kind == CollectionKind::kAddressBook;
}

std::string sync_token(const store::Collection& c) {
  return std::string(kSyncPrefix) + std::to_string(c.id.value) + "/" + std::to_string(c.sync_token);
}

// The token number of a sync-token of collection `c`; nullopt when it is not one of ours.
std::optional<std::uint64_t> parse_sync_token(std::string_view t, const store::Collection& c) {
  if (t.empty()) return 0;
  std::string prefix = std::string(kSyncPrefix) + std::to_string(c.id.value) + "/";
  if (t.substr(0, prefix.size()) != prefix) return std::nullopt;
  t.remove_prefix(prefix.size());
  std::uint64_t n = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
  if (ec != std::errc() || p != t.data() + t.size()) return std::nullopt;
  return n;
}

// "\"abc\"" -> "abc"; weak or malformed tags never match a strong etag (RFC 7232 2.3.2).
std::optional<std::string> strong_tag(std::string_view v) {
  v = ascii::trim(v);
  if (v.size() < 2 || v.front() != '"' || v.back() != '"') return std::nullopt;
  return std::string(v.substr(1, v.size() - 2));
}

// Children names and their "name" attributes of a property element sent by a client
// (resourcetype, supported-calendar-component-set). The element was parsed before.
struct Child {
  Name name;
  std::string name_attr;
};
std::vector<Child> children_of(const std::string& element_xml, const wire::Limits& limits) {
  std::vector<Child> out;
  auto doc = wire::parse_xml(element_xml, limits);
  auto* d = std::get_if<wire::Doc>(&doc);
  if (d == nullptr) return out;
  xmlNode* root = xmlDocGetRootElement(d->get());
  if (root == nullptr) return out;
  for (xmlNode* c = root->children; c != nullptr; c = c->next) {
    if (c->type != XML_ELEMENT_NODE) continue;
    Child ch;
    ch.name.ns = c->ns != nullptr ? reinterpret_cast<const char*>(c->ns->href) : "";
    ch.name.local = reinterpret_cast<const char*>(c->name);
    if (xmlChar* a = xmlGetNoNsProp(c, reinterpret_cast<const xmlChar*>("name"))) {
      ch.name_attr = reinterpret_cast<const char*>(a);
      xmlFree(a);
    }
    out.push_back(std::move(ch));
  }
  return out;
}

// What one response of a PROPFIND or REPORT describes.
struct Target {
  enum class Kind { kRoot, kPrincipal, kHome, kCollection, kObject };
  Kind kind = Kind::kRoot;
  std::string href;
  Space space = Space::kCalendars;
  std::string user;                     // principal/home owner
  const store::Collection* collection = nullptr;
  const store::DavResource* resource = nullptr;
  std::optional<std::string> data;      // calendar-data / address-data for REPORTs
};

class Exchange {
 public:
  Exchange(const Context& ctx, const Request& req, store::Account actor)
      : ctx_(ctx), req_(req), actor_(std::move(actor)), dav_(ctx.store.dav()) {}

  awaitable<Response> run();

 private:
  // --- resolution ---
  awaitable<std::optional<Response>> resolve(const Path& p);
  // --- methods ---
  awaitable<Response> propfind(const Path& p);
  awaitable<Response> proppatch(const Path& p);
  awaitable<Response> mkcol(const Path& p, bool mkcalendar);
  awaitable<Response> get(const Path& p);
  awaitable<Response> put(const Path& p);
  awaitable<Response> remove(const Path& p);
  awaitable<Response> post(const Path& p);
  awaitable<Response> report(const Path& p);
  awaitable<Response> calendar_query(const wire::CalendarQuery& q);
  awaitable<Response> multiget(const Path& p, const wire::ReportProps& props,
                               const std::vector<std::string>& hrefs);
  awaitable<Response> freebusy(const wire::FreeBusyQuery& q);
  awaitable<Response> addressbook_query(const wire::AddressbookQuery& q);
  awaitable<Response> sync_collection(const wire::SyncCollection& q);

  // --- properties ---
  std::optional<Element> live(const Target& t, const Name& n) const;
  std::vector<Name> live_names(const Target& t) const;
  wire::Response describe(const Target& t, const wire::Propfind& pf) const;
  std::optional<std::string> report_data(const store::DavResource& r, const wire::ReportProps& props,
                                         bool& too_many) const;
  Target collection_target(const store::Collection& c) const { return collection_target(c, owner_.address); }
  Target collection_target(const store::Collection& c, const std::string& owner_address) const;
  Target object_target(const store::DavResource& r) const;

  const Context& ctx_;
  const Request& req_;
  store::Account actor_;
  store::DavStore& dav_;
  // Filled by resolve().
  store::Account owner_;
  std::optional<store::Collection> collection_;
};

awaitable<std::optional<Response>> Exchange::resolve(const Path& p) {
  if (p.kind == Path::Kind::kRoot || p.kind == Path::Kind::kDavRoot ||
      p.kind == Path::Kind::kPrincipals)
    co_return std::nullopt;
  std::string user = p.user;
  auto owner = co_await ctx_.store.find_account(user);
  if (!owner) {
    if (owner.error().code == ErrorCode::kNotFound) co_return plain(404, "no such user");
    co_return store_error(owner.error());
  }
  owner_ = *owner;
  if (p.kind == Path::Kind::kPrincipal) {
    if (owner_.id != actor_.id) co_return plain(404, "not found");
    co_return std::nullopt;
  }
  if (p.kind == Path::Kind::kHome) co_return std::nullopt;
  std::string name = p.collection;
  auto c = co_await dav_.get_collection(actor_.id, owner_.id, name);
  if (!c) {
    if (c.error().code == ErrorCode::kNotFound) {
      // RFC 4918 9.7.1: a PUT into a missing collection is a conflict; anything else 404.
      bool put = p.kind == Path::Kind::kObject && req_.method == "PUT";
      co_return plain(put ? 409 : 404, "no such collection");
    }
    co_return store_error(c.error());
  }
  if (!in_space(*c, p.space)) co_return plain(404, "not found");
  collection_ = std::move(*c);
  co_return std::nullopt;
}

awaitable<Response> Exchange::run() {
  Path p = parse_path(req_.path());
  if (p.kind == Path::Kind::kInvalid) co_return plain(404, "not found");
  const std::string& m = req_.method;
  // MKCOL names a collection that does not exist yet: resolve its owner only.
  Path owner_only = p;
  if ((m == "MKCOL" || m == "MKCALENDAR") && p.kind == Path::Kind::kCollection)
    owner_only.kind = Path::Kind::kHome;
  std::optional<Response> failed = co_await resolve(owner_only);
  if (failed) co_return std::move(*failed);
  if (m == "PROPFIND") co_return co_await propfind(p);
  if (m == "PROPPATCH") co_return co_await proppatch(p);
  if (m == "MKCOL") co_return co_await mkcol(p, false);
  if (m == "MKCALENDAR") co_return co_await mkcol(p, true);
  if (m == "GET" || m == "HEAD") co_return co_await get(p);
  if (m == "PUT") co_return co_await put(p);
  if (m == "DELETE") co_return co_await remove(p);
  if (m == "REPORT") co_return co_await report(p);
  if (m == "POST") co_return co_await post(p);
  Response r = plain(405, "method not allowed");
  r.headers.push_back({"Allow", std::string(kAllow)});
  co_return r;
}

// ---------------------------------------------------------------- properties

Target Exchange::collection_target(const store::Collection& c, const std::string& owner_address) const {
  Target t;
  t.kind = Target::Kind::kCollection;
  t.space = c.kind == CollectionKind::kAddressBook ? Space::kAddressbooks : Space::kCalendars;
  t.user = owner_address;
  t.href = collection_path(t.space, owner_address, c.name);
  t.collection = &c;
  return t;
}

Target Exchange::object_target(const store::DavResource& r) const {
  Target t;
  t.kind = Target::Kind::kObject;
  t.space = collection_->kind == CollectionKind::kAddressBook ? Space::kAddressbooks : Space::kCalendars;
  t.user = owner_.address;
  t.href = object_path(t.space, owner_.address, collection_->name, r.name);
  t.collection = &*collection_;
  t.resource = &r;
  return t;
}

std::vector<Name> Exchange::live_names(const Target& t) const {
  std::vector<Name> n = {dav("resourcetype"), dav("current-user-principal"),
                         dav("principal-collection-set"), dav("supported-report-set")};
  switch (t.kind) {
    case Target::Kind::kRoot: break;
    case Target::Kind::kPrincipal:
      for (Name x : {dav("displayname"), dav("principal-URL"), cal("calendar-home-set"),
                     card("addressbook-home-set"), cal("calendar-user-address-set"),
                     cal("schedule-inbox-URL"), cal("schedule-outbox-URL")})
        n.push_back(x);
      break;
    case Target::Kind::kHome:
      n.push_back(dav("owner"));
      n.push_back(dav("current-user-privilege-set"));
      break;
    case Target::Kind::kCollection:
      for (Name x : {dav("displayname"), dav("owner"), dav("current-user-privilege-set"),
                     dav("sync-token"), cs("getctag")})
        n.push_back(x);
      if (t.space == Space::kCalendars) {
        for (Name x : {cal("calendar-description"), cal("supported-calendar-component-set"),
                       cal("supported-calendar-data"), cal("max-resource-size"),
                       apple("calendar-color")})
          n.push_back(x);
        if (!t.collection->timezone.empty()) n.push_back(cal("calendar-timezone"));
      } else {
        for (Name x : {card("addressbook-description"), card("supported-address-data"),
                       card("max-resource-size")})
          n.push_back(x);
      }
      break;
    case Target::Kind::kObject:
      for (Name x : {dav("getetag"), dav("getcontenttype"), dav("getcontentlength"),
                     dav("getlastmodified"), dav("owner"), dav("current-user-privilege-set")})
        n.push_back(x);
      break;
  }
  return n;
}

std::optional<Element> Exchange::live(const Target& t, const Name& n) const {
  const std::string me = actor_.address;
  const bool object = t.kind == Target::Kind::kObject;
  const bool collection = t.kind == Target::Kind::kCollection;
  if (n == dav("resourcetype")) {
    Element e = el(n);
    if (object) return e;
    e.children.push_back(el(dav("collection")));
    if (t.kind == Target::Kind::kPrincipal) e.children.push_back(el(dav("principal")));
    if (collection) {
      switch (t.collection->kind) {
        case CollectionKind::kCalendar: e.children.push_back(el(cal("calendar"))); break;
        case CollectionKind::kAddressBook: e.children.push_back(el(card("addressbook"))); break;
        case CollectionKind::kScheduleInbox: e.children.push_back(el(cal("schedule-inbox"))); break;
        case CollectionKind::kScheduleOutbox: e.children.push_back(el(cal("schedule-outbox"))); break;
      }
    }
    return e;
  }
  if (n == dav("current-user-principal")) return el(n, {}, {href(principal_path(me))});
  if (n == dav("principal-collection-set")) return el(n, {}, {href("/dav/principals/")});
  if (n == dav("supported-report-set")) {
    std::vector<std::string_view> reports;
    std::vector<Name> names;
    if (collection && t.collection->kind == CollectionKind::kCalendar)
      names = {cal("calendar-query"), cal("calendar-multiget"), cal("free-busy-query"),
               dav("sync-collection")};
    else if (collection && t.collection->kind == CollectionKind::kAddressBook)
      names = {card("addressbook-query"), card("addressbook-multiget"), dav("sync-collection")};
    else if (collection)
      names = {cal("calendar-query"), cal("calendar-multiget"), dav("sync-collection")};
    Element e = el(n);
    for (Name& r : names)
      e.children.push_back(el(dav("supported-report"), {}, {el(dav("report"), {}, {el(std::move(r))})}));
    return e;
  }
  if (t.kind == Target::Kind::kPrincipal) {
    if (n == dav("displayname")) return el(n, t.user);
    if (n == dav("principal-URL")) return el(n, {}, {href(principal_path(t.user))});
    if (n == cal("calendar-home-set")) return el(n, {}, {href(home_path(Space::kCalendars, t.user))});
    if (n == card("addressbook-home-set"))
      return el(n, {}, {href(home_path(Space::kAddressbooks, t.user))});
    if (n == cal("calendar-user-address-set"))
      return el(n, {}, {href("mailto:" + t.user), href(principal_path(t.user))});
    if (n == cal("schedule-inbox-URL"))
      return el(n, {}, {href(collection_path(Space::kCalendars, t.user, store::kScheduleInbox))});
    if (n == cal("schedule-outbox-URL"))
      return el(n, {}, {href(collection_path(Space::kCalendars, t.user, store::kScheduleOutbox))});
    return std::nullopt;
  }
  if (n == dav("owner") && t.kind != Target::Kind::kRoot)
    return el(n, {}, {href(principal_path(t.user))});
  if (n == dav("current-user-privilege-set") && t.kind != Target::Kind::kRoot) {
    Access a = t.collection != nullptr ? t.collection->access
                                       : (t.user == me ? Access::kOwner : Access::kRead);
    std::vector<std::string_view> privs = {"read", "read-current-user-privilege-set"};
    if (a >= Access::kReadWrite)
      for (std::string_view p : {"write", "write-content", "bind", "unbind"}) privs.push_back(p);
    if (a >= Access::kOwner)
      for (std::string_view p : {"write-properties", "all"}) privs.push_back(p);
    Element e = el(n);
    for (std::string_view p : privs) e.children.push_back(el(dav("privilege"), {}, {el(dav(p))}));
    if (t.space == Space::kCalendars)
      e.children.push_back(el(dav("privilege"), {}, {el(cal("read-free-busy"))}));
    return e;
  }
  if (collection) {
    const store::Collection& c = *t.collection;
    bool calendar = t.space == Space::kCalendars;
    if (n == dav("displayname")) {
      if (c.displayname.empty()) return el(n, c.name);
      return el(n, c.displayname);
    }
    if (n == dav("sync-token")) return el(n, sync_token(c));
    if (n == cs("getctag")) return el(n, std::to_string(c.sync_token));
    if (calendar && n == cal("calendar-description")) return el(n, c.description);
    if (!calendar && n == card("addressbook-description")) return el(n, c.description);
    if (calendar && n == apple("calendar-color")) {
      if (c.color.empty()) return std::nullopt;
      return el(n, c.color);
    }
    if (calendar && n == cal("calendar-timezone")) {
      if (c.timezone.empty()) return std::nullopt;
      return el(n, c.timezone);
    }
    if (calendar && n == cal("supported-calendar-component-set")) {
      std::vector<std::string> comps = c.components;
      if (comps.empty()) comps = {"VEVENT", "VTODO", "VJOURNAL"};
      Element e = el(n);
      for (const std::string& comp : comps) {
        Element x = el(cal("comp"));
        x.attributes.push_back({"name", comp});
        e.children.push_back(std::move(x));
      }
      return e;
    }
    if (calendar && n == cal("supported-calendar-data")) {
      Element x = el(cal("calendar-data"));
      x.attributes = {{"content-type", "text/calendar"}, {"version", "2.0"}};
      return el(n, {}, {x});
    }
    if (!calendar && n == card("supported-address-data")) {
      Element v3 = el(card("address-data-type"));
      v3.attributes = {{"content-type", "text/vcard"}, {"version", "3.0"}};
      Element v4 = el(card("address-data-type"));
      v4.attributes = {{"content-type", "text/vcard"}, {"version", "4.0"}};
      return el(n, {}, {v3, v4});
    }
    if ((calendar && n == cal("max-resource-size")) || (!calendar && n == card("max-resource-size")))
      return el(n, std::to_string(calendar ? ctx_.options.ical.max_object_bytes
                                           : ctx_.options.vcard.max_object_bytes));
    return std::nullopt;
  }
  if (object) {
    const store::DavResource& r = *t.resource;
    if (n == dav("getetag")) return el(n, "\"" + r.etag + "\"");
    if (n == dav("getcontenttype")) return el(n, r.content_type);
    if (n == dav("getcontentlength")) return el(n, std::to_string(r.size));
    if (n == dav("getlastmodified")) return el(n, http_date(r.modified));
    if (t.data && (n == cal("calendar-data") || n == card("address-data"))) return el(n, *t.data);
    return std::nullopt;
  }
  if (t.kind == Target::Kind::kHome) {
    if (n == dav("displayname")) return el(n, t.user);
  }
  return std::nullopt;
}

wire::Response Exchange::describe(const Target& t, const wire::Propfind& pf) const {
  wire::Response r;
  r.hrefs.push_back(t.href);
  wire::PropStat ok{200, {}};
  wire::PropStat missing{404, {}};
  const std::map<std::string, std::string>* dead =
      t.kind == Target::Kind::kCollection ? &t.collection->properties : nullptr;
  auto add_dead_or_missing = [&](const Name& n) {
    if (dead != nullptr) {
      if (auto it = dead->find(key_of(n)); it != dead->end()) {
        wire::Property p;
        p.raw_element = it->second;
        ok.props.push_back(std::move(p));
        return;
      }
    }
    missing.props.push_back(wire::Property{el(n), {}});
  };
  switch (pf.kind) {
    case wire::Propfind::Kind::kPropName: {
      for (const Name& n : live_names(t))
        if (live(t, n)) ok.props.push_back(wire::Property{el(n), {}});
      if (dead != nullptr) {
        for (const auto& [k, v] : *dead) {
          auto close = k.find('}');
          if (close == std::string::npos) continue;
          ok.props.push_back(wire::Property{el(Name{k.substr(1, close - 1), k.substr(close + 1)}), {}});
        }
      }
      break;
    }
    case wire::Propfind::Kind::kAllProp: {
      for (const Name& n : live_names(t))
        if (auto e = live(t, n)) ok.props.push_back(wire::Property{std::move(*e), {}});
      if (dead != nullptr)
        for (const auto& [k, v] : *dead) ok.props.push_back(wire::Property{{}, v});
      for (const Name& n : pf.include) {
        bool listed = false;
        for (const Name& l : live_names(t)) listed = listed || l == n;
        if (listed) continue;
        if (auto e = live(t, n)) ok.props.push_back(wire::Property{std::move(*e), {}});
      }
      break;
    }
    case wire::Propfind::Kind::kProp: {
      for (const Name& n : pf.props) {
        if (auto e = live(t, n)) ok.props.push_back(wire::Property{std::move(*e), {}});
        else add_dead_or_missing(n);
      }
      break;
    }
  }
  if (!ok.props.empty() || missing.props.empty()) r.propstats.push_back(std::move(ok));
  if (!missing.props.empty()) r.propstats.push_back(std::move(missing));
  return r;
}

// ---------------------------------------------------------------- PROPFIND

awaitable<Response> Exchange::propfind(const Path& p) {
  int depth = 0;
  if (auto d = req_.header("Depth")) {
    std::string_view v = ascii::trim(*d);
    if (v == "1") depth = 1;
    else if (v == "0") depth = 0;
    else co_return precondition(403, dav("propfind-finite-depth"), "Depth infinity is not supported");
  }
  auto parsed = wire::parse_propfind(req_.body, ctx_.options.xml);
  if (auto* bad = std::get_if<wire::Invalid>(&parsed)) co_return bad_body(*bad);
  const wire::Propfind& pf = std::get<wire::Propfind>(parsed);
  std::vector<wire::Response> out;
  switch (p.kind) {
    case Path::Kind::kRoot:
    case Path::Kind::kDavRoot:
    case Path::Kind::kPrincipals: {
      Target t;
      t.href = p.kind == Path::Kind::kRoot ? "/" : p.kind == Path::Kind::kDavRoot ? "/dav/" : "/dav/principals/";
      t.user = actor_.address;
      out.push_back(describe(t, pf));
      if (depth == 1 && p.kind == Path::Kind::kPrincipals) {
        Target me;
        me.kind = Target::Kind::kPrincipal;
        me.user = actor_.address;
        me.href = principal_path(actor_.address);
        out.push_back(describe(me, pf));
      }
      break;
    }
    case Path::Kind::kPrincipal: {
      Target t;
      t.kind = Target::Kind::kPrincipal;
      t.user = owner_.address;
      t.href = principal_path(owner_.address);
      out.push_back(describe(t, pf));
      break;
    }
    case Path::Kind::kHome: {
      auto list = co_await dav_.list_collections(actor_.id, owner_.id);
      if (!list) co_return store_error(list.error());
      if (owner_.id != actor_.id && list->empty()) co_return plain(404, "not found");
      Target t;
      t.kind = Target::Kind::kHome;
      t.space = p.space;
      t.user = owner_.address;
      t.href = home_path(p.space, owner_.address);
      out.push_back(describe(t, pf));
      if (depth == 1)
        for (const store::Collection& c : *list)
          if (in_space(c, p.space)) out.push_back(describe(collection_target(c), pf));
      if (depth == 1 && owner_.id == actor_.id) {
        // Collections shared with the user appear in their own home listing (with the
        // owner's href), so that clients that only look at the home find them.
        auto shared = co_await dav_.list_shared_with(actor_.id);
        if (!shared) co_return store_error(shared.error());
        std::map<std::int64_t, std::string> owners;
        for (const store::Collection& c : *shared) {
          if (!in_space(c, p.space)) continue;
          auto known = owners.find(c.owner.value);
          if (known == owners.end()) {
            store::AccountId id = c.owner;
            auto account = co_await ctx_.store.get_account(id);
            if (!account) continue;  // deleted meanwhile
            known = owners.emplace(c.owner.value, account->address).first;
          }
          out.push_back(describe(collection_target(c, known->second), pf));
        }
      }
      break;
    }
    case Path::Kind::kCollection: {
      out.push_back(describe(collection_target(*collection_), pf));
      if (depth == 1) {
        auto list = co_await dav_.list_resources(actor_.id, collection_->id, store::ResourceFilter{});
        if (!list) co_return store_error(list.error());
        for (const store::DavResource& r : *list) out.push_back(describe(object_target(r), pf));
      }
      break;
    }
    case Path::Kind::kObject: {
      std::string name = p.name;
      auto r = co_await dav_.get_resource(actor_.id, collection_->id, name);
      if (!r) co_return store_error(r.error());
      out.push_back(describe(object_target(*r), pf));
      break;
    }
    case Path::Kind::kInvalid: co_return plain(404, "not found");
  }
  co_return xml(207, wire::write_multistatus(out));
}

// ---------------------------------------------------------------- PROPPATCH / MKCOL

// How one property of a PROPPATCH or MKCOL lands in the store; false: protected.
bool apply_property(const wire::PropertyValue& v, bool remove, Space space,
                    store::CollectionPatch& patch) {
  const Name& n = v.name;
  std::string text = remove ? std::string() : v.text;
  if (n == dav("displayname")) {
    patch.displayname = text;
  } else if ((space == Space::kCalendars && n == cal("calendar-description")) ||
             (space == Space::kAddressbooks && n == card("addressbook-description"))) {
    patch.description = text;
  } else if (space == Space::kCalendars && n == apple("calendar-color")) {
    patch.color = text;
  } else if (space == Space::kCalendars && n == cal("calendar-timezone")) {
    patch.timezone = text;
  } else if (n.ns == wire::ns::kDav || n == cal("supported-calendar-component-set") ||
             n == cs("getctag") || n.local == "max-resource-size" ||
             n == card("supported-address-data") || n == cal("supported-calendar-data")) {
    return false;  // live properties of RFC 4918 and the protected CalDAV/CardDAV ones
  } else {
    if (remove) patch.properties[key_of(n)] = std::nullopt;
    else patch.properties[key_of(n)] = v.element_xml;
  }
  return true;
}

awaitable<Response> Exchange::proppatch(const Path& p) {
  if (p.kind != Path::Kind::kCollection) co_return plain(403, "properties can be changed on collections only");
  if (collection_->access < Access::kOwner) co_return plain(403, "only the owner changes properties");
  auto parsed = wire::parse_proppatch(req_.body, ctx_.options.xml);
  if (auto* bad = std::get_if<wire::Invalid>(&parsed)) co_return bad_body(*bad);
  const wire::PropertyUpdate& update = std::get<wire::PropertyUpdate>(parsed);
  store::CollectionPatch patch;
  std::vector<Name> refused;
  std::vector<Name> names;
  for (const auto& op : update.ops) {
    names.push_back(op.property.name);
    if (!apply_property(op.property, op.remove, p.space, patch)) refused.push_back(op.property.name);
  }
  wire::Response r;
  r.hrefs.push_back(collection_path(p.space, owner_.address, collection_->name));
  if (!refused.empty()) {
    // RFC 4918 9.2: all or nothing; the refused ones 403, the others 424.
    wire::PropStat forbidden{403, {}};
    wire::PropStat dependency{424, {}};
    for (const Name& n : names) {
      bool bad = std::find(refused.begin(), refused.end(), n) != refused.end();
      (bad ? forbidden : dependency).props.push_back(wire::Property{el(n), {}});
    }
    r.propstats.push_back(std::move(forbidden));
    if (!dependency.props.empty()) r.propstats.push_back(std::move(dependency));
    r.error = el(dav("cannot-modify-protected-property"));
    co_return xml(207, wire::write_multistatus({r}));
  }
  auto done = co_await dav_.update_collection(actor_.id, collection_->id, std::move(patch));
  if (!done) co_return store_error(done.error());
  wire::PropStat ok{200, {}};
  for (const Name& n : names) ok.props.push_back(wire::Property{el(n), {}});
  r.propstats.push_back(std::move(ok));
  co_return xml(207, wire::write_multistatus({r}));
}

awaitable<Response> Exchange::mkcol(const Path& p, bool mkcalendar) {
  if (p.kind == Path::Kind::kObject) co_return plain(409, "collections are created in a home");
  if (p.kind != Path::Kind::kCollection) co_return plain(405, "cannot create a collection here");
  if (owner_.id != actor_.id) co_return plain(403, "collections are created in your own home");
  if (mkcalendar && p.space != Space::kCalendars)
    co_return precondition(403, cal("calendar-collection-location-ok"), "calendars live below /dav/calendars/");
  std::string name = p.collection;
  auto existing = co_await dav_.get_collection(actor_.id, owner_.id, name);
  if (existing) co_return plain(405, "the collection exists");
  auto parsed = wire::parse_mkcol(req_.body, ctx_.options.xml);
  if (auto* bad = std::get_if<wire::Invalid>(&parsed)) co_return bad_body(*bad);
  const wire::MkcolBody& body = std::get<wire::MkcolBody>(parsed);
  store::NewCollection nc;
  nc.name = p.collection;
  nc.kind = p.space == Space::kCalendars ? CollectionKind::kCalendar : CollectionKind::kAddressBook;
  store::CollectionPatch patch;
  for (const wire::PropertyValue& v : body.set) {
    if (v.name == dav("resourcetype")) {
      // RFC 5689 3.1: the resourcetype says what to create; it must fit the home.
      bool is_cal = false, is_card = false;
      for (const Child& c : children_of(v.element_xml, ctx_.options.xml)) {
        is_cal = is_cal || c.name == cal("calendar");
        is_card = is_card || c.name == card("addressbook");
      }
      if ((is_cal && p.space != Space::kCalendars) || (is_card && p.space != Space::kAddressbooks) ||
          (!is_cal && !is_card))
        co_return precondition(403, dav("valid-resourcetype"),
                               "only calendars below /dav/calendars/ and address books below /dav/addressbooks/");
      continue;
    }
    if (p.space == Space::kCalendars && v.name == cal("supported-calendar-component-set")) {
      for (const Child& c : children_of(v.element_xml, ctx_.options.xml)) {
        std::string comp = ascii::upper(c.name_attr);
        if (comp != "VEVENT" && comp != "VTODO" && comp != "VJOURNAL" && comp != "VFREEBUSY")
          co_return precondition(403, cal("supported-calendar-component"), "unknown component " + comp.substr(0, 32));
        nc.components.push_back(comp);
      }
      continue;
    }
    if (!apply_property(v, false, p.space, patch))
      co_return precondition(403, dav("cannot-modify-protected-property"), v.name.local + " cannot be set");
  }
  nc.displayname = patch.displayname.value_or("");
  nc.description = patch.description.value_or("");
  nc.color = patch.color.value_or("");
  nc.timezone = patch.timezone.value_or("");
  for (auto& [k, v] : patch.properties)
    if (v) nc.properties[k] = *v;
  auto created = co_await dav_.create_collection(actor_.id, owner_.id, std::move(nc));
  if (!created) {
    if (created.error().code == ErrorCode::kAlreadyExists) co_return plain(405, "the collection exists");
    if (created.error().code == ErrorCode::kInvalidArgument) co_return plain(403, "bad collection name");
    co_return store_error(created.error());
  }
  Response r;
  r.status = 201;
  r.headers.push_back({"Location", collection_path(p.space, owner_.address, name)});
  co_return r;
}

// ---------------------------------------------------------------- GET / PUT / DELETE

awaitable<Response> Exchange::get(const Path& p) {
  if (p.kind != Path::Kind::kObject) {
    Response r = plain(200, "This is a CalDAV/CardDAV collection; use a CalDAV or CardDAV client.");
    if (p.kind == Path::Kind::kCollection) {
      r.headers.push_back({"ETag", "\"ctag-" + std::to_string(collection_->sync_token) + "\""});
    }
    co_return r;
  }
  std::string name = p.name;
  auto r = co_await dav_.get_resource(actor_.id, collection_->id, name);
  if (!r) co_return store_error(r.error());
  Response out;
  out.status = 200;
  out.headers.push_back({"Content-Type", r->content_type});
  out.headers.push_back({"ETag", "\"" + r->etag + "\""});
  out.headers.push_back({"Last-Modified", http_date(r->modified)});
  out.body = std::move(r->content);
  co_return out;
}

awaitable<Response> Exchange::put(const Path& p) {
  if (p.kind != Path::Kind::kObject) co_return plain(405, "PUT is for resources inside a collection");
  const store::Collection& c = *collection_;
  if (c.kind == CollectionKind::kScheduleInbox || c.kind == CollectionKind::kScheduleOutbox)
    co_return plain(403, "scheduling collections are not writable with PUT");
  if (c.access < Access::kReadWrite) co_return plain(403, "read-only collection");
  std::string type(req_.header("Content-Type").value_or(""));
  std::string base = ascii::lower(ascii::trim(type.substr(0, type.find(';'))));
  store::DavPut put;
  put.name = p.name;
  put.content = req_.body;
  if (c.kind == CollectionKind::kCalendar) {
    if (!base.empty() && base != "text/calendar")
      co_return precondition(403, cal("supported-calendar-data"), "the body must be text/calendar");
    if (req_.body.size() > ctx_.options.ical.max_object_bytes)
      co_return precondition(413, cal("max-resource-size"), "the calendar object is too large");
    auto parsed = ical::Calendar::parse(req_.body, ctx_.options.ical);
    if (auto* bad = std::get_if<ical::Invalid>(&parsed)) {
      switch (bad->violation) {
        case ical::Violation::kTooLarge:
          co_return precondition(413, cal("max-resource-size"), bad->reason);
        case ical::Violation::kSyntax:
        case ical::Violation::kNotCalendar:
          co_return precondition(403, cal("valid-calendar-data"), bad->reason);
        case ical::Violation::kObjectRules:
          co_return precondition(403, cal("valid-calendar-object-resource"), bad->reason);
      }
    }
    const ical::Calendar& calendar = std::get<ical::Calendar>(parsed);
    std::string kind(ical::to_string(calendar.kind()));
    if (!c.components.empty() &&
        std::find(c.components.begin(), c.components.end(), kind) == c.components.end())
      co_return precondition(403, cal("supported-calendar-component"),
                             kind + " is not supported by this calendar");
    ical::Span s = ical::span(calendar, ctx_.options.ical);
    put.uid = calendar.uid();
    put.component = kind;
    put.range_start = s.start;
    put.range_end = s.end;
    put.content_type = "text/calendar; charset=utf-8";
  } else {
    if (!base.empty() && base != "text/vcard" && base != "text/x-vcard")
      co_return precondition(403, card("supported-address-data"), "the body must be text/vcard");
    if (req_.body.size() > ctx_.options.vcard.max_object_bytes)
      co_return precondition(413, card("max-resource-size"), "the vCard is too large");
    auto parsed = ical::parse_vcard(req_.body, ctx_.options.vcard);
    if (auto* bad = std::get_if<ical::VcardInvalid>(&parsed))
      co_return precondition(403, card("valid-address-data"), bad->reason);
    put.uid = std::get<ical::Vcard>(parsed).uid;
    put.component = "VCARD";
    put.content_type = "text/vcard; charset=utf-8";
  }
  if (auto m = req_.header("If-Match")) {
    if (ascii::trim(*m) == "*") {
      std::string name = p.name;
      auto existing = co_await dav_.get_resource(actor_.id, c.id, name);
      if (!existing) co_return plain(412, "precondition failed: no such resource");
      put.if_match = existing->etag;
    } else {
      auto tag = strong_tag(*m);
      put.if_match = tag ? *tag : std::string("\x01never");
    }
  }
  if (auto n = req_.header("If-None-Match")) {
    if (ascii::trim(*n) == "*") put.if_none_match = true;
    else co_return plain(412, "only If-None-Match: * is supported on PUT");
  }
  std::string uid = put.uid;
  // Implicit scheduling (RFC 6638 3.2) needs the previous version of the object.
  bool scheduling = c.kind == CollectionKind::kCalendar &&
                    req_.body.find("ORGANIZER") != std::string::npos;
  std::string before;
  if (scheduling) {
    std::string name = p.name;
    auto existing = co_await dav_.get_resource(actor_.id, c.id, name);
    if (existing) before = std::move(existing->content);
  }
  std::optional<store::DavPut> again;
  if (scheduling) again = put;
  auto done = co_await dav_.put_resource(actor_.id, c.id, std::move(put));
  if (!done) {
    if (done.error().code == ErrorCode::kAlreadyExists) {
      // RFC 4791 5.3.2.1 / RFC 6352 6.3.2.1: name the resource that holds the UID.
      std::vector<Element> where;
      auto refs = co_await dav_.find_uid(actor_.id, owner_.id, uid);
      if (refs) {
        for (const store::ResourceRef& ref : *refs)
          if (ref.collection == c.id && ref.name != p.name)
            where.push_back(el(dav("href"), wire::encode_href(object_path(p.space, owner_.address, c.name, ref.name))));
      }
      Name n = c.kind == CollectionKind::kCalendar ? cal("no-uid-conflict") : card("no-uid-conflict");
      co_return precondition(403, n, "another resource in this collection has the same UID", where);
    }
    if (done.error().code == ErrorCode::kConflict) co_return plain(412, "precondition failed: etag does not match");
    if (done.error().code == ErrorCode::kNotFound) co_return plain(409, "no such collection");
    co_return store_error(done.error());
  }
  Response r;
  r.status = done->created ? 201 : 204;
  std::optional<std::string> changed;
  if (scheduling) {
    std::string now = req_.body;
    changed = co_await schedule_put(ctx_.store, ctx_.scheduling, owner_, std::move(before), std::move(now));
  }
  if (changed && again && *changed != req_.body) {
    // The organizer's copy now carries SCHEDULE-STATUS (and rooms' answers): store it and
    // send no ETag, the client must fetch the object again (RFC 6638 3.2, RFC 4791 5.3.4).
    again->content = std::move(*changed);
    again->if_match = done->etag;
    again->if_none_match = false;
    auto stored = co_await dav_.put_resource(actor_.id, c.id, std::move(*again));
    if (!stored) log::warn("dav.sched.organizer_copy_not_updated", {{"error", stored.error().detail}});
    co_return r;
  }
  r.headers.push_back({"ETag", "\"" + done->etag + "\""});
  co_return r;
}

awaitable<Response> Exchange::remove(const Path& p) {
  if (p.kind == Path::Kind::kObject) {
    std::optional<std::string> if_match;
    if (auto m = req_.header("If-Match")) {
      if (ascii::trim(*m) != "*") {
        auto tag = strong_tag(*m);
        if_match = tag ? *tag : std::string("\x01never");
      }
    }
    std::string name = p.name;
    std::string before;
    if (collection_->kind == CollectionKind::kCalendar) {
      auto existing = co_await dav_.get_resource(actor_.id, collection_->id, name);
      if (existing) before = std::move(existing->content);
    }
    auto done = co_await dav_.delete_resource(actor_.id, collection_->id, name, if_match);
    if (!done) {
      if (done.error().code == ErrorCode::kConflict) co_return plain(412, "precondition failed: etag does not match");
      co_return store_error(done.error());
    }
    if (before.find("ORGANIZER") != std::string::npos)
      co_await schedule_delete(ctx_.store, ctx_.scheduling, owner_, std::move(before));
    co_return Response{204, {}, {}};
  }
  if (p.kind == Path::Kind::kCollection) {
    if (collection_->access < Access::kOwner) co_return plain(403, "only the owner deletes a collection");
    if (collection_->kind == CollectionKind::kScheduleInbox || collection_->kind == CollectionKind::kScheduleOutbox)
      co_return plain(403, "the scheduling inbox and outbox cannot be deleted");
    auto done = co_await dav_.delete_collection(actor_.id, collection_->id);
    if (!done) co_return store_error(done.error());
    co_return Response{204, {}, {}};
  }
  co_return plain(403, "this cannot be deleted");
}

// ---------------------------------------------------------------- POST (outbox)

awaitable<Response> Exchange::post(const Path& p) {
  if (p.kind != Path::Kind::kCollection || collection_->kind != CollectionKind::kScheduleOutbox)
    co_return plain(405, "POST is for the scheduling outbox");
  if (collection_->access < Access::kOwner) co_return plain(403, "only the owner schedules");
  std::string body = req_.body;
  auto answer = co_await schedule_freebusy(ctx_.store, ctx_.scheduling, owner_, std::move(body));
  if (!answer)
    co_return precondition(400, cal("valid-scheduling-message"),
                           "the body must be a VFREEBUSY request with ORGANIZER and ATTENDEEs");
  co_return xml(200, std::move(*answer));
}

// ---------------------------------------------------------------- REPORT

std::optional<std::string> Exchange::report_data(const store::DavResource& r,
                                                 const wire::ReportProps& props,
                                                 bool& too_many) const {
  if (props.props.kind != wire::Propfind::Kind::kProp) return std::nullopt;
  bool wants = false;
  for (const Name& n : props.props.props)
    wants = wants || n == cal("calendar-data") || n == card("address-data");
  if (!wants) return std::nullopt;
  if (props.calendar_data && props.calendar_data->expand && r.component != "VCARD") {
    auto parsed = ical::Calendar::parse(r.content, ctx_.options.ical);
    auto* calendar = std::get_if<ical::Calendar>(&parsed);
    if (calendar == nullptr) return r.content;
    const wire::TimeRange& range = *props.calendar_data->expand;
    auto text = expanded_ical(*calendar, *range.start, *range.end, ctx_.options.ical);
    if (!text) {
      too_many = true;
      return std::nullopt;
    }
    return text;
  }
  return r.content;
}

Response too_many_instances() {
  return precondition(403, cal("max-instances"),
                      "a recurrence expands to more instances than this server evaluates");
}

awaitable<Response> Exchange::report(const Path& p) {
  auto parsed = wire::parse_report(req_.body, ctx_.options.xml);
  if (auto* bad = std::get_if<wire::Invalid>(&parsed)) {
    if (bad->reason.rfind("unsupported REPORT", 0) == 0)
      co_return precondition(403, dav("supported-report"), bad->reason);
    co_return bad_body(*bad);
  }
  wire::Report& report = std::get<wire::Report>(parsed);
  if (p.kind != Path::Kind::kCollection)
    co_return precondition(403, dav("supported-report"), "REPORTs are answered on collections");
  const bool calendar = collection_->kind != CollectionKind::kAddressBook;
  if (auto* q = std::get_if<wire::CalendarQuery>(&report)) {
    if (!calendar) co_return precondition(403, dav("supported-report"), "not a calendar");
    co_return co_await calendar_query(*q);
  }
  if (auto* q = std::get_if<wire::CalendarMultiget>(&report)) {
    if (!calendar) co_return precondition(403, dav("supported-report"), "not a calendar");
    co_return co_await multiget(p, q->props, q->hrefs);
  }
  if (auto* q = std::get_if<wire::AddressbookMultiget>(&report)) {
    if (calendar) co_return precondition(403, dav("supported-report"), "not an address book");
    co_return co_await multiget(p, q->props, q->hrefs);
  }
  if (auto* q = std::get_if<wire::AddressbookQuery>(&report)) {
    if (calendar) co_return precondition(403, dav("supported-report"), "not an address book");
    co_return co_await addressbook_query(*q);
  }
  if (auto* q = std::get_if<wire::FreeBusyQuery>(&report)) {
    if (!calendar) co_return precondition(403, dav("supported-report"), "not a calendar");
    co_return co_await freebusy(*q);
  }
  auto& q = std::get<wire::SyncCollection>(report);
  co_return co_await sync_collection(q);
}

awaitable<Response> Exchange::calendar_query(const wire::CalendarQuery& q) {
  store::ResourceFilter filter;
  filter.with_content = true;
  if (q.filter.comp_filters.size() == 1 && !q.filter.comp_filters[0].is_not_defined) {
    const wire::CompFilter& top = q.filter.comp_filters[0];
    filter.component = top.name;
    if (top.time_range) {
      filter.start = top.time_range->start;
      filter.end = top.time_range->end;
    }
  }
  auto list = co_await dav_.list_resources(actor_.id, collection_->id, filter);
  if (!list) co_return store_error(list.error());
  std::vector<wire::Response> out;
  for (const store::DavResource& r : *list) {
    auto parsed = ical::Calendar::parse(r.content, ctx_.options.ical);
    auto* calendar = std::get_if<ical::Calendar>(&parsed);
    if (calendar == nullptr) continue;  // stored before a stricter validation: not matchable
    FilterResult m = match_calendar(*calendar, q.filter, ctx_.options.ical);
    if (m == FilterResult::kTooMany) co_return too_many_instances();
    if (m == FilterResult::kNo) continue;
    bool too_many = false;
    Target t = object_target(r);
    t.data = report_data(r, q.props, too_many);
    if (too_many) co_return too_many_instances();
    out.push_back(describe(t, q.props.props));
  }
  co_return xml(207, wire::write_multistatus(out));
}

awaitable<Response> Exchange::multiget(const Path& p, const wire::ReportProps& props,
                                       const std::vector<std::string>& hrefs) {
  std::vector<std::string> names;
  std::vector<std::pair<std::string, std::string>> requested;  // href as sent -> name ("" = not ours)
  for (const std::string& h : hrefs) {
    std::optional<std::string> raw = href_path(h);
    Path hp = raw ? parse_path(*raw) : Path{};
    bool ours = hp.kind == Path::Kind::kObject && hp.space == p.space &&
                hp.collection == collection_->name && ascii::lower(hp.user) == ascii::lower(p.user);
    requested.emplace_back(h, ours ? hp.name : std::string());
    if (ours) names.push_back(hp.name);
  }
  auto found = co_await dav_.multiget(actor_.id, collection_->id, names);
  if (!found) co_return store_error(found.error());
  std::map<std::string, const store::DavResource*> by_name;
  for (const store::DavResource& r : *found) by_name[r.name] = &r;
  std::vector<wire::Response> out;
  for (const auto& [h, name] : requested) {
    auto it = name.empty() ? by_name.end() : by_name.find(name);
    if (it == by_name.end()) {
      wire::Response r;
      std::optional<std::string> raw = href_path(h);
      std::optional<std::string> decoded = raw ? percent_decode(*raw) : std::nullopt;
      r.hrefs.push_back(decoded.value_or(h));
      r.status = 404;
      out.push_back(std::move(r));
      continue;
    }
    bool too_many = false;
    Target t = object_target(*it->second);
    t.data = report_data(*it->second, props, too_many);
    if (too_many) co_return too_many_instances();
    out.push_back(describe(t, props.props));
  }
  co_return xml(207, wire::write_multistatus(out));
}

awaitable<Response> Exchange::freebusy(const wire::FreeBusyQuery& q) {
  ical::Time start = q.range.start.value_or(ical::Time(std::chrono::seconds(0)));
  ical::Time end = q.range.end.value_or(start + std::chrono::days(366));
  store::ResourceFilter filter;
  filter.component = "VEVENT";
  filter.start = start;
  filter.end = end;
  filter.with_content = true;
  auto list = co_await dav_.list_resources(actor_.id, collection_->id, filter);
  if (!list) co_return store_error(list.error());
  std::vector<BusyPeriod> periods;
  for (const store::DavResource& r : *list) {
    auto parsed = ical::Calendar::parse(r.content, ctx_.options.ical);
    auto* calendar = std::get_if<ical::Calendar>(&parsed);
    if (calendar == nullptr) continue;
    if (!busy_periods(*calendar, start, end, ctx_.options.ical, periods)) co_return too_many_instances();
  }
  auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  Response r;
  r.status = 200;
  r.headers.push_back({"Content-Type", "text/calendar; charset=utf-8"});
  r.body = freebusy_ical(std::move(periods), start, end, now);
  co_return r;
}

awaitable<Response> Exchange::addressbook_query(const wire::AddressbookQuery& q) {
  store::ResourceFilter filter;
  filter.with_content = true;
  auto list = co_await dav_.list_resources(actor_.id, collection_->id, filter);
  if (!list) co_return store_error(list.error());
  std::vector<wire::Response> out;
  bool truncated = false;
  for (const store::DavResource& r : *list) {
    auto parsed = ical::parse_vcard(r.content, ctx_.options.vcard);
    auto* vcard = std::get_if<ical::Vcard>(&parsed);
    if (vcard == nullptr || !match_vcard(*vcard, q)) continue;
    if (q.limit && out.size() >= *q.limit) {
      truncated = true;
      break;
    }
    bool too_many = false;
    Target t = object_target(r);
    t.data = report_data(r, q.props, too_many);
    out.push_back(describe(t, q.props.props));
  }
  if (truncated) {
    // RFC 6352 8.6.1: the request-URI with 507 says the result was truncated.
    wire::Response r;
    r.hrefs.push_back(collection_path(Space::kAddressbooks, owner_.address, collection_->name));
    r.status = 507;
    r.error = el(dav("number-of-matches-within-limits"));
    out.push_back(std::move(r));
  }
  co_return xml(207, wire::write_multistatus(out));
}

awaitable<Response> Exchange::sync_collection(const wire::SyncCollection& q) {
  std::optional<std::uint64_t> token = parse_sync_token(q.sync_token, *collection_);
  if (!token) co_return precondition(403, dav("valid-sync-token"), "the sync-token is not valid here");
  auto changes = co_await dav_.changes_since(actor_.id, collection_->id, *token);
  if (!changes) {
    if (changes.error().code == ErrorCode::kInvalidArgument)
      co_return precondition(403, dav("valid-sync-token"), "the sync-token is too old or unknown");
    co_return store_error(changes.error());
  }
  if (q.limit && changes->changed.size() + changes->deleted.size() > *q.limit)
    co_return precondition(507, dav("number-of-matches-within-limits"),
                           "more changes than the limit; sync without a limit");
  std::vector<wire::Response> out;
  // Values need the resources' content only when calendar-data/address-data is asked for.
  bool wants_data = false;
  for (const Name& n : q.props.props)
    wants_data = wants_data || n == cal("calendar-data") || n == card("address-data");
  std::map<std::string, store::DavResource> contents;
  if (wants_data && !changes->changed.empty()) {
    std::vector<std::string> names;
    for (const store::DavResource& r : changes->changed) names.push_back(r.name);
    auto got = co_await dav_.multiget(actor_.id, collection_->id, names);
    if (!got) co_return store_error(got.error());
    for (store::DavResource& r : *got) contents[r.name] = std::move(r);
  }
  wire::ReportProps props;
  props.props = q.props;
  for (const store::DavResource& r : changes->changed) {
    const store::DavResource* res = &r;
    if (auto it = contents.find(r.name); it != contents.end()) res = &it->second;
    Target t = object_target(*res);
    bool too_many = false;
    if (wants_data) t.data = report_data(*res, props, too_many);
    out.push_back(describe(t, q.props));
  }
  Space space = collection_->kind == CollectionKind::kAddressBook ? Space::kAddressbooks : Space::kCalendars;
  for (const std::string& name : changes->deleted) {
    wire::Response r;
    r.hrefs.push_back(object_path(space, owner_.address, collection_->name, name));
    r.status = 404;
    out.push_back(std::move(r));
  }
  store::Collection now = *collection_;
  now.sync_token = changes->token;
  co_return xml(207, wire::write_multistatus(out, sync_token(now)));
}

// ---------------------------------------------------------------- entry points

bool trusted(const Context& ctx, const Request& req) {
  if (req.peer.tls) return true;
  if (ctx.options.allow_plaintext_from_loopback && req.peer.loopback) return true;
  return std::find(ctx.options.trusted_proxies.begin(), ctx.options.trusted_proxies.end(),
                   req.peer.address) != ctx.options.trusted_proxies.end();
}

Response unauthorized(const Context& ctx) {
  Response r = plain(401, "authentication required");
  r.headers.push_back({"WWW-Authenticate", "Basic realm=\"" + ctx.options.realm + "\", charset=\"UTF-8\""});
  return r;
}

Response options_response() {
  Response r;
  r.status = 200;
  r.headers.push_back({"DAV", std::string(kDavHeader)});
  r.headers.push_back({"Allow", std::string(kAllow)});
  return r;
}

awaitable<Response> handle(std::shared_ptr<const Context> ctx, const Request& req) {
  std::string_view path = req.path();
  if (req.method == "OPTIONS") co_return options_response();
  if (path == "/.well-known/caldav" || path == "/.well-known/carddav") {
    // RFC 6764 5: the context path; the client then asks for current-user-principal.
    Response r = plain(301, "see /dav/");
    r.headers.push_back({"Location", "/dav/"});
    co_return r;
  }
  if (!trusted(*ctx, req))
    co_return plain(403, "authentication needs TLS (https) on this address");
  auto header = req.header("Authorization");
  std::optional<http::BasicCredentials> creds;
  if (header) creds = http::parse_basic_authorization(*header);
  if (!creds) co_return unauthorized(*ctx);
  std::string address = req.peer.address;
  auto account = co_await ctx->authenticator.authenticate(creds->user, creds->password, address);
  if (!account) {
    switch (account.error().code) {
      case ErrorCode::kPermissionDenied: co_return unauthorized(*ctx);
      case ErrorCode::kBusy: {
        Response r = plain(429, "too many failed logins; try later");
        r.headers.push_back({"Retry-After", "60"});
        co_return r;
      }
      default: co_return store_error(account.error());
    }
  }
  Exchange exchange(*ctx, req, std::move(*account));
  co_return co_await exchange.run();
}

}  // namespace

void add_dav_routes(http::server::Routes& routes, store::Store& store,
                    auth::Authenticator& authenticator, Options options) {
  SchedulingOptions scheduling{options.ical, options.rooms};
  auto ctx = std::make_shared<const Context>(Context{store, authenticator, std::move(options), std::move(scheduling)});
  http::server::Handler handler = [ctx](const Request& req) { return handle(ctx, req); };
  for (std::string_view m : {"OPTIONS", "GET", "HEAD", "PUT", "DELETE", "PROPFIND", "PROPPATCH",
                             "MKCOL", "MKCALENDAR", "REPORT", "POST"}) {
    routes.add_prefix(std::string(m), "/dav/", handler);
    routes.add(std::string(m), "/dav", handler);
  }
  for (std::string_view m : {"OPTIONS", "PROPFIND"}) routes.add(std::string(m), "/", handler);
  for (std::string_view p : {"/.well-known/caldav", "/.well-known/carddav"})
    for (std::string_view m : {"GET", "HEAD", "PROPFIND", "OPTIONS"})
      routes.add(std::string(m), std::string(p), handler);
}

}  // namespace taube::dav::server
