#include "dav/wire/multistatus.hpp"

#include <gtest/gtest.h>

#include "dav/wire/requests.hpp"

namespace taube::dav::wire {
namespace {

TEST(DavMultistatus, WritesPropstatsWithPrefixesDeclaredOnce) {
  Response r;
  r.hrefs = {"/calendars/alice/work cal/ä&<.ics"};
  Property rt{Element{Name{"DAV:", "resourcetype"}, "",
                      {Element{Name{"DAV:", "collection"}},
                       Element{Name{std::string(ns::kCalDav), "calendar"}}}}};
  Property name{Element{Name{"DAV:", "displayname"}, "Work & <Play>"}};
  Property missing{Element{Name{"http://example.com/x/", "color"}}};
  r.propstats = {PropStat{200, {rt, name}}, PropStat{404, {missing}}};
  Response gone;
  gone.hrefs = {"/calendars/alice/work/gone.ics"};
  gone.status = 404;
  std::string xml = write_multistatus({r, gone}, std::string("http://taube/sync/7"));
  EXPECT_EQ(xml.find("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:multistatus"), 0u) << xml;
  EXPECT_NE(xml.find("<D:href>/calendars/alice/work%20cal/%C3%A4%26%3C.ics</D:href>"),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<D:resourcetype><D:collection/><C:calendar/></D:resourcetype>"),
            std::string::npos);
  EXPECT_NE(xml.find("<D:displayname>Work &amp; &lt;Play&gt;</D:displayname>"), std::string::npos);
  EXPECT_NE(xml.find("<D:status>HTTP/1.1 404 Not Found</D:status>"), std::string::npos);
  EXPECT_NE(xml.find("<D:sync-token>http://taube/sync/7</D:sync-token></D:multistatus>"),
            std::string::npos);
  // Each namespace declared exactly once, on the root.
  for (const char* decl : {"xmlns:D=\"DAV:\"", "xmlns:C=\"urn:ietf:params:xml:ns:caldav\"",
                           "xmlns:x0=\"http://example.com/x/\""}) {
    std::size_t first = xml.find(decl);
    ASSERT_NE(first, std::string::npos) << decl;
    EXPECT_LT(first, xml.find('>', xml.find("<D:multistatus")));
    EXPECT_EQ(xml.find(decl, first + 1), std::string::npos) << decl;
  }
}

TEST(DavMultistatus, OutputParsesBackNamespaceCorrectly) {
  // Round trip through the request parser's safe XML reader and check names by URI.
  PropertyUpdate u = std::get<PropertyUpdate>(parse_proppatch(
      "<D:propertyupdate xmlns:D=\"DAV:\" xmlns:Z=\"urn:z\"><D:set><D:prop>"
      "<Z:Authors><Z:Author>Jim</Z:Author></Z:Authors></D:prop></D:set></D:propertyupdate>",
      {}));
  Response r;
  r.hrefs = {"/a"};
  Property dead;
  dead.element.name = u.ops[0].property.name;
  dead.raw_element = u.ops[0].property.element_xml;
  Property nons{Element{Name{"", "plain"}, "x"}};
  r.propstats = {PropStat{200, {dead, nons}}};
  std::string xml = write_multistatus({r});
  auto doc = parse_xml(xml, {});
  ASSERT_TRUE(std::holds_alternative<Doc>(doc)) << std::get<Invalid>(doc).reason << "\n" << xml;
  EXPECT_NE(xml.find("<plain xmlns=\"\">x</plain>"), std::string::npos) << xml;
  EXPECT_NE(xml.find("<Z:Author>Jim</Z:Author>"), std::string::npos) << xml;
}

TEST(DavMultistatus, ErrorElementAndStatusLines) {
  Response r;
  r.hrefs = {"/x.ics"};
  r.status = 403;
  r.error = Element{Name{std::string(ns::kCalDav), "valid-calendar-object-resource"}};
  std::string xml = write_multistatus({r});
  EXPECT_NE(xml.find("<D:error><C:valid-calendar-object-resource/></D:error>"), std::string::npos)
      << xml;
  EXPECT_EQ(status_line(207), "HTTP/1.1 207 Multi-Status");
  EXPECT_EQ(escape_xml("a\"'\r"), "a&quot;&apos;&#13;");
}

}  // namespace
}  // namespace taube::dav::wire
