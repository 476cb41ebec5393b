// Taube's configuration: one TOML file, safe defaults for every key.
// `parse_config` is pure (text in, Config or a message naming the key and line out);
// `load_config` reads a file. An unknown key is an error, so a typo never silently
// falls back to a default. Every key is documented in docs/taube.example.toml.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"

namespace taube::config {

// One address a listener binds, e.g. "127.0.0.1:2525" or "[::1]:2525".
struct Endpoint {
  std::string host;
  uint16_t port = 0;
  std::string to_string() const;
};

struct Listener {
  std::vector<Endpoint> endpoints;  // empty: the listener is off
  bool proxy_protocol = false;      // expect a PROXY v2 header first (behind HAProxy)
};

struct TlsConfig {
  std::filesystem::path cert_file;  // PEM chain; default <data>/tls/cert.pem
  std::filesystem::path key_file;   // PEM key;   default <data>/tls/key.pem
};

struct SmtpLimits {
  uint64_t max_message_bytes = 50ull << 20;
  uint32_t max_recipients = 1000;
  uint32_t max_errors = 10;  // a session is closed after this many errors
  uint32_t max_connections = 2000;
  uint32_t max_connections_per_ip = 50;
  std::chrono::seconds command_timeout{300};  // RFC 5321 4.5.3.2.7
  std::chrono::seconds data_timeout{600};     // RFC 5321 4.5.3.2.6
  // Submission: MAIL FROM and From: must be the user's own address or an alias of it.
  bool enforce_sender = true;
  // Larger messages go to an unlinked file in <data>/tmp while they arrive.
  uint64_t spill_threshold_bytes = 1ull << 20;
};

struct ImapLimits {
  uint64_t max_append_bytes = 50ull << 20;  // announced as APPENDLIMIT
  uint32_t max_command_bytes = 64 * 1024;
  uint32_t max_connections = 50000;
  uint32_t max_connections_per_ip = 200;
  std::chrono::seconds idle_timeout{1800};  // RFC 9051 5.4: at least 30 minutes
};

// The HTTP listeners (CalDAV/CardDAV, health, metrics).
struct HttpConfig {
  uint64_t max_body_bytes = 10ull << 20;  // larger request bodies get 413
  // Addresses of TLS-terminating proxies: their plain-HTTP requests may carry Basic
  // credentials (the proxy did TLS with the client). Empty: none.
  std::vector<std::string> trusted_proxies;
  // Accounts that are rooms for CalDAV scheduling: invitations are accepted at once
  // when the room's calendar is free, declined when busy. Lower case.
  std::vector<std::string> rooms;
};

// Degraded mode (DESIGN.md promise 3): where SMTP/LMTP put accepted mail while the
// store is unavailable, and how much of it.
struct SpoolConfig {
  std::filesystem::path directory;  // default <data>/spool
  uint64_t max_bytes = 1ull << 30;  // beyond it, 452 4.3.1
};

// The out-of-band alert fired when the node becomes degraded and when it recovers.
struct AlertConfig {
  std::string command;  // run as `command <state>` with a short text on stdin; "" = none
  std::string webhook;  // "http://host:port/path", POSTed a JSON body; "" = none
  std::chrono::seconds min_interval{60};  // at most one alert per interval
};

// [dns]: the resolver for outbound delivery and mail authentication.
struct DnsConfig {
  std::string resolver;  // "ip[:port]" to forward to; "" = /etc/resolv.conf
  std::chrono::seconds timeout{10};  // per lookup
  std::string trust_anchor_file;     // DNSSEC root key; "" = no validation
};

// [mailauth]: DKIM signing keys and the checks on mail arriving at the smtp (MX)
// listener: SPF, DKIM, DMARC, written as Authentication-Results (src/mailauth).
struct MailauthConfig {
  bool verify_inbound = true;
  std::string dmarc_policy = "mark";  // "mark": header only; "enforce": p=reject -> 550, quarantine -> Junk
  std::chrono::seconds check_timeout{20};  // all lookups for one message
  std::filesystem::path dkim_directory;    // default <data>/dkim: <domain>.<selector>.key
};

// [outbound]: delivery of mail for other domains from the store's queue.
struct OutboundConfig {
  bool enabled = true;
  std::string node_id;  // lease owner name; "" = <hostname>-<pid>
  // Per destination domain (lower case): "host:port" instead of MX lookup.
  std::map<std::string, std::string> routes;
  std::string smarthost;                 // "host:port" for every other domain; "" = MX
  std::string tls = "opportunistic";     // "none", "opportunistic" or "verify"
  uint32_t max_connections = 50;         // deliveries in flight, in total
  uint32_t max_per_domain = 10;          // ... to one destination domain
  std::chrono::seconds retry_initial{300};      // first retry; doubles each time
  std::chrono::seconds retry_max{3600};         // ... up to this
  std::chrono::seconds give_up_after{5 * 86400};  // then bounce (RFC 5321 4.5.4.1)
  std::chrono::seconds delay_notice_after{4 * 3600};  // delay DSN
  std::chrono::seconds lease{120};               // renewed while a delivery runs
  std::chrono::seconds connect_timeout{30};
  std::chrono::seconds idle_connection{10};      // an unused connection is closed after
  std::chrono::milliseconds poll_interval{1000}; // how often the queue is looked at
};

struct Config {
  std::filesystem::path data_dir = "var";
  std::string hostname = "localhost";
  std::string store_url;  // empty: SQLite at <data>/taube.db; "postgresql://..." later
  std::string log_level = "info";
  TlsConfig tls;
  std::map<std::string, Listener> listeners;  // by protocol name, see kListenerNames
  bool allow_plaintext_auth_from_loopback = true;
  SmtpLimits smtp;
  ImapLimits imap;
  HttpConfig http;
  SpoolConfig spool;
  AlertConfig alert;
  DnsConfig dns;
  MailauthConfig mailauth;
  OutboundConfig outbound;

  // Where a relative path in the configuration points: below data_dir.
  std::filesystem::path resolve(const std::filesystem::path& p) const;
  std::filesystem::path sqlite_path() const { return data_dir / "taube.db"; }
  std::filesystem::path cert_file() const;
  std::filesystem::path key_file() const;
  std::filesystem::path spool_dir() const;
  std::filesystem::path dkim_dir() const;
};

// The protocols that have a [listen] key, in the order they are reported.
inline constexpr std::string_view kListenerNames[] = {
    "smtp", "submission", "submissions", "lmtp", "imap", "imaps", "pop3", "pop3s", "http", "https"};

// The defaults: every listener on 127.0.0.1 on an unprivileged development port.
Config default_config();

// Parses TOML text over the defaults. On error the message names the key and line,
// e.g. "taube.toml:7: unknown key 'listen.smpt'".
Result<Config> parse_config(std::string_view toml_text, std::string_view source_name);

// Reads and parses a file; NotFound when it does not exist.
Result<Config> load_config(const std::filesystem::path& file);

// Parses "host:port" or "[v6]:port". InvalidArgument with a reason on failure.
Result<Endpoint> parse_endpoint(std::string_view text);

}  // namespace taube::config
