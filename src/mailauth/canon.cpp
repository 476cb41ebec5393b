#include "mailauth/canon.hpp"

#include "base/ascii.hpp"

namespace taube::mailauth {
namespace {

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

// Collapses runs of WSP to one SP and drops trailing WSP (relaxed rules).
void append_relaxed(std::string& out, std::string_view text) {
  bool pending_space = false;
  for (char c : text) {
    if (is_wsp(c)) {
      pending_space = true;
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
}

}  // namespace

SplitMessage split_message(std::string_view raw) {
  SplitMessage m;
  mime::Limits limits;
  m.header = mime::parse_header(raw, 0, raw.size(), limits);
  if (m.header.end < raw.size()) m.body = raw.substr(m.header.end);
  return m;
}

std::string canon_header(std::string_view field, Canon canon) {
  if (canon == Canon::kSimple) {
    std::string out(field);
    if (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0) {
      if (!out.empty() && out.back() == '\n') out.pop_back();
      out += "\r\n";
    }
    return out;
  }
  const std::size_t colon = field.find(':');
  std::string_view name = field.substr(0, colon);
  std::string_view value = colon == std::string_view::npos ? std::string_view() : field.substr(colon + 1);
  std::string out = ascii::lower(ascii::trim(name));
  out.push_back(':');
  std::string unfolded;
  unfolded.reserve(value.size());
  for (char c : value)
    if (c != '\r' && c != '\n') unfolded.push_back(c);
  std::string_view v = unfolded;
  while (!v.empty() && is_wsp(v.front())) v.remove_prefix(1);
  while (!v.empty() && is_wsp(v.back())) v.remove_suffix(1);
  append_relaxed(out, v);
  out += "\r\n";
  return out;
}

void canon_body(std::string_view body, Canon canon,
                const std::function<void(std::string_view)>& sink) {
  std::size_t empty_lines = 0;  // held back: trailing empty lines are dropped
  bool emitted = false;
  std::string line;
  std::size_t pos = 0;
  while (pos < body.size()) {
    std::size_t nl = body.find('\n', pos);
    std::string_view raw_line =
        nl == std::string_view::npos ? body.substr(pos) : body.substr(pos, nl - pos);
    pos = nl == std::string_view::npos ? body.size() : nl + 1;
    if (!raw_line.empty() && raw_line.back() == '\r') raw_line.remove_suffix(1);
    line.clear();
    if (canon == Canon::kRelaxed)
      append_relaxed(line, raw_line);
    else
      line.assign(raw_line);
    if (line.empty()) {
      ++empty_lines;
      continue;
    }
    for (; empty_lines > 0; --empty_lines) sink("\r\n");
    line += "\r\n";
    sink(line);
    emitted = true;
  }
  // RFC 6376 3.4.3: an empty body is one CRLF under "simple"; 3.4.4: nothing under "relaxed".
  if (!emitted && canon == Canon::kSimple) sink("\r\n");
}

}  // namespace taube::mailauth

#include "mailauth/records.hpp"

namespace taube::mailauth {

std::string header_hash_input(std::string_view raw, const mime::HeaderBlock& header,
                              const std::vector<std::string>& signed_names, Canon canon,
                              std::string_view signature_field) {
  std::string out;
  std::vector<bool> used(header.fields.size(), false);
  for (const std::string& name : signed_names) {
    for (std::size_t i = header.fields.size(); i-- > 0;) {
      const mime::HeaderField& f = header.fields[i];
      if (used[i] || !ascii::iequals(ascii::trim(f.name(raw)), name)) continue;
      used[i] = true;
      out += canon_header(f.bytes(raw), canon);
      break;
    }
  }
  std::string sig = canon_header(without_b_value(signature_field), canon);
  sig.resize(sig.size() - 2);  // canon_header always ends in CRLF
  out += sig;
  return out;
}

}  // namespace taube::mailauth
