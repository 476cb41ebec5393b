#include "dav/server/paths.hpp"

#include <gtest/gtest.h>

namespace taube::dav::server {
namespace {

TEST(Paths, Layout) {
  EXPECT_EQ(parse_path("/").kind, Path::Kind::kRoot);
  EXPECT_EQ(parse_path("/dav/").kind, Path::Kind::kDavRoot);
  EXPECT_EQ(parse_path("/dav/principals/").kind, Path::Kind::kPrincipals);
  Path p = parse_path("/dav/principals/a%40example.org/");
  EXPECT_EQ(p.kind, Path::Kind::kPrincipal);
  EXPECT_EQ(p.user, "a@example.org");
  p = parse_path("/dav/calendars/a@example.org/");
  EXPECT_EQ(p.kind, Path::Kind::kHome);
  EXPECT_EQ(p.space, Space::kCalendars);
  p = parse_path("/dav/addressbooks/a@example.org/contacts");
  EXPECT_EQ(p.kind, Path::Kind::kCollection);
  EXPECT_EQ(p.space, Space::kAddressbooks);
  EXPECT_EQ(p.collection, "contacts");
  p = parse_path("/dav/calendars/a@example.org/work/ev%20ent.ics");
  EXPECT_EQ(p.kind, Path::Kind::kObject);
  EXPECT_EQ(p.collection, "work");
  EXPECT_EQ(p.name, "ev ent.ics");
}

TEST(Paths, RefusesTraversalAndJunk) {
  EXPECT_EQ(parse_path("/dav/calendars/a/../b/").kind, Path::Kind::kInvalid);
  EXPECT_EQ(parse_path("/dav/calendars/a/%2e%2e/x").kind, Path::Kind::kInvalid);
  EXPECT_EQ(parse_path("/dav/calendars/a/c%2fd/x").kind, Path::Kind::kInvalid);
  EXPECT_EQ(parse_path("/dav/calendars/a//x").kind, Path::Kind::kInvalid);
  EXPECT_EQ(parse_path("/dav/calendars/a/c/x/").kind, Path::Kind::kInvalid);
  EXPECT_EQ(parse_path("/dav/calendars/a/c/x/y").kind, Path::Kind::kInvalid);
  EXPECT_EQ(parse_path("/dav/calendars/a/c/%0a").kind, Path::Kind::kInvalid);
  EXPECT_EQ(parse_path("/dav/calendars/a/c/%4").kind, Path::Kind::kInvalid);
  EXPECT_EQ(parse_path("/other/").kind, Path::Kind::kInvalid);
  EXPECT_EQ(parse_path("relative").kind, Path::Kind::kInvalid);
}

TEST(Paths, Hrefs) {
  EXPECT_EQ(href_path("http://h:8080/dav/x?y#z"), "/dav/x");
  EXPECT_EQ(href_path("/dav/a%20b"), "/dav/a%20b");
  EXPECT_EQ(href_path("https://h"), "/");
  EXPECT_FALSE(href_path("x"));
  EXPECT_EQ(percent_decode("a%40b"), "a@b");
  EXPECT_FALSE(percent_decode("a%4"));
  EXPECT_EQ(object_path(Space::kAddressbooks, "u", "c", "n.vcf"), "/dav/addressbooks/u/c/n.vcf");
}

}  // namespace
}  // namespace taube::dav::server
