#include "smtp/server/trace.hpp"

#include <gtest/gtest.h>

namespace taube::smtp::server {
namespace {

using std::chrono::sys_days;
using namespace std::chrono;

TraceInfo sample() {
  TraceInfo info;
  info.reverse_path = "alice@example.net";
  info.helo = "client.example.net";
  info.helo_is_domain = true;
  info.remote_address = "192.0.2.7";
  info.by_host = "mx.example.org";
  info.protocol = "ESMTPS";
  info.tls = "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384";
  info.for_recipient = "bob@example.org";
  info.when = sys_days{year{2026} / 11 / 26} + hours{12} + minutes{3} + seconds{4};
  return info;
}

TEST(SmtpTrace, FormatsReturnPathAndReceivedPerRfc5321) {
  EXPECT_EQ(format_trace_headers(sample()),
            "Return-Path: <alice@example.net>\r\n"
            "Received: from client.example.net ([192.0.2.7])\r\n"
            "\tby mx.example.org with ESMTPS (using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384)\r\n"
            "\tfor <bob@example.org>; Thu, 26 Nov 2026 12:03:04 +0000\r\n");
}

TEST(SmtpTrace, NullSenderNoForClauseAndInvalidHeloBecomesUnknown) {
  TraceInfo info = sample();
  info.reverse_path.clear();
  info.for_recipient.clear();
  info.tls.clear();
  info.helo = "bad helo\r\nX-Injected: 1";
  info.helo_is_domain = false;
  info.protocol = "SMTP";
  EXPECT_EQ(format_trace_headers(info),
            "Return-Path: <>\r\n"
            "Received: from unknown ([192.0.2.7])\r\n"
            "\tby mx.example.org with SMTP; Thu, 26 Nov 2026 12:03:04 +0000\r\n");
}

TEST(SmtpTrace, ClientTextCannotBreakTheHeaderLine) {
  TraceInfo info = sample();
  info.helo = "evil.example\r\nX-Injected:(1);";
  info.reverse_path = "a\r\nX-Evil: 1>@example.net";
  const std::string text = format_trace_headers(info);
  EXPECT_EQ(text.find("\r\nX-"), std::string::npos) << text;
  EXPECT_EQ(text.find("\nX-"), std::string::npos) << text;
}

TEST(SmtpTrace, ProtocolKeywordsFollowRfc3848) {
  EXPECT_EQ(with_protocol(false, false, false, false), "SMTP");
  EXPECT_EQ(with_protocol(false, true, false, false), "ESMTP");
  EXPECT_EQ(with_protocol(false, true, true, false), "ESMTPS");
  EXPECT_EQ(with_protocol(false, true, false, true), "ESMTPA");
  EXPECT_EQ(with_protocol(false, true, true, true), "ESMTPSA");
  EXPECT_EQ(with_protocol(true, true, false, false), "LMTP");
  EXPECT_EQ(with_protocol(true, true, true, false), "LMTPS");
}

TEST(SmtpTrace, DateIsRfc5322InUtc) {
  EXPECT_EQ(format_date(sys_days{year{2024} / 2 / 29}), "Thu, 29 Feb 2024 00:00:00 +0000");
  EXPECT_EQ(format_date(sys_days{year{1970} / 1 / 1} + seconds{59}),
            "Thu, 01 Jan 1970 00:00:59 +0000");
}

}  // namespace
}  // namespace taube::smtp::server
