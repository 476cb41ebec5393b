#include "ical/vcard.hpp"

#include <gtest/gtest.h>

namespace taube::ical {
namespace {

std::string reason_of(const std::string& text) {
  auto r = parse_vcard(text, {});
  if (!std::holds_alternative<VcardInvalid>(r)) return "<accepted>";
  return std::get<VcardInvalid>(r).reason;
}

// RFC 6352 6.3.2 (vCard 3.0, folded).
const std::string kRfc6352Card =
    "BEGIN:VCARD\r\nVERSION:3.0\r\nNICKNAME:me\r\nUID:34222-232@example.com\r\n"
    "FN:Cyrus Daboo\r\nEMAIL:daboo@example.com\r\nEND:VCARD\r\n";

TEST(IcalVcard, ParsesRfc6352Example) {
  auto r = parse_vcard(kRfc6352Card, {});
  ASSERT_TRUE(std::holds_alternative<Vcard>(r)) << std::get<VcardInvalid>(r).reason;
  const Vcard& v = std::get<Vcard>(r);
  EXPECT_EQ(v.version, "3.0");
  EXPECT_EQ(v.uid, "34222-232@example.com");
  EXPECT_EQ(v.fn, "Cyrus Daboo");
  ASSERT_EQ(v.emails.size(), 1u);
  EXPECT_EQ(v.emails[0], "daboo@example.com");
}

TEST(IcalVcard, ParsesVcard4WithFoldingGroupsAndParameters) {
  auto r = parse_vcard(
      "BEGIN:VCARD\nVERSION:4.0\nFN:J. Doe\\, Jr.\nUID:urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e\n"
      " 1eff6b1\nitem1.EMAIL;TYPE=\"work,pref\";PREF=1:jd@example.com\n"
      "TEL;VALUE=uri;TYPE=home:tel:+1-555-555-5555\nEND:VCARD\n",
      {});
  ASSERT_TRUE(std::holds_alternative<Vcard>(r)) << std::get<VcardInvalid>(r).reason;
  const Vcard& v = std::get<Vcard>(r);
  EXPECT_EQ(v.fn, "J. Doe, Jr.");
  EXPECT_EQ(v.uid, "urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1");
  ASSERT_EQ(v.tels.size(), 1u);
  EXPECT_EQ(v.tels[0], "tel:+1-555-555-5555");
  const VcardProperty& email = v.properties[3];
  EXPECT_EQ(email.group, "item1");
  EXPECT_EQ(email.name, "EMAIL");
  ASSERT_EQ(email.params.size(), 2u);
  EXPECT_EQ(email.params[0].first, "TYPE");
  EXPECT_EQ(email.params[0].second, "work,pref");
}

TEST(IcalVcard, RefusesMalformedCardsWithClearText) {
  EXPECT_NE(reason_of("").find("empty"), std::string::npos);
  EXPECT_NE(reason_of("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n").find("BEGIN:VCARD"),
            std::string::npos);
  EXPECT_NE(reason_of("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:x\r\n").find("END:VCARD"),
            std::string::npos);
  EXPECT_NE(reason_of("BEGIN:VCARD\r\nFN:x\r\nEND:VCARD\r\n").find("no VERSION"),
            std::string::npos);
  EXPECT_NE(reason_of("BEGIN:VCARD\r\nVERSION:2.1\r\nFN:x\r\nEND:VCARD\r\n").find("3.0 or 4.0"),
            std::string::npos);
  EXPECT_NE(reason_of("BEGIN:VCARD\r\nVERSION:4.0\r\nEND:VCARD\r\n").find("FN"),
            std::string::npos);
  EXPECT_NE(reason_of("BEGIN:VCARD\r\nVERSION:4.0\r\nFN x\r\nEND:VCARD\r\n").find("':'"),
            std::string::npos);
  EXPECT_NE(reason_of("BEGIN:VCARD\r\nVERSION:4.0\r\nFN;TYPE=\"x:y\r\nEND:VCARD\r\n")
                .find("unterminated"),
            std::string::npos);
  EXPECT_NE(reason_of(kRfc6352Card + kRfc6352Card).find("exactly one vCard"), std::string::npos);
  EXPECT_NE(reason_of(" folded\r\n" + kRfc6352Card).find("continuation"), std::string::npos);
}

TEST(IcalVcard, EnforcesLimits) {
  VcardLimits l;
  l.max_object_bytes = 10;
  EXPECT_TRUE(std::holds_alternative<VcardInvalid>(parse_vcard(kRfc6352Card, l)));
  l = VcardLimits{};
  l.max_properties = 2;
  EXPECT_TRUE(std::holds_alternative<VcardInvalid>(parse_vcard(kRfc6352Card, l)));
}

}  // namespace
}  // namespace taube::ical
