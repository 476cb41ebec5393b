#include "mailauth/records.hpp"

#include <charconv>

#include "base/ascii.hpp"
#include "base/base64.hpp"

namespace taube::mailauth {
namespace {

bool is_fws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim_fws(std::string_view s) {
  while (!s.empty() && is_fws(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_fws(s.back())) s.remove_suffix(1);
  return s;
}

bool valid_tag_name(std::string_view name) {
  if (name.empty() || !ascii::is_alpha(name.front())) return false;
  for (char c : name)
    if (!ascii::is_alpha(c) && !ascii::is_digit(c) && c != '_') return false;
  return true;
}

bool valid_tag_value(std::string_view value) {
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (is_fws(c)) continue;
    if (u < 0x21 || u == 0x3B || u == 0x7F) return false;
  }
  return true;
}

std::optional<std::uint64_t> parse_number(std::string_view s, std::size_t max_digits) {
  if (s.empty() || s.size() > max_digits) return std::nullopt;
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<std::string> decode_b64(std::string_view value) {
  return decode_base64_strict(strip_fws(value));
}

std::vector<std::string> split_colon_list(std::string_view s) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= s.size()) {
    std::size_t colon = s.find(':', pos);
    if (colon == std::string_view::npos) colon = s.size();
    std::string_view item = trim_fws(s.substr(pos, colon - pos));
    out.push_back(ascii::lower(item));
    pos = colon + 1;
  }
  return out;
}

bool set_error(std::string* error, std::string text) {
  if (error) *error = std::move(text);
  return false;
}

std::optional<Canon> parse_canon(std::string_view s) {
  if (s == "simple") return Canon::kSimple;
  if (s == "relaxed") return Canon::kRelaxed;
  return std::nullopt;
}

std::optional<DmarcPolicy> parse_policy(std::string_view s) {
  const std::string v = ascii::lower(s);
  if (v == "none") return DmarcPolicy::kNone;
  if (v == "quarantine") return DmarcPolicy::kQuarantine;
  if (v == "reject") return DmarcPolicy::kReject;
  return std::nullopt;
}

}  // namespace

std::optional<TagList> parse_tag_list(std::string_view text) {
  TagList tags;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t semi = text.find(';', pos);
    if (semi == std::string_view::npos) semi = text.size();
    std::string_view spec = trim_fws(text.substr(pos, semi - pos));
    pos = semi + 1;
    if (spec.empty()) continue;  // a trailing ";" (and, leniently, an empty spec)
    const std::size_t eq = spec.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    std::string_view name = trim_fws(spec.substr(0, eq));
    std::string_view value = trim_fws(spec.substr(eq + 1));
    if (!valid_tag_name(name) || !valid_tag_value(value)) return std::nullopt;
    if (find_tag(tags, name)) return std::nullopt;
    tags.emplace_back(std::string(name), std::string(value));
  }
  return tags;
}

const std::string* find_tag(const TagList& tags, std::string_view name) {
  for (const auto& [n, v] : tags)
    if (n == name) return &v;
  return nullptr;
}

std::string strip_fws(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value)
    if (!is_fws(c)) out.push_back(c);
  return out;
}

std::string_view to_string(DkimAlgorithm a) {
  return a == DkimAlgorithm::kRsaSha256 ? "rsa-sha256" : "ed25519-sha256";
}

std::optional<DkimSignature> parse_dkim_signature(std::string_view value, std::string* error) {
  std::optional<TagList> tags = parse_tag_list(value);
  if (!tags) return set_error(error, "signature tag list syntax"), std::nullopt;
  auto tag = [&](std::string_view n) { return find_tag(*tags, n); };
  for (std::string_view required : {"v", "a", "b", "bh", "d", "h", "s"})
    if (!tag(required))
      return set_error(error, "signature lacks " + std::string(required) + "="), std::nullopt;
  DkimSignature sig;
  if (*tag("v") != "1") return set_error(error, "unknown signature version"), std::nullopt;
  const std::string algorithm = ascii::lower(*tag("a"));
  if (algorithm == "rsa-sha256")
    sig.algorithm = DkimAlgorithm::kRsaSha256;
  else if (algorithm == "ed25519-sha256")
    sig.algorithm = DkimAlgorithm::kEd25519Sha256;
  else
    return set_error(error, "unsupported algorithm " + algorithm), std::nullopt;
  sig.b_text = strip_fws(*tag("b"));
  std::optional<std::string> b = decode_b64(*tag("b"));
  std::optional<std::string> bh = decode_b64(*tag("bh"));
  if (!b || b->empty() || !bh || bh->empty())
    return set_error(error, "bad base64 in b= or bh="), std::nullopt;
  sig.signature = std::move(*b);
  sig.body_hash = std::move(*bh);
  if (const std::string* c = tag("c")) {
    std::string_view cv = *c;
    const std::size_t slash = cv.find('/');
    std::optional<Canon> h = parse_canon(cv.substr(0, slash));
    std::optional<Canon> bc =
        slash == std::string_view::npos ? Canon::kSimple : parse_canon(cv.substr(slash + 1));
    if (!h || !bc) return set_error(error, "unknown canonicalization"), std::nullopt;
    sig.header_canon = *h;
    sig.body_canon = *bc;
  }
  sig.domain = ascii::lower(*tag("d"));
  if (sig.domain.empty()) return set_error(error, "empty d="), std::nullopt;
  sig.selector = ascii::lower(*tag("s"));
  if (sig.selector.empty()) return set_error(error, "empty s="), std::nullopt;
  sig.headers = split_colon_list(*tag("h"));
  bool has_from = false;
  for (const std::string& h : sig.headers) {
    if (h.empty()) return set_error(error, "empty name in h="), std::nullopt;
    has_from |= h == "from";
  }
  if (!has_from) return set_error(error, "h= does not sign From"), std::nullopt;
  sig.identity = "@" + sig.domain;
  if (const std::string* i = tag("i")) {
    const std::size_t at = i->rfind('@');
    if (at == std::string::npos) return set_error(error, "i= without @"), std::nullopt;
    const std::string idomain = ascii::lower(std::string_view(*i).substr(at + 1));
    if (idomain != sig.domain &&
        !(idomain.size() > sig.domain.size() &&
          idomain.compare(idomain.size() - sig.domain.size(), sig.domain.size(), sig.domain) == 0 &&
          idomain[idomain.size() - sig.domain.size() - 1] == '.'))
      return set_error(error, "i= domain is not d= or below it"), std::nullopt;
    sig.identity = *i;
  }
  if (const std::string* l = tag("l")) {
    sig.body_length = parse_number(*l, 76 / 4);  // RFC 6376: up to 76 digits; we cap at 19
    if (!sig.body_length) return set_error(error, "bad l="), std::nullopt;
  }
  if (const std::string* q = tag("q")) {
    bool dns = false;
    for (const std::string& m : split_colon_list(*q)) dns |= m == "dns/txt";
    if (!dns) return set_error(error, "unsupported query method"), std::nullopt;
  }
  if (const std::string* t = tag("t")) {
    sig.timestamp = parse_number(*t, 12);
    if (!sig.timestamp) return set_error(error, "bad t="), std::nullopt;
  }
  if (const std::string* x = tag("x")) {
    sig.expiration = parse_number(*x, 12);
    if (!sig.expiration) return set_error(error, "bad x="), std::nullopt;
    if (sig.timestamp && *sig.expiration < *sig.timestamp)
      return set_error(error, "x= before t="), std::nullopt;
  }
  return sig;
}

std::optional<DkimKey> parse_dkim_key(std::string_view record, std::string* error) {
  std::optional<TagList> tags = parse_tag_list(record);
  if (!tags) return set_error(error, "key record syntax"), std::nullopt;
  if (const std::string* v = find_tag(*tags, "v")) {
    if (*v != "DKIM1" || tags->front().first != "v")
      return set_error(error, "key record version"), std::nullopt;
  }
  const std::string* p = find_tag(*tags, "p");
  if (!p) return set_error(error, "key record lacks p="), std::nullopt;
  DkimKey key;
  if (!p->empty()) {
    std::optional<std::string> decoded = decode_b64(*p);
    if (!decoded) return set_error(error, "bad base64 in p="), std::nullopt;
    key.public_key = std::move(*decoded);
  }
  if (const std::string* k = find_tag(*tags, "k")) key.key_type = ascii::lower(*k);
  if (const std::string* h = find_tag(*tags, "h")) key.hashes = split_colon_list(*h);
  if (const std::string* s = find_tag(*tags, "s")) {
    bool email = false;
    for (const std::string& service : split_colon_list(*s)) email |= service == "*" || service == "email";
    if (!email) return set_error(error, "key not for email"), std::nullopt;
  }
  if (const std::string* t = find_tag(*tags, "t")) {
    for (const std::string& flag : split_colon_list(*t)) {
      key.testing |= flag == "y";
      key.strict_identity |= flag == "s";
    }
  }
  return key;
}

std::string without_b_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  std::size_t pos = 0;
  while (pos <= value.size()) {
    std::size_t semi = value.find(';', pos);
    const bool last = semi == std::string_view::npos;
    if (last) semi = value.size();
    std::string_view spec = value.substr(pos, semi - pos);
    const std::size_t eq = spec.find('=');
    if (eq != std::string_view::npos && trim_fws(spec.substr(0, eq)) == "b")
      out.append(spec.substr(0, eq + 1));
    else
      out.append(spec);
    if (!last) out.push_back(';');
    pos = semi + 1;
  }
  return out;
}

std::string_view to_string(DmarcPolicy p) {
  switch (p) {
    case DmarcPolicy::kNone: return "none";
    case DmarcPolicy::kQuarantine: return "quarantine";
    case DmarcPolicy::kReject: return "reject";
  }
  return "none";
}

std::optional<DmarcRecord> parse_dmarc_record(std::string_view text) {
  std::optional<TagList> tags = parse_tag_list(text);
  if (!tags || tags->empty() || tags->front().first != "v" || tags->front().second != "DMARC1")
    return std::nullopt;
  DmarcRecord r;
  const std::string* p = find_tag(*tags, "p");
  std::optional<DmarcPolicy> policy = p ? parse_policy(*p) : std::nullopt;
  if (policy)
    r.policy = *policy;
  else if (!find_tag(*tags, "rua"))
    return std::nullopt;
  if (const std::string* sp = find_tag(*tags, "sp")) r.subdomain_policy = parse_policy(*sp);
  if (const std::string* a = find_tag(*tags, "adkim")) r.strict_dkim = ascii::lower(*a) == "s";
  if (const std::string* a = find_tag(*tags, "aspf")) r.strict_spf = ascii::lower(*a) == "s";
  if (const std::string* pct = find_tag(*tags, "pct")) {
    if (std::optional<std::uint64_t> n = parse_number(*pct, 3); n && *n <= 100)
      r.percent = static_cast<unsigned>(*n);
  }
  return r;
}

}  // namespace taube::mailauth
