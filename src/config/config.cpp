#include "config/config.hpp"

#include <toml++/toml.h>

#include <fstream>
#include <set>
#include <sstream>

#include "base/ascii.hpp"

namespace taube::config {
namespace {

// Reads keys from a TOML document and remembers which ones it read, so that
// whatever is left over can be reported as unknown with its line.
class Reader {
 public:
  Reader(const toml::table& root, std::string_view source) : root_(root), source_(source) {}

  const toml::node* get(std::string_view dotted) {
    seen_.insert(std::string(dotted));
    return root_.at_path(dotted).node();
  }

  // Error text that names the file, line and key.
  std::string where(const toml::node& node, std::string_view key) const {
    return std::string(source_) + ":" + std::to_string(node.source().begin.line) + ": '" +
           std::string(key) + "'";
  }

  Result<void> read_string(std::string_view key, std::string& out) {
    const toml::node* n = get(key);
    if (!n) return {};
    if (auto v = n->value<std::string>()) {
      out = *v;
      return {};
    }
    return fail(ErrorCode::kInvalidArgument, where(*n, key) + " must be a string");
  }

  Result<void> read_bool(std::string_view key, bool& out) {
    const toml::node* n = get(key);
    if (!n) return {};
    if (auto v = n->value<bool>()) {
      out = *v;
      return {};
    }
    return fail(ErrorCode::kInvalidArgument, where(*n, key) + " must be true or false");
  }

  template <class Int>
  Result<void> read_uint(std::string_view key, Int& out, uint64_t min, uint64_t max) {
    const toml::node* n = get(key);
    if (!n) return {};
    auto v = n->value<int64_t>();
    if (!v || *v < 0 || uint64_t(*v) < min || uint64_t(*v) > max)
      return fail(ErrorCode::kInvalidArgument, where(*n, key) + " must be a whole number from " +
                                                   std::to_string(min) + " to " + std::to_string(max));
    out = Int(*v);
    return {};
  }

  Result<void> read_seconds(std::string_view key, std::chrono::seconds& out, uint64_t min, uint64_t max) {
    uint64_t s = uint64_t(out.count());
    auto r = read_uint(key, s, min, max);
    if (!r) return r;
    out = std::chrono::seconds(s);
    return {};
  }

  // A list of endpoints, given as one string or an array of strings; "" or [] turns it off.
  Result<void> read_endpoints(std::string_view key, std::vector<Endpoint>& out) {
    const toml::node* n = get(key);
    if (!n) return {};
    std::vector<std::string> texts;
    if (auto s = n->value<std::string>()) {
      if (!s->empty()) texts.push_back(*s);
    } else if (auto* arr = n->as_array()) {
      for (auto& item : *arr) {
        auto s2 = item.value<std::string>();
        if (!s2) return fail(ErrorCode::kInvalidArgument, where(*n, key) + " must list strings");
        texts.push_back(*s2);
      }
    } else {
      return fail(ErrorCode::kInvalidArgument,
                  where(*n, key) + " must be \"host:port\" or a list of them");
    }
    out.clear();
    for (auto& t : texts) {
      auto ep = parse_endpoint(t);
      if (!ep) return fail(ErrorCode::kInvalidArgument, where(*n, key) + ": " + ep.error().detail);
      out.push_back(*ep);
    }
    return {};
  }

  // A table of string values with free keys (domains): [outbound.routes].
  Result<void> read_string_map(std::string_view key, std::map<std::string, std::string>& out) {
    const toml::node* n = get(key);
    if (!n) return {};
    auto* t = n->as_table();
    if (!t) return fail(ErrorCode::kInvalidArgument, where(*n, key) + " must be a table");
    for (auto&& [k, v] : *t) {
      seen_.insert(std::string(key) + "." + std::string(k.str()));
      auto s = v.value<std::string>();
      if (!s) return fail(ErrorCode::kInvalidArgument, where(v, std::string(key) + "." + std::string(k.str())) +
                                                           " must be a string");
      out[ascii::lower(k.str())] = *s;
    }
    return {};
  }

  // A list of strings, given as one string or an array of strings.
  Result<void> read_strings(std::string_view key, std::vector<std::string>& out) {
    const toml::node* n = get(key);
    if (!n) return {};
    out.clear();
    if (auto s = n->value<std::string>()) {
      if (!s->empty()) out.push_back(*s);
      return {};
    }
    if (auto* arr = n->as_array()) {
      for (auto& item : *arr) {
        auto s2 = item.value<std::string>();
        if (!s2) return fail(ErrorCode::kInvalidArgument, where(*n, key) + " must list strings");
        out.push_back(*s2);
      }
      return {};
    }
    return fail(ErrorCode::kInvalidArgument, where(*n, key) + " must be a string or a list of strings");
  }

  // The first key in the document that no read asked for.
  Result<void> check_unknown() const { return check_table(root_, ""); }

 private:
  Result<void> check_table(const toml::table& t, const std::string& prefix) const {
    for (auto&& [k, v] : t) {
      std::string path = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
      if (auto* sub = v.as_table()) {
        auto r = check_table(*sub, path);
        if (!r) return r;
      } else if (!seen_.count(path)) {
        return fail(ErrorCode::kInvalidArgument,
                    std::string(source_) + ":" + std::to_string(k.source().begin.line) +
                        ": unknown key '" + path + "'");
      }
    }
    return {};
  }

  const toml::table& root_;
  std::string_view source_;
  std::set<std::string> seen_;
};


Result<void> read_all(Reader& r, Config& c) {
  std::string data_dir = c.data_dir.string();
  TAUBE_TRY(r.read_string("server.data_dir", data_dir));
  c.data_dir = data_dir;
  TAUBE_TRY(r.read_string("server.hostname", c.hostname));
  TAUBE_TRY(r.read_string("store.url", c.store_url));
  TAUBE_TRY(r.read_string("log.level", c.log_level));
  std::string cert, key;
  TAUBE_TRY(r.read_string("tls.cert_file", cert));
  TAUBE_TRY(r.read_string("tls.key_file", key));
  if (!cert.empty()) c.tls.cert_file = cert;
  if (!key.empty()) c.tls.key_file = key;
  TAUBE_TRY(r.read_bool("auth.allow_plaintext_from_loopback", c.allow_plaintext_auth_from_loopback));
  for (std::string_view name : kListenerNames) {
    Listener& l = c.listeners[std::string(name)];
    TAUBE_TRY(r.read_endpoints("listen." + std::string(name), l.endpoints));
    TAUBE_TRY(r.read_bool("proxy_protocol." + std::string(name), l.proxy_protocol));
    // Refused rather than ignored: a listener behind HAProxy that silently skipped
    // the header would take every client for the proxy (limits, logs, SPF).
    if (l.proxy_protocol)
      return fail(ErrorCode::kInvalidArgument,
                  "proxy_protocol." + std::string(name) + ": the PROXY protocol is not supported yet");
  }
  TAUBE_TRY(r.read_uint("smtp.max_message_bytes", c.smtp.max_message_bytes, 1024, 1ull << 34));
  TAUBE_TRY(r.read_uint("smtp.max_recipients", c.smtp.max_recipients, 1, 100000));
  TAUBE_TRY(r.read_uint("smtp.max_errors", c.smtp.max_errors, 1, 1000));
  TAUBE_TRY(r.read_uint("smtp.max_connections", c.smtp.max_connections, 1, 1000000));
  TAUBE_TRY(r.read_uint("smtp.max_connections_per_ip", c.smtp.max_connections_per_ip, 1, 1000000));
  TAUBE_TRY(r.read_seconds("smtp.command_timeout_seconds", c.smtp.command_timeout, 1, 3600));
  TAUBE_TRY(r.read_seconds("smtp.data_timeout_seconds", c.smtp.data_timeout, 1, 3600));
  TAUBE_TRY(r.read_bool("smtp.enforce_sender", c.smtp.enforce_sender));
  TAUBE_TRY(r.read_uint("smtp.spill_threshold_bytes", c.smtp.spill_threshold_bytes, 4096, 1ull << 34));
  TAUBE_TRY(r.read_uint("imap.max_append_bytes", c.imap.max_append_bytes, 1024, 1ull << 34));
  TAUBE_TRY(r.read_uint("imap.max_command_bytes", c.imap.max_command_bytes, 1024, 1u << 24));
  TAUBE_TRY(r.read_uint("imap.max_connections", c.imap.max_connections, 1, 10000000));
  TAUBE_TRY(r.read_uint("imap.max_connections_per_ip", c.imap.max_connections_per_ip, 1, 10000000));
  TAUBE_TRY(r.read_seconds("imap.idle_timeout_seconds", c.imap.idle_timeout, 60, 86400));
  TAUBE_TRY(r.read_uint("http.max_body_bytes", c.http.max_body_bytes, 1024, 1ull << 32));
  TAUBE_TRY(r.read_strings("http.trusted_proxies", c.http.trusted_proxies));
  TAUBE_TRY(r.read_strings("http.rooms", c.http.rooms));
  for (std::string& room : c.http.rooms)
    for (char& ch : room)
      if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  std::string spool_dir;
  TAUBE_TRY(r.read_string("spool.directory", spool_dir));
  if (!spool_dir.empty()) c.spool.directory = spool_dir;
  TAUBE_TRY(r.read_uint("spool.max_bytes", c.spool.max_bytes, 1024, 1ull << 44));
  TAUBE_TRY(r.read_string("alert.command", c.alert.command));
  TAUBE_TRY(r.read_string("alert.webhook", c.alert.webhook));
  TAUBE_TRY(r.read_seconds("alert.min_interval_seconds", c.alert.min_interval, 0, 86400));
  if (!c.alert.webhook.empty() && c.alert.webhook.rfind("http://", 0) != 0)
    return fail(ErrorCode::kInvalidArgument, "alert.webhook must start with http://");
  TAUBE_TRY(r.read_string("dns.resolver", c.dns.resolver));
  TAUBE_TRY(r.read_seconds("dns.timeout_seconds", c.dns.timeout, 1, 300));
  TAUBE_TRY(r.read_string("dns.trust_anchor_file", c.dns.trust_anchor_file));
  TAUBE_TRY(r.read_bool("mailauth.verify_inbound", c.mailauth.verify_inbound));
  TAUBE_TRY(r.read_string("mailauth.dmarc_policy", c.mailauth.dmarc_policy));
  TAUBE_TRY(r.read_seconds("mailauth.check_timeout_seconds", c.mailauth.check_timeout, 1, 600));
  {
    std::string dkim_dir;
    TAUBE_TRY(r.read_string("mailauth.dkim_directory", dkim_dir));
    if (!dkim_dir.empty()) c.mailauth.dkim_directory = dkim_dir;
  }
  if (c.mailauth.dmarc_policy != "mark" && c.mailauth.dmarc_policy != "enforce")
    return fail(ErrorCode::kInvalidArgument, "mailauth.dmarc_policy must be \"mark\" or \"enforce\"");
  TAUBE_TRY(r.read_bool("outbound.enabled", c.outbound.enabled));
  TAUBE_TRY(r.read_string("outbound.node_id", c.outbound.node_id));
  TAUBE_TRY(r.read_string_map("outbound.routes", c.outbound.routes));
  TAUBE_TRY(r.read_string("outbound.smarthost", c.outbound.smarthost));
  TAUBE_TRY(r.read_string("outbound.tls", c.outbound.tls));
  TAUBE_TRY(r.read_uint("outbound.max_connections", c.outbound.max_connections, 1, 100000));
  TAUBE_TRY(r.read_uint("outbound.max_per_domain", c.outbound.max_per_domain, 1, 100000));
  TAUBE_TRY(r.read_seconds("outbound.retry_initial_seconds", c.outbound.retry_initial, 1, 86400));
  TAUBE_TRY(r.read_seconds("outbound.retry_max_seconds", c.outbound.retry_max, 1, 7 * 86400));
  TAUBE_TRY(r.read_seconds("outbound.give_up_after_seconds", c.outbound.give_up_after, 1, 60 * 86400));
  TAUBE_TRY(r.read_seconds("outbound.delay_notice_after_seconds", c.outbound.delay_notice_after, 1, 60 * 86400));
  TAUBE_TRY(r.read_seconds("outbound.lease_seconds", c.outbound.lease, 5, 3600));
  TAUBE_TRY(r.read_seconds("outbound.connect_timeout_seconds", c.outbound.connect_timeout, 1, 600));
  TAUBE_TRY(r.read_seconds("outbound.idle_connection_seconds", c.outbound.idle_connection, 0, 600));
  {
    uint64_t ms = uint64_t(c.outbound.poll_interval.count());
    TAUBE_TRY(r.read_uint("outbound.poll_interval_ms", ms, 10, 60000));
    c.outbound.poll_interval = std::chrono::milliseconds(ms);
  }
  if (c.outbound.tls != "none" && c.outbound.tls != "opportunistic" && c.outbound.tls != "verify")
    return fail(ErrorCode::kInvalidArgument, "outbound.tls must be \"none\", \"opportunistic\" or \"verify\"");
  for (auto& [domain, target] : c.outbound.routes) {
    auto ep = parse_endpoint(target);
    if (!ep) return fail(ErrorCode::kInvalidArgument, "outbound.routes.\"" + domain + "\": " + ep.error().detail);
  }
  if (!c.outbound.smarthost.empty()) {
    auto ep = parse_endpoint(c.outbound.smarthost);
    if (!ep) return fail(ErrorCode::kInvalidArgument, "outbound.smarthost: " + ep.error().detail);
  }
  static constexpr std::string_view kLevels[] = {"trace", "debug", "info", "warn", "error", "critical", "off"};
  bool level_ok = false;
  for (auto l : kLevels) level_ok |= (c.log_level == l);
  if (!level_ok)
    return fail(ErrorCode::kInvalidArgument,
                "log.level must be one of trace, debug, info, warn, error, critical, off");
  if (c.hostname.empty()) return fail(ErrorCode::kInvalidArgument, "server.hostname must not be empty");
  return r.check_unknown();
}

}  // namespace

std::string Endpoint::to_string() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

std::filesystem::path Config::resolve(const std::filesystem::path& p) const {
  return p.is_absolute() ? p : data_dir / p;
}

std::filesystem::path Config::spool_dir() const {
  return spool.directory.empty() ? data_dir / "spool" : resolve(spool.directory);
}

std::filesystem::path Config::dkim_dir() const {
  return mailauth.dkim_directory.empty() ? data_dir / "dkim" : resolve(mailauth.dkim_directory);
}

std::filesystem::path Config::cert_file() const {
  return tls.cert_file.empty() ? data_dir / "tls" / "cert.pem" : resolve(tls.cert_file);
}

std::filesystem::path Config::key_file() const {
  return tls.key_file.empty() ? data_dir / "tls" / "key.pem" : resolve(tls.key_file);
}

Config default_config() {
  Config c;
  const std::pair<std::string_view, uint16_t> ports[] = {
      {"smtp", 2525}, {"submission", 2587}, {"submissions", 2465}, {"lmtp", 2424}, {"imap", 2143},
      {"imaps", 2993}, {"pop3", 2110},      {"pop3s", 2995},       {"http", 8080}, {"https", 8443}};
  for (auto [name, port] : ports) c.listeners[std::string(name)].endpoints = {Endpoint{"127.0.0.1", port}};
  return c;
}

Result<Endpoint> parse_endpoint(std::string_view text) {
  Endpoint ep;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return fail(ErrorCode::kInvalidArgument, "\"" + std::string(text) + "\" is not [address]:port");
    ep.host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon)
      return fail(ErrorCode::kInvalidArgument, "\"" + std::string(text) + "\" is not host:port");
    ep.host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
  }
  if (ep.host.empty()) return fail(ErrorCode::kInvalidArgument, "\"" + std::string(text) + "\" has no address");
  if (port_text.empty() || port_text.size() > 5)
    return fail(ErrorCode::kInvalidArgument, "\"" + std::string(text) + "\" has no valid port");
  uint32_t port = 0;
  for (char ch : port_text) {
    if (!ascii::is_digit(ch)) return fail(ErrorCode::kInvalidArgument, "\"" + std::string(text) + "\" has no valid port");
    port = port * 10 + uint32_t(ch - '0');
  }
  if (port > 65535) return fail(ErrorCode::kInvalidArgument, "\"" + std::string(text) + "\": port over 65535");
  ep.port = uint16_t(port);
  return ep;
}

Result<Config> parse_config(std::string_view toml_text, std::string_view source_name) {
  toml::table table;
  try {
    table = toml::parse(toml_text, std::string_view(source_name));
  } catch (const toml::parse_error& e) {
    return fail(ErrorCode::kInvalidArgument, std::string(source_name) + ":" +
                                                 std::to_string(e.source().begin.line) + ": " +
                                                 std::string(e.description()));
  }
  Config c = default_config();
  Reader reader(table, source_name);
  auto r = read_all(reader, c);
  if (!r) return r.error();
  return c;
}

Result<Config> load_config(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return fail(ErrorCode::kNotFound, "cannot read " + file.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_config(ss.str(), file.string());
}

}  // namespace taube::config
