#include "mime/section.hpp"

#include <charconv>

#include "base/ascii.hpp"

namespace taube::mime {
namespace {

// Reads an astring (atom or quoted string) of a header-list.
std::optional<std::string> read_field_name(std::string_view s, std::size_t& i) {
  std::string out;
  if (i < s.size() && s[i] == '"') {
    for (++i; i < s.size(); ++i) {
      if (s[i] == '\\' && i + 1 < s.size()) {
        out += s[++i];
      } else if (s[i] == '"') {
        ++i;
        return out;
      } else {
        out += s[i];
      }
    }
    return std::nullopt;
  }
  while (i < s.size() && s[i] != ' ' && s[i] != ')' && s[i] != '(' &&
         static_cast<unsigned char>(s[i]) > 0x20 && static_cast<unsigned char>(s[i]) < 0x7F)
    out += s[i++];
  if (out.empty()) return std::nullopt;
  return out;
}

bool parse_header_list(std::string_view s, std::vector<std::string>& fields) {
  std::size_t i = 0;
  if (s.empty() || s[0] != '(') return false;
  ++i;
  while (true) {
    auto name = read_field_name(s, i);
    if (!name) return false;
    fields.push_back(std::move(*name));
    if (i >= s.size()) return false;
    if (s[i] == ')') return i + 1 == s.size();
    if (s[i] != ' ') return false;
    ++i;
  }
}

std::string_view view_of(std::string_view raw, std::size_t b, std::size_t e) {
  return raw.substr(b, e - b);
}

SectionContent header_fields(const Part& msg, std::string_view raw,
                             const std::vector<std::string>& names, bool exclude) {
  SectionContent c;
  c.is_built = true;
  for (const HeaderField& f : msg.header.fields) {
    bool listed = false;
    for (const std::string& n : names) listed = listed || ascii::iequals(f.name(raw), n);
    if (listed != exclude) {
      c.built += f.bytes(raw);
      // A field at the very end of the input may lack its line break.
      if (c.built.empty() || c.built.back() != '\n') c.built += "\r\n";
    }
  }
  c.built += "\r\n";
  return c;
}

SectionContent msgtext(const Part& msg, std::string_view raw, const Section& s) {
  switch (s.text) {
    case Section::Text::kHeader:
      return SectionContent{msg.header_bytes(raw)};
    case Section::Text::kText:
      return SectionContent{msg.body(raw)};
    case Section::Text::kHeaderFields:
      return header_fields(msg, raw, s.fields, false);
    case Section::Text::kHeaderFieldsNot:
      return header_fields(msg, raw, s.fields, true);
    default:
      return SectionContent{view_of(raw, 0, raw.size())};
  }
}

}  // namespace

std::optional<Section> parse_section(std::string_view spec) {
  Section s;
  std::size_t i = 0;
  while (i < spec.size() && ascii::is_digit(spec[i])) {
    std::uint32_t n = 0;
    auto [ptr, ec] = std::from_chars(spec.data() + i, spec.data() + spec.size(), n);
    if (ec != std::errc() || n == 0) return std::nullopt;
    s.path.push_back(n);
    i = static_cast<std::size_t>(ptr - spec.data());
    if (i == spec.size()) return s;
    if (spec[i] != '.') return std::nullopt;
    ++i;
    if (i == spec.size()) return std::nullopt;
  }
  std::string_view rest = spec.substr(i);
  if (rest.empty()) return s;
  if (ascii::iequals(rest, "HEADER")) {
    s.text = Section::Text::kHeader;
  } else if (ascii::iequals(rest, "TEXT")) {
    s.text = Section::Text::kText;
  } else if (ascii::iequals(rest, "MIME")) {
    if (s.path.empty()) return std::nullopt;
    s.text = Section::Text::kMime;
  } else if (ascii::istarts_with(rest, "HEADER.FIELDS.NOT ")) {
    s.text = Section::Text::kHeaderFieldsNot;
    if (!parse_header_list(rest.substr(18), s.fields)) return std::nullopt;
  } else if (ascii::istarts_with(rest, "HEADER.FIELDS ")) {
    s.text = Section::Text::kHeaderFields;
    if (!parse_header_list(rest.substr(14), s.fields)) return std::nullopt;
  } else {
    return std::nullopt;
  }
  return s;
}

const Part* find_part(const Part& root, std::span<const std::uint32_t> path) {
  const Part* cur = &root;
  bool first = true;
  for (std::uint32_t n : path) {
    // The container whose parts number n counts: the message itself at the top,
    // the encapsulated message below a message/rfc822 part, or a multipart.
    const Part* container = cur;
    if (!first) {
      if (cur->kind == Part::Kind::kMessage) {
        container = &cur->children.front();
      } else if (cur->kind != Part::Kind::kMultipart) {
        return nullptr;
      }
    }
    first = false;
    if (container->kind == Part::Kind::kMultipart) {
      if (n == 0 || n > container->children.size()) return nullptr;
      cur = &container->children[n - 1];
    } else {
      if (n != 1) return nullptr;
      cur = container;
    }
  }
  return cur;
}

std::optional<SectionContent> extract_section(const Part& root, std::string_view raw,
                                              const Section& s) {
  if (s.path.empty()) {
    if (s.text == Section::Text::kMime) return std::nullopt;
    return msgtext(root, raw, s);
  }
  const Part* p = find_part(root, s.path);
  if (p == nullptr) return std::nullopt;
  switch (s.text) {
    case Section::Text::kNone:
      return SectionContent{p->body(raw)};
    case Section::Text::kMime:
      return SectionContent{p->header_bytes(raw)};
    default:
      if (p->kind != Part::Kind::kMessage) return std::nullopt;
      return msgtext(p->children.front(), raw, s);
  }
}

std::string_view apply_partial(std::string_view bytes, std::uint64_t start,
                               std::optional<std::uint64_t> count) {
  if (start >= bytes.size()) return {};
  bytes.remove_prefix(static_cast<std::size_t>(start));
  if (count && *count < bytes.size()) bytes = bytes.substr(0, static_cast<std::size_t>(*count));
  return bytes;
}

BinaryContent extract_binary(const Part& root, std::string_view raw,
                             std::span<const std::uint32_t> path) {
  BinaryContent b;
  if (path.empty()) {
    b.status = BinaryContent::Status::kOk;
    b.data = std::string(raw);
    return b;
  }
  const Part* p = find_part(root, path);
  if (p == nullptr) return b;
  TransferEncoding enc = p->transfer_encoding();
  if (enc == TransferEncoding::kUnknown) {
    b.status = BinaryContent::Status::kUnknownEncoding;
    return b;
  }
  b.status = BinaryContent::Status::kOk;
  b.data =
      p->kind == Part::Kind::kLeaf ? decode_transfer(p->body(raw), enc) : std::string(p->body(raw));
  return b;
}

}  // namespace taube::mime
