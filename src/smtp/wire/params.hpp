// ESMTP parameters of MAIL and RCPT (RFC 5321 4.1.2 esmtp-param) and the
// extensions Taube knows: SIZE (RFC 1870), BODY (RFC 6152, RFC 3030),
// SMTPUTF8 (RFC 6531), RET/ENVID/NOTIFY/ORCPT (RFC 3461), AUTH (RFC 4954 5).
// Parses untrusted input before authentication. Pure functions. Whether an
// extension was advertised (and so may be used) is the session's decision.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "smtp/wire/reply.hpp"

namespace taube::smtp::wire {

enum class Body { k7Bit, k8BitMime, kBinaryMime };
enum class Ret { kFull, kHdrs };

// RFC 3461 4.1: NEVER, or any combination of the three.
struct Notify {
  bool never = false;
  bool success = false;
  bool failure = false;
  bool delay = false;
  friend bool operator==(const Notify&, const Notify&) = default;
};

// RFC 3461 4.2: ORCPT=addr-type ";" xtext, decoded.
struct OriginalRecipient {
  std::string addr_type;  // e.g. "rfc822"
  std::string address;    // xtext-decoded
  friend bool operator==(const OriginalRecipient&, const OriginalRecipient&) = default;
};

struct MailParams {
  std::optional<std::uint64_t> size;  // RFC 1870 SIZE=
  std::optional<Body> body;           // BODY=
  bool smtputf8 = false;              // SMTPUTF8
  std::optional<Ret> ret;             // RET=
  std::optional<std::string> envid;   // ENVID=, xtext-decoded
  std::optional<std::string> auth;    // AUTH=, xtext-decoded ("<>" kept as is)
  friend bool operator==(const MailParams&, const MailParams&) = default;
};

struct RcptParams {
  std::optional<Notify> notify;
  std::optional<OriginalRecipient> orcpt;
  friend bool operator==(const RcptParams&, const RcptParams&) = default;
};

// Either the parameters or the reply to send (501 5.5.4 syntax/duplicate,
// 555 5.5.4 unsupported parameter).
template <class T>
struct ParamsResult {
  std::optional<T> params;
  Reply error;
};

// `text` is what follows the path: empty, or SP-separated esmtp-params
// (several spaces tolerated).
ParamsResult<MailParams> parse_mail_params(std::string_view text);
ParamsResult<RcptParams> parse_rcpt_params(std::string_view text);

// RFC 3461 4: xtext = *( xchar / hexchar ), hexchar = "+" 2(%x30-39 / %x41-46).
// nullopt when malformed (lower-case hex is rejected, as the RFC says).
std::optional<std::string> decode_xtext(std::string_view text);
std::string encode_xtext(std::string_view text);

}  // namespace taube::smtp::wire
