#include "mime/summary.hpp"

#include <charconv>

#include "base/ascii.hpp"
#include "mime/address.hpp"
#include "mime/charset.hpp"
#include "mime/encoded_word.hpp"

namespace taube::mime {
namespace {

void append_code_point(std::string& out, unsigned cp) {
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  if (cp < 0x80) {
    out += char(cp);
  } else if (cp < 0x800) {
    out += char(0xC0 | (cp >> 6));
    out += char(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += char(0xE0 | (cp >> 12));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  } else {
    out += char(0xF0 | (cp >> 18));
    out += char(0x80 | ((cp >> 12) & 0x3F));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  }
}

// Length of an entity at s[0] == '&' and its text, or 0.
std::size_t read_entity(std::string_view s, std::string& out) {
  std::size_t semi = s.substr(0, 12).find(';');
  if (semi == std::string_view::npos) return 0;
  std::string_view name = s.substr(1, semi - 1);
  struct Named {
    std::string_view name;
    std::string_view text;
  };
  static constexpr Named kNamed[] = {{"amp", "&"},   {"lt", "<"},   {"gt", ">"},
                                     {"quot", "\""}, {"apos", "'"}, {"nbsp", " "}};
  for (const Named& n : kNamed) {
    if (ascii::iequals(name, n.name)) {
      out += n.text;
      return semi + 1;
    }
  }
  if (name.size() >= 2 && name[0] == '#') {
    unsigned cp = 0;
    bool hex = name[1] == 'x' || name[1] == 'X';
    std::string_view digits = name.substr(hex ? 2 : 1);
    auto [ptr, ec] =
        std::from_chars(digits.data(), digits.data() + digits.size(), cp, hex ? 16 : 10);
    if (ec != std::errc() || ptr != digits.data() + digits.size()) return 0;
    append_code_point(out, cp);
    return semi + 1;
  }
  return 0;
}

std::string collapse_whitespace(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v') {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// First `n` code points of UTF-8 `s`.
std::string first_chars(std::string_view s, std::size_t n) {
  std::size_t i = 0;
  std::size_t count = 0;
  while (i < s.size() && count < n) {
    ++i;
    while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) ++i;
    ++count;
  }
  return std::string(s.substr(0, i));
}

bool is_attachment(const Part& p, std::string_view raw) {
  auto v = field_value(raw, p.header.fields, "Content-Disposition");
  return v && ascii::istarts_with(ascii::trim(*v), "attachment");
}

bool is_indexed_text(const Part& p) {
  return p.kind == Part::Kind::kLeaf &&
         (p.content_type.is("text", "plain") || p.content_type.is("text", "html"));
}

std::string decoded_header(const Part& p, std::string_view raw, std::string_view name) {
  auto v = field_value(raw, p.header.fields, name);
  return v ? decode_encoded_words(*v) : std::string();
}

std::string addresses(const Part& p, std::string_view raw, std::string_view name) {
  auto v = field_value(raw, p.header.fields, name);
  return v ? display_addresses(parse_address_list(utf8_or_latin1(*v))) : std::string();
}

std::string plain_header(const Part& p, std::string_view raw, std::string_view name) {
  auto v = field_value(raw, p.header.fields, name);
  return v ? utf8_or_latin1(*v) : std::string();
}

}  // namespace

std::string html_to_text(std::string_view html) {
  std::string out;
  out.reserve(html.size() / 2);
  std::size_t i = 0;
  while (i < html.size()) {
    char c = html[i];
    if (c == '<') {
      if (html.substr(i, 4) == "<!--") {
        std::size_t e = html.find("-->", i + 4);
        i = e == std::string_view::npos ? html.size() : e + 3;
        out += ' ';
        continue;
      }
      std::string_view rest = html.substr(i + 1);
      std::string_view skip_to;
      if (ascii::istarts_with(rest, "script")) skip_to = "</script";
      if (ascii::istarts_with(rest, "style")) skip_to = "</style";
      std::size_t e = html.find('>', i);
      if (e == std::string_view::npos) break;
      i = e + 1;
      if (!skip_to.empty()) {
        // Case-insensitive search for the closing tag.
        std::size_t k = i;
        while (k < html.size() && !ascii::istarts_with(html.substr(k), skip_to)) {
          std::size_t lt = html.find('<', k + 1);
          k = lt == std::string_view::npos ? html.size() : lt;
        }
        std::size_t close = html.find('>', k);
        i = close == std::string_view::npos ? html.size() : close + 1;
      }
      out += ' ';
      continue;
    }
    if (c == '&') {
      if (std::size_t n = read_entity(html.substr(i), out)) {
        i += n;
        continue;
      }
    }
    out += c;
    ++i;
  }
  return out;
}

std::string part_text(const Part& part, std::string_view raw) {
  std::string bytes = decode_transfer(part.body(raw), part.transfer_encoding());
  std::string charset = "us-ascii";
  for (const Param& p : part.content_type.params)
    if (p.name == "charset") charset = p.value;
  std::string text = to_utf8(bytes, charset);
  if (part.content_type.is("text", "html")) return html_to_text(text);
  return text;
}

Summary summarize(const Part& root, std::string_view raw, const SummaryLimits& limits) {
  Summary s;
  s.subject = decoded_header(root, raw, "Subject");
  s.from = addresses(root, raw, "From");
  s.to = addresses(root, raw, "To");
  s.cc = addresses(root, raw, "Cc");
  s.bcc = addresses(root, raw, "Bcc");
  s.reply_to = addresses(root, raw, "Reply-To");
  if (auto d = field_value(raw, root.header.fields, "Date")) s.date = parse_date(*d);
  s.message_id = plain_header(root, raw, "Message-ID");
  s.in_reply_to = plain_header(root, raw, "In-Reply-To");
  s.references = plain_header(root, raw, "References");
  s.header = std::string(root.header_bytes(raw));

  std::string& search = s.search_text;
  auto add = [&](std::string_view text) {
    if (text.empty() || search.size() >= limits.max_search_text_bytes) return;
    if (!search.empty()) search += '\n';
    search += text.substr(
        0, limits.max_search_text_bytes - std::min(search.size(), limits.max_search_text_bytes));
  };
  for (std::string_view f : {s.subject, s.from, s.to, s.cc, s.bcc, s.reply_to}) add(f);

  bool have_preview = false;
  for_each_part(root, [&](const Part& p) {
    if (p.kind == Part::Kind::kMessage) {
      const Part& inner = p.children.front();
      add(decoded_header(inner, raw, "Subject"));
      add(addresses(inner, raw, "From"));
      add(addresses(inner, raw, "To"));
    }
    if (p.kind == Part::Kind::kLeaf) {
      for (const char* name : {"filename"}) {
        auto v = field_value(raw, p.header.fields, "Content-Disposition");
        if (v) {
          if (auto f = decoded_param(parse_content_disposition(*v).params, name)) add(*f);
        }
      }
    }
    if (!is_indexed_text(p)) return;
    if (search.size() >= limits.max_search_text_bytes && have_preview) return;
    std::string text = part_text(p, raw);
    if (!have_preview && !is_attachment(p, raw)) {
      s.preview = first_chars(collapse_whitespace(text), limits.preview_chars);
      while (!s.preview.empty() && s.preview.back() == ' ') s.preview.pop_back();
      have_preview = true;
    }
    add(text);
  });
  return s;
}

}  // namespace taube::mime
