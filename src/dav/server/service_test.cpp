// DAV request handling end to end inside the process: raw HTTP through the session over
// the in-memory test transport, a real SQLite store and the real authenticator.
#include "dav/server/service.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <filesystem>
#include <random>

#include "auth/password.hpp"
#include "http/server/test_transport.hpp"
#include "store/dav.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace taube::dav::server {
namespace {

namespace asio = boost::asio;
using asio::awaitable;

constexpr const char* kAuth = "Authorization: Basic YUBleGFtcGxlLm9yZzpwdw==\r\n";  // a@example.org:pw
constexpr const char* kCal = "/dav/calendars/a@example.org/calendar/";

constexpr const char* kEvent =
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:e1\r\n"
    "DTSTAMP:20261101T000000Z\r\nDTSTART:20261201T100000Z\r\nDTEND:20261201T110000Z\r\n"
    "SUMMARY:Lunch\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

struct Reply {
  int status = 0;
  std::string head;
  std::string body;
  std::string header(std::string_view name) const {
    std::string needle = "\r\n" + std::string(name) + ": ";
    auto p = head.find(needle);
    if (p == std::string::npos) return "";
    p += needle.size();
    return head.substr(p, head.find("\r\n", p) - p);
  }
};

class DavService : public ::testing::Test {
 protected:
  DavService() {
    std::random_device rd;
    dir_ = std::filesystem::temp_directory_path() / ("dav-service-test-" + std::to_string(rd()));
    std::filesystem::create_directories(dir_);
    store::sqlite::SqliteOptions options;
    options.path = dir_ / "taube.db";
    auto opened = store::sqlite::open_sqlite_store(options);
    if (!opened) throw std::runtime_error("cannot open store: " + opened.error().detail);
    store_ = std::move(*opened);
    auth::ThrottlePolicy policy;
    policy.failure_delay = std::chrono::milliseconds(0);
    authenticator_ = std::make_unique<auth::Authenticator>(*store_, policy, 1);
    auth::HashParams cheap{.memory_kib = 64, .passes = 1, .lanes = 1};
    auto hash = auth::hash_password("pw", cheap);
    if (!hash) throw std::runtime_error("hash failed");
    auto setup = [](store::Store& s, std::string hash) -> awaitable<void> {
      auto domain = co_await s.add_domain("example.org");
      if (!domain) throw std::runtime_error("add_domain failed");
      auto account = co_await s.create_account("a@example.org", std::move(hash));
      if (!account) throw std::runtime_error("create_account failed");
    };
    auto task = setup(*store_, *hash);
    wait(std::move(task));
    hash_ = *hash;
    auto service = std::make_shared<http::server::Service>();
    add_dav_routes(service->routes, *store_, *authenticator_, Options{});
    service_ = service;
  }
  ~DavService() override {
    service_.reset();
    authenticator_.reset();
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  template <class T>
  T wait(awaitable<T> a) {
    auto future = asio::co_spawn(io_, std::move(a), asio::use_future);
    io_.restart();
    io_.run();
    return future.get();
  }

  // One request through the HTTP session; the reply parsed.
  Reply send(std::string method, std::string path, std::string body = {}, std::string headers = kAuth) {
    std::string raw = method + " " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + headers +
                      "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    auto record = std::make_shared<http::server::testing::Record>();
    http::server::testing::Script script{{raw}};
    auto transport = std::make_unique<http::server::testing::FakeTransport>(script, record);
    auto session = http::server::run_session(std::move(transport), service_, http::server::Options{});
    wait(std::move(session));
    Reply r;
    const std::string& out = record->output;
    auto end = out.find("\r\n\r\n");
    r.head = out.substr(0, end + 2);
    r.body = end == std::string::npos ? "" : out.substr(end + 4);
    if (out.size() > 12) r.status = std::stoi(out.substr(9, 3));
    return r;
  }

  std::filesystem::path dir_;
  std::string hash_;
  asio::io_context io_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<auth::Authenticator> authenticator_;
  std::shared_ptr<const http::server::Service> service_;
};

TEST_F(DavService, OptionsAndAuthentication) {
  Reply r = send("OPTIONS", "/dav/", "", "");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("DAV"), kDavHeader);
  r = send("PROPFIND", "/", "", "");
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.header("WWW-Authenticate").find("Basic realm="), std::string::npos);
  r = send("PROPFIND", "/", "", "Authorization: Basic YUBleGFtcGxlLm9yZzp3cm9uZw==\r\n");  // wrong pw
  EXPECT_EQ(r.status, 401);
  r = send("GET", "/.well-known/caldav", "", "");
  EXPECT_EQ(r.status, 301);
  EXPECT_EQ(r.header("Location"), "/dav/");
}

TEST_F(DavService, PlainHttpFromElsewhereIsRefused) {
  auto service = std::make_shared<http::server::Service>();
  add_dav_routes(service->routes, *store_, *authenticator_, Options{});
  http::Request req;
  req.method = "PROPFIND";
  req.target = "/dav/";
  req.headers.push_back({"Authorization", "Basic YUBleGFtcGxlLm9yZzpwdw=="});
  req.peer = http::Peer{"192.0.2.7", false, false};
  auto match = service->routes.find(req.method, req.path());
  ASSERT_NE(match.handler, nullptr);
  http::Response r = wait((*match.handler)(req));
  EXPECT_EQ(r.status, 403);
  req.peer.tls = true;
  r = wait((*match.handler)(req));
  EXPECT_EQ(r.status, 207);
}

TEST_F(DavService, DiscoveryProperties) {
  Reply r = send("PROPFIND", "/",
                 "<D:propfind xmlns:D='DAV:'><D:prop><D:current-user-principal/></D:prop></D:propfind>",
                 std::string(kAuth) + "Depth: 0\r\n");
  EXPECT_EQ(r.status, 207);
  EXPECT_NE(r.body.find("<D:href>/dav/principals/a@example.org/</D:href>"), std::string::npos) << r.body;
  r = send("PROPFIND", "/dav/principals/a@example.org/",
           "<D:propfind xmlns:D='DAV:' xmlns:C='urn:ietf:params:xml:ns:caldav'><D:prop>"
           "<C:calendar-home-set/><D:nonsense/></D:prop></D:propfind>",
           std::string(kAuth) + "Depth: 0\r\n");
  EXPECT_EQ(r.status, 207);
  EXPECT_NE(r.body.find("<D:href>/dav/calendars/a@example.org/</D:href>"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("HTTP/1.1 404 Not Found"), std::string::npos);  // nonsense
  r = send("PROPFIND", "/dav/calendars/a@example.org/",
           "<D:propfind xmlns:D='DAV:'><D:prop><D:resourcetype/></D:prop></D:propfind>",
           std::string(kAuth) + "Depth: 1\r\n");
  EXPECT_EQ(r.status, 207);
  EXPECT_NE(r.body.find("/dav/calendars/a@example.org/calendar/"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("<C:calendar/>"), std::string::npos);
  r = send("PROPFIND", "/dav/calendars/a@example.org/", "", std::string(kAuth) + "Depth: infinity\r\n");
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("propfind-finite-depth"), std::string::npos);
}

TEST_F(DavService, PutGetConditionalDelete) {
  std::string path = std::string(kCal) + "e1.ics";
  Reply r = send("PUT", path, kEvent, std::string(kAuth) + "Content-Type: text/calendar\r\nIf-None-Match: *\r\n");
  ASSERT_EQ(r.status, 201) << r.body;
  std::string etag = r.header("ETag");
  EXPECT_EQ(etag.size(), 66u);  // quoted SHA-256 hex
  r = send("GET", path);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, kEvent);
  EXPECT_EQ(r.header("ETag"), etag);
  r = send("PUT", path, kEvent, std::string(kAuth) + "If-None-Match: *\r\n");
  EXPECT_EQ(r.status, 412);
  r = send("PUT", path, kEvent, std::string(kAuth) + "If-Match: \"abc\"\r\n");
  EXPECT_EQ(r.status, 412);
  r = send("PUT", path, kEvent, std::string(kAuth) + "If-Match: " + etag + "\r\n");
  EXPECT_EQ(r.status, 204);
  r = send("PUT", std::string(kCal) + "other.ics", kEvent);
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("no-uid-conflict"), std::string::npos);
  EXPECT_NE(r.body.find("e1.ics"), std::string::npos) << r.body;
  r = send("PUT", std::string(kCal) + "bad.ics", "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n");
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("valid-calendar"), std::string::npos);
  r = send("PUT", "/dav/calendars/a@example.org/nowhere/x.ics", kEvent);
  EXPECT_EQ(r.status, 409);
  r = send("DELETE", path, "", std::string(kAuth) + "If-Match: \"abc\"\r\n");
  EXPECT_EQ(r.status, 412);
  r = send("DELETE", path);
  EXPECT_EQ(r.status, 204);
  r = send("GET", path);
  EXPECT_EQ(r.status, 404);
}

TEST_F(DavService, MkcalendarProppatchAndQuery) {
  std::string cal = "/dav/calendars/a@example.org/work/";
  Reply r = send("MKCALENDAR", cal,
                 "<C:mkcalendar xmlns:D='DAV:' xmlns:C='urn:ietf:params:xml:ns:caldav'><D:set><D:prop>"
                 "<D:displayname>Work</D:displayname><C:supported-calendar-component-set>"
                 "<C:comp name='VEVENT'/></C:supported-calendar-component-set></D:prop></D:set></C:mkcalendar>");
  ASSERT_EQ(r.status, 201) << r.body;
  r = send("MKCALENDAR", cal);
  EXPECT_EQ(r.status, 405);
  r = send("PROPPATCH", cal,
           "<D:propertyupdate xmlns:D='DAV:' xmlns:A='http://apple.com/ns/ical/'><D:set><D:prop>"
           "<A:calendar-color>#ff0000ff</A:calendar-color><A:calendar-order>3</A:calendar-order>"
           "</D:prop></D:set></D:propertyupdate>");
  EXPECT_EQ(r.status, 207);
  EXPECT_NE(r.body.find("200 OK"), std::string::npos) << r.body;
  r = send("PROPPATCH", cal,
           "<D:propertyupdate xmlns:D='DAV:'><D:set><D:prop><D:getetag>x</D:getetag>"
           "<D:displayname>New</D:displayname></D:prop></D:set></D:propertyupdate>");
  EXPECT_NE(r.body.find("403 Forbidden"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("424 Failed Dependency"), std::string::npos);
  r = send("PROPFIND", cal,
           "<D:propfind xmlns:D='DAV:' xmlns:A='http://apple.com/ns/ical/'><D:prop><D:displayname/>"
           "<A:calendar-color/><A:calendar-order/></D:prop></D:propfind>",
           std::string(kAuth) + "Depth: 0\r\n");
  EXPECT_NE(r.body.find(">Work<"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("#ff0000ff"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("calendar-order"), std::string::npos) << r.body;
  EXPECT_EQ(send("PUT", cal + "e1.ics", kEvent).status, 201);
  std::string todo =
      "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VTODO\r\nUID:t1\r\n"
      "DTSTAMP:20261101T000000Z\r\nSUMMARY:x\r\nEND:VTODO\r\nEND:VCALENDAR\r\n";
  r = send("PUT", cal + "t1.ics", todo);
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("supported-calendar-component"), std::string::npos);
  auto query = [&](const char* start, const char* end) {
    return send("REPORT", cal,
                std::string("<C:calendar-query xmlns:D='DAV:' xmlns:C='urn:ietf:params:xml:ns:caldav'>"
                            "<D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name='VCALENDAR'>"
                            "<C:comp-filter name='VEVENT'><C:time-range start='") +
                    start + "' end='" + end + "'/></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>",
                std::string(kAuth) + "Depth: 1\r\n");
  };
  r = query("20261201T000000Z", "20261202T000000Z");
  EXPECT_EQ(r.status, 207);
  EXPECT_NE(r.body.find("/work/e1.ics"), std::string::npos) << r.body;
  r = query("20261202T000000Z", "20261203T000000Z");
  EXPECT_EQ(r.status, 207);
  EXPECT_EQ(r.body.find("e1.ics"), std::string::npos) << r.body;
  r = send("DELETE", cal);
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(send("PROPFIND", cal, "", std::string(kAuth) + "Depth: 0\r\n").status, 404);
}

TEST_F(DavService, SharedCalendarIsListedAndReadOnly) {
  ASSERT_EQ(send("PUT", std::string(kCal) + "e1.ics", kEvent).status, 201);
  auto share = [](store::Store& s, std::string hash) -> awaitable<void> {
    auto a = co_await s.find_account("a@example.org");
    auto b = co_await s.create_account("b@example.org", std::move(hash));
    if (!a || !b) throw std::runtime_error("accounts");
    std::string name(store::kDefaultCalendar);
    auto cal = co_await s.dav().get_collection(a->id, a->id, name);
    if (!cal) throw std::runtime_error("no default calendar");
    auto done = co_await s.dav().set_share(cal->id, b->id, store::Access::kRead);
    if (!done) throw std::runtime_error("set_share failed");
  };
  auto task = share(*store_, hash_);
  wait(std::move(task));
  const std::string bob = "Authorization: Basic YkBleGFtcGxlLm9yZzpwdw==\r\n";
  Reply r = send("PROPFIND", "/dav/calendars/b@example.org/",
                 "<D:propfind xmlns:D='DAV:'><D:prop><D:resourcetype/><D:current-user-privilege-set/>"
                 "</D:prop></D:propfind>",
                 bob + "Depth: 1\r\n");
  EXPECT_EQ(r.status, 207);
  EXPECT_NE(r.body.find("/dav/calendars/a@example.org/calendar/"), std::string::npos) << r.body;
  r = send("GET", std::string(kCal) + "e1.ics", "", bob);
  EXPECT_EQ(r.status, 200);
  r = send("PUT", std::string(kCal) + "e2.ics", kEvent, bob);
  EXPECT_EQ(r.status, 403);
  r = send("DELETE", kCal, "", bob);
  EXPECT_EQ(r.status, 403);
  r = send("PROPFIND", "/dav/addressbooks/a@example.org/contacts/", "", bob + "Depth: 0\r\n");
  EXPECT_EQ(r.status, 404);  // not shared: not even its existence shows
}

}  // namespace
}  // namespace taube::dav::server
