// RFC 2047 encoded-word decoding for header text ("=?charset?B|Q?text?="), used by
// Summary and by decoded parameter values. Adjacent encoded words separated only by
// whitespace are joined (RFC 2047 section 6.2), malformed words are left as they are.
// Pure function.
#pragma once

#include <string>
#include <string_view>

namespace taube::mime {

// Decodes every encoded word in `text` (an unfolded header value) and returns
// UTF-8. Text outside encoded words is raw header bytes: kept if valid UTF-8, else
// read as Latin-1. Words in the same charset that follow each other are converted
// together, so a multi-byte character split across two words survives.
std::string decode_encoded_words(std::string_view text);

}  // namespace taube::mime
