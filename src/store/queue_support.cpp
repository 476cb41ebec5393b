#include "store/queue_support.hpp"

#include <sstream>

#include "base/ascii.hpp"

namespace taube::store {

Result<std::vector<DomainGroup>> group_by_domain(const Outbound& outbound) {
  if (outbound.recipients.empty()) return fail(ErrorCode::kInvalidArgument, "no recipients");
  std::vector<DomainGroup> groups;
  std::vector<std::string> seen;
  for (const auto& r : outbound.recipients) {
    auto parts = split_address(r.address);
    if (!parts) return fail(ErrorCode::kInvalidArgument, "not an address: " + r.address);
    std::string key = ascii::lower(parts->local) + "@" + parts->domain;
    bool dup = false;
    for (const auto& s : seen) dup = dup || s == key;
    if (dup) continue;
    seen.push_back(key);
    DomainGroup* group = nullptr;
    for (auto& g : groups)
      if (g.domain == parts->domain) group = &g;
    if (!group) group = &groups.emplace_back(DomainGroup{parts->domain, {}});
    group->recipients.push_back(r);
  }
  return groups;
}

// One line per target: "ok MAILBOX UIDVALIDITY UID MODSEQ" or "error CODE".
std::string encode_results(const std::vector<Result<Delivered>>& results) {
  std::string out;
  for (const auto& r : results) {
    if (r) {
      out += "ok " + std::to_string(r->mailbox.value) + " " + std::to_string(r->uid_validity) +
             " " + std::to_string(r->uid) + " " + std::to_string(r->modseq) + "\n";
    } else {
      out += "error " + std::to_string(static_cast<int>(r.error().code)) + "\n";
    }
  }
  return out;
}

std::optional<std::vector<Result<Delivered>>> decode_results(const std::string& text) {
  std::vector<Result<Delivered>> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string kind;
    words >> kind;
    if (kind == "ok") {
      Delivered d;
      std::int64_t mailbox = 0;
      if (!(words >> mailbox >> d.uid_validity >> d.uid >> d.modseq)) return std::nullopt;
      d.mailbox = MailboxId{mailbox};
      out.push_back(d);
    } else if (kind == "error") {
      int code = 0;
      if (!(words >> code) || code < 0 || code > static_cast<int>(ErrorCode::kInternal))
        return std::nullopt;
      out.push_back(Error{static_cast<ErrorCode>(code), "as in the earlier delivery"});
    } else {
      return std::nullopt;
    }
  }
  return out;
}

}  // namespace taube::store
