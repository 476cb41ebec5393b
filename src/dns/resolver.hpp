// Asynchronous DNS on libunbound, for outbound delivery (MX/A/AAAA) and mail
// authentication (TXT for SPF, DKIM and DMARC; PTR for SPF's ptr mechanism).
//
// Integration with Asio: libunbound runs its queries on a thread of its own
// (ub_ctx_async(ctx, 1)) and signals finished queries on a pipe, ub_fd(). We
// watch that pipe with a posix::stream_descriptor and call ub_process() on our
// strand, which runs the result callbacks there. Chosen over "a dedicated thread
// calling ub_resolve() and posting results" because that thread would block per
// query (one thread per concurrent lookup, or a queue in front of it), while
// ub_fd lets libunbound keep any number of lookups in flight and costs no thread
// of ours. Every lookup has a deadline: a steady_timer that ub_cancel()s it and
// answers kTimeout.
//
// Thread-safety: a Resolver may be used from any executor; calls hop to its
// strand and resume on the caller's executor. Destroy it only after every lookup
// has completed (the server destroys it after its io_context stopped).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/error.hpp"

namespace taube::dns {

struct ResolverOptions {
  // "" = the system's /etc/resolv.conf; otherwise "ip", "ip:port" or "[ipv6]:port"
  // of a recursive resolver (or a test's authoritative server) to forward to.
  std::string resolver;
  std::chrono::milliseconds timeout{10000};  // per lookup
  // A DNSSEC trust anchor file (unbound's root.key format); "" = no validation
  // (answers are never `secure`).
  std::string trust_anchor_file;
};

// How a lookup ended. kNoData and kNxDomain are answers (RFC 7208 treats both as
// "no records"); kServFail and kTimeout are temporary errors (SPF temperror,
// SMTP 4xx).
enum class Status : uint8_t { kOk, kNoData, kNxDomain, kServFail, kTimeout };
const char* to_string(Status s);

template <class T>
struct Answer {
  Status status = Status::kServFail;
  std::vector<T> records;
  bool secure = false;   // DNSSEC-validated (only with a trust anchor)
  bool bogus = false;    // validation failed: treat as kServFail
  std::string why_bogus;
  bool ok() const { return status == Status::kOk; }
  bool temporary() const { return status == Status::kServFail || status == Status::kTimeout; }
};

struct MxRecord {
  uint16_t preference = 0;
  std::string exchange;  // lower case, no trailing dot; "" for the null MX "." (RFC 7505)
};

class Resolver {
 public:
  // Errors: kInvalidArgument (bad resolver address), kUnavailable (libunbound setup).
  static Result<std::unique_ptr<Resolver>> create(boost::asio::any_io_executor executor,
                                                  ResolverOptions options);
  virtual ~Resolver() = default;

  // Names are given without or with a trailing dot; answers' names are lower case
  // and without it. CNAMEs are followed (by the resolver).
  virtual boost::asio::awaitable<Answer<MxRecord>> mx(std::string domain) = 0;
  virtual boost::asio::awaitable<Answer<boost::asio::ip::address>> a(std::string name) = 0;
  virtual boost::asio::awaitable<Answer<boost::asio::ip::address>> aaaa(std::string name) = 0;
  // Each TXT record's character-strings concatenated without separator, as SPF
  // (RFC 7208 3.3) and DKIM (RFC 6376 3.6.2.2) read them.
  virtual boost::asio::awaitable<Answer<std::string>> txt(std::string name) = 0;
  // Reverse lookup of an address (in-addr.arpa / ip6.arpa).
  virtual boost::asio::awaitable<Answer<std::string>> ptr(boost::asio::ip::address address) = 0;
};

}  // namespace taube::dns
