#include "imap/server/fetch_format.hpp"

#include "imap/server/support.hpp"
#include "imap/wire/datetime.hpp"
#include "imap/wire/writer.hpp"
#include "mime/section.hpp"

namespace taube::imap::server {

using wire::FetchAttribute;

std::string format_section(const wire::Section& section) {
  std::string out;
  for (std::uint32_t p : section.part) {
    if (!out.empty()) out += '.';
    out += std::to_string(p);
  }
  auto text = [&](std::string_view t) {
    if (!out.empty()) out += '.';
    out += t;
  };
  switch (section.text) {
    case wire::SectionText::kNone: break;
    case wire::SectionText::kHeader: text("HEADER"); break;
    case wire::SectionText::kText: text("TEXT"); break;
    case wire::SectionText::kMime: text("MIME"); break;
    case wire::SectionText::kHeaderFields:
    case wire::SectionText::kHeaderFieldsNot: {
      text(section.text == wire::SectionText::kHeaderFields ? "HEADER.FIELDS (" : "HEADER.FIELDS.NOT (");
      for (std::size_t i = 0; i < section.fields.size(); ++i) {
        if (i) out += ' ';
        out += wire::format_astring(section.fields[i]);
      }
      out += ')';
      break;
    }
  }
  return out;
}

namespace {

mime::Section to_mime(const wire::Section& s) {
  mime::Section m;
  m.path = s.part;
  m.text = static_cast<mime::Section::Text>(static_cast<int>(s.text));
  m.fields = s.fields;
  return m;
}

std::string literal(std::string_view bytes) { return "{" + std::to_string(bytes.size()) + "}\r\n" + std::string(bytes); }

std::string_view slice(std::string_view bytes, const std::optional<wire::Partial>& partial) {
  if (!partial) return bytes;
  return mime::apply_partial(bytes, partial->offset, partial->length);
}

std::string origin(const std::optional<wire::Partial>& partial) {
  return partial ? "<" + std::to_string(partial->offset) + ">" : "";
}

std::string format_unix(store::UnixTime t) { return wire::format_date_time(t.time_since_epoch().count()); }

}  // namespace

std::optional<std::string> format_fetch(const Context& ctx, const MessageData& m,
                                        const std::vector<wire::FetchItem>& items, bool flags_changed) {
  std::string out = "* " + std::to_string(m.seq) + " FETCH (";
  bool first = true;
  auto add = [&](std::string_view name, std::string_view value) {
    if (!first) out += ' ';
    first = false;
    out += name;
    out += ' ';
    out += value;
  };
  std::optional<mime::Part> tree;
  auto parsed = [&]() -> const mime::Part& {
    if (!tree) tree = mime::parse(m.raw);
    return *tree;
  };
  bool flags_sent = false;
  const auto opts = ctx.write_options();
  for (const auto& item : items) {
    switch (item.attribute) {
      case FetchAttribute::kUid: add("UID", std::to_string(m.record.uid)); break;
      case FetchAttribute::kFlags:
        add("FLAGS", format_flags(m.record.flags));
        flags_sent = true;
        break;
      case FetchAttribute::kInternalDate: add("INTERNALDATE", format_unix(m.record.internal_date)); break;
      case FetchAttribute::kSaveDate: add("SAVEDATE", format_unix(m.record.save_date)); break;
      case FetchAttribute::kRfc822Size: add("RFC822.SIZE", std::to_string(m.record.size)); break;
      case FetchAttribute::kModSeq: add("MODSEQ", "(" + std::to_string(m.record.modseq) + ")"); break;
      case FetchAttribute::kEmailId: add("EMAILID", "(" + m.record.email_id + ")"); break;
      case FetchAttribute::kThreadId: add("THREADID", "NIL"); break;
      case FetchAttribute::kEnvelope: add("ENVELOPE", m.meta->envelope); break;
      case FetchAttribute::kBodyStructure: add("BODYSTRUCTURE", m.meta->body_structure); break;
      case FetchAttribute::kBody: add("BODY", m.meta->body); break;
      case FetchAttribute::kPreview: add("PREVIEW", wire::format_string(m.meta->preview, opts)); break;
      case FetchAttribute::kRfc822: add("RFC822", literal(m.raw)); break;
      case FetchAttribute::kRfc822Header: {
        const auto& root = parsed();
        add("RFC822.HEADER", literal(root.header_bytes(m.raw)));
        break;
      }
      case FetchAttribute::kRfc822Text: {
        const auto& root = parsed();
        add("RFC822.TEXT", literal(root.body(m.raw)));
        break;
      }
      case FetchAttribute::kBodySection: {
        std::string name = "BODY[" + format_section(item.section) + "]" + origin(item.partial);
        if (item.section.part.empty() && item.section.text == wire::SectionText::kNone) {
          add(name, literal(slice(m.raw, item.partial)));
          break;
        }
        auto content = mime::extract_section(parsed(), m.raw, to_mime(item.section));
        add(name, content ? literal(slice(content->bytes(), item.partial)) : std::string("\"\""));
        break;
      }
      case FetchAttribute::kBinary:
      case FetchAttribute::kBinarySize: {
        auto content = mime::extract_binary(parsed(), m.raw, item.section.part);
        if (content.status == mime::BinaryContent::Status::kUnknownEncoding) return std::nullopt;
        std::string part = format_section(item.section);
        if (item.attribute == FetchAttribute::kBinarySize) {
          add("BINARY.SIZE[" + part + "]", std::to_string(content.data.size()));
          break;
        }
        std::string_view bytes = slice(content.data, item.partial);
        std::string name = "BINARY[" + part + "]" + origin(item.partial);
        if (content.status == mime::BinaryContent::Status::kNotFound) {
          add(name, "NIL");
        } else if (bytes.find('\0') != std::string_view::npos) {
          add(name, wire::format_literal8(bytes));
        } else {
          add(name, literal(bytes));
        }
        break;
      }
    }
  }
  if (flags_changed && !flags_sent) add("FLAGS", format_flags(m.record.flags));
  out += ")\r\n";
  return out;
}

}  // namespace taube::imap::server
