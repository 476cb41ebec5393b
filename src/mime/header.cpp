#include "mime/header.hpp"

#include <cstring>

#include "base/ascii.hpp"

namespace taube::mime {
namespace {

// Offset just past the line starting at `p` (past its LF), or `end`.
std::size_t next_line(std::string_view raw, std::size_t p, std::size_t end) {
  const void* nl = std::memchr(raw.data() + p, '\n', end - p);
  if (nl == nullptr) return end;
  return static_cast<std::size_t>(static_cast<const char*>(nl) - raw.data()) + 1;
}

bool is_field_name_char(char c) {
  auto u = static_cast<unsigned char>(c);
  return u >= 33 && u <= 126 && c != ':';
}

}  // namespace

HeaderBlock parse_header(std::string_view raw, std::size_t begin, std::size_t end,
                         const Limits& limits) {
  HeaderBlock block;
  block.begin = begin;
  block.end = end;
  HeaderField* current = nullptr;  // the field continuation lines extend
  std::size_t p = begin;
  while (p < end) {
    std::size_t line_end = next_line(raw, p, end);
    char c = raw[p];
    if (c == '\n' || (c == '\r' && p + 1 < end && raw[p + 1] == '\n')) {
      block.end = line_end;
      return block;
    }
    if (ascii::is_space(c)) {
      if (current != nullptr) current->end = line_end;
      p = line_end;
      continue;
    }
    current = nullptr;
    std::size_t colon = p;
    while (colon < line_end && is_field_name_char(raw[colon])) ++colon;
    std::size_t name_end = colon;
    while (colon < line_end && ascii::is_space(raw[colon])) ++colon;  // obs-optional
    bool valid = name_end > p && colon < line_end && raw[colon] == ':';
    if (valid && block.fields.size() < limits.max_header_fields) {
      block.fields.push_back(HeaderField{p, name_end, colon + 1, line_end});
      current = &block.fields.back();
    }
    p = line_end;
  }
  block.end = end;
  return block;
}

std::string unfold(std::string_view value, std::size_t max_bytes) {
  std::string out;
  out.reserve(std::min(value.size(), max_bytes));
  for (char c : value) {
    if (c == '\r' || c == '\n') continue;
    if (out.size() >= max_bytes) break;
    out += c;
  }
  std::string_view t = ascii::trim(out);
  return std::string(t);
}

const HeaderField* find_field(std::string_view raw, std::span<const HeaderField> fields,
                              std::string_view name) {
  for (const HeaderField& f : fields)
    if (ascii::iequals(f.name(raw), name)) return &f;
  return nullptr;
}

std::optional<std::string> field_value(std::string_view raw, std::span<const HeaderField> fields,
                                       std::string_view name, std::size_t max_bytes) {
  const HeaderField* f = find_field(raw, fields, name);
  if (f == nullptr) return std::nullopt;
  return unfold(f->raw_value(raw), max_bytes);
}

}  // namespace taube::mime
