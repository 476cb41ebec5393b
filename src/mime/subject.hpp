// RFC 5256 section 2.1 base subject, the key SORT (SUBJECT) and THREAD
// (ORDEREDSUBJECT, REFERENCES) compare: "Re: [list] Fwd: Hello (fwd)" -> "Hello".
// Pure function.
#pragma once

#include <string>
#include <string_view>

namespace taube::mime {

// `subject` is the raw (unfolded) Subject value; encoded words are decoded to
// UTF-8 and whitespace runs collapsed before the RFC 5256 steps. Case is kept:
// callers compare with i;unicode-casemap.
std::string base_subject(std::string_view subject);

}  // namespace taube::mime
