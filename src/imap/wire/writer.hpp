// Response writer (RFC 9051 7): formats tagged, untagged and continuation
// responses, strings (quoted vs literal), nstrings, mailbox names (modified
// UTF-7 unless UTF-8 is enabled), response codes, compact sequence sets and
// ESEARCH/VANISHED. Client-derived text is sanitised so it can never end a
// line or inject a response. Pure functions returning strings.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "imap/wire/response.hpp"

namespace taube::imap::wire {

// What the client can read: `utf8` when IMAP4rev2 or UTF8=ACCEPT is enabled.
struct WriteOptions {
  bool utf8 = false;
  std::size_t max_quoted_bytes = 1024;  // longer strings go as literals
};

// Replaces CR, LF, NUL and other controls with SP (resp-text must be TEXT-CHARs);
// without `utf8`, 8-bit octets become "?". Never returns an empty string.
std::string sanitize_text(std::string_view text, bool utf8 = true);

// string: a quoted string when safe, else a literal "{n}\r\n..." (CR, LF, NUL,
// 8-bit without UTF-8, or longer than max_quoted_bytes).
std::string format_string(std::string_view s, const WriteOptions& options = {});
// RFC 3516 4.2: literal8 "~{n}\r\n..." for BINARY[] data, which may hold NUL
// (format_string must not be given NUL: a plain literal cannot carry it).
std::string format_literal8(std::string_view data);
// nstring: NIL for nullopt.
std::string format_nstring(const std::optional<std::string_view>& s, const WriteOptions& options = {});
// astring: a bare atom when every octet is an ASTRING-CHAR, else format_string.
std::string format_astring(std::string_view s, const WriteOptions& options = {});
// A mailbox name given in UTF-8: encoded to modified UTF-7 unless options.utf8.
std::string format_mailbox(std::string_view utf8_name, const WriteOptions& options = {});
// "(\Seen $Forwarded)".
std::string format_flag_list(const std::vector<std::string>& flags);

// Response codes (RFC 9051 7.1, RFC 5530, RFC 4315, RFC 7162, RFC 9208). The
// returned text goes into Reply::code or the `code` arguments below.
namespace code {
std::string alert();
std::string trycreate();
std::string append_uid(std::uint32_t uid_validity, const std::vector<std::uint32_t>& uids);
std::string copy_uid(std::uint32_t uid_validity, const std::vector<std::uint32_t>& source,
                     const std::vector<std::uint32_t>& destination);
std::string highest_mod_seq(std::uint64_t mod_seq);
std::string no_mod_seq();
std::string modified(const std::vector<std::uint32_t>& numbers);
std::string uid_not_sticky();
std::string unavailable();
std::string too_big();
std::string privacy_required();
std::string closed();
std::string cannot();
std::string limit();
std::string over_quota();
std::string already_exists();
std::string nonexistent();
std::string server_bug();
std::string capability(const std::vector<std::string>& capabilities);
std::string permanent_flags(const std::vector<std::string>& flags, bool may_create_keywords);
std::string uid_next(std::uint32_t uid);
std::string uid_validity(std::uint32_t uid_validity);
std::string read_only();
std::string read_write();
}  // namespace code

// "tag OK [code] text\r\n"; tag and text are sanitised.
std::string format_tagged(std::string_view tag, Status status, std::string_view code, std::string_view text);
// "* OK [code] text\r\n" (also NO, BAD, PREAUTH, BYE).
std::string format_untagged(Status status, std::string_view code, std::string_view text);
// "* <data>\r\n" for already formatted response data (e.g. "3 EXISTS").
// REQUIRES: `data` was built with the format_* functions (no bare CR/LF).
std::string format_untagged_data(std::string_view data);
// "+ text\r\n" (RFC 9051 7.5).
std::string format_continuation(std::string_view text = "Ready");

// RFC 4731 3.1 / RFC 9051 7.3.4: "* ESEARCH (TAG "t") [UID] [MIN n] [MAX n] [ALL set] [COUNT n] [MODSEQ n]".
struct EsearchResult {
  std::optional<std::uint32_t> min;
  std::optional<std::uint32_t> max;
  std::optional<std::vector<std::uint32_t>> all;  // omitted when empty (RFC 4731 3.1)
  std::optional<std::uint32_t> count;
  std::optional<std::uint64_t> mod_seq;
};
std::string format_esearch(std::string_view tag, bool uid, const EsearchResult& result);
// RFC 7162 3.2.10: "* VANISHED [(EARLIER)] 1:3,5\r\n"; "" when `uids` is empty.
std::string format_vanished(bool earlier, const std::vector<std::uint32_t>& uids);

}  // namespace taube::imap::wire
