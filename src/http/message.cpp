#include "http/message.hpp"

#include "base/ascii.hpp"

namespace taube::http {

std::optional<std::string_view> Request::header(std::string_view name) const {
  for (const auto& h : headers)
    if (ascii::iequals(h.name, name)) return std::string_view(h.value);
  return std::nullopt;
}

std::string_view Request::path() const {
  std::string_view t = target;
  return t.substr(0, t.find_first_of("?#"));
}

Response text_response(int status, std::string body, std::string content_type) {
  Response r;
  r.status = status;
  r.headers.push_back({"Content-Type", std::move(content_type)});
  r.body = std::move(body);
  return r;
}

bool wants_keep_alive(unsigned version, const std::vector<Header>& headers) {
  bool close = false, keep = false;
  for (const auto& h : headers) {
    if (!ascii::iequals(h.name, "Connection")) continue;
    std::string_view rest = h.value;
    while (!rest.empty()) {
      std::size_t comma = rest.find(',');
      std::string_view token = ascii::trim(rest.substr(0, comma));
      if (ascii::iequals(token, "close")) close = true;
      if (ascii::iequals(token, "keep-alive")) keep = true;
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
  }
  if (close) return false;
  return version >= 11 || keep;
}

std::string_view reason_phrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 207:
      return "Multi-Status";
    case 301:
      return "Moved Permanently";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

namespace {

void append_clean(std::string& out, std::string_view text) {
  for (char c : text) out += (c == '\r' || c == '\n') ? ' ' : c;
}

}  // namespace

std::string serialize(const Response& response, const SerializeOptions& options) {
  std::string out = "HTTP/1.1 " + std::to_string(response.status) + " ";
  out += reason_phrase(response.status);
  out += "\r\n";
  for (const auto& h : response.headers) {
    append_clean(out, h.name);
    out += ": ";
    append_clean(out, h.value);
    out += "\r\n";
  }
  out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
  if (!options.keep_alive)
    out += "Connection: close\r\n";
  else if (options.request_version < 11)
    out += "Connection: keep-alive\r\n";
  out += "\r\n";
  if (!options.head) out += response.body;
  return out;
}

}  // namespace taube::http
