#include "imap/wire/writer.hpp"

#include "imap/wire/mutf7.hpp"
#include "imap/wire/sequence_set.hpp"
#include "imap/wire/tokens.hpp"

namespace taube::imap::wire {

std::string sanitize_text(std::string_view text, bool utf8) {
  std::string out;
  out.reserve(text.size());
  const bool valid_utf8 = utf8 && is_valid_utf8(text);
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) out += ' ';
    else if (u >= 0x80 && !valid_utf8) out += '?';
    else out += c;
  }
  if (out.empty()) out = "-";
  return out;
}

std::string_view to_string(Status status) {
  switch (status) {
    case Status::kOk: return "OK";
    case Status::kNo: return "NO";
    case Status::kBad: return "BAD";
    case Status::kPreauth: return "PREAUTH";
    case Status::kBye: return "BYE";
  }
  return "BAD";
}

std::string format_reply(const Reply& reply) {
  std::string out = reply.tag;
  out += ' ';
  out += to_string(reply.status);
  if (!reply.code.empty()) {
    out += " [";
    out += reply.code;
    out += ']';
  }
  out += ' ';
  out += sanitize_text(reply.text);
  out += "\r\n";
  return out;
}

std::string format_string(std::string_view s, const WriteOptions& options) {
  bool literal = s.size() > options.max_quoted_bytes;
  for (char c : s) {
    if (literal) break;
    const auto u = static_cast<unsigned char>(c);
    if (u == 0 || c == '\r' || c == '\n' || (u >= 0x80 && !options.utf8)) literal = true;
  }
  if (!literal && has_8bit(s) && !is_valid_utf8(s)) literal = true;
  if (literal) return "{" + std::to_string(s.size()) + "}\r\n" + std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

std::string format_literal8(std::string_view data) {
  return "~{" + std::to_string(data.size()) + "}\r\n" + std::string(data);
}

std::string format_nstring(const std::optional<std::string_view>& s, const WriteOptions& options) {
  return s ? format_string(*s, options) : "NIL";
}

std::string format_astring(std::string_view s, const WriteOptions& options) {
  bool atom = !s.empty() && s.size() <= options.max_quoted_bytes;
  for (char c : s) atom = atom && is_astring_char(c);
  // "NIL" as an atom would read as nil where an nstring is also possible.
  if (atom && !(s.size() == 3 && (s[0] | 0x20) == 'n' && (s[1] | 0x20) == 'i' && (s[2] | 0x20) == 'l'))
    return std::string(s);
  return format_string(s, options);
}

std::string format_mailbox(std::string_view utf8_name, const WriteOptions& options) {
  if (options.utf8) return format_astring(utf8_name, options);
  auto encoded = encode_mutf7(utf8_name);
  // Names come from the store, which holds valid UTF-8; an invalid one is sent as is, quoted safely.
  return format_astring(encoded ? *encoded : std::string(utf8_name), options);
}

std::string format_flag_list(const std::vector<std::string>& flags) {
  std::string out = "(";
  for (const auto& f : flags) {
    if (out.size() > 1) out += ' ';
    out += f;
  }
  out += ')';
  return out;
}

namespace code {
std::string alert() { return "ALERT"; }
std::string trycreate() { return "TRYCREATE"; }
std::string append_uid(std::uint32_t uid_validity, const std::vector<std::uint32_t>& uids) {
  return "APPENDUID " + std::to_string(uid_validity) + " " + format_sequence_set(uids);
}
std::string copy_uid(std::uint32_t uid_validity, const std::vector<std::uint32_t>& source,
                     const std::vector<std::uint32_t>& destination) {
  // RFC 4315 3: the two sets correspond in order, so they are not sorted or merged.
  auto ordered = [](const std::vector<std::uint32_t>& v) {
    std::string out;
    std::size_t i = 0;
    while (i < v.size()) {
      std::size_t j = i;
      while (j + 1 < v.size() && v[j + 1] == v[j] + 1) ++j;
      if (!out.empty()) out += ',';
      out += std::to_string(v[i]);
      if (j > i) out += ':' + std::to_string(v[j]);
      i = j + 1;
    }
    return out;
  };
  return "COPYUID " + std::to_string(uid_validity) + " " + ordered(source) + " " + ordered(destination);
}
std::string highest_mod_seq(std::uint64_t mod_seq) { return "HIGHESTMODSEQ " + std::to_string(mod_seq); }
std::string no_mod_seq() { return "NOMODSEQ"; }
std::string modified(const std::vector<std::uint32_t>& numbers) { return "MODIFIED " + format_sequence_set(numbers); }
std::string uid_not_sticky() { return "UIDNOTSTICKY"; }
std::string unavailable() { return "UNAVAILABLE"; }
std::string too_big() { return "TOOBIG"; }
std::string privacy_required() { return "PRIVACYREQUIRED"; }
std::string closed() { return "CLOSED"; }
std::string cannot() { return "CANNOT"; }
std::string limit() { return "LIMIT"; }
std::string over_quota() { return "OVERQUOTA"; }
std::string already_exists() { return "ALREADYEXISTS"; }
std::string nonexistent() { return "NONEXISTENT"; }
std::string server_bug() { return "SERVERBUG"; }
std::string capability(const std::vector<std::string>& capabilities) {
  std::string out = "CAPABILITY";
  for (const auto& c : capabilities) out += " " + c;
  return out;
}
std::string permanent_flags(const std::vector<std::string>& flags, bool may_create_keywords) {
  std::vector<std::string> all = flags;
  if (may_create_keywords) all.emplace_back("\\*");  // RFC 9051 7.1: only here
  return "PERMANENTFLAGS " + format_flag_list(all);
}
std::string uid_next(std::uint32_t uid) { return "UIDNEXT " + std::to_string(uid); }
std::string uid_validity(std::uint32_t v) { return "UIDVALIDITY " + std::to_string(v); }
std::string read_only() { return "READ-ONLY"; }
std::string read_write() { return "READ-WRITE"; }
}  // namespace code

std::string format_tagged(std::string_view tag, Status status, std::string_view code, std::string_view text) {
  return format_reply(Reply{sanitize_text(tag, false), status, code.empty() ? std::string() : sanitize_text(code, false), std::string(text)});
}

std::string format_untagged(Status status, std::string_view code, std::string_view text) {
  return format_tagged("*", status, code, text);
}

std::string format_untagged_data(std::string_view data) {
  std::string out = "* ";
  out += data;
  out += "\r\n";
  return out;
}

std::string format_continuation(std::string_view text) { return "+ " + sanitize_text(text) + "\r\n"; }

std::string format_esearch(std::string_view tag, bool uid, const EsearchResult& r) {
  std::string out = "* ESEARCH";
  if (!tag.empty()) out += " (TAG " + format_string(tag) + ")";
  if (uid) out += " UID";
  if (r.min) out += " MIN " + std::to_string(*r.min);
  if (r.max) out += " MAX " + std::to_string(*r.max);
  if (r.all && !r.all->empty()) out += " ALL " + format_sequence_set(*r.all);
  if (r.count) out += " COUNT " + std::to_string(*r.count);
  if (r.mod_seq) out += " MODSEQ " + std::to_string(*r.mod_seq);
  out += "\r\n";
  return out;
}

std::string format_vanished(bool earlier, const std::vector<std::uint32_t>& uids) {
  if (uids.empty()) return {};
  return std::string("* VANISHED ") + (earlier ? "(EARLIER) " : "") + format_sequence_set(uids) + "\r\n";
}

}  // namespace taube::imap::wire
