// Safe parsing of WebDAV request bodies with libxml2, and XML names by namespace URI.
// Used by requests.cpp; callers outside dav/wire use requests.hpp. A DOCTYPE is refused
// outright (no XXE, no entity expansion), the network is never touched, size, depth and
// element count are bounded. Pure; each call owns its own libxml2 document.
#pragma once
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

struct _xmlDoc;
struct _xmlNode;

namespace taube::dav::wire {

namespace ns {
inline constexpr std::string_view kDav = "DAV:";
inline constexpr std::string_view kCalDav = "urn:ietf:params:xml:ns:caldav";
inline constexpr std::string_view kCardDav = "urn:ietf:params:xml:ns:carddav";
inline constexpr std::string_view kCalendarServer = "http://calendarserver.org/ns/";
}  // namespace ns

// An XML name as RFC 4918 compares it: namespace URI + local name, never the prefix.
struct Name {
  std::string ns;
  std::string local;
  friend bool operator==(const Name&, const Name&) = default;
  friend auto operator<=>(const Name&, const Name&) = default;
};

struct Limits {
  std::size_t max_body_bytes = 1 << 20;
  std::size_t max_depth = 32;         // element nesting
  std::size_t max_elements = 20000;   // all elements of one body
};

// A client error in a request body: 400 Bad Request (or 413 when too_large).
struct Invalid {
  std::string reason;  // one English sentence, safe to send
  bool too_large = false;
};

struct DocDeleter {
  void operator()(_xmlDoc* d) const;
};
using Doc = std::unique_ptr<_xmlDoc, DocDeleter>;

// Parses `body` as a namespace-well-formed XML document under `limits`.
std::variant<Doc, Invalid> parse_xml(std::string_view body, const Limits& limits);

}  // namespace taube::dav::wire
