#include "config/config.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace taube::config {
namespace {

TEST(Config, EmptyFileGivesDevelopmentDefaults) {
  auto c = parse_config("", "t.toml");
  ASSERT_TRUE(c) << c.error().detail;
  EXPECT_EQ(c->data_dir, "var");
  EXPECT_EQ(c->listeners.at("smtp").endpoints.at(0).to_string(), "127.0.0.1:2525");
  EXPECT_EQ(c->listeners.at("imaps").endpoints.at(0).to_string(), "127.0.0.1:2993");
  EXPECT_EQ(c->listeners.at("http").endpoints.at(0).port, 8080);
  EXPECT_EQ(c->cert_file(), std::filesystem::path("var/tls/cert.pem"));
}

TEST(Config, ReadsKeysOverDefaults) {
  auto c = parse_config(R"(
[server]
hostname = "mail.example.org"
data_dir = "/srv/taube"
[listen]
smtp = ["0.0.0.0:25", "[::]:25"]
pop3 = ""
[smtp]
max_message_bytes = 10485760
command_timeout_seconds = 60
)", "t.toml");
  ASSERT_TRUE(c) << c.error().detail;
  EXPECT_EQ(c->hostname, "mail.example.org");
  ASSERT_EQ(c->listeners.at("smtp").endpoints.size(), 2u);
  EXPECT_EQ(c->listeners.at("smtp").endpoints[1].host, "::");
  EXPECT_EQ(c->listeners.at("smtp").endpoints[1].to_string(), "[::]:25");
  EXPECT_TRUE(c->listeners.at("pop3").endpoints.empty());
  EXPECT_EQ(c->smtp.max_message_bytes, 10485760u);
  EXPECT_EQ(c->smtp.command_timeout, std::chrono::seconds(60));
  EXPECT_EQ(c->cert_file(), std::filesystem::path("/srv/taube/tls/cert.pem"));
}

TEST(Config, UnknownKeyIsAnErrorNamingKeyAndLine) {
  auto c = parse_config("[listen]\nsmtp = \"127.0.0.1:25\"\nsmpt = \"127.0.0.1:26\"\n", "t.toml");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().detail, "t.toml:3: unknown key 'listen.smpt'");
  auto top = parse_config("colour = 1\n", "x.toml");
  ASSERT_FALSE(top);
  EXPECT_EQ(top.error().detail, "x.toml:1: unknown key 'colour'");
}

TEST(Config, ProxyProtocolIsRefusedUntilSupported) {
  auto c = parse_config("[proxy_protocol]\nimap = true\n", "t.toml");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().detail.find("proxy_protocol.imap"), std::string::npos) << c.error().detail;
  EXPECT_TRUE(parse_config("[proxy_protocol]\nimap = false\n", "t.toml"));
}

TEST(Config, WrongTypesAndRangesAreErrorsNamingTheKey) {
  auto c = parse_config("[smtp]\nmax_recipients = \"many\"\n", "t.toml");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().detail.find("t.toml:2: 'smtp.max_recipients' must be a whole number"), std::string::npos)
      << c.error().detail;
  auto zero = parse_config("[smtp]\nmax_recipients = 0\n", "t.toml");
  ASSERT_FALSE(zero);
  auto level = parse_config("[log]\nlevel = \"loud\"\n", "t.toml");
  ASSERT_FALSE(level);
  EXPECT_NE(level.error().detail.find("log.level"), std::string::npos);
}

TEST(Config, SyntaxErrorNamesTheLine) {
  auto c = parse_config("[server]\nhostname = \n", "t.toml");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().detail.rfind("t.toml:2: ", 0), 0u) << c.error().detail;
}

TEST(Config, ParsesEndpoints) {
  EXPECT_EQ(parse_endpoint("127.0.0.1:993")->port, 993);
  EXPECT_EQ(parse_endpoint("[::1]:143")->host, "::1");
  EXPECT_FALSE(parse_endpoint("127.0.0.1"));
  EXPECT_FALSE(parse_endpoint("::1:143"));  // IPv6 needs brackets
  EXPECT_FALSE(parse_endpoint("host:65536"));
  EXPECT_FALSE(parse_endpoint(":25"));
  EXPECT_FALSE(parse_endpoint("host:2x5"));
}

TEST(Config, ReadsSpoolAndAlertKeys) {
  auto d = parse_config("", "t.toml");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->spool_dir(), std::filesystem::path("var/spool"));
  EXPECT_TRUE(d->alert.command.empty());
  auto c = parse_config(R"(
[spool]
directory = "/var/spool/taube"
max_bytes = 2048
[alert]
command = "/usr/local/bin/sms-alert"
webhook = "http://127.0.0.1:9000/hook"
min_interval_seconds = 5
)", "t.toml");
  ASSERT_TRUE(c) << c.error().detail;
  EXPECT_EQ(c->spool_dir(), std::filesystem::path("/var/spool/taube"));
  EXPECT_EQ(c->spool.max_bytes, 2048u);
  EXPECT_EQ(c->alert.command, "/usr/local/bin/sms-alert");
  EXPECT_EQ(c->alert.webhook, "http://127.0.0.1:9000/hook");
  EXPECT_EQ(c->alert.min_interval, std::chrono::seconds(5));
  EXPECT_FALSE(parse_config("[alert]\nwebhook = \"https://x/\"\n", "t.toml"));
  EXPECT_FALSE(parse_config("[spool]\nmax_bytes = 1\n", "t.toml"));
}

TEST(Config, MailauthKeys) {
  auto c = parse_config("[mailauth]\ndmarc_policy = \"enforce\"\ncheck_timeout_seconds = 5\n"
                        "dkim_directory = \"keys\"\n", "t.toml");
  ASSERT_TRUE(c) << c.error().detail;
  EXPECT_EQ(c->mailauth.dmarc_policy, "enforce");
  EXPECT_EQ(c->mailauth.check_timeout, std::chrono::seconds(5));
  EXPECT_EQ(c->dkim_dir(), c->data_dir / "keys");
  EXPECT_EQ(default_config().dkim_dir(), default_config().data_dir / "dkim");
  EXPECT_FALSE(parse_config("[mailauth]\ndmarc_policy = \"reject\"\n", "t.toml"));
}

// The example file documents every key: it must parse, and it must mention every key.
TEST(Config, ExampleFileParsesAndDocumentsEveryKey) {
  std::filesystem::path example = std::filesystem::path(TAUBE_SOURCE_DIR) / "docs" / "taube.example.toml";
  std::ifstream in(example);
  ASSERT_TRUE(in) << example;
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  auto c = parse_config(text, "taube.example.toml");
  ASSERT_TRUE(c) << c.error().detail;
  // Every key the loader reads appears (set or commented out) in the example.
  for (std::string_view key :
       {"data_dir", "hostname", "url", "level", "cert_file", "key_file", "allow_plaintext_from_loopback",
        "max_message_bytes", "max_recipients", "max_errors", "max_connections", "max_connections_per_ip",
        "command_timeout_seconds", "data_timeout_seconds", "max_append_bytes", "max_command_bytes",
        "idle_timeout_seconds", "directory", "max_bytes", "command", "webhook",
        "min_interval_seconds", "max_body_bytes", "trusted_proxies", "verify_inbound", "dmarc_policy",
        "check_timeout_seconds", "dkim_directory"}) {
    EXPECT_NE(text.find(std::string(key) + " ="), std::string::npos) << key;
  }
  for (std::string_view name : kListenerNames) {
    EXPECT_NE(text.find(std::string(name) + " ="), std::string::npos) << name;
  }
}

}  // namespace
}  // namespace taube::config
