#include "ical/vcard.hpp"

#include <optional>

namespace taube::ical {
namespace {

bool is_name_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

bool iequals(std::string_view a, std::string_view b) { return upper(a) == upper(b); }

// RFC 6350 3.3: contentline = [group "."] name *(";" param) ":" value
std::optional<VcardProperty> parse_line(std::string_view line, const VcardLimits& limits,
                                        std::string& error) {
  VcardProperty p;
  std::size_t i = 0;
  auto name_token = [&]() {
    std::size_t b = i;
    while (i < line.size() && is_name_char(line[i])) ++i;
    return line.substr(b, i - b);
  };
  std::string_view first = name_token();
  if (first.empty()) {
    error = "content line does not start with a property name";
    return std::nullopt;
  }
  if (i < line.size() && line[i] == '.') {
    ++i;
    p.group = std::string(first);
    first = name_token();
    if (first.empty()) {
      error = "content line has a group but no property name";
      return std::nullopt;
    }
  }
  p.name = upper(first);
  while (i < line.size() && line[i] == ';') {
    ++i;
    std::string_view pname = name_token();
    if (pname.empty()) {
      error = "property " + p.name + " has an empty parameter name";
      return std::nullopt;
    }
    std::string pvalue;
    if (i < line.size() && line[i] == '=') {
      ++i;
      // param-value *("," param-value); a value is quoted or runs to ; : or ,
      while (true) {
        if (i < line.size() && line[i] == '"') {
          std::size_t close = line.find('"', i + 1);
          if (close == std::string_view::npos) {
            error = "property " + p.name + " has an unterminated quoted parameter";
            return std::nullopt;
          }
          pvalue.append(line.substr(i + 1, close - i - 1));
          i = close + 1;
        } else {
          std::size_t b = i;
          while (i < line.size() && line[i] != ';' && line[i] != ':' && line[i] != ',' &&
                 line[i] != '"')
            ++i;
          pvalue.append(line.substr(b, i - b));
        }
        if (i < line.size() && line[i] == ',') {
          pvalue.push_back(',');
          ++i;
          continue;
        }
        break;
      }
    }
    if (p.params.size() >= limits.max_params_per_property) {
      error = "property " + p.name + " has too many parameters";
      return std::nullopt;
    }
    p.params.emplace_back(upper(pname), std::move(pvalue));
  }
  if (i >= line.size() || line[i] != ':') {
    error = "content line for " + p.name + " has no ':' before its value";
    return std::nullopt;
  }
  p.value = std::string(line.substr(i + 1));
  return p;
}

}  // namespace

std::string unescape_text(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '\\' && i + 1 < value.size()) {
      char n = value[++i];
      out.push_back(n == 'n' || n == 'N' ? '\n' : n);
    } else {
      out.push_back(value[i]);
    }
  }
  return out;
}

std::variant<Vcard, VcardInvalid> parse_vcard(std::string_view text, const VcardLimits& limits) {
  auto bad = [](std::string reason) { return VcardInvalid{std::move(reason)}; };
  if (text.size() > limits.max_object_bytes) return bad("vCard exceeds the maximum resource size");
  if (text.find('\0') != std::string_view::npos) return bad("vCard contains a NUL byte");

  // Unfold into logical lines (RFC 6350 3.2).
  std::vector<std::string> lines;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    std::string_view raw = text.substr(pos, nl == std::string_view::npos ? nl : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    if (!raw.empty() && (raw.front() == ' ' || raw.front() == '\t')) {
      if (lines.empty()) return bad("vCard starts with a continuation line");
      lines.back().append(raw.substr(1));
      continue;
    }
    if (raw.empty()) continue;
    if (lines.size() > limits.max_properties + 2) return bad("vCard has too many properties");
    lines.emplace_back(raw);
  }
  if (lines.empty()) return bad("vCard is empty");
  if (!iequals(lines.front(), "BEGIN:VCARD")) return bad("vCard must start with BEGIN:VCARD");
  if (!iequals(lines.back(), "END:VCARD")) return bad("vCard must end with END:VCARD");

  Vcard card;
  bool have_fn = false;
  for (std::size_t n = 1; n + 1 < lines.size(); ++n) {
    std::string error;
    std::optional<VcardProperty> p = parse_line(lines[n], limits, error);
    if (!p) return bad(error);
    if (p->name == "BEGIN" || p->name == "END") {
      if (iequals(p->value, "VCARD"))
        return bad("one resource holds exactly one vCard (RFC 6352 5.1)");
      continue;  // other nested objects (AGENT in 3.0) are kept as properties below
    }
    if (p->name == "VERSION") {
      if (!card.version.empty()) return bad("vCard has more than one VERSION");
      if (p->value != "3.0" && p->value != "4.0")
        return bad("vCard VERSION must be 3.0 or 4.0, not " + p->value.substr(0, 16));
      card.version = p->value;
    } else if (p->name == "FN") {
      if (!have_fn) card.fn = unescape_text(p->value);
      have_fn = true;
    } else if (p->name == "UID") {
      if (!card.uid.empty()) return bad("vCard has more than one UID");
      card.uid = p->value;
    } else if (p->name == "EMAIL") {
      card.emails.push_back(unescape_text(p->value));
    } else if (p->name == "TEL") {
      card.tels.push_back(unescape_text(p->value));
    }
    card.properties.push_back(std::move(*p));
  }
  if (card.version.empty()) return bad("vCard has no VERSION");
  if (!have_fn) return bad("vCard has no FN (formatted name)");
  return card;
}

}  // namespace taube::ical
