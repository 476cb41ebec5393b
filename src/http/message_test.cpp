#include "http/message.hpp"

#include <gtest/gtest.h>

namespace taube::http {
namespace {

TEST(HttpKeepAlive, FollowsVersionAndConnectionTokens) {
  EXPECT_TRUE(wants_keep_alive(11, {}));
  EXPECT_FALSE(wants_keep_alive(11, {{"Connection", "close"}}));
  EXPECT_FALSE(wants_keep_alive(11, {{"connection", "Upgrade, CLOSE"}}));
  EXPECT_FALSE(wants_keep_alive(11, {{"Connection", "keep-alive"}, {"Connection", "close"}}));
  EXPECT_TRUE(wants_keep_alive(11, {{"Connection", "keep-alive"}}));
  EXPECT_TRUE(wants_keep_alive(11, {{"X-Connection", "close"}}));
  EXPECT_FALSE(wants_keep_alive(10, {}));
  EXPECT_TRUE(wants_keep_alive(10, {{"Connection", " Keep-Alive "}}));
  EXPECT_FALSE(wants_keep_alive(10, {{"Connection", "keep-alive, close"}}));
}

TEST(HttpSerialize, WritesStatusHeadersLengthAndBody) {
  Response r = text_response(200, "ok\n");
  EXPECT_EQ(serialize(r, {}),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: "
            "3\r\n\r\nok\n");
}

TEST(HttpSerialize, HeadKeepsLengthButDropsBody) {
  Response r = text_response(404, "not found\n");
  EXPECT_EQ(
      serialize(r, {.head = true, .keep_alive = false}),
      "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 10\r\n"
      "Connection: close\r\n\r\n");
}

TEST(HttpSerialize, AnswersHttp10KeepAliveExplicitly) {
  Response r;
  r.status = 204;
  EXPECT_EQ(serialize(r, {.request_version = 10}),
            "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n");
}

TEST(HttpSerialize, NeutralisesLineBreaksInHeaders) {
  Response r;
  r.status = 200;
  r.headers.push_back({"X-A", "one\r\nSet-Cookie: evil"});
  EXPECT_EQ(serialize(r, {}),
            "HTTP/1.1 200 OK\r\nX-A: one  Set-Cookie: evil\r\nContent-Length: 0\r\n\r\n");
}

TEST(HttpSerialize, NamesReasonPhrases) {
  EXPECT_EQ(reason_phrase(413), "Content Too Large");
  EXPECT_EQ(reason_phrase(431), "Request Header Fields Too Large");
  EXPECT_EQ(reason_phrase(503), "Service Unavailable");
  EXPECT_EQ(reason_phrase(299), "Unknown");
}

TEST(HttpRequest, PathDropsQueryAndFragment) {
  Request r;
  r.target = "/a/b?c=d#e";
  EXPECT_EQ(r.path(), "/a/b");
  r.target = "/x#y";
  EXPECT_EQ(r.path(), "/x");
}

}  // namespace
}  // namespace taube::http
