#include "outbound/dkim_signer.hpp"

#include <map>
#include <memory>

#include "base/ascii.hpp"
#include "log/log.hpp"
#include "mailauth/dkim_sign.hpp"

namespace taube::outbound {

std::string from_domain(std::string_view raw) {
  size_t pos = 0;
  while (pos < raw.size()) {
    size_t eol = raw.find('\n', pos);
    if (eol == std::string_view::npos) eol = raw.size();
    std::string_view line = raw.substr(pos, eol - pos);
    if (line.empty() || line == "\r") return {};  // end of the header
    if (line.size() > 5 && ascii::iequals(line.substr(0, 5), "from:")) {
      // The field with its continuation lines.
      std::string value(line.substr(5));
      size_t next = eol + 1;
      while (next < raw.size() && (raw[next] == ' ' || raw[next] == '\t')) {
        size_t e2 = raw.find('\n', next);
        if (e2 == std::string_view::npos) e2 = raw.size();
        value += raw.substr(next, e2 - next);
        next = e2 + 1;
      }
      // The address is in <...> when there is a display name; else the bare addr-spec.
      auto lt = value.find('<');
      std::string addr = value;
      if (lt != std::string::npos) addr = value.substr(lt + 1, value.find('>', lt) - lt - 1);
      auto at = addr.rfind('@');
      if (at == std::string::npos) return {};
      std::string domain;
      for (size_t i = at + 1; i < addr.size(); ++i) {
        char c = addr[i];
        if (c == '>' || c == ' ' || c == '\r' || c == '\t' || c == ',' || c == ';' || c == ')') break;
        domain += ascii::to_lower(c);
      }
      return domain;
    }
    pos = eol + 1;
  }
  return {};
}

Signer make_dkim_signer(const std::filesystem::path& key_directory) {
  std::vector<std::string> problems;
  auto keys = mailauth::load_signing_keys(key_directory, &problems);
  for (auto& p : problems) log::warn("dkim.key_unusable", {log::kv("problem", p)});
  if (keys.empty()) return {};
  auto by_domain = std::make_shared<std::map<std::string, mailauth::SigningKey>>();
  for (auto& k : keys) {
    log::info("dkim.key", {log::kv("domain", k.domain), log::kv("selector", k.selector)});
    by_domain->emplace(k.domain, k);  // the first selector of a domain signs
  }
  return [by_domain](std::string_view raw, std::string_view sender) -> std::string {
    std::string domain = from_domain(raw);
    auto it = by_domain->find(domain);
    if (it == by_domain->end()) {
      auto at = sender.rfind('@');
      if (at == std::string_view::npos) return {};
      it = by_domain->find(ascii::lower(sender.substr(at + 1)));
      if (it == by_domain->end()) return {};
    }
    auto sig = mailauth::dkim_sign(raw, it->second);
    if (!sig) {
      log::warn("dkim.sign_failed", {log::kv("domain", it->first), log::kv("reason", sig.error().detail)});
      return {};
    }
    return *sig;
  };
}

}  // namespace taube::outbound
