#include "mime/imap_bodystructure.hpp"

#include "base/ascii.hpp"
#include "mime/charset.hpp"
#include "mime/imap_envelope.hpp"
#include "mime/imap_string.hpp"

namespace taube::mime {
namespace {

std::optional<std::string> part_field(const Part& p, std::string_view raw, std::string_view name) {
  auto v = field_value(raw, p.header.fields, name);
  if (!v) return std::nullopt;
  return utf8_or_latin1(*v);
}

void append_params(std::string& out, const std::vector<Param>& params) {
  if (params.empty()) {
    out += "NIL";
    return;
  }
  out += '(';
  bool first = true;
  for (const Param& p : params) {
    if (!first) out += ' ';
    first = false;
    append_imap_string(out, utf8_or_latin1(p.name));
    out += ' ';
    append_imap_string(out, utf8_or_latin1(p.value));
  }
  out += ')';
}

// body-fld-dsp = "(" string SP body-fld-param ")" / nil
void append_disposition(std::string& out, const Part& p, std::string_view raw) {
  auto v = field_value(raw, p.header.fields, "Content-Disposition");
  ContentDisposition cd;
  if (v) cd = parse_content_disposition(*v);
  if (cd.type.empty()) {
    out += "NIL";
    return;
  }
  out += '(';
  append_imap_string(out, cd.type);
  out += ' ';
  append_params(out, cd.params);
  out += ')';
}

// body-fld-lang = nstring / "(" string *(SP string) ")"
void append_language(std::string& out, const Part& p, std::string_view raw) {
  auto v = field_value(raw, p.header.fields, "Content-Language");
  std::vector<std::string> tags;
  if (v) {
    std::string clean = strip_comments(*v);
    std::string_view s = clean;
    while (!s.empty()) {
      std::size_t comma = s.find(',');
      std::string_view tag = ascii::trim(s.substr(0, comma));
      if (!tag.empty()) tags.push_back(utf8_or_latin1(tag));
      if (comma == std::string_view::npos) break;
      s.remove_prefix(comma + 1);
    }
  }
  // Always the list form, as Dovecot writes it; the grammar allows both.
  if (tags.empty()) {
    out += "NIL";
  } else {
    out += '(';
    for (std::size_t i = 0; i < tags.size(); ++i) {
      if (i > 0) out += ' ';
      append_imap_string(out, tags[i]);
    }
    out += ')';
  }
}

// Extension fields after md5 / params: dsp, lang, loc.
void append_common_extension(std::string& out, const Part& p, std::string_view raw) {
  out += ' ';
  append_disposition(out, p, raw);
  out += ' ';
  append_language(out, p, raw);
  out += ' ';
  append_imap_nstring(out, part_field(p, raw, "Content-Location"));
}

void append_body(std::string& out, const Part& p, std::string_view raw, BodyForm form) {
  bool ext = form == BodyForm::kBodyStructure;
  if (p.kind == Part::Kind::kMultipart) {
    out += '(';
    if (p.children.empty()) {
      // body-type-mpart needs one body; report an empty text part (as Dovecot).
      out += "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0";
      if (ext) out += " NIL NIL NIL NIL";
      out += ')';
    }
    for (const Part& c : p.children) append_body(out, c, raw, form);
    out += ' ';
    append_imap_string(out, utf8_or_latin1(p.content_type.subtype));
    if (ext) {
      out += ' ';
      append_params(out, p.content_type.params);
      append_common_extension(out, p, raw);
    }
    out += ')';
    return;
  }
  const ContentType& ct = p.content_type;
  bool text = ct.is_type("text");
  out += '(';
  append_imap_string(out, utf8_or_latin1(ct.type));
  out += ' ';
  append_imap_string(out, utf8_or_latin1(ct.subtype));
  out += ' ';
  // RFC 2045 5.2: text without a charset is us-ascii; say so (as Dovecot does).
  bool has_charset = false;
  for (const Param& prm : ct.params)
    has_charset = has_charset || prm.name == "charset" || prm.name == "charset*";
  if (text && !has_charset) {
    std::vector<Param> params = ct.params;
    params.push_back(Param{"charset", "us-ascii"});
    append_params(out, params);
  } else {
    append_params(out, ct.params);
  }
  out += ' ';
  append_imap_nstring(out, part_field(p, raw, "Content-ID"));
  out += ' ';
  append_imap_nstring(out, part_field(p, raw, "Content-Description"));
  out += ' ';
  append_imap_string(out, p.encoding.empty() ? std::string("7bit") : utf8_or_latin1(p.encoding));
  out += ' ';
  out += std::to_string(p.body_size());
  if (p.kind == Part::Kind::kMessage) {
    const Part& inner = p.children.front();
    out += ' ';
    append_envelope(out, inner, raw);
    out += ' ';
    append_body(out, inner, raw, form);
    out += ' ';
    out += std::to_string(p.body_lines);
  } else if (text) {
    out += ' ';
    out += std::to_string(p.body_lines);
  }
  if (ext) {
    out += ' ';
    append_imap_nstring(out, part_field(p, raw, "Content-MD5"));
    append_common_extension(out, p, raw);
  }
  out += ')';
}

}  // namespace

void append_body_structure(std::string& out, const Part& part, std::string_view raw,
                           BodyForm form) {
  append_body(out, part, raw, form);
}

std::string render_body_structure(const Part& part, std::string_view raw, BodyForm form) {
  std::string out;
  append_body(out, part, raw, form);
  return out;
}

}  // namespace taube::mime
