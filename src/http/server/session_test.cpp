#include "http/server/session.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <stdexcept>

#include "http/server/node_endpoints.hpp"
#include "http/server/test_transport.hpp"
#include "metrics/node_metrics.hpp"

namespace taube::http::server {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using std::chrono::milliseconds;
using testing::Record;
using testing::Script;

const std::string kGet = "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n";
const std::string kOk =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 3\r\n\r\nok\n";
const std::string kNotFound =
    "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: "
    "10\r\n\r\nnot found\n";

std::string closing(int status, std::string_view reason, std::string_view body) {
  return "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) +
         "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + std::string(body);
}

class HttpSession : public ::testing::Test {
 protected:
  HttpSession() {
    auto service = std::make_shared<Service>();
    service->registry = &registry_;
    StoreProbe probe = []() -> awaitable<Result<void>> { co_return Result<void>(); };
    auto readiness = std::make_shared<const Readiness>(probe, milliseconds(1000), registry_);
    add_node_routes(service->routes, readiness, registry_);
    service->routes.add("POST", "/echo", [](const Request& r) -> awaitable<Response> {
      co_return text_response(200, r.body);
    });
    service->routes.add("GET", "/boom", [](const Request&) -> awaitable<Response> {
      throw std::runtime_error("handler bug");
      co_return Response{};
    });
    metrics::Registry* registry = &registry_;
    service->routes.add("GET", "/open", [registry](const Request&) -> awaitable<Response> {
      co_return text_response(
          200, std::to_string(metrics::connections_gauge("http", *registry).value()));
    });
    service_ = service;
    options_.request_timeout = milliseconds(1000);
    options_.idle_timeout = milliseconds(2000);
    options_.write_timeout = milliseconds(3000);
    options_.linger_timeout = milliseconds(4000);
  }

  std::shared_ptr<Record> run(Script script) {
    auto record = std::make_shared<Record>();
    asio::io_context io;
    auto transport = std::make_unique<testing::FakeTransport>(std::move(script), record);
    asio::co_spawn(io, run_session(std::move(transport), service_, options_),
                   [](std::exception_ptr e) {
                     if (e) std::rethrow_exception(e);
                   });
    io.run();
    return record;
  }

  uint64_t responses(std::string code) {
    return registry_
        .counter(metrics::kHttpRequestsTotal, "HTTP responses sent, by status code.",
                 {{"code", code}})
        .value();
  }

  metrics::Registry registry_;
  std::shared_ptr<const Service> service_;
  Options options_;
};

TEST_F(HttpSession, ServesHealthzAndClosesAtEof) {
  auto r = run({.reads = {kGet}});
  EXPECT_EQ(r->output, kOk);
  EXPECT_TRUE(r->closed);
  // Request deadline, then the write's, then idle while waiting for the next request.
  EXPECT_EQ(r->deadlines, (std::vector<milliseconds>{milliseconds(1000), milliseconds(3000),
                                                     milliseconds(2000)}));
}

TEST_F(HttpSession, KeepsAliveAcrossReadsAndRestartsTheRequestDeadline) {
  auto r = run({.reads = {kGet, "GET /heal", "thz HTTP/1.1\r\nHost: a\r\n\r\n"}});
  EXPECT_EQ(r->output, kOk + kOk);
  EXPECT_EQ(r->deadlines, (std::vector<milliseconds>{milliseconds(1000), milliseconds(3000),
                                                     milliseconds(2000), milliseconds(1000),
                                                     milliseconds(3000), milliseconds(2000)}));
}

TEST_F(HttpSession, AnswersPipelinedRequestsInOrder) {
  auto r = run({.reads = {kGet + "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc" +
                          "GET /missing HTTP/1.1\r\nHost: a\r\n\r\n"}});
  EXPECT_EQ(r->output, kOk +
                           "HTTP/1.1 200 OK\r\nContent-Type: text/plain; "
                           "charset=utf-8\r\nContent-Length: 3\r\n\r\nabc" +
                           kNotFound);
  EXPECT_EQ(r->reads, 2);
}

TEST_F(HttpSession, ConnectionCloseEndsTheSessionBeforeLaterRequests) {
  auto r = run({.reads = {"GET /healthz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n" + kGet}});
  EXPECT_EQ(r->output, closing(200, "OK", "ok\n"));
  EXPECT_EQ(r->reads, 1);
  EXPECT_TRUE(r->closed);
}

TEST_F(HttpSession, Http10ClosesUnlessKeepAliveIsAsked) {
  auto r = run({.reads = {"GET /healthz HTTP/1.0\r\n\r\n" + kGet}});
  EXPECT_EQ(r->output, closing(200, "OK", "ok\n"));
  r = run({.reads = {"GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n" + kGet}});
  EXPECT_EQ(r->output,
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 3\r\n"
            "Connection: keep-alive\r\n\r\nok\n" +
                kOk);
}

TEST_F(HttpSession, HeadSendsHeadersWithoutBody) {
  auto r = run({.reads = {"HEAD /healthz HTTP/1.1\r\nHost: a\r\n\r\n" + kGet}});
  EXPECT_EQ(
      r->output,
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 3\r\n\r\n" +
          kOk);
}

TEST_F(HttpSession, UnknownPathIs404AndOtherMethodIs405) {
  auto r = run(
      {.reads = {
           "GET /nope HTTP/1.1\r\nHost: a\r\n\r\nDELETE /healthz HTTP/1.1\r\nHost: a\r\n\r\n"}});
  EXPECT_EQ(r->output,
            kNotFound +
                "HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/plain; charset=utf-8\r\n"
                "Allow: GET, HEAD\r\nContent-Length: 19\r\n\r\nmethod not allowed\n");
}

TEST_F(HttpSession, BodyOverLimitGets413ClosesAndDrains) {
  options_.limits.max_body_bytes = 10;
  auto r = run({.reads = {"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n",
                          "01234567890", kGet}});
  EXPECT_EQ(r->output, closing(413, "Content Too Large", "content too large\n"));
  EXPECT_EQ(r->deadlines.back(), milliseconds(4000));  // lingering, not serving
  EXPECT_EQ(r->reads, 4);                              // header, then drained two chunks and EOF
  EXPECT_EQ(responses("413"), 1u);
  EXPECT_EQ(responses("200"), 0u);
}

TEST_F(HttpSession, OversizedHeaderGets431) {
  options_.limits.max_header_bytes = 512;
  auto r = run({.reads = {"GET /healthz HTTP/1.1\r\nHost: a\r\nCookie: " + std::string(600, 'c') +
                          "\r\n\r\n"}});
  EXPECT_EQ(r->output,
            closing(431, "Request Header Fields Too Large", "request header fields too large\n"));
}

TEST_F(HttpSession, BadRequestLineGets400AndClose) {
  auto r = run({.reads = {"HELLO WORLD\r\n\r\n" + kGet}});
  EXPECT_EQ(r->output, closing(400, "Bad Request", "bad request\n"));
  EXPECT_EQ(responses("400"), 1u);
}

TEST_F(HttpSession, TimeoutInsideARequestClosesWithoutServingIt) {
  auto r = run({.reads = {"GET /healthz HTTP/1.1\r\nHo"}, .timeout_at_end = true});
  EXPECT_EQ(r->output, "");
  EXPECT_TRUE(r->closed);
  EXPECT_EQ(r->deadlines, (std::vector<milliseconds>{milliseconds(1000), milliseconds(1000)}));
}

TEST_F(HttpSession, IdleTimeoutAfterAResponseCloses) {
  auto r = run({.reads = {kGet}, .timeout_at_end = true});
  EXPECT_EQ(r->output, kOk);
  EXPECT_TRUE(r->closed);
  EXPECT_EQ(r->deadlines.back(), milliseconds(2000));
}

TEST_F(HttpSession, ClosesAfterMaxRequestsPerConnection) {
  options_.max_requests_per_connection = 2;
  auto r = run({.reads = {kGet + kGet + kGet}});
  EXPECT_EQ(r->output, kOk + closing(200, "OK", "ok\n"));
}

TEST_F(HttpSession, SendsContinueBeforeReadingTheBody) {
  auto r = run(
      {.reads = {
           "POST /echo HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n",
           "hi"}});
  EXPECT_EQ(
      r->output,
      "HTTP/1.1 100 Continue\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 2\r\n\r\nhi");
}

TEST_F(HttpSession, HandlerExceptionGives500AndTheConnectionGoesOn) {
  auto r = run({.reads = {"GET /boom HTTP/1.1\r\nHost: a\r\n\r\n" + kGet}});
  EXPECT_EQ(r->output,
            "HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Content-Length: 22\r\n\r\ninternal server error\n" +
                kOk);
}

TEST_F(HttpSession, FailedWriteEndsTheSession) {
  auto r = run({.reads = {kGet + kGet}, .fail_write_at = 1});
  EXPECT_EQ(r->output, "");
  EXPECT_EQ(r->reads, 1);
  EXPECT_TRUE(r->closed);
}

TEST_F(HttpSession, CountsOpenConnectionsAndResponsesByStatus) {
  auto r = run({.reads = {"GET /open HTTP/1.1\r\nHost: a\r\n\r\n" + kGet +
                          "GET /x HTTP/1.1\r\nHost: a\r\n\r\n"}});
  EXPECT_EQ(
      r->output.substr(0, r->output.find(kOk)),
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 1\r\n\r\n1");
  EXPECT_EQ(metrics::connections_gauge("http", registry_).value(), 0);
  EXPECT_EQ(metrics::connections_counter("http", registry_).value(), 1u);
  EXPECT_EQ(responses("200"), 2u);
  EXPECT_EQ(responses("404"), 1u);
}

}  // namespace
}  // namespace taube::http::server
