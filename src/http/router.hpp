// A small router: method + exact path, or method + path prefix, to a handler.
// HEAD is served by the GET route when it has no route of its own (RFC 9110 9.3.2).
// Generic over the handler type so that it stays pure (the server's handlers are
// coroutines). Built once, then read-only: safe to share between sessions.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace taube::http {

template <class Handler>
class Router {
 public:
  struct Match {
    const Handler* handler = nullptr;  // null: 404 (path unknown) or 405 (method)
    bool path_known = false;           // some method is routed for this path
    std::string allow;                 // for 405: "GET, HEAD"
  };

  void add(std::string method, std::string path, Handler handler) {
    exact_[std::move(path)][std::move(method)] = std::move(handler);
  }
  // Matches every path that starts with `prefix`; the longest prefix wins, an exact
  // route beats any prefix.
  void add_prefix(std::string method, std::string prefix, Handler handler) {
    prefix_[std::move(prefix)][std::move(method)] = std::move(handler);
  }

  Match find(std::string_view method, std::string_view path) const {
    const Methods* methods = nullptr;
    if (auto it = exact_.find(path); it != exact_.end()) {
      methods = &it->second;
    } else {
      std::size_t best = 0;
      for (const auto& [prefix, m] : prefix_) {
        if (path.substr(0, prefix.size()) == prefix &&
            (methods == nullptr || prefix.size() > best)) {
          methods = &m;
          best = prefix.size();
        }
      }
    }
    Match match;
    if (methods == nullptr) return match;
    match.path_known = true;
    if (auto it = methods->find(method); it != methods->end()) {
      match.handler = &it->second;
    } else if (method == "HEAD") {
      if (auto get = methods->find("GET"); get != methods->end()) match.handler = &get->second;
    }
    if (match.handler == nullptr) {
      for (const auto& [name, h] : *methods) {
        if (!match.allow.empty()) match.allow += ", ";
        match.allow += name;
        if (name == "GET" && methods->count("HEAD") == 0) match.allow += ", HEAD";
      }
    }
    return match;
  }

 private:
  using Methods = std::map<std::string, Handler, std::less<>>;
  std::map<std::string, Methods, std::less<>> exact_;
  std::map<std::string, Methods, std::less<>> prefix_;
};

}  // namespace taube::http
