// The parsed MIME tree: mime::parse() turns a raw RFC 5322 message into a Part
// tree that holds offsets into the raw bytes (never copies of bodies) plus the
// interpreted Content-* fields. Every consumer (ENVELOPE, BODYSTRUCTURE, sections,
// Summary) takes the tree together with the same raw bytes.
// A Part is a plain value; it does not own or reference the raw message.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "mime/content_type.hpp"
#include "mime/decode.hpp"
#include "mime/header.hpp"
#include "mime/limits.hpp"

namespace taube::mime {

struct Part {
  enum class Kind {
    kLeaf,       // any non-multipart part that is not parsed further
    kMultipart,  // children are the body parts
    kMessage,    // message/rfc822 (or message/global): children[0] is the encapsulated message
  };
  Kind kind = Kind::kLeaf;
  HeaderBlock header;  // header.begin .. header.end (the blank line included)
  std::size_t body_begin = 0;
  std::size_t body_end = 0;
  // Interpreted Content-Type; defaulted (RFC 2045 5.2, RFC 2046 5.1.5 for digests)
  // when absent or invalid, and replaced by application/octet-stream when a limit
  // made the part opaque.
  ContentType content_type;
  bool content_type_defaulted = false;
  bool opaque = false;         // a Limits bound stopped parsing inside this part
  std::string encoding;        // Content-Transfer-Encoding as written (trimmed); empty when absent
  std::size_t body_lines = 0;  // RFC 9051 body-fld-lines for the body bytes
  std::vector<Part> children;

  std::size_t body_size() const { return body_end - body_begin; }
  std::string_view body(std::string_view raw) const {
    return raw.substr(body_begin, body_end - body_begin);
  }
  std::string_view header_bytes(std::string_view raw) const {
    return raw.substr(header.begin, header.end - header.begin);
  }
  TransferEncoding transfer_encoding() const { return classify_encoding(encoding); }
};

// Parses `raw` into a tree. Never fails and never reads outside `raw`; hostile
// input is bounded by `limits` (depth, parts, header fields, line length).
// Lines may end in CRLF or bare LF. The result refers to `raw` by offsets only.
Part parse(std::string_view raw, const Limits& limits = {});

// Number of lines in `bytes`: line feeds, plus one for a final unterminated line.
std::size_t count_lines(std::string_view bytes);

// Calls f(part) for `root` and all its descendants, depth first in part order.
template <class F>
void for_each_part(const Part& root, F&& f) {
  f(root);
  for (const Part& c : root.children) for_each_part(c, f);
}

}  // namespace taube::mime
