#include "mime/params.hpp"

#include <algorithm>
#include <charconv>

#include "base/ascii.hpp"
#include "mime/charset.hpp"
#include "mime/encoded_word.hpp"

namespace taube::mime {
namespace {

constexpr std::size_t kMaxParams = 128;
constexpr unsigned kMaxSection = 999;

struct Segment {
  std::string base;  // lower-cased name without the RFC 2231 suffix
  int section = -1;  // -1: not a continuation
  bool extended = false;
  std::string value;
};

// Splits `text` at ';' outside quoted strings.
std::vector<std::string_view> split_semicolons(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted && c == '\\') {
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (c == ';' && !quoted) {
      out.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  out.push_back(text.substr(start));
  return out;
}

std::string unquote_value(std::string_view v) {
  v = ascii::trim(v);
  if (v.empty() || v.front() != '"') return std::string(v);
  std::string out;
  for (std::size_t i = 1; i < v.size(); ++i) {
    char c = v[i];
    if (c == '\\' && i + 1 < v.size()) {
      out += v[++i];
    } else if (c == '"') {
      break;
    } else {
      out += c;
    }
  }
  return out;
}

Segment parse_segment_name(std::string_view name) {
  Segment s;
  std::string n = ascii::lower(ascii::trim(name));
  if (!n.empty() && n.back() == '*') {
    s.extended = true;
    n.pop_back();
  }
  std::size_t star = n.rfind('*');
  if (star != std::string::npos) {
    std::string_view digits = std::string_view(n).substr(star + 1);
    unsigned section = 0;
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), section);
    if (ec == std::errc() && ptr == digits.data() + digits.size() && !digits.empty() &&
        section <= kMaxSection) {
      s.section = int(section);
      n.resize(star);
    }
  }
  s.base = std::move(n);
  return s;
}

std::string percent_escape_percent(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '%') {
      out += "%25";
    } else {
      out += c;
    }
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = ascii::to_upper(c);
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string strip_comments(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  int depth = 0;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\\' && (quoted || depth > 0) && i + 1 < text.size()) {
      if (depth == 0) {
        out += c;
        out += text[i + 1];
      }
      ++i;
      continue;
    }
    if (depth > 0) {
      if (c == '(') ++depth;
      if (c == ')') --depth;
      continue;
    }
    if (c == '"') quoted = !quoted;
    if (c == '(' && !quoted) {
      depth = 1;
      continue;
    }
    out += c;
  }
  return out;
}

std::vector<Param> parse_params(std::string_view text) {
  std::string clean = strip_comments(text);
  std::vector<Segment> segments;
  for (std::string_view piece : split_semicolons(clean)) {
    std::size_t eq = piece.find('=');
    if (eq == std::string_view::npos) continue;
    Segment s = parse_segment_name(piece.substr(0, eq));
    if (s.base.empty()) continue;
    s.value = unquote_value(piece.substr(eq + 1));
    segments.push_back(std::move(s));
    if (segments.size() >= kMaxParams * 4) break;
  }

  std::vector<Param> params;
  std::vector<bool> used(segments.size(), false);
  for (std::size_t i = 0; i < segments.size() && params.size() < kMaxParams; ++i) {
    if (used[i]) continue;
    const std::string& base = segments[i].base;
    bool taken = std::any_of(params.begin(), params.end(), [&](const Param& p) {
      std::string_view n = p.name;
      if (n.ends_with('*')) n.remove_suffix(1);
      return n == base;
    });
    if (segments[i].section < 0) {
      used[i] = true;
      if (!taken)
        params.push_back(Param{segments[i].extended ? base + "*" : base, segments[i].value});
      continue;
    }
    // RFC 2231 section 3: gather every continuation of this name, in section order.
    std::vector<const Segment*> parts;
    for (std::size_t k = i; k < segments.size(); ++k) {
      if (!used[k] && segments[k].section >= 0 && segments[k].base == base) {
        used[k] = true;
        parts.push_back(&segments[k]);
      }
    }
    std::stable_sort(parts.begin(), parts.end(),
                     [](const Segment* a, const Segment* b) { return a->section < b->section; });
    bool extended = parts.front()->extended;
    std::string value;
    for (const Segment* s : parts) {
      if (extended && !s->extended) {
        value += percent_escape_percent(s->value);
      } else {
        value += s->value;
      }
    }
    if (!taken) params.push_back(Param{extended ? base + "*" : base, std::move(value)});
  }
  return params;
}

std::optional<std::string> decoded_param(const std::vector<Param>& params, std::string_view name) {
  for (const Param& p : params) {
    if (p.name == name) return decode_encoded_words(p.value);
    if (p.name.size() == name.size() + 1 && p.name.starts_with(name) && p.name.back() == '*') {
      // RFC 2231 section 4: charset'language'percent-encoded.
      std::string_view v = p.value;
      std::string_view charset;
      std::size_t q1 = v.find('\'');
      std::size_t q2 = q1 == std::string_view::npos ? q1 : v.find('\'', q1 + 1);
      if (q2 != std::string_view::npos) {
        charset = v.substr(0, q1);
        v = v.substr(q2 + 1);
      }
      std::string bytes;
      for (std::size_t i = 0; i < v.size(); ++i) {
        if (v[i] == '%' && i + 2 < v.size() && hex_value(v[i + 1]) >= 0 &&
            hex_value(v[i + 2]) >= 0) {
          bytes += char(hex_value(v[i + 1]) * 16 + hex_value(v[i + 2]));
          i += 2;
        } else {
          bytes += v[i];
        }
      }
      return charset.empty() ? utf8_or_latin1(bytes) : to_utf8(bytes, charset);
    }
  }
  return std::nullopt;
}

}  // namespace taube::mime
