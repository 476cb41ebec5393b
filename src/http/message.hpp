// HTTP/1.1 messages as plain values (RFC 9110, RFC 9112): the parsed request a
// handler sees, the response it returns, keep-alive rules and response
// serialisation. Pure (no Asio, no Beast); used by http/server and later by DAV.
// Value types; no threading concerns.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace taube::http {

struct Header {
  std::string name;
  std::string value;
};

// Facts about the connection a request came over, set by the session (not parsed):
// handlers use them to decide whether Basic credentials may be accepted.
struct Peer {
  std::string address;  // remote IP (the PROXY header's source when the listener uses one)
  bool tls = false;
  bool loopback = false;
};

struct Request {
  std::string method;     // as sent, case-sensitive (RFC 9110 9.1)
  std::string target;     // origin-form "/path?query" as sent
  unsigned version = 11;  // 10 or 11
  std::vector<Header> headers;
  std::string body;
  bool keep_alive = true;  // wants_keep_alive(version, headers)
  Peer peer;

  // The first field named `name` (case-insensitive), or nullopt.
  std::optional<std::string_view> header(std::string_view name) const;
  // The target without query or fragment.
  std::string_view path() const;
};

struct Response {
  int status = 200;
  // Content-Length and Connection are added by serialize(); do not set them.
  std::vector<Header> headers;
  std::string body;
};

// A response with a text body and Content-Type.
Response text_response(int status, std::string body,
                       std::string content_type = "text/plain; charset=utf-8");

// RFC 9112 9.3: HTTP/1.1 stays open unless a Connection field has "close";
// HTTP/1.0 closes unless it has "keep-alive".
bool wants_keep_alive(unsigned version, const std::vector<Header>& headers);

// "OK", "Not Found"...; "Unknown" for codes not in the table.
std::string_view reason_phrase(int status);

struct SerializeOptions {
  bool head = false;              // HEAD: same header fields, no body (RFC 9110 9.3.2)
  bool keep_alive = true;         // false adds "Connection: close"
  unsigned request_version = 11;  // 10 with keep_alive adds "Connection: keep-alive"
};

// The response as bytes on the wire (always HTTP/1.1 with Content-Length).
// CR and LF in header names or values are replaced by spaces so that a handler can
// never split the response.
std::string serialize(const Response& response, const SerializeOptions& options);

}  // namespace taube::http
