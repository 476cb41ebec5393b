#include <algorithm>
#include <cstring>

#include "base/ascii.hpp"
#include "mime/part.hpp"

namespace taube::mime {
namespace {

std::size_t next_line(std::string_view raw, std::size_t p, std::size_t end) {
  const void* nl = std::memchr(raw.data() + p, '\n', end - p);
  if (nl == nullptr) return end;
  return static_cast<std::size_t>(static_cast<const char*>(nl) - raw.data()) + 1;
}

struct Range {
  std::size_t begin;
  std::size_t end;
};

class Parser {
 public:
  Parser(std::string_view raw, const Limits& limits)
      : raw_(raw), limits_(limits), field_budget_(limits.max_total_header_fields) {}

  Part parse_part(std::size_t begin, std::size_t end, std::size_t depth, bool digest_child) {
    ++parts_;
    Part p;
    Limits header_limits = limits_;
    header_limits.max_header_fields = std::min(limits_.max_header_fields, field_budget_);
    p.header = parse_header(raw_, begin, end, header_limits);
    field_budget_ -= p.header.fields.size();
    p.body_begin = p.header.end;
    p.body_end = end;
    p.body_lines = count_lines(p.body(raw_));
    std::span<const HeaderField> fields = p.header.fields;
    if (auto cte = field_value(raw_, fields, "Content-Transfer-Encoding", limits_.max_line_bytes))
      p.encoding = strip_comments(*cte);
    p.encoding = std::string(ascii::trim(p.encoding));

    auto ct_value = field_value(raw_, fields, "Content-Type", limits_.max_line_bytes);
    if (ct_value) p.content_type = parse_content_type(*ct_value);
    if (!p.content_type.valid) {
      // RFC 2045 5.2 and RFC 2046 5.1.5 defaults.
      std::vector<Param> params = std::move(p.content_type.params);
      if (digest_child && !ct_value) {
        p.content_type = ContentType{"message", "rfc822", {}, true};
      } else {
        p.content_type = ContentType{"text", "plain", {}, true};
        if (ct_value) p.content_type.params = std::move(params);
      }
      p.content_type_defaulted = true;
    }

    const ContentType& ct = p.content_type;
    if (ct.is_type("multipart")) {
      // RFC 2231 encoded boundaries occur (boundary*=us-ascii''x); decode them.
      std::string boundary = decoded_param(ct.params, "boundary").value_or("");
      if (boundary.empty()) {
        // A multipart without a boundary cannot be split: read it as text.
        p.content_type = ContentType{"text", "plain", std::move(p.content_type.params), true};
        p.content_type_defaulted = true;
        return p;
      }
      if (depth >= limits_.max_depth) return make_opaque(std::move(p));
      p.kind = Part::Kind::kMultipart;
      bool digest = ascii::iequals(ct.subtype, "digest");
      for (const Range& r : split_multipart(p.body_begin, p.body_end, boundary)) {
        if (parts_ >= limits_.max_parts) {
          p.opaque = true;
          break;
        }
        p.children.push_back(parse_part(r.begin, r.end, depth + 1, digest));
      }
      return p;
    }
    if (ct.is_type("message") &&
        (ascii::iequals(ct.subtype, "rfc822") || ascii::iequals(ct.subtype, "global"))) {
      TransferEncoding enc = p.transfer_encoding();
      // RFC 2046 5.2.1: an encoded message/rfc822 is not a message we can read.
      if (enc != TransferEncoding::k7Bit && enc != TransferEncoding::k8Bit &&
          enc != TransferEncoding::kBinary)
        return p;
      if (depth >= limits_.max_depth || parts_ >= limits_.max_parts)
        return make_opaque(std::move(p));
      p.kind = Part::Kind::kMessage;
      p.children.push_back(parse_part(p.body_begin, p.body_end, depth + 1, false));
    }
    return p;
  }

 private:
  static Part make_opaque(Part p) {
    p.content_type.type = "application";
    p.content_type.subtype = "octet-stream";
    p.opaque = true;
    p.kind = Part::Kind::kLeaf;
    return p;
  }

  // Is the line [p, line_end) a delimiter for `boundary`? Sets `close` for "--b--".
  bool is_delimiter(std::size_t p, std::size_t line_end, std::string_view boundary,
                    bool& close) const {
    std::size_t len = line_end - p;
    if (len < boundary.size() + 2 || len > limits_.max_line_bytes) return false;
    if (raw_[p] != '-' || raw_[p + 1] != '-') return false;
    if (raw_.compare(p + 2, boundary.size(), boundary) != 0) return false;
    std::size_t i = p + 2 + boundary.size();
    close = i + 1 < line_end && raw_[i] == '-' && raw_[i + 1] == '-';
    if (close) i += 2;
    // Transport padding only (RFC 2046 5.1.1).
    for (; i < line_end; ++i) {
      char c = raw_[i];
      if (!ascii::is_space(c) && c != '\r' && c != '\n') return false;
    }
    return true;
  }

  // RFC 2046 5.1.1: the line break before a delimiter belongs to the delimiter.
  std::size_t strip_preceding_break(std::size_t begin, std::size_t p) const {
    std::size_t e = p;
    if (e > begin && raw_[e - 1] == '\n') --e;
    if (e > begin && raw_[e - 1] == '\r') --e;
    return e;
  }

  std::vector<Range> split_multipart(std::size_t begin, std::size_t end,
                                     std::string_view boundary) const {
    std::vector<Range> ranges;
    std::size_t part_start = std::string_view::npos;
    std::size_t p = begin;
    while (p < end) {
      std::size_t line_end = next_line(raw_, p, end);
      bool close = false;
      if (raw_[p] == '-' && is_delimiter(p, line_end, boundary, close)) {
        if (part_start != std::string_view::npos)
          ranges.push_back(
              Range{part_start, std::max(part_start, strip_preceding_break(part_start, p))});
        if (close) return ranges;
        part_start = line_end;
        if (ranges.size() >= limits_.max_parts) return ranges;
      }
      p = line_end;
    }
    // Missing close delimiter: the last part runs to the end.
    if (part_start != std::string_view::npos) ranges.push_back(Range{part_start, end});
    return ranges;
  }

  std::string_view raw_;
  const Limits& limits_;
  std::size_t parts_ = 0;
  std::size_t field_budget_;
};

}  // namespace

std::size_t count_lines(std::string_view bytes) {
  std::size_t n = static_cast<std::size_t>(std::count(bytes.begin(), bytes.end(), '\n'));
  if (!bytes.empty() && bytes.back() != '\n') ++n;
  return n;
}

Part parse(std::string_view raw, const Limits& limits) {
  Parser parser(raw, limits);
  return parser.parse_part(0, raw.size(), 0, false);
}

}  // namespace taube::mime
