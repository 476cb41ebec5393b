// The state one IMAP session shares with its command handlers (RFC 9051 3:
// not authenticated, authenticated, selected, logout), and the small interface
// the handlers use to talk to the client. Handlers are coroutines over this
// interface only, so they compile without the network layer. One Context per
// connection, used from the session's strand only; it owns the account handle
// and the selected-mailbox view.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "imap/server/message_cache.hpp"
#include "imap/server/view.hpp"
#include "imap/wire/limits.hpp"
#include "imap/wire/response.hpp"
#include "imap/wire/writer.hpp"
#include "store/store.hpp"

namespace taube::auth {
class Authenticator;
}

namespace taube::imap::server {

enum class State : std::uint8_t {
  kNotAuthenticated = 1,
  kAuthenticated = 2,
  kSelected = 4,
  kLogout = 8,
};

struct Options {
  wire::Limits limits;
  std::string hostname = "localhost";
  // Dovecot's disable_plaintext_auth=yes with loopback exempted when allowed.
  bool allow_plaintext_auth_from_loopback = true;
  bool starttls_available = true;  // false for imaps (already TLS) and tests without TLS
  std::chrono::seconds idle_timeout{1800};
  // While idling, "* OK Still here" after this much silence keeps NAT and
  // mobile-network state alive (Dovecot: imap_idle_notify_interval = 2 min).
  std::chrono::seconds idle_keepalive{120};
  std::chrono::seconds command_timeout{1800};  // RFC 9051 5.4: at least 30 minutes
};

// How a command ends: the tagged status line (RFC 9051 7.1).
struct Completion {
  wire::Status status = wire::Status::kOk;
  std::string code;  // without brackets
  std::string text;
};
inline Completion ok(std::string text, std::string code = {}) {
  return Completion{wire::Status::kOk, std::move(code), std::move(text)};
}
inline Completion no(std::string text, std::string code = {}) {
  return Completion{wire::Status::kNo, std::move(code), std::move(text)};
}
inline Completion bad(std::string text, std::string code = {}) {
  return Completion{wire::Status::kBad, std::move(code), std::move(text)};
}

// Extensions the client turned on with ENABLE (RFC 5161) or implicitly.
struct Enabled {
  bool rev2 = false;       // IMAP4rev2
  bool utf8 = false;       // UTF8=ACCEPT (RFC 6855)
  bool condstore = false;  // RFC 7162; also set by a CONDSTORE-using command
  bool qresync = false;
};

class Context {
 public:
  // Refers to `options` (shared by every session of a listener); REQUIRES: it
  // outlives the Context.
  Context(store::Store& store, auth::Authenticator& authenticator, const Options& options)
      : store_(store), authenticator_(authenticator), options_(options) {}
  Context(store::Store&, auth::Authenticator&, Options&&) = delete;
  virtual ~Context() = default;

  // --- talking to the client ---
  // Queues response bytes; they go out at flush() or when the command ends.
  void send(std::string_view bytes) { out_.append(bytes); }
  void send_untagged(std::string_view data) { out_.append(wire::format_untagged_data(data)); }
  // Writes queued output; false when the connection failed.
  virtual boost::asio::awaitable<bool> flush() = 0;
  // Writes queued output when it grew large (streaming FETCH responses).
  boost::asio::awaitable<bool> flush_if_large();
  // Reads one raw line (AUTHENTICATE continuation); nullopt when the client left.
  virtual boost::asio::awaitable<std::optional<std::string>> read_line() = 0;
  virtual bool is_tls() const = 0;
  virtual bool is_loopback() const = 0;
  virtual const std::string& remote_address() const = 0;
  // Called once after a successful login: starts change notifications.
  virtual void on_login() = 0;
  // RFC 9051 6.3.13 IDLE: the session takes over once the handler returns
  // (sends "+ idling", reports changes until DONE, then the tagged reply);
  // the Completion returned here is not sent.
  virtual boost::asio::awaitable<Completion> idle() = 0;

  wire::WriteOptions write_options() const { return {.utf8 = enabled.utf8 || enabled.rev2}; }
  // Plaintext LOGIN/AUTHENTICATE is refused (RFC 9051 6.2.3 LOGINDISABLED).
  bool plaintext_auth_disabled() const {
    return !is_tls() && !(options_.allow_plaintext_auth_from_loopback && is_loopback());
  }

  store::Store& store() { return store_; }
  auth::Authenticator& authenticator() { return authenticator_; }
  const Options& options() const { return options_; }
  std::string& output() { return out_; }

  // --- session state ---
  State state = State::kNotAuthenticated;
  std::string tag;  // of the command being run
  Enabled enabled;
  std::unique_ptr<store::AccountStore> account;  // set by login
  std::string user;
  std::optional<SelectedView> selected;
  // Records of the selected mailbox (refresh_cache()); empty while idling.
  std::optional<MessageCache> cache;
  // RFC 5182 SEARCHRES: UIDs saved by SEARCH RETURN (SAVE); "$".
  std::vector<store::Uid> saved_search;
  // A change to the selected mailbox may be unreported (set by the store's
  // change notification or by this session's own writes).
  bool mailbox_changed = false;
  bool starttls_requested = false;
  bool compress_requested = false;  // the session wraps the transport after the tagged OK
  bool compress_active = false;  // the session starts TLS after the tagged OK
  bool logout_requested = false;

 private:
  store::Store& store_;
  auth::Authenticator& authenticator_;
  const Options& options_;
  std::string out_;
};

}  // namespace taube::imap::server
