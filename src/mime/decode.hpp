// Content-Transfer-Encoding decoders (RFC 2045 section 6): base64 and
// quoted-printable, both tolerant of the garbage found in real mail: bad
// characters are skipped or kept literally, decoding never fails.
// Pure functions.
#pragma once

#include <string>
#include <string_view>

namespace taube::mime {

enum class TransferEncoding { k7Bit, k8Bit, kBinary, kBase64, kQuotedPrintable, kUnknown };

// Classifies a Content-Transfer-Encoding value (case-insensitive, trimmed); an
// empty value is 7bit (RFC 2045 section 6.1).
TransferEncoding classify_encoding(std::string_view value);

// RFC 2045 6.8. Characters outside the alphabet are ignored; '=' ends a quantum,
// after which decoding resumes (concatenated base64 blocks), a dangling sextet is dropped.
std::string decode_base64(std::string_view in);

// RFC 2045 6.7. Soft line breaks removed, "=XX" decoded (either hex case), an '='
// not followed by two hex digits kept literally, trailing blanks before a line end
// dropped. Line endings are kept as they are.
std::string decode_quoted_printable(std::string_view in);

// Decodes `body` according to `encoding`; 7bit/8bit/binary/unknown are returned as is.
std::string decode_transfer(std::string_view body, TransferEncoding encoding);

}  // namespace taube::mime
