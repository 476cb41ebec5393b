// DKIM canonicalisation (RFC 6376 3.4) and the message split both the signer and
// the verifier start from: header fields with their exact bytes, and the body.
// Pure functions; views borrow from the caller's raw message.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "mime/header.hpp"

namespace taube::mailauth {

enum class Canon { kSimple, kRelaxed };

struct SplitMessage {
  mime::HeaderBlock header;  // fields in message order
  std::string_view body;     // after the blank line; empty when there is none
};

// Splits a raw (CRLF) message into its header fields and body.
SplitMessage split_message(std::string_view raw);

// One header field canonicalised, CRLF included (RFC 6376 3.4.1 / 3.4.2).
// `field` is the whole field as written (name, colon, folded value, line break).
std::string canon_header(std::string_view field, Canon canon);

// The body canonicalised (RFC 6376 3.4.3 / 3.4.4), handed to `sink` in pieces so a
// large body is hashed without a second copy. Lines may end in CRLF or a bare LF.
void canon_body(std::string_view body, Canon canon,
                const std::function<void(std::string_view)>& sink);

}  // namespace taube::mailauth

namespace taube::mailauth {

// The octets the DKIM header hash covers (RFC 6376 3.7): for each name in
// `signed_names`, the next unused field of that name counting from the bottom
// (absent ones add nothing), canonicalised; then `signature_field` (the whole
// DKIM-Signature field) with its b= value deleted, canonicalised, without its CRLF.
std::string header_hash_input(std::string_view raw, const mime::HeaderBlock& header,
                              const std::vector<std::string>& signed_names, Canon canon,
                              std::string_view signature_field);

}  // namespace taube::mailauth
