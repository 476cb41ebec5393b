// FETCH BODY[section]<partial> and BINARY[section] content (RFC 9051 6.4.5,
// RFC 3516): resolves part paths like "1.2.3" through multiparts and
// message/rfc822 encapsulations, and returns header, text, MIME header, selected
// header fields or the (decoded) body of a part.
// Pure functions; results borrow from `raw` unless they say otherwise.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mime/part.hpp"

namespace taube::mime {

struct Section {
  enum class Text { kNone, kHeader, kHeaderFields, kHeaderFieldsNot, kText, kMime };
  std::vector<std::uint32_t> path;  // part numbers; empty = the whole message
  Text text = Text::kNone;
  std::vector<std::string> fields;  // for kHeaderFields / kHeaderFieldsNot

  friend bool operator==(const Section&, const Section&) = default;
};

// Parses the text between "[" and "]" of a FETCH section, e.g. "",
// "1.2.MIME", "HEADER.FIELDS (From \"To\")". Keywords are case-insensitive.
// Returns nullopt on a syntax error (MIME without a part, zero part number...).
std::optional<Section> parse_section(std::string_view spec);

// The part designated by `path` (RFC 9051 6.4.5 numbering: part 1 of a
// non-multipart message is its body; the parts of a message/rfc822 part are those
// of its encapsulated message). nullptr when there is no such part; an empty path
// gives `root`.
const Part* find_part(const Part& root, std::span<const std::uint32_t> path);

// Section bytes: either a view of `raw` or, for HEADER.FIELDS, built text.
struct SectionContent {
  std::string_view view;
  std::string built;
  bool is_built = false;

  std::string_view bytes() const { return is_built ? std::string_view(built) : view; }
};

// Content of BODY[section]. HEADER.FIELDS(.NOT) returns the matching fields as
// written, in message order, followed by CRLF. HEADER/TEXT/HEADER.FIELDS after a
// part path need that part to be message/rfc822. nullopt when the section does
// not exist (IMAP then returns an empty string).
std::optional<SectionContent> extract_section(const Part& root, std::string_view raw,
                                              const Section& section);

// The <start.count> slice of `bytes` (RFC 9051 6.4.5): empty when start is past
// the end, truncated when count runs past it.
std::string_view apply_partial(std::string_view bytes, std::uint64_t start,
                               std::optional<std::uint64_t> count);

struct BinaryContent {
  enum class Status { kOk, kNotFound, kUnknownEncoding };
  Status status = Status::kNotFound;
  std::string data;  // decoded bytes; its size is BINARY.SIZE
};

// Content of BINARY[path] (RFC 3516): the part's body with its
// Content-Transfer-Encoding removed. kUnknownEncoding for an encoding we cannot
// decode (IMAP answers NO [UNKNOWN-CTE]). An empty path gives the whole message.
BinaryContent extract_binary(const Part& root, std::string_view raw,
                             std::span<const std::uint32_t> path);

}  // namespace taube::mime
