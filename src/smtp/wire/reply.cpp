#include "smtp/wire/reply.hpp"

#include <algorithm>

namespace taube::smtp::wire {
namespace {

// RFC 5321 4.5.3.1.5: a reply line is at most 512 octets including CRLF.
constexpr std::size_t kMaxReplyLineBytes = 512;

void append_line(std::string& out, int code, bool last, std::string_view enhanced,
                 std::string_view text) {
  const std::size_t start = out.size();
  out += std::to_string(code);
  out += last ? ' ' : '-';
  if (!enhanced.empty()) {
    out += sanitize_reply_text(enhanced);
    out += ' ';
  }
  const std::size_t used = out.size() - start;
  const std::size_t room = kMaxReplyLineBytes - 2 > used ? kMaxReplyLineBytes - 2 - used : 0;
  out += sanitize_reply_text(text.substr(0, std::min(room, text.size())));
  while (out.size() > start && out.back() == ' ') out.pop_back();
  out += "\r\n";
}

}  // namespace

Reply make_reply(int code, std::string_view enhanced, std::string_view text) {
  return Reply{code, std::string(enhanced), {std::string(text)}};
}

std::string sanitize_reply_text(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7e) c = '?';
  }
  return out;
}

void append_reply(std::string& out, const Reply& reply) {
  if (reply.lines.empty()) {
    append_line(out, reply.code, true, reply.enhanced, {});
    return;
  }
  for (std::size_t i = 0; i < reply.lines.size(); ++i)
    append_line(out, reply.code, i + 1 == reply.lines.size(), reply.enhanced, reply.lines[i]);
}

std::string format_reply(const Reply& reply) {
  std::string out;
  append_reply(out, reply);
  return out;
}

std::string format_ehlo_reply(std::string_view domain, std::string_view greeting,
                              const std::vector<std::string>& capabilities) {
  Reply r{250, {}, {}};
  std::string first(domain);
  if (!greeting.empty()) {
    first += ' ';
    first += greeting;
  }
  r.lines.push_back(std::move(first));
  r.lines.insert(r.lines.end(), capabilities.begin(), capabilities.end());
  return format_reply(r);
}

}  // namespace taube::smtp::wire
