#include "http/parser.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace taube::http {
namespace {

// Everything the parser reports, as a readable list: "req GET / body=...", "continue",
// "invalid 413", ending at the first NeedMore.
std::vector<std::string> drain(RequestParser& p) {
  std::vector<std::string> out;
  for (;;) {
    ParseEvent e = p.next();
    if (std::holds_alternative<NeedMore>(e)) return out;
    if (std::holds_alternative<ContinueExpected>(e)) {
      out.push_back("continue");
      continue;
    }
    if (auto* bad = std::get_if<Invalid>(&e)) {
      out.push_back("invalid " + std::to_string(bad->status));
      return out;
    }
    const auto& r = std::get<Request>(e);
    out.push_back("req " + r.method + " " + r.target + " v" + std::to_string(r.version) +
                  (r.keep_alive ? " keep" : " close") + " body=" + r.body);
  }
}

std::vector<std::string> parse_all(std::string_view input, Limits limits = {}) {
  RequestParser p(limits);
  p.feed(input);
  return drain(p);
}

using V = std::vector<std::string>;

TEST(HttpParser, ParsesSimpleGet) {
  RequestParser p;
  p.feed("GET /healthz?x=1 HTTP/1.1\r\nHost: a\r\nX-Thing:  v  \r\n\r\n");
  ParseEvent e = p.next();
  ASSERT_TRUE(std::holds_alternative<Request>(e));
  const auto& r = std::get<Request>(e);
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.target, "/healthz?x=1");
  EXPECT_EQ(r.path(), "/healthz");
  EXPECT_EQ(r.version, 11u);
  EXPECT_TRUE(r.keep_alive);
  ASSERT_EQ(r.headers.size(), 2u);
  EXPECT_EQ(r.header("x-thing").value_or("?"), "v");
  EXPECT_FALSE(r.header("missing").has_value());
  EXPECT_TRUE(std::holds_alternative<NeedMore>(p.next()));
  EXPECT_FALSE(p.has_partial());
}

TEST(HttpParser, NeedsMoreUntilHeaderEnds) {
  RequestParser p;
  p.feed("GET / HTTP/1.1\r\nHost: a\r\n");
  EXPECT_TRUE(std::holds_alternative<NeedMore>(p.next()));
  EXPECT_TRUE(p.has_partial());
  p.feed("\r\n");
  EXPECT_EQ(drain(p), (V{"req GET / v11 keep body="}));
}

TEST(HttpParser, ParsesPipelinedRequestsInOrder) {
  EXPECT_EQ(parse_all("GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
                      "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
                      "GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
            (V{"req GET /a v11 keep body=", "req POST /b v11 keep body=abc",
               "req GET /c v11 close body="}));
}

TEST(HttpParser, Http10ClosesUnlessKeepAlive) {
  EXPECT_EQ(parse_all("GET / HTTP/1.0\r\n\r\n"), (V{"req GET / v10 close body="}));
  EXPECT_EQ(parse_all("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"),
            (V{"req GET / v10 keep body="}));
}

// Two pipelined requests, one chunked, split at every offset into two feeds and
// fed one byte at a time: the same requests come out every time.
TEST(HttpParser, SameResultSplitAtEveryOffsetAndByteByByte) {
  const std::string input =
      "POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n4;ext=1\r\ndefg\r\n0\r\nTrailer: t\r\n\r\n"
      "PUT /y HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello";
  const V expected{"req POST /x v11 keep body=abcdefg", "req PUT /y v11 close body=hello"};
  ASSERT_EQ(parse_all(input), expected);
  for (std::size_t split = 0; split <= input.size(); ++split) {
    RequestParser p;
    p.feed(input.substr(0, split));
    V got = drain(p);
    p.feed(input.substr(split));
    V rest = drain(p);
    got.insert(got.end(), rest.begin(), rest.end());
    EXPECT_EQ(got, expected) << "split at " << split;
  }
  RequestParser p;
  V got;
  for (char c : input) {
    p.feed(std::string_view(&c, 1));
    V part = drain(p);
    got.insert(got.end(), part.begin(), part.end());
  }
  EXPECT_EQ(got, expected);
}

TEST(HttpParser, RejectsOversizedHeaderWith431) {
  Limits limits;
  limits.max_header_bytes = 1024;
  std::string input = "GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + std::string(2000, 'a');
  EXPECT_EQ(parse_all(input, limits), (V{"invalid 431"}));
  // Also when it arrives in small pieces and never ends.
  RequestParser p(limits);
  V got;
  for (std::size_t i = 0; i < input.size() && got.empty(); i += 100) {
    p.feed(input.substr(i, 100));
    got = drain(p);
  }
  EXPECT_EQ(got, (V{"invalid 431"}));
}

TEST(HttpParser, RejectsTooManyHeaderFieldsWith431) {
  Limits limits;
  limits.max_header_count = 10;
  std::string input = "GET / HTTP/1.1\r\nHost: a\r\n";
  for (int i = 0; i < 10; ++i) input += "X-" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(parse_all(input + "\r\n", limits), (V{"invalid 431"}));
  limits.max_header_count = 11;
  EXPECT_EQ(parse_all(input + "\r\n", limits), (V{"req GET / v11 keep body="}));
}

TEST(HttpParser, RejectsContentLengthOverLimitBeforeTheBody) {
  Limits limits;
  limits.max_body_bytes = 100;
  EXPECT_EQ(parse_all("PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 101\r\n\r\n", limits),
            (V{"invalid 413"}));
  EXPECT_EQ(
      parse_all("PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n" + std::string(100, 'b'),
                limits),
      (V{"req PUT / v11 keep body=" + std::string(100, 'b')}));
}

TEST(HttpParser, RejectsHugeContentLength) {
  EXPECT_EQ(parse_all("PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 1099511627776\r\n\r\n"),
            (V{"invalid 413"}));
  // Beyond 64 bits: a malformed length, not a size.
  EXPECT_EQ(
      parse_all("PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n"),
      (V{"invalid 400"}));
  EXPECT_EQ(parse_all("PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n"),
            (V{"invalid 400"}));
  EXPECT_EQ(
      parse_all("PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab"),
      (V{"invalid 400"}));
}

TEST(HttpParser, RejectsChunkedBodyOverLimit) {
  Limits limits;
  limits.max_body_bytes = 10;
  std::string head = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  EXPECT_EQ(parse_all(head + "6\r\nabcdef\r\n6\r\nghijkl\r\n0\r\n\r\n", limits),
            (V{"invalid 413"}));
  EXPECT_EQ(parse_all(head + "ffffffffffff\r\n", limits), (V{"invalid 413"}));
  EXPECT_EQ(parse_all(head + "5\r\nabcde\r\n5\r\nfghij\r\n0\r\n\r\n", limits),
            (V{"req POST / v11 keep body=abcdefghij"}));
}

TEST(HttpParser, RejectsBadRequestLinesWith400) {
  for (const std::string& bad : std::vector<std::string>{
           "GARBAGE\r\n\r\n", "GET /\r\n\r\n", "GET / HTTP/1.1 extra\r\nHost: a\r\n\r\n",
           "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", "G(T / HTTP/1.1\r\nHost: a\r\n\r\n",
           "GET / HTXP/1.1\r\nHost: a\r\n\r\n",
           "GET / HTTP/1.1\r\nBad Header: x\r\nHost: a\r\n\r\n",
           std::string("GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n", 32),
           "GET relative HTTP/1.1\r\nHost: a\r\n\r\n"}) {
    EXPECT_EQ(parse_all(bad), (V{"invalid 400"})) << bad;
  }
}

TEST(HttpParser, RequiresExactlyOneHostInHttp11) {
  EXPECT_EQ(parse_all("GET / HTTP/1.1\r\n\r\n"), (V{"invalid 400"}));
  EXPECT_EQ(parse_all("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), (V{"invalid 400"}));
}

TEST(HttpParser, RejectsOtherVersionsWith505) {
  EXPECT_EQ(parse_all("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), (V{"invalid 505"}));
}

TEST(HttpParser, StaysInvalidAfterAnError) {
  RequestParser p;
  p.feed("BAD\r\n\r\n");
  EXPECT_EQ(drain(p), (V{"invalid 400"}));
  p.feed("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(drain(p), (V{"invalid 400"}));
}

TEST(HttpParser, ReportsExpectContinueOnceBeforeTheBody) {
  RequestParser p;
  p.feed("PUT /f HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
  EXPECT_EQ(drain(p), (V{"continue"}));
  EXPECT_EQ(drain(p), V{});
  p.feed("o");
  EXPECT_EQ(drain(p), V{});
  p.feed("k");
  EXPECT_EQ(drain(p), (V{"req PUT /f v11 keep body=ok"}));
}

}  // namespace
}  // namespace taube::http
