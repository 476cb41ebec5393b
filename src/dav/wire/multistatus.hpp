// Writer for 207 Multi-Status bodies (RFC 4918 13, 14.16; RFC 6578 sync-token). The caller
// builds values; write_multistatus() renders namespace-correct UTF-8 XML with every
// namespace prefix declared once on the root. Pure; returns a new string.
#pragma once
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "dav/wire/xml.hpp"

namespace taube::dav::wire {

// A small XML element tree for property values (resourcetype, current-user-principal...).
struct Element {
  Name name;
  std::string text;  // escaped on output
  std::vector<Element> children;
  std::vector<std::pair<std::string, std::string>> attributes;  // no namespace
};

struct Property {
  Element element;          // name + value; an empty element for propname or errors
  std::string raw_element;  // if set: a self-contained element (dead property) written as is
};

struct PropStat {
  int status = 200;
  std::vector<Property> props;
};

struct Response {
  std::vector<std::string> hrefs;  // decoded paths; percent-encoded and escaped on output
  std::vector<PropStat> propstats;
  std::optional<int> status;        // instead of propstats (e.g. 404 in a multiget)
  std::optional<Element> error;     // DAV:error content, e.g. a precondition
};

// RFC 4918 14.16. `sync_token` adds DAV:sync-token after the responses (RFC 6578 6.2).
std::string write_multistatus(const std::vector<Response>& responses,
                              const std::optional<std::string>& sync_token = std::nullopt);

// "HTTP/1.1 404 Not Found"
std::string status_line(int status);
// Percent-encodes a path for DAV:href: everything but unreserved, sub-delims (except '&'),
// ':', '@' and '/'.
std::string encode_href(std::string_view path);
// XML character data and attribute escaping (& < > " ').
std::string escape_xml(std::string_view text);

}  // namespace taube::dav::wire
