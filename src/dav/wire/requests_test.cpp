// Request bodies from the RFCs' own examples (RFC 4918 9.1.3-9.2.2, RFC 4791 5.3.1.2,
// 7.8.1, 7.8.9, 7.9.1, 7.10.1, RFC 6352 8.6.3-8.6.5, 8.7.1, RFC 6578 3.8), plus the
// same fed with other prefixes, and refusals.
#include "dav/wire/requests.hpp"

#include <gtest/gtest.h>

namespace taube::dav::wire {
namespace {

using namespace std::chrono;

template <class T>
T ok(const Parsed<T>& r) {
  if (auto* bad = std::get_if<Invalid>(&r)) {
    ADD_FAILURE() << bad->reason;
    return T{};
  }
  return std::get<T>(r);
}

template <class T>
T report(const std::string& body) {
  Report r = ok(parse_report(body, {}));
  if (!std::holds_alternative<T>(r)) {
    ADD_FAILURE() << "wrong report type " << r.index();
    return T{};
  }
  return std::get<T>(r);
}

template <class T>
std::string refused(const Parsed<T>& r) {
  return std::holds_alternative<Invalid>(r) ? std::get<Invalid>(r).reason : "<accepted>";
}

const std::string kDecl = "<?xml version=\"1.0\" encoding=\"utf-8\" ?>\n";

Time at(year_month_day d, hours h = hours(0)) { return Time(sys_days(d).time_since_epoch() + h); }

TEST(DavRequests, PropfindNamedPropertiesRfc4918_9_1_3) {
  Propfind p = ok(parse_propfind(kDecl +
                                     "<D:propfind xmlns:D=\"DAV:\">\n"
                                     "  <D:prop xmlns:R=\"http://ns.example.com/boxschema/\">\n"
                                     "    <R:bigbox/>\n    <R:author/>\n    <R:DingALing/>\n"
                                     "    <R:Random/>\n  </D:prop>\n</D:propfind>",
                                 {}));
  ASSERT_EQ(p.kind, Propfind::Kind::kProp);
  ASSERT_EQ(p.props.size(), 4u);
  EXPECT_EQ(p.props[0], (Name{"http://ns.example.com/boxschema/", "bigbox"}));
  EXPECT_EQ(p.props[2].local, "DingALing");
}

TEST(DavRequests, PropfindPropnameAndAllpropWithInclude) {
  EXPECT_EQ(ok(parse_propfind(kDecl + "<propfind xmlns=\"DAV:\">\n  <propname/>\n</propfind>", {}))
                .kind,
            Propfind::Kind::kPropName);
  Propfind p = ok(parse_propfind(kDecl +
                                     "<D:propfind xmlns:D=\"DAV:\">\n  <D:allprop/>\n"
                                     "  <D:include>\n    <D:supported-live-property-set/>\n"
                                     "    <D:supported-report-set/>\n  </D:include>\n"
                                     "</D:propfind>",
                                 {}));
  EXPECT_EQ(p.kind, Propfind::Kind::kAllProp);
  ASSERT_EQ(p.include.size(), 2u);
  EXPECT_EQ(p.include[1], (Name{"DAV:", "supported-report-set"}));
  EXPECT_EQ(ok(parse_propfind("", {})).kind, Propfind::Kind::kAllProp);  // RFC 4918 9.1
}

TEST(DavRequests, MatchesByNamespaceNotPrefix) {
  // "D" bound to another namespace: not DAV:propfind.
  EXPECT_NE(refused(parse_propfind("<D:propfind xmlns:D=\"urn:x\"><D:allprop/></D:propfind>", {})),
            "<accepted>");
  // Any prefix for DAV: works.
  Propfind p = ok(parse_propfind(
      "<zz:propfind xmlns:zz=\"DAV:\"><zz:prop><zz:getetag/></zz:prop></zz:propfind>", {}));
  ASSERT_EQ(p.props.size(), 1u);
  EXPECT_EQ(p.props[0], (Name{"DAV:", "getetag"}));
  EXPECT_NE(refused(parse_propfind("<propfind xmlns=\"DAV:\"><prop/><allprop/></propfind>", {})),
            "<accepted>");
}

TEST(DavRequests, ProppatchRfc4918_9_2_2KeepsDeadPropertyXml) {
  PropertyUpdate u = ok(parse_proppatch(
      kDecl +
          "<D:propertyupdate xmlns:D=\"DAV:\"\n"
          "        xmlns:Z=\"http://ns.example.com/standards/z39.50/\">\n"
          "  <D:set>\n    <D:prop>\n      <Z:Authors>\n        <Z:Author>Jim Whitehead</Z:Author>\n"
          "        <Z:Author>Roy Fielding</Z:Author>\n      </Z:Authors>\n    </D:prop>\n"
          "  </D:set>\n  <D:remove>\n    <D:prop><Z:Copyright-Owner/></D:prop>\n  </D:remove>\n"
          "</D:propertyupdate>",
      {}));
  ASSERT_EQ(u.ops.size(), 2u);
  EXPECT_FALSE(u.ops[0].remove);
  EXPECT_EQ(u.ops[0].property.name,
            (Name{"http://ns.example.com/standards/z39.50/", "Authors"}));
  const std::string& xml = u.ops[0].property.element_xml;
  EXPECT_NE(xml.find("xmlns:Z=\"http://ns.example.com/standards/z39.50/\""), std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<Z:Author>Roy Fielding</Z:Author>"), std::string::npos) << xml;
  // Re-parsing the stored element alone succeeds: it is self-contained.
  EXPECT_TRUE(std::holds_alternative<Doc>(parse_xml(xml, {})));
  EXPECT_TRUE(u.ops[1].remove);
  EXPECT_EQ(u.ops[1].property.name.local, "Copyright-Owner");
  EXPECT_NE(refused(parse_proppatch("<propertyupdate xmlns=\"DAV:\"/>", {})), "<accepted>");
}

TEST(DavRequests, MkcalendarRfc4791_5_3_1_2) {
  MkcolBody m = ok(parse_mkcol(
      kDecl +
          "<C:mkcalendar xmlns:D=\"DAV:\"\n              xmlns:C=\"urn:ietf:params:xml:ns:caldav\">\n"
          "  <D:set>\n    <D:prop>\n      <D:displayname>Lisa's Events</D:displayname>\n"
          "      <C:calendar-description xml:lang=\"en\"\n>Calendar restricted to events.</C:calendar-description>\n"
          "      <C:supported-calendar-component-set>\n        <C:comp name=\"VEVENT\"/>\n"
          "      </C:supported-calendar-component-set>\n"
          "      <C:calendar-timezone><![CDATA[BEGIN:VCALENDAR\nPRODID:-//Example Corp.//CalDAV Client//EN\n"
          "VERSION:2.0\nEND:VCALENDAR\n]]></C:calendar-timezone>\n    </D:prop>\n  </D:set>\n"
          "</C:mkcalendar>",
      {}));
  ASSERT_EQ(m.set.size(), 4u);
  EXPECT_EQ(m.set[0].name, (Name{"DAV:", "displayname"}));
  EXPECT_EQ(m.set[0].text, "Lisa's Events");
  EXPECT_EQ(m.set[2].name, (Name{std::string(ns::kCalDav), "supported-calendar-component-set"}));
  EXPECT_NE(m.set[2].element_xml.find("name=\"VEVENT\""), std::string::npos);
  EXPECT_EQ(m.set[3].text.rfind("BEGIN:VCALENDAR", 0), 0u);
  EXPECT_TRUE(ok(parse_mkcol("", {})).set.empty());
}

TEST(DavRequests, ExtendedMkcolRfc5689) {
  MkcolBody m = ok(parse_mkcol(
      kDecl +
          "<D:mkcol xmlns:D=\"DAV:\" xmlns:E=\"http://example.com/ns/\">\n  <D:set>\n    <D:prop>\n"
          "      <D:resourcetype>\n        <D:collection/>\n        <E:special-resource/>\n"
          "      </D:resourcetype>\n      <D:displayname>Special Resource</D:displayname>\n"
          "    </D:prop>\n  </D:set>\n</D:mkcol>",
      {}));
  ASSERT_EQ(m.set.size(), 2u);
  EXPECT_EQ(m.set[0].name.local, "resourcetype");
  EXPECT_NE(m.set[0].element_xml.find("special-resource"), std::string::npos);
}

TEST(DavRequests, CalendarQueryWithExpandRfc4791_7_8_1) {
  auto q = report<CalendarQuery>(
      kDecl +
      "<C:calendar-query xmlns:D=\"DAV:\"\n                  xmlns:C=\"urn:ietf:params:xml:ns:caldav\">\n"
      "  <D:prop>\n    <C:calendar-data>\n"
      "      <C:expand start=\"20060103T000000Z\"\n                end=\"20060105T000000Z\"/>\n"
      "    </C:calendar-data>\n  </D:prop>\n  <C:filter>\n    <C:comp-filter name=\"VCALENDAR\">\n"
      "      <C:comp-filter name=\"VEVENT\">\n"
      "        <C:time-range start=\"20060103T000000Z\"\n                      end=\"20060105T000000Z\"/>\n"
      "      </C:comp-filter>\n    </C:comp-filter>\n  </C:filter>\n</C:calendar-query>");
  ASSERT_TRUE(q.props.calendar_data.has_value());
  ASSERT_TRUE(q.props.calendar_data->expand.has_value());
  EXPECT_EQ(q.props.calendar_data->expand->start, at(2006y / 1 / 3));
  EXPECT_EQ(q.props.calendar_data->expand->end, at(2006y / 1 / 5));
  EXPECT_EQ(q.filter.name, "VCALENDAR");
  ASSERT_EQ(q.filter.comp_filters.size(), 1u);
  EXPECT_EQ(q.filter.comp_filters[0].name, "VEVENT");
  ASSERT_TRUE(q.filter.comp_filters[0].time_range.has_value());
  EXPECT_EQ(q.filter.comp_filters[0].time_range->start, at(2006y / 1 / 3));
}

TEST(DavRequests, CalendarQueryPropAndParamFilterRfc4791_7_8_9) {
  auto q = report<CalendarQuery>(
      kDecl +
      "<C:calendar-query xmlns:C=\"urn:ietf:params:xml:ns:caldav\">\n"
      "  <D:prop xmlns:D=\"DAV:\">\n    <D:getetag/>\n    <C:calendar-data/>\n  </D:prop>\n"
      "  <C:filter>\n    <C:comp-filter name=\"VCALENDAR\">\n      <C:comp-filter name=\"VEVENT\">\n"
      "        <C:prop-filter name=\"ATTENDEE\">\n"
      "          <C:text-match collation=\"i;ascii-casemap\"\n           >mailto:lisa@example.com</C:text-match>\n"
      "          <C:param-filter name=\"PARTSTAT\">\n"
      "            <C:text-match collation=\"i;ascii-casemap\"\n             >NEEDS-ACTION</C:text-match>\n"
      "          </C:param-filter>\n        </C:prop-filter>\n      </C:comp-filter>\n"
      "    </C:comp-filter>\n  </C:filter>\n</C:calendar-query>");
  ASSERT_EQ(q.props.props.props.size(), 2u);
  EXPECT_TRUE(q.props.calendar_data.has_value());
  const PropFilter& pf = q.filter.comp_filters.at(0).prop_filters.at(0);
  EXPECT_EQ(pf.name, "ATTENDEE");
  ASSERT_EQ(pf.text_matches.size(), 1u);
  EXPECT_EQ(pf.text_matches[0].text, "mailto:lisa@example.com");
  ASSERT_EQ(pf.param_filters.size(), 1u);
  EXPECT_EQ(pf.param_filters[0].name, "PARTSTAT");
  EXPECT_EQ(pf.param_filters[0].text_match->text, "NEEDS-ACTION");
}

TEST(DavRequests, CalendarQueryIsNotDefinedAndNegate) {
  auto q = report<CalendarQuery>(
      "<C:calendar-query xmlns:C=\"urn:ietf:params:xml:ns:caldav\" xmlns:D=\"DAV:\">"
      "<D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name=\"VCALENDAR\">"
      "<C:comp-filter name=\"VTODO\"><C:prop-filter name=\"COMPLETED\"><C:is-not-defined/>"
      "</C:prop-filter><C:prop-filter name=\"STATUS\"><C:text-match negate-condition=\"yes\">"
      "CANCELLED</C:text-match></C:prop-filter></C:comp-filter></C:comp-filter></C:filter>"
      "</C:calendar-query>");
  const CompFilter& todo = q.filter.comp_filters.at(0);
  EXPECT_TRUE(todo.prop_filters.at(0).is_not_defined);
  EXPECT_TRUE(todo.prop_filters.at(1).text_matches.at(0).negate);
}

TEST(DavRequests, CalendarMultigetRfc4791_7_9_1) {
  auto m = report<CalendarMultiget>(
      kDecl +
      "<C:calendar-multiget xmlns:D=\"DAV:\"\n                 xmlns:C=\"urn:ietf:params:xml:ns:caldav\">\n"
      "  <D:prop>\n    <D:getetag/>\n    <C:calendar-data/>\n  </D:prop>\n"
      "  <D:href>/bernard/work/abcd1.ics</D:href>\n  <D:href>/bernard/work/mtg1.ics</D:href>\n"
      "</C:calendar-multiget>");
  ASSERT_EQ(m.hrefs.size(), 2u);
  EXPECT_EQ(m.hrefs[1], "/bernard/work/mtg1.ics");
  EXPECT_TRUE(m.props.calendar_data.has_value());
}

TEST(DavRequests, FreeBusyQueryRfc4791_7_10_1) {
  auto f = report<FreeBusyQuery>(
      kDecl +
      "<C:free-busy-query xmlns:C=\"urn:ietf:params:xml:ns:caldav\">\n"
      "  <C:time-range start=\"20060104T140000Z\"\n                end=\"20060105T220000Z\"/>\n"
      "</C:free-busy-query>");
  EXPECT_EQ(f.range.start, at(2006y / 1 / 4, 14h));
  EXPECT_EQ(f.range.end, at(2006y / 1 / 5, 22h));
}

TEST(DavRequests, AddressbookQueryRfc6352_8_6_3) {
  auto q = report<AddressbookQuery>(
      kDecl +
      "<C:addressbook-query xmlns:D=\"DAV:\"\n                  xmlns:C=\"urn:ietf:params:xml:ns:carddav\">\n"
      "  <D:prop>\n    <D:getetag/>\n    <C:address-data>\n      <C:prop name=\"VERSION\"/>\n"
      "      <C:prop name=\"UID\"/>\n      <C:prop name=\"NICKNAME\"/>\n      <C:prop name=\"EMAIL\"/>\n"
      "      <C:prop name=\"FN\"/>\n    </C:address-data>\n  </D:prop>\n  <C:filter>\n"
      "    <C:prop-filter name=\"NICKNAME\">\n"
      "      <C:text-match collation=\"i;unicode-casemap\"\n                    match-type=\"equals\"\n"
      "      >me</C:text-match>\n    </C:prop-filter>\n  </C:filter>\n</C:addressbook-query>");
  EXPECT_TRUE(q.props.address_data);
  ASSERT_EQ(q.filters.size(), 1u);
  EXPECT_EQ(q.filters[0].name, "NICKNAME");
  const TextMatch& m = q.filters[0].text_matches.at(0);
  EXPECT_EQ(m.text, "me");
  EXPECT_EQ(m.match_type, TextMatch::Type::kEquals);
  EXPECT_EQ(m.collation, "i;unicode-casemap");
  EXPECT_FALSE(q.limit.has_value());
}

TEST(DavRequests, AddressbookQueryAnyofRfc6352_8_6_4) {
  auto q = report<AddressbookQuery>(
      kDecl +
      "<C:addressbook-query xmlns:D=\"DAV:\"\n                  xmlns:C=\"urn:ietf:params:xml:ns:carddav\">\n"
      "  <D:prop>\n    <D:getetag/>\n    <C:address-data>\n      <C:prop name=\"VERSION\"/>\n"
      "      <C:prop name=\"UID\"/>\n      <C:prop name=\"NICKNAME\"/>\n      <C:prop name=\"EMAIL\"/>\n"
      "      <C:prop name=\"FN\"/>\n    </C:address-data>\n  </D:prop>\n  <C:filter test=\"anyof\">\n"
      "    <C:prop-filter name=\"FN\">\n"
      "      <C:text-match collation=\"i;unicode-casemap\"\n                    match-type=\"contains\"\n"
      "      >daboo</C:text-match>\n    </C:prop-filter>\n    <C:prop-filter name=\"EMAIL\">\n"
      "      <C:text-match collation=\"i;unicode-casemap\"\n                    match-type=\"contains\"\n"
      "      >daboo</C:text-match>\n    </C:prop-filter>\n  </C:filter>\n</C:addressbook-query>");
  EXPECT_FALSE(q.all_of);
  ASSERT_EQ(q.filters.size(), 2u);
  EXPECT_EQ(q.filters[1].name, "EMAIL");
  EXPECT_EQ(q.filters[1].text_matches.at(0).match_type, TextMatch::Type::kContains);
  EXPECT_FALSE(q.limit.has_value());
}

TEST(DavRequests, AddressbookQueryLimitRfc6352_8_6_5) {
  auto q = report<AddressbookQuery>(
      kDecl +
      "<C:addressbook-query xmlns:D=\"DAV:\"\n                  xmlns:C=\"urn:ietf:params:xml:ns:carddav\">\n"
      "  <D:prop>\n    <D:getetag/>\n  </D:prop>\n  <C:filter test=\"anyof\">\n"
      "    <C:prop-filter name=\"FN\">\n"
      "      <C:text-match collation=\"i;unicode-casemap\"\n                    match-type=\"contains\"\n"
      "      >daboo</C:text-match>\n    </C:prop-filter>\n  </C:filter>\n"
      "  <C:limit>\n    <C:nresults>2</C:nresults>\n  </C:limit>\n</C:addressbook-query>");
  EXPECT_FALSE(q.props.address_data);
  ASSERT_EQ(q.filters.size(), 1u);
  EXPECT_EQ(q.limit, 2u);
}

TEST(DavRequests, AddressbookMultigetRfc6352_8_7_1) {
  auto m = report<AddressbookMultiget>(
      kDecl +
      "<C:addressbook-multiget xmlns:D=\"DAV:\"\n                 xmlns:C=\"urn:ietf:params:xml:ns:carddav\">\n"
      "  <D:prop>\n    <D:getetag/>\n    <C:address-data>\n      <C:prop name=\"VERSION\"/>\n"
      "      <C:prop name=\"UID\"/>\n      <C:prop name=\"NICKNAME\"/>\n      <C:prop name=\"EMAIL\"/>\n"
      "      <C:prop name=\"FN\"/>\n    </C:address-data>\n  </D:prop>\n"
      "  <D:href>/home/bernard/addressbook/vcf102.vcf</D:href>\n"
      "  <D:href>/home/bernard/addressbook/vcf1.vcf</D:href>\n</C:addressbook-multiget>");
  ASSERT_EQ(m.hrefs.size(), 2u);
  EXPECT_EQ(m.hrefs[0], "/home/bernard/addressbook/vcf102.vcf");
  EXPECT_TRUE(m.props.address_data);
}

TEST(DavRequests, SyncCollectionRfc6578_3_8) {
  auto s = report<SyncCollection>(
      kDecl +
      "<D:sync-collection xmlns:D=\"DAV:\">\n  <D:sync-token/>\n  <D:sync-level>1</D:sync-level>\n"
      "  <D:prop xmlns:R=\"urn:ns.example.com:boxschema\">\n    <D:getetag/>\n    <R:bigbox/>\n"
      "  </D:prop>\n</D:sync-collection>");
  EXPECT_TRUE(s.sync_token.empty());
  EXPECT_FALSE(s.infinite);
  ASSERT_EQ(s.props.props.size(), 2u);
  EXPECT_EQ(s.props.props[1], (Name{"urn:ns.example.com:boxschema", "bigbox"}));
  auto t = report<SyncCollection>(
      kDecl +
      "<D:sync-collection xmlns:D=\"DAV:\">\n  <D:sync-token\n    >http://example.com/ns/sync/1234</D:sync-token>\n"
      "  <D:sync-level>infinite</D:sync-level>\n  <D:limit><D:nresults>100</D:nresults></D:limit>\n"
      "  <D:prop><D:getetag/></D:prop>\n</D:sync-collection>");
  EXPECT_EQ(t.sync_token, "http://example.com/ns/sync/1234");
  EXPECT_TRUE(t.infinite);
  EXPECT_EQ(t.limit, 100u);
}

TEST(DavRequests, RefusesBadReports) {
  auto bad = [](const std::string& b) { return refused(parse_report(b, {})); };
  EXPECT_NE(bad("<D:expand-property xmlns:D=\"DAV:\"/>").find("unsupported REPORT"),
            std::string::npos);
  EXPECT_NE(bad("<C:free-busy-query xmlns:C=\"urn:ietf:params:xml:ns:caldav\">"
                "<C:time-range start=\"2006-01-04\"/></C:free-busy-query>")
                .find("UTC date-time"),
            std::string::npos);
  EXPECT_NE(bad("<C:free-busy-query xmlns:C=\"urn:ietf:params:xml:ns:caldav\">"
                "<C:time-range start=\"20060105T000000Z\" end=\"20060104T000000Z\"/>"
                "</C:free-busy-query>")
                .find("not after"),
            std::string::npos);
  EXPECT_NE(bad("<C:calendar-query xmlns:C=\"urn:ietf:params:xml:ns:caldav\"><C:filter>"
                "<C:comp-filter name=\"VEVENT\"/></C:filter></C:calendar-query>")
                .find("VCALENDAR"),
            std::string::npos);
  EXPECT_NE(bad("<C:calendar-query xmlns:C=\"urn:ietf:params:xml:ns:caldav\"/>").find("filter"),
            std::string::npos);
  EXPECT_NE(bad("<D:sync-collection xmlns:D=\"DAV:\"><D:sync-token/><D:sync-level>2"
                "</D:sync-level><D:prop/></D:sync-collection>")
                .find("sync-level"),
            std::string::npos);
  EXPECT_NE(bad("<C:calendar-multiget xmlns:C=\"urn:ietf:params:xml:ns:caldav\"/>").find("href"),
            std::string::npos);
  EXPECT_NE(bad("<C:addressbook-query xmlns:C=\"urn:ietf:params:xml:ns:carddav\"><C:filter>"
                "<C:prop-filter name=\"FN\"><C:text-match match-type=\"regex\">x</C:text-match>"
                "</C:prop-filter></C:filter></C:addressbook-query>")
                .find("match-type"),
            std::string::npos);
}

TEST(DavRequests, UtcTimeRoundTrip) {
  EXPECT_EQ(parse_utc_time("20060104T000000Z"), at(2006y / 1 / 4));
  EXPECT_EQ(format_utc_time(at(2006y / 1 / 4, 14h)), "20060104T140000Z");
  EXPECT_FALSE(parse_utc_time("20060230T000000Z"));
  EXPECT_FALSE(parse_utc_time("20060104T000000"));
  EXPECT_FALSE(parse_utc_time("20060104T250000Z"));
}

TEST(DavRequests, ParsesEveryExampleSplitAtEveryOffsetAsTruncatedInput) {
  // Truncated bodies must be refused cleanly (no crash, no acceptance of a partial tree).
  std::string body =
      "<C:calendar-query xmlns:D=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\"><D:prop>"
      "<D:getetag/></D:prop><C:filter><C:comp-filter name=\"VCALENDAR\"/></C:filter>"
      "</C:calendar-query>";
  for (std::size_t i = 0; i < body.size(); ++i)
    EXPECT_NE(refused(parse_report(body.substr(0, i), {})), "<accepted>") << i;
  EXPECT_EQ(refused(parse_report(body, {})), "<accepted>");
}

}  // namespace
}  // namespace taube::dav::wire
