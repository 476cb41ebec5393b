// Evaluates a SEARCH key (RFC 9051 6.4.4) over the selected mailbox's
// messages. Flags, dates, sizes, UIDs and mod-seqs come from the message
// records; header keys from the store's header index (header_search); BODY
// and TEXT from the full-text index (search_text); sent dates from stored
// metadata. No key reads a message blob. Used by SEARCH (and SORT later).
#pragma once

#include <boost/asio/awaitable.hpp>

#include <vector>

#include "base/error.hpp"
#include "imap/server/context.hpp"
#include "imap/wire/search.hpp"

namespace taube::imap::server {

struct SearchResult {
  std::vector<std::pair<std::uint32_t, store::Uid>> matches;  // (seq, uid) ascending
  store::ModSeq highest_modseq = 0;                           // of the matches, when MODSEQ was a key
  bool used_modseq = false;
};

// REQUIRES: ctx.selected.
boost::asio::awaitable<Result<SearchResult>> evaluate_search(Context& ctx, const wire::SearchKey& key);

}  // namespace taube::imap::server
