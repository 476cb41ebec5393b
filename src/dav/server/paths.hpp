// The URL layout of the DAV server and its parsing. Pure.
//   /dav/principals/<user>/                      principal of <user> (an account address)
//   /dav/calendars/<user>/                       calendar home
//   /dav/calendars/<user>/<collection>/          a calendar
//   /dav/calendars/<user>/<collection>/<name>    a calendar object resource
//   /dav/addressbooks/<user>/...                 the same for address books and vCards
// Segments are percent-decoded; a segment that decodes to "", ".", ".." or contains
// '/' or a control character is refused (the path is then kInvalid).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace taube::dav::server {

enum class Space { kCalendars, kAddressbooks };

struct Path {
  enum class Kind {
    kInvalid,     // not a path of ours, or a bad segment
    kRoot,        // "/" (discovery from the server root)
    kDavRoot,     // "/dav/"
    kPrincipals,  // "/dav/principals/"
    kPrincipal,   // "/dav/principals/<user>/"
    kHome,        // "/dav/calendars/<user>/" or "/dav/addressbooks/<user>/"
    kCollection,  // ".../<user>/<collection>/"
    kObject,      // ".../<user>/<collection>/<name>"
  };
  Kind kind = Kind::kInvalid;
  Space space = Space::kCalendars;  // kHome, kCollection, kObject
  std::string user;
  std::string collection;
  std::string name;
  bool trailing_slash = false;  // as requested (collections without it are still found)
};

// Parses a request path (no query). A collection addressed without its trailing slash
// is still a collection (clients differ); an object is never a collection.
Path parse_path(std::string_view path);

// Canonical paths (decoded; multistatus percent-encodes hrefs on output).
std::string principal_path(std::string_view user);
std::string home_path(Space space, std::string_view user);
std::string collection_path(Space space, std::string_view user, std::string_view collection);
std::string object_path(Space space, std::string_view user, std::string_view collection,
                        std::string_view name);

// Percent-decoding; nullopt for a bad escape.
std::optional<std::string> percent_decode(std::string_view s);

// An href from a REPORT body (absolute URL or path) reduced to its path, still
// percent-encoded (for parse_path); nullopt when it is not a path.
std::optional<std::string> href_path(std::string_view href);

}  // namespace taube::dav::server
