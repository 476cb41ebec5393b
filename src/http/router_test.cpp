#include "http/router.hpp"

#include <gtest/gtest.h>

#include <string>

namespace taube::http {
namespace {

Router<std::string> make_router() {
  Router<std::string> r;
  r.add("GET", "/healthz", "health");
  r.add("POST", "/healthz", "health-post");
  r.add("GET", "/dav/", "dav-root");
  r.add_prefix("PROPFIND", "/dav/", "dav");
  r.add_prefix("PROPFIND", "/dav/calendars/", "calendars");
  r.add("PUT", "/only-put", "put");
  return r;
}

TEST(HttpRouter, MatchesExactPathAndMethod) {
  auto r = make_router();
  auto m = r.find("GET", "/healthz");
  ASSERT_NE(m.handler, nullptr);
  EXPECT_EQ(*m.handler, "health");
  EXPECT_EQ(*r.find("POST", "/healthz").handler, "health-post");
}

TEST(HttpRouter, HeadFallsBackToGet) {
  auto r = make_router();
  auto m = r.find("HEAD", "/healthz");
  ASSERT_NE(m.handler, nullptr);
  EXPECT_EQ(*m.handler, "health");
}

TEST(HttpRouter, UnknownPathIsNotFound) {
  auto r = make_router();
  auto m = r.find("GET", "/nope");
  EXPECT_EQ(m.handler, nullptr);
  EXPECT_FALSE(m.path_known);
  EXPECT_FALSE(r.find("GET", "/healthzz").path_known);
}

TEST(HttpRouter, KnownPathWithOtherMethodListsAllowed) {
  auto r = make_router();
  auto m = r.find("DELETE", "/healthz");
  EXPECT_EQ(m.handler, nullptr);
  EXPECT_TRUE(m.path_known);
  EXPECT_EQ(m.allow, "GET, HEAD, POST");
  EXPECT_EQ(r.find("HEAD", "/only-put").allow, "PUT");
  EXPECT_EQ(r.find("get", "/healthz").handler, nullptr);  // methods are case-sensitive
}

TEST(HttpRouter, LongestPrefixWinsAndExactBeatsPrefix) {
  auto r = make_router();
  EXPECT_EQ(*r.find("PROPFIND", "/dav/x").handler, "dav");
  EXPECT_EQ(*r.find("PROPFIND", "/dav/calendars/a/b").handler, "calendars");
  EXPECT_EQ(*r.find("GET", "/dav/").handler, "dav-root");
  EXPECT_EQ(r.find("PROPFIND", "/dav/").handler, nullptr);  // the exact route has only GET
  EXPECT_EQ(r.find("PROPFIND", "/da").handler, nullptr);
}

}  // namespace
}  // namespace taube::http
