// libFuzzer target for src/mime: parses the input as a message, renders ENVELOPE,
// BODYSTRUCTURE and BODY, extracts every section of every part (and BINARY),
// summarises it, and also feeds the input to the small value parsers.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "mime/address.hpp"
#include "mime/content_type.hpp"
#include "mime/date.hpp"
#include "mime/encoded_word.hpp"
#include "mime/imap_bodystructure.hpp"
#include "mime/imap_envelope.hpp"
#include "mime/section.hpp"
#include "mime/subject.hpp"
#include "mime/summary.hpp"

namespace {

using taube::mime::Part;

void visit(const Part& root, std::string_view raw, const Part& container,
           std::vector<std::uint32_t>& path);

void check_part(const Part& root, std::string_view raw, const Part& part,
                std::vector<std::uint32_t>& path) {
  using taube::mime::Section;
  if (taube::mime::find_part(root, path) != &part) __builtin_trap();
  for (Section::Text text : {Section::Text::kNone, Section::Text::kMime, Section::Text::kHeader,
                             Section::Text::kText, Section::Text::kHeaderFields}) {
    Section s{path, text, {"Subject", "From"}};
    if (auto c = taube::mime::extract_section(root, raw, s)) {
      std::string_view b = c->bytes();
      if (!c->is_built && !b.empty() &&
          (b.data() < raw.data() || b.data() + b.size() > raw.data() + raw.size()))
        __builtin_trap();
      (void)taube::mime::apply_partial(b, 3, 7);
    }
  }
  (void)taube::mime::extract_binary(root, raw, path);
  if (part.kind == Part::Kind::kMultipart) visit(root, raw, part, path);
  if (part.kind == Part::Kind::kMessage) visit(root, raw, part.children.front(), path);
}

void visit(const Part& root, std::string_view raw, const Part& container,
           std::vector<std::uint32_t>& path) {
  if (container.kind == Part::Kind::kMultipart) {
    for (std::size_t i = 0; i < container.children.size(); ++i) {
      path.push_back(static_cast<std::uint32_t>(i + 1));
      check_part(root, raw, container.children[i], path);
      path.pop_back();
    }
    return;
  }
  path.push_back(1);
  if (taube::mime::find_part(root, path) != &container) __builtin_trap();
  if (container.kind == Part::Kind::kMessage) visit(root, raw, container.children.front(), path);
  path.pop_back();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view raw(reinterpret_cast<const char*>(data), size);
  taube::mime::Limits limits;
  limits.max_parts = 2000;
  Part root = taube::mime::parse(raw, limits);
  (void)taube::mime::render_envelope(root, raw);
  (void)taube::mime::render_body_structure(root, raw, taube::mime::BodyForm::kBodyStructure);
  (void)taube::mime::render_body_structure(root, raw, taube::mime::BodyForm::kBody);
  std::vector<std::uint32_t> path;
  visit(root, raw, root, path);
  (void)taube::mime::extract_section(root, raw, taube::mime::Section{});
  taube::mime::Summary s = taube::mime::summarize(root, raw);
  (void)taube::mime::base_subject(s.subject);

  // The value parsers on the raw input, cut to a header-sized piece.
  std::string_view head = raw.substr(0, 4096);
  (void)taube::mime::decode_encoded_words(head);
  (void)taube::mime::parse_address_list(head);
  (void)taube::mime::parse_content_type(head);
  (void)taube::mime::parse_date(head);
  (void)taube::mime::base_subject(head);
  if (auto sec = taube::mime::parse_section(raw.substr(0, 256)))
    (void)taube::mime::extract_section(root, raw, *sec);
  return 0;
}
