// The command table (RFC 9051 6): each command's name, handler, the states it
// is allowed in and whether pending expunges may be reported after it. The
// handlers live in commands/<group>.cpp, each a coroutine over Context that
// validates, calls the store and sends untagged data, returning the tagged
// completion; the session sends pending updates and then that completion.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <string>
#include <string_view>

#include "imap/server/context.hpp"
#include "imap/wire/command.hpp"

namespace taube::imap::server {

using Handler = boost::asio::awaitable<Completion> (*)(Context&, wire::Command&);

struct CommandSpec {
  std::string_view name;  // "FETCH", "UID FETCH"
  Handler handler;
  unsigned states;        // State bits
  // RFC 9051 7.5.1: no EXPUNGE after FETCH, STORE, SEARCH (sequence numbers).
  bool may_report_expunge = true;
};

// nullptr for an unknown command.
const CommandSpec* find_command(std::string_view name);

// Capabilities announced in the greeting and by CAPABILITY (RFC 9051 7.2.2).
std::string capabilities(const Context& ctx);

// Handlers (commands/*.cpp).
boost::asio::awaitable<Completion> cmd_capability(Context&, wire::Command&);
boost::asio::awaitable<Completion> cmd_noop(Context&, wire::Command&);
boost::asio::awaitable<Completion> cmd_logout(Context&, wire::Command&);
boost::asio::awaitable<Completion> cmd_id(Context&, wire::Command&);
boost::asio::awaitable<Completion> cmd_enable(Context&, wire::Command&);
boost::asio::awaitable<Completion> cmd_namespace(Context&, wire::Command&);
boost::asio::awaitable<Completion> cmd_starttls(Context&, wire::Command&);
boost::asio::awaitable<Completion> cmd_login(Context&, wire::Command&);
boost::asio::awaitable<Completion> cmd_authenticate(Context&, wire::Command&);
boost::asio::awaitable<Completion> cmd_create(Context&, wire::Command&);
boost::asio::awaitable<Completion> cmd_delete(Context&, wire::Command&);
boost::asio::awaitable<Completion> cmd_rename(Context&, wire::Command&);
boost::asio::awaitable<Completion> cmd_subscribe(Context&, wire::Command&);
boost::asio::awaitable<Completion> cmd_unsubscribe(Context&, wire::Command&);
boost::asio::awaitable<Completion> cmd_list(Context&, wire::Command&);
boost::asio::awaitable<Completion> cmd_status(Context&, wire::Command&);
boost::asio::awaitable<Completion> cmd_select(Context&, wire::Command&);
boost::asio::awaitable<Completion> cmd_close(Context&, wire::Command&);
boost::asio::awaitable<Completion> cmd_unselect(Context&, wire::Command&);
boost::asio::awaitable<Completion> cmd_check(Context&, wire::Command&);
boost::asio::awaitable<Completion> cmd_expunge(Context&, wire::Command&);
boost::asio::awaitable<Completion> cmd_append(Context&, wire::Command&);
boost::asio::awaitable<Completion> cmd_fetch(Context&, wire::Command&);
boost::asio::awaitable<Completion> cmd_store(Context&, wire::Command&);
boost::asio::awaitable<Completion> cmd_copy(Context&, wire::Command&);
boost::asio::awaitable<Completion> cmd_move(Context&, wire::Command&);
boost::asio::awaitable<Completion> cmd_search(Context&, wire::Command&);
boost::asio::awaitable<Completion> cmd_idle(Context&, wire::Command&);
boost::asio::awaitable<Completion> cmd_compress(Context&, wire::Command&);
boost::asio::awaitable<Completion> cmd_sort(Context&, wire::Command&);
boost::asio::awaitable<Completion> cmd_thread(Context&, wire::Command&);
boost::asio::awaitable<Completion> cmd_getquota(Context&, wire::Command&);
boost::asio::awaitable<Completion> cmd_getquotaroot(Context&, wire::Command&);

}  // namespace taube::imap::server
