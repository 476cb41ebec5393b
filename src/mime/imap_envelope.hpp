// IMAP ENVELOPE (RFC 9051 section 7.5.2, RFC 3501 7.4.2) of a message header:
// date, subject, from, sender, reply-to, to, cc, bcc, in-reply-to, message-id,
// taken from the raw header (encoded words are NOT decoded, as the RFC requires).
// Pure functions; the Part must come from mime::parse() of the same `raw`.
#pragma once

#include <string>
#include <string_view>

#include "mime/part.hpp"

namespace taube::mime {

// Appends the parenthesised envelope of `message` (a root Part or the
// encapsulated message of a message/rfc822 part). Absent fields are NIL; Sender
// and Reply-To default to From when absent or empty (RFC 3501 7.4.2). A mailbox
// without local part or domain gets "MISSING_MAILBOX" / "MISSING_DOMAIN" (as
// Dovecot), because a NIL host marks group syntax.
void append_envelope(std::string& out, const Part& message, std::string_view raw);

std::string render_envelope(const Part& message, std::string_view raw);

}  // namespace taube::mime
