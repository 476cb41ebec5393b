#include "dav/sched/itip.hpp"

#include <gtest/gtest.h>

namespace taube::dav::sched {
namespace {

std::string event(std::string attendees, std::string extra = {}) {
  return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:m1@example.org\r\n"
         "DTSTAMP:20261101T000000Z\r\nDTSTART:20261201T100000Z\r\nDTEND:20261201T110000Z\r\n"
         "SUMMARY:Planning\r\nORGANIZER:mailto:a@example.org\r\n"
         "ATTENDEE;PARTSTAT=ACCEPTED:mailto:a@example.org\r\n" +
         attendees + extra + "END:VEVENT\r\nEND:VCALENDAR\r\n";
}

const std::string kB = "ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:B@example.org\r\n";
const std::string kX = "ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:x@elsewhere.test\r\n";

TEST(Itip, InspectFindsOrganizerAndAttendees) {
  auto info = inspect(event(kB + kX));
  ASSERT_TRUE(info);
  EXPECT_EQ(info->organizer, "a@example.org");
  EXPECT_EQ(info->uid, "m1@example.org");
  ASSERT_EQ(info->attendees.size(), 3u);
  EXPECT_EQ(info->attendees[1].address, "b@example.org");
  EXPECT_EQ(info->attendees[1].partstat, "NEEDS-ACTION");
  EXPECT_FALSE(inspect("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"));
}

TEST(Itip, NewEventRequestsEveryAttendeeButTheOrganizer) {
  auto out = organizer_put("", event(kB + kX));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].recipient, "b@example.org");
  EXPECT_EQ(out[1].recipient, "x@elsewhere.test");
  EXPECT_EQ(out[0].method, Method::kRequest);
  EXPECT_NE(out[0].ical.find("METHOD:REQUEST"), std::string::npos);
  // The recipient's copy carries no METHOD.
  EXPECT_EQ(without_method(out[0].ical).find("METHOD"), std::string::npos);
}

TEST(Itip, ClientScheduledAttendeesAreLeftAlone) {
  auto out = organizer_put("", event("ATTENDEE;SCHEDULE-AGENT=CLIENT:mailto:b@example.org\r\n"));
  EXPECT_TRUE(out.empty());
}

TEST(Itip, UnchangedPutSendsNothingAndDroppedAttendeeIsCancelled) {
  std::string before = event(kB + kX);
  EXPECT_TRUE(organizer_put(before, before).empty());
  // Only SCHEDULE-STATUS differs: still no change for the attendees.
  EXPECT_TRUE(organizer_put(before, with_schedule_status(before, {{"b@example.org", "1.2"}})).empty());
  auto out = organizer_put(before, event(kB));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].method, Method::kRequest);
  EXPECT_EQ(out[1].method, Method::kCancel);
  EXPECT_EQ(out[1].recipient, "x@elsewhere.test");
  EXPECT_NE(out[1].ical.find("STATUS:CANCELLED"), std::string::npos);
  EXPECT_EQ(out[1].ical.find("b@example.org"), std::string::npos);
}

TEST(Itip, OrganizerDeleteCancelsAll) {
  auto out = organizer_delete(event(kB + kX));
  ASSERT_EQ(out.size(), 2u);
  for (const auto& m : out) {
    EXPECT_EQ(m.method, Method::kCancel);
    EXPECT_NE(m.ical.find("METHOD:CANCEL"), std::string::npos);
    EXPECT_NE(m.ical.find("SEQUENCE:1"), std::string::npos);
  }
}

TEST(Itip, AttendeeAcceptRepliesAndOrganizerCopyTakesItOver) {
  std::string copy = event(kB + kX);
  EXPECT_FALSE(attendee_put(copy, copy, "b@example.org"));
  std::string accepted = with_partstat(copy, "b@example.org", "ACCEPTED");
  auto reply = attendee_put(copy, accepted, "b@example.org");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->recipient, "a@example.org");
  EXPECT_EQ(reply->method, Method::kReply);
  EXPECT_NE(reply->ical.find("METHOD:REPLY"), std::string::npos);
  EXPECT_EQ(reply->ical.find("x@elsewhere.test"), std::string::npos);
  auto updated = apply_reply(copy, reply->ical);
  ASSERT_TRUE(updated);
  auto info = inspect(*updated);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->find("b@example.org")->partstat, "ACCEPTED");
  EXPECT_EQ(info->find("x@elsewhere.test")->partstat, "NEEDS-ACTION");
  EXPECT_NE(updated->find("SCHEDULE-STATUS=2.0"), std::string::npos);
  // The organizer does not reply to itself.
  EXPECT_FALSE(attendee_put(copy, accepted, "a@example.org"));
}

TEST(Itip, ReplyForAnotherEventIsRefused) {
  std::string copy = event(kB);
  std::string other = copy;
  other.replace(other.find("m1@"), 3, "m2@");
  auto reply = reply_from(with_partstat(other, "b@example.org", "ACCEPTED"), "b@example.org");
  EXPECT_FALSE(apply_reply(copy, reply));
}

TEST(Itip, AttendeeDeleteDeclines) {
  auto m = attendee_delete(event(kB), "b@example.org");
  ASSERT_TRUE(m);
  EXPECT_NE(m->ical.find("PARTSTAT=DECLINED"), std::string::npos);
  EXPECT_FALSE(attendee_delete(with_partstat(event(kB), "b@example.org", "DECLINED"), "b@example.org"));
}

TEST(Itip, CancelledCopy) {
  std::string c = cancelled(organizer_delete(event(kB))[0].ical);
  EXPECT_NE(c.find("STATUS:CANCELLED"), std::string::npos);
  EXPECT_EQ(c.find("METHOD"), std::string::npos);
}

TEST(Itip, ImipMailIsMultipartAlternativeWithCalendarPart) {
  auto out = organizer_put("", event(kX));
  ASSERT_EQ(out.size(), 1u);
  std::string mail = imip_mail(out[0], "a@example.org", "Planning \xc3\xa9", "Fri, 27 Nov 2026 00:00:00 +0000",
                               "abc@example.org");
  EXPECT_NE(mail.find("From: <a@example.org>\r\n"), std::string::npos);
  EXPECT_NE(mail.find("To: <x@elsewhere.test>\r\n"), std::string::npos);
  EXPECT_NE(mail.find("Subject: =?UTF-8?B?"), std::string::npos);
  EXPECT_NE(mail.find("multipart/alternative"), std::string::npos);
  EXPECT_NE(mail.find("Content-Type: text/calendar; charset=UTF-8; method=REQUEST"), std::string::npos);
  EXPECT_NE(mail.find("Content-Type: text/plain; charset=UTF-8"), std::string::npos);
  for (std::size_t i = 0; (i = mail.find('\n', i)) != std::string::npos; ++i) ASSERT_EQ(mail[i - 1], '\r');
}

TEST(Itip, FreeBusyRequestAndReply) {
  const std::string req =
      "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nMETHOD:REQUEST\r\nBEGIN:VFREEBUSY\r\n"
      "UID:fb1\r\nDTSTAMP:20261101T000000Z\r\nDTSTART:20261201T000000Z\r\nDTEND:20261202T000000Z\r\n"
      "ORGANIZER:mailto:a@example.org\r\nATTENDEE:mailto:b@example.org\r\nATTENDEE:mailto:C@example.org\r\n"
      "END:VFREEBUSY\r\nEND:VCALENDAR\r\n";
  auto r = parse_freebusy_request(req);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->organizer, "a@example.org");
  ASSERT_EQ(r->attendees.size(), 2u);
  EXPECT_EQ(r->attendees[1], "c@example.org");
  EXPECT_EQ((r->end - r->start).count(), 86400);
  using std::chrono::hours;
  std::string reply = freebusy_reply(*r, "b@example.org",
                                     {{r->start + hours(12), r->start + hours(13)},
                                      {r->start + hours(10), r->start + hours(12)}});
  EXPECT_NE(reply.find("METHOD:REPLY"), std::string::npos);
  EXPECT_NE(reply.find("20261201T100000Z/20261201T130000Z"), std::string::npos) << reply;
  EXPECT_FALSE(parse_freebusy_request(event(kB)));
}

}  // namespace
}  // namespace taube::dav::sched
