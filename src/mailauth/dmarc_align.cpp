#include "mailauth/dmarc_align.hpp"

#include "base/ascii.hpp"
#include "mailauth/canon.hpp"
#include "mime/address.hpp"

namespace taube::mailauth {
namespace {

// Public suffixes of two labels that are common in mail; everything else is
// taken to be a one-label suffix.
constexpr std::string_view kTwoLabelSuffixes[] = {
    "ac.uk", "co.uk", "gov.uk", "ltd.uk", "me.uk", "net.uk", "org.uk", "plc.uk", "sch.uk",
    "com.au", "edu.au", "gov.au", "net.au", "org.au", "co.nz", "net.nz", "org.nz", "govt.nz",
    "ac.jp", "co.jp", "go.jp", "ne.jp", "or.jp", "co.kr", "or.kr", "co.za", "org.za",
    "com.br", "net.br", "org.br", "gov.br", "com.cn", "net.cn", "org.cn", "gov.cn", "edu.cn",
    "com.mx", "org.mx", "co.in", "net.in", "org.in", "gov.in", "com.tr", "org.tr", "com.tw",
    "org.tw", "com.hk", "org.hk", "com.sg", "edu.sg", "co.il", "org.il", "ac.il", "com.ar",
    "co.id", "com.my", "com.ua", "com.pl", "co.at", "or.at", "com.es", "co.th", "com.ph",
    "com.vn", "com.co", "com.pe", "com.sa", "com.eg", "com.ng", "co.ke", "gv.at", "ac.at"};

std::string normalise(std::string_view d) {
  std::string s = ascii::lower(d);
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

}  // namespace

std::optional<std::string> author_domain(std::string_view raw) {
  const SplitMessage message = split_message(raw);
  const mime::HeaderField* from = nullptr;
  for (const mime::HeaderField& f : message.header.fields) {
    if (!ascii::iequals(ascii::trim(f.name(raw)), "from")) continue;
    if (from) return std::nullopt;  // several From fields
    from = &f;
  }
  if (!from) return std::nullopt;
  const std::vector<mime::Address> list = mime::parse_address_list(mime::unfold(from->raw_value(raw)));
  const mime::Address* mailbox = nullptr;
  for (const mime::Address& a : list) {
    if (a.kind != mime::Address::Kind::kMailbox) continue;
    if (mailbox) return std::nullopt;
    mailbox = &a;
  }
  if (!mailbox || !mailbox->host || mailbox->host->empty()) return std::nullopt;
  return normalise(*mailbox->host);
}

std::string organizational_domain(std::string_view domain) {
  const std::string d = normalise(domain);
  std::size_t labels = 1;
  for (std::string_view suffix : kTwoLabelSuffixes) {
    if (d == suffix) return d;
    if (d.size() > suffix.size() && d.compare(d.size() - suffix.size(), suffix.size(), suffix) == 0 &&
        d[d.size() - suffix.size() - 1] == '.') {
      labels = 2;
      break;
    }
  }
  // Keep the suffix's labels and one more.
  std::size_t pos = d.size();
  for (std::size_t kept = 0; kept <= labels; ++kept) {
    const std::size_t dot = pos == 0 ? std::string::npos : d.rfind('.', pos - 1);
    if (dot == std::string::npos) return d;
    if (kept == labels) return d.substr(dot + 1);
    pos = dot;
  }
  return d;
}

bool aligned(std::string_view a, std::string_view b, bool strict) {
  const std::string x = normalise(a), y = normalise(b);
  if (x.empty() || y.empty()) return false;
  if (strict) return x == y;
  return organizational_domain(x) == organizational_domain(y);
}

DmarcPolicy applied_policy(const DmarcRecord& record, bool from_organizational_domain,
                           unsigned roll) {
  DmarcPolicy p = record.policy;
  if (from_organizational_domain && record.subdomain_policy) p = *record.subdomain_policy;
  if (roll >= record.percent) {  // RFC 7489 6.6.4: outside pct=, one step milder
    if (p == DmarcPolicy::kReject) p = DmarcPolicy::kQuarantine;
    else if (p == DmarcPolicy::kQuarantine) p = DmarcPolicy::kNone;
  }
  return p;
}

}  // namespace taube::mailauth
