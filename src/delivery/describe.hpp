// Turns a raw message into the metadata the store keeps beside it (ENVELOPE,
// BODYSTRUCTURE, BODY, index fields, preview, full-text). The message is parsed once,
// here, at delivery; IMAP later serves FETCH from this without reparsing.
// Pure: bytes in, value out; bounded by mime::Limits. Used by SMTP, LMTP and APPEND.
#pragma once

#include <string_view>

#include "mime/limits.hpp"
#include "store/types.hpp"

namespace taube::delivery {

store::MessageMeta describe(std::string_view raw, const mime::Limits& limits = {});

}  // namespace taube::delivery
