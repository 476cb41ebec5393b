// Formats one message's FETCH response (RFC 9051 7.5.2) from its record, its
// stored metadata and, for body sections, its raw bytes. Pure: no store, no
// I/O; used by FETCH and tested on its own.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "imap/server/context.hpp"
#include "imap/wire/fetch.hpp"
#include "store/types.hpp"

namespace taube::imap::server {

struct MessageData {
  std::uint32_t seq = 0;
  const store::MessageRecord& record;
  const store::MessageMeta* meta = nullptr;  // REQUIRES: set when an item needs it
  std::string_view raw;                      // REQUIRES: set when an item needs it
};

// "* 12 FETCH (...)\r\n". `flags_changed` adds FLAGS (RFC 9051 6.4.5: \Seen was
// set by this fetch). nullopt when BINARY meets an unknown encoding.
std::optional<std::string> format_fetch(const Context& ctx, const MessageData& message,
                                        const std::vector<wire::FetchItem>& items, bool flags_changed);

// "HEADER.FIELDS (FROM TO)", "1.2.MIME", "" (the inside of BODY[...]).
std::string format_section(const wire::Section& section);

}  // namespace taube::imap::server
