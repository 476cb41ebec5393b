#include "dav/wire/multistatus.hpp"

#include <map>

namespace taube::dav::wire {
namespace {

class Writer {
 public:
  explicit Writer(const std::vector<Response>& responses) {
    prefix(std::string(ns::kDav));
    for (const Response& r : responses) {
      for (const PropStat& ps : r.propstats)
        for (const Property& p : ps.props)
          if (p.raw_element.empty()) collect(p.element);
      if (r.error) collect(*r.error);
    }
  }

  std::string root_open() const {
    std::string out = "<D:multistatus";
    for (const auto& [uri, p] : prefixes_) out += " xmlns:" + p + "=\"" + escape_xml(uri) + "\"";
    return out + ">";
  }

  void element(std::string& out, const Element& e) const {
    // An element with no namespace cannot use a prefix: reset the default namespace.
    std::string tag = e.name.ns.empty() ? e.name.local : prefixes_.at(e.name.ns) + ":" + e.name.local;
    out += "<" + tag;
    if (e.name.ns.empty()) out += " xmlns=\"\"";
    for (const auto& [k, v] : e.attributes) out += " " + k + "=\"" + escape_xml(v) + "\"";
    if (e.text.empty() && e.children.empty()) {
      out += "/>";
      return;
    }
    out += ">";
    out += escape_xml(e.text);
    for (const Element& c : e.children) element(out, c);
    out += "</" + tag + ">";
  }

 private:
  void collect(const Element& e) {
    if (!e.name.ns.empty()) prefix(e.name.ns);
    for (const Element& c : e.children) collect(c);
  }
  void prefix(const std::string& uri) {
    if (prefixes_.count(uri) != 0) return;
    static const std::map<std::string, std::string, std::less<>> kKnown = {
        {std::string(ns::kDav), "D"},
        {std::string(ns::kCalDav), "C"},
        {std::string(ns::kCardDav), "CR"},
        {std::string(ns::kCalendarServer), "CS"},
        {"http://apple.com/ns/ical/", "A"}};
    auto k = kKnown.find(uri);
    prefixes_[uri] = k != kKnown.end() ? k->second : "x" + std::to_string(next_++);
  }
  std::map<std::string, std::string> prefixes_;
  int next_ = 0;
};

std::string_view reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 207: return "Multi-Status";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 412: return "Precondition Failed";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 423: return "Locked";
    case 424: return "Failed Dependency";
    case 500: return "Internal Server Error";
    case 507: return "Insufficient Storage";
    default: return "Unknown";
  }
}

}  // namespace

std::string escape_xml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      case '\r': out += "&#13;"; break;
      default:
        // Control characters other than TAB and LF are not allowed in XML 1.0.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') {
          out += "\xEF\xBF\xBD";
        } else {
          out.push_back(c);
        }
    }
  }
  return out;
}

std::string encode_href(std::string_view path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : path) {
    auto c = static_cast<unsigned char>(ch);
    bool keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                std::string_view("-._~!$'()*+,;=:@/").find(ch) != std::string_view::npos;
    if (keep) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string status_line(int status) {
  return "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason(status));
}

std::string write_multistatus(const std::vector<Response>& responses,
                              const std::optional<std::string>& sync_token) {
  Writer w(responses);
  std::string out = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n" + w.root_open();
  for (const Response& r : responses) {
    out += "<D:response>";
    for (const std::string& h : r.hrefs) out += "<D:href>" + escape_xml(encode_href(h)) + "</D:href>";
    if (r.status) out += "<D:status>" + status_line(*r.status) + "</D:status>";
    for (const PropStat& ps : r.propstats) {
      out += "<D:propstat><D:prop>";
      for (const Property& p : ps.props) {
        if (!p.raw_element.empty()) {
          out += p.raw_element;
        } else {
          w.element(out, p.element);
        }
      }
      out += "</D:prop><D:status>" + status_line(ps.status) + "</D:status></D:propstat>";
    }
    if (r.error) {
      out += "<D:error>";
      w.element(out, *r.error);
      out += "</D:error>";
    }
    out += "</D:response>";
  }
  if (sync_token) out += "<D:sync-token>" + escape_xml(*sync_token) + "</D:sync-token>";
  out += "</D:multistatus>\n";
  return out;
}

}  // namespace taube::dav::wire
