// Helpers every command handler shares: store errors to tagged replies (the
// one ErrorCode table of the IMAP server), flag conversion, reporting pending
// mailbox changes (RFC 9051 5.5, 7.5.1), and resolving "$". Coroutines over
// Context only; no network types.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <string>
#include <vector>

#include "base/error.hpp"
#include "imap/server/context.hpp"
#include "imap/wire/command.hpp"

namespace taube::imap::server {

// The one table mapping store errors to replies; logs `detail`, never sends it.
Completion from_error(const Error& error, std::string_view what);

// "\Seen" etc. (case-insensitive) to system bits, other atoms to keywords;
// "\Recent" is ignored. False for an unknown system flag ("\Foo").
bool to_store_flags(const std::vector<wire::Flag>& flags, store::Flags& out);
std::string format_flags(const store::Flags& flags);
// The FLAGS / PERMANENTFLAGS list every mailbox has.
std::vector<std::string> system_flags();

// Sends EXPUNGE/VANISHED, EXISTS and FETCH FLAGS for changes to the selected
// mailbox the client has not been told about. With !allow_expunge nothing is
// reported (after FETCH, STORE, SEARCH without UID: RFC 9051 7.5.1).
boost::asio::awaitable<void> report_updates(Context& ctx, bool allow_expunge);
// Removes `uids` (ascending) from the view and reports them.
void report_expunged(Context& ctx, const std::vector<store::Uid>& uids);

// The (seq, uid) pairs of a command's set, resolving "$" from SEARCHRES.
// nullopt (with `error` set) when a sequence number is invalid.
std::optional<std::vector<std::pair<std::uint32_t, store::Uid>>> resolve_set(Context& ctx,
                                                                           const wire::SequenceSet& set,
                                                                           bool by_uid, std::string& error);

// The selected mailbox's message cache, loaded on first use and brought up to
// date with the store's changes since its mod-seq. The pointer is valid until
// the next co_await that may refresh or drop the cache.
boost::asio::awaitable<Result<const MessageCache*>> refresh_cache(Context& ctx);

// Mailbox names as the client writes them back (mUTF-7 or UTF-8).
std::string mailbox_name(const Context& ctx, std::string_view utf8_name);

}  // namespace taube::imap::server
