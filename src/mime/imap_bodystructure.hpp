// IMAP BODYSTRUCTURE (with extension data) and BODY (non-extensible) rendering,
// RFC 9051 section 7.5.2 / RFC 3501 7.4.2 and the body grammar of section 9.
// Sizes and line counts are those of the encoded body bytes in `raw`.
// Pure functions; the Part must come from mime::parse() of the same `raw`.
#pragma once

#include <string>
#include <string_view>

#include "mime/part.hpp"

namespace taube::mime {

enum class BodyForm {
  kBody,           // FETCH BODY: no extension data
  kBodyStructure,  // FETCH BODYSTRUCTURE: md5, disposition, language, location
};

// Appends the parenthesised body structure of `part` (normally the root).
// Text parts without a charset parameter get ("charset" "us-ascii") appended and
// languages are always a list (both as Dovecot writes them); a missing
// Content-Transfer-Encoding reports "7bit"; RFC 2231 parameters are reported
// merged but still encoded ("name*" "utf-8''%E2%82%AC"), as Dovecot does.
void append_body_structure(std::string& out, const Part& part, std::string_view raw, BodyForm form);

std::string render_body_structure(const Part& part, std::string_view raw, BodyForm form);

}  // namespace taube::mime
