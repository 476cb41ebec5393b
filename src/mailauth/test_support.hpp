// Test support for mailauth: a dns::Resolver with canned records (NXDOMAIN for
// unknown names, NODATA for known names without the asked type, SERVFAIL on
// request) that counts queries, and a runner for one awaitable. Tests only.
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/ascii.hpp"
#include "dns/resolver.hpp"

namespace taube::mailauth::testing {

namespace asio = boost::asio;

class FakeResolver : public dns::Resolver {
 public:
  void add_txt(const std::string& name, std::string text) { txt_[key(name)].push_back(std::move(text)); }
  void add_a(const std::string& name, const std::string& ip) {
    asio::ip::address a = asio::ip::make_address(ip);
    (a.is_v4() ? a_ : aaaa_)[key(name)].push_back(a);
  }
  void add_mx(const std::string& name, uint16_t pref, const std::string& host) {
    mx_[key(name)].push_back(dns::MxRecord{pref, key(host)});
  }
  void add_ptr(const std::string& ip, const std::string& name) {
    ptr_[asio::ip::make_address(ip).to_string()].push_back(key(name));
  }
  void servfail(const std::string& name) { servfail_.insert(key(name)); }
  int queries() const { return queries_; }

  asio::awaitable<dns::Answer<dns::MxRecord>> mx(std::string name) override {
    co_return answer(mx_, name);
  }
  asio::awaitable<dns::Answer<asio::ip::address>> a(std::string name) override {
    co_return answer(a_, name);
  }
  asio::awaitable<dns::Answer<asio::ip::address>> aaaa(std::string name) override {
    co_return answer(aaaa_, name);
  }
  asio::awaitable<dns::Answer<std::string>> txt(std::string name) override {
    co_return answer(txt_, name);
  }
  asio::awaitable<dns::Answer<std::string>> ptr(asio::ip::address address) override {
    ++queries_;
    dns::Answer<std::string> out;
    auto it = ptr_.find(address.to_string());
    out.status = it == ptr_.end() ? dns::Status::kNxDomain : dns::Status::kOk;
    if (it != ptr_.end()) out.records = it->second;
    co_return out;
  }

 private:
  static std::string key(std::string name) {
    name = ascii::lower(name);
    if (!name.empty() && name.back() == '.') name.pop_back();
    return name;
  }
  bool exists(const std::string& k) const {
    return txt_.count(k) || a_.count(k) || aaaa_.count(k) || mx_.count(k);
  }
  template <class T>
  dns::Answer<T> answer(const std::map<std::string, std::vector<T>>& table, const std::string& name) {
    ++queries_;
    const std::string k = key(name);
    dns::Answer<T> out;
    if (servfail_.count(k)) {
      out.status = dns::Status::kServFail;
      return out;
    }
    auto it = table.find(k);
    if (it != table.end()) {
      out.status = dns::Status::kOk;
      out.records = it->second;
    } else {
      out.status = exists(k) ? dns::Status::kNoData : dns::Status::kNxDomain;
    }
    return out;
  }

  std::map<std::string, std::vector<std::string>> txt_, ptr_;
  std::map<std::string, std::vector<asio::ip::address>> a_, aaaa_;
  std::map<std::string, std::vector<dns::MxRecord>> mx_;
  std::set<std::string> servfail_;
  int queries_ = 0;
};

template <class T>
T run(asio::awaitable<T> op) {
  asio::io_context io;
  std::optional<T> out;
  asio::co_spawn(io, std::move(op), [&](std::exception_ptr e, T value) {
    if (e) std::rethrow_exception(e);
    out.emplace(std::move(value));
  });
  io.run();
  return std::move(*out);
}

}  // namespace taube::mailauth::testing
