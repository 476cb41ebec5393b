// The DSN as a MIME parser sees it (Taube's own; the e2e test also parses one
// with Python's email package).
#include "outbound/dsn.hpp"

#include <gtest/gtest.h>

#include "mime/part.hpp"

namespace taube::outbound {
namespace {

DsnInput sample(DsnAction action) {
  DsnInput in;
  in.action = action;
  in.reporting_mta = "mail.a.test";
  in.sender = "alice@a.test";
  in.envid = "env-1";
  in.arrival = std::chrono::sys_seconds(std::chrono::seconds(1800000000));
  in.now = in.arrival + std::chrono::seconds(60);
  DsnRecipient r;
  r.address = "bob@b.test";
  r.orcpt = "rfc822;bob@b.test";
  r.status = "5.1.1";
  r.remote_mta = "mx.b.test[127.0.0.1]";
  r.diagnostic = "550 5.1.1 no such user";
  in.recipients.push_back(r);
  in.original = "From: alice@a.test\r\nTo: bob@b.test\r\nSubject: hello\r\n\r\nbody text\r\n";
  return in;
}

TEST(Dsn, FailureIsAMultipartReportWithThreeParts) {
  std::string dsn = build_dsn(sample(DsnAction::kFailed));
  mime::Part root = mime::parse(dsn);
  ASSERT_EQ(root.kind, mime::Part::Kind::kMultipart);
  EXPECT_TRUE(root.content_type.is("multipart", "report"));
  bool report_type = false;
  for (auto& p : root.content_type.params)
    if (p.name == "report-type" && p.value == "delivery-status") report_type = true;
  EXPECT_TRUE(report_type);
  ASSERT_EQ(root.children.size(), 3u);
  EXPECT_TRUE(root.children[0].content_type.is("text", "plain"));
  EXPECT_TRUE(root.children[1].content_type.is("message", "delivery-status"));
  EXPECT_TRUE(root.children[2].content_type.is("message", "rfc822"));
  std::string status(root.children[1].body(dsn));
  EXPECT_NE(status.find("Reporting-MTA: dns; mail.a.test\r\n"), std::string::npos);
  EXPECT_NE(status.find("Original-Envelope-Id: env-1\r\n"), std::string::npos);
  EXPECT_NE(status.find("Final-Recipient: rfc822; bob@b.test\r\n"), std::string::npos);
  EXPECT_NE(status.find("Original-Recipient: rfc822;bob@b.test\r\n"), std::string::npos);
  EXPECT_NE(status.find("Action: failed\r\n"), std::string::npos);
  EXPECT_NE(status.find("Status: 5.1.1\r\n"), std::string::npos);
  EXPECT_NE(status.find("Diagnostic-Code: smtp; 550 5.1.1 no such user\r\n"), std::string::npos);
  EXPECT_NE(std::string(root.children[2].body(dsn)).find("Subject: hello"), std::string::npos);
  EXPECT_NE(dsn.find("Auto-Submitted: auto-replied\r\n"), std::string::npos);
  EXPECT_NE(dsn.find("To: <alice@a.test>\r\n"), std::string::npos);
}

TEST(Dsn, DelayReturnsHeadersOnly) {
  DsnInput in = sample(DsnAction::kDelayed);
  in.recipients[0].status = "4.4.1";
  in.recipients[0].diagnostic.clear();
  in.recipients[0].remote_mta.clear();
  in.recipients[0].reason = "connection refused";
  std::string dsn = build_dsn(in);
  mime::Part root = mime::parse(dsn);
  ASSERT_EQ(root.children.size(), 3u);
  EXPECT_TRUE(root.children[2].content_type.is("text", "rfc822-headers"));
  std::string status(root.children[1].body(dsn));
  EXPECT_NE(status.find("Action: delayed\r\n"), std::string::npos);
  EXPECT_NE(status.find("Status: 4.4.1\r\n"), std::string::npos);
  EXPECT_EQ(std::string(root.children[2].body(dsn)).find("body text"), std::string::npos);
}

TEST(Dsn, RetHdrsLeavesTheBodyOut) {
  DsnInput in = sample(DsnAction::kFailed);
  in.ret = store::DsnRet::kHeaders;
  mime::Part root = mime::parse(build_dsn(in));
  EXPECT_TRUE(root.children[2].content_type.is("text", "rfc822-headers"));
}

TEST(Dsn, StatusFromReply) {
  EXPECT_EQ(status_from_reply(550, "5.1.1 no such user"), "5.1.1");
  EXPECT_EQ(status_from_reply(550, "no such user"), "5.0.0");
  EXPECT_EQ(status_from_reply(451, "try later"), "4.0.0");
  EXPECT_EQ(status_from_reply(552, "5.3.4"), "5.3.4");
  EXPECT_EQ(status_from_reply(550, "5.1.1x"), "5.0.0");
}

}  // namespace
}  // namespace taube::outbound
