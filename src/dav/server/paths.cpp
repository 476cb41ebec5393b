#include "dav/server/paths.hpp"

#include <vector>

namespace taube::dav::server {

namespace {

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool good_segment(std::string_view s) {
  if (s.empty() || s == "." || s == "..") return false;
  for (char c : s)
    if (c == '/' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  return true;
}

std::string_view space_name(Space space) {
  return space == Space::kCalendars ? "calendars" : "addressbooks";
}

}  // namespace

std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    int h = hex(s[i + 1]);
    int l = hex(s[i + 2]);
    if (h < 0 || l < 0) return std::nullopt;
    out.push_back(static_cast<char>(h * 16 + l));
    i += 2;
  }
  return out;
}

Path parse_path(std::string_view path) {
  Path p;
  if (path.empty() || path[0] != '/') return p;
  if (path == "/") {
    p.kind = Path::Kind::kRoot;
    p.trailing_slash = true;
    return p;
  }
  p.trailing_slash = path.back() == '/';
  // Split on '/', decoding each raw segment; empty segments (from "//") are refused.
  std::vector<std::string> segs;
  std::string_view rest = path.substr(1);
  if (p.trailing_slash) rest.remove_suffix(1);
  while (true) {
    std::size_t slash = rest.find('/');
    std::string_view raw = rest.substr(0, slash);
    auto seg = percent_decode(raw);
    if (!seg || !good_segment(*seg)) return Path{};
    segs.push_back(std::move(*seg));
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  if (segs[0] != "dav") return Path{};
  if (segs.size() == 1) {
    p.kind = Path::Kind::kDavRoot;
    return p;
  }
  if (segs[1] == "principals") {
    if (segs.size() == 2) p.kind = Path::Kind::kPrincipals;
    else if (segs.size() == 3) {
      p.kind = Path::Kind::kPrincipal;
      p.user = segs[2];
    }
    return p;
  }
  if (segs[1] == "calendars") p.space = Space::kCalendars;
  else if (segs[1] == "addressbooks") p.space = Space::kAddressbooks;
  else return Path{};
  if (segs.size() < 3 || segs.size() > 5) return Path{};
  p.user = segs[2];
  if (segs.size() == 3) {
    p.kind = Path::Kind::kHome;
  } else if (segs.size() == 4) {
    p.kind = Path::Kind::kCollection;
    p.collection = segs[3];
  } else {
    if (p.trailing_slash) return Path{};  // an object is never a collection
    p.kind = Path::Kind::kObject;
    p.collection = segs[3];
    p.name = segs[4];
  }
  return p;
}

std::string principal_path(std::string_view user) {
  return "/dav/principals/" + std::string(user) + "/";
}

std::string home_path(Space space, std::string_view user) {
  return "/dav/" + std::string(space_name(space)) + "/" + std::string(user) + "/";
}

std::string collection_path(Space space, std::string_view user, std::string_view collection) {
  return home_path(space, user) + std::string(collection) + "/";
}

std::string object_path(Space space, std::string_view user, std::string_view collection,
                        std::string_view name) {
  return collection_path(space, user, collection) + std::string(name);
}

std::optional<std::string> href_path(std::string_view href) {
  // Absolute URL: drop "scheme://authority".
  if (auto scheme = href.find("://"); scheme != std::string_view::npos &&
                                      href.substr(0, scheme).find('/') == std::string_view::npos) {
    std::size_t slash = href.find('/', scheme + 3);
    if (slash == std::string_view::npos) return std::string("/");
    href = href.substr(slash);
  }
  if (auto q = href.find_first_of("?#"); q != std::string_view::npos) href = href.substr(0, q);
  if (href.empty() || href[0] != '/') return std::nullopt;
  return std::string(href);
}

}  // namespace taube::dav::server
