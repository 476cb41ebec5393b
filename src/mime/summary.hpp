// Summary: what the store indexes for a message at delivery (subject, addresses,
// date, threading ids, preview, full-text search text), computed once from the
// parsed tree. The store keeps ENVELOPE/BODYSTRUCTURE beside it.
// Pure function; the result owns its strings.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "mime/date.hpp"
#include "mime/part.hpp"

namespace taube::mime {

struct SummaryLimits {
  std::size_t preview_chars = 200;                  // Unicode code points
  std::size_t max_search_text_bytes = 1024 * 1024;  // later text is not indexed
};

struct Summary {
  std::string subject;  // RFC 2047 decoded, UTF-8, unfolded
  std::string from;     // display text: "Name <a@b>, c@d" (names decoded)
  std::string to;
  std::string cc;
  std::string bcc;
  std::string reply_to;
  std::optional<DateTime> date;  // Date: field; nullopt when absent or unreadable
  std::string message_id;        // as written (unfolded), angle brackets kept
  std::string in_reply_to;
  std::string references;
  std::string header;   // the raw header block, blank line included
  std::string preview;  // first text part, tags stripped, whitespace collapsed
  // Decoded header values and the UTF-8 text of every text/plain and text/html
  // part (HTML tags stripped, common entities resolved), separated by newlines.
  std::string search_text;
};

Summary summarize(const Part& root, std::string_view raw, const SummaryLimits& limits = {});

// The UTF-8 text of a leaf text part: transfer encoding removed, charset
// converted, and for text/html tags stripped and common entities resolved.
std::string part_text(const Part& part, std::string_view raw);

// Crude HTML to text: drops tags, comments, <script> and <style> content; resolves
// &amp; &lt; &gt; &quot; &apos; &nbsp; and numeric references.
std::string html_to_text(std::string_view html);

}  // namespace taube::mime
