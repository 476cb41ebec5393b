// The text records of mail authentication, parsed without I/O: the DKIM tag list
// (RFC 6376 3.2), DKIM-Signature (3.5) and key records (3.6.1), DMARC records
// (RFC 7489 6.3). Input is untrusted (from a message or DNS): every parser returns
// nullopt or an error text instead of failing. Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mailauth/canon.hpp"

namespace taube::mailauth {

// tag=value pairs in order; values trimmed of surrounding FWS. nullopt on a syntax
// error or a duplicated tag (RFC 6376 3.2: "MUST be treated as invalid").
using TagList = std::vector<std::pair<std::string, std::string>>;
std::optional<TagList> parse_tag_list(std::string_view text);
const std::string* find_tag(const TagList& tags, std::string_view name);

// Removes folding white space (SP, HTAB, CR, LF) from a base64 tag value.
std::string strip_fws(std::string_view value);

enum class DkimAlgorithm { kRsaSha256, kEd25519Sha256 };
std::string_view to_string(DkimAlgorithm a);

struct DkimSignature {
  DkimAlgorithm algorithm = DkimAlgorithm::kRsaSha256;
  std::string signature;   // b=, decoded
  std::string b_text;      // b= as written, FWS removed (for header.b)
  std::string body_hash;   // bh=, decoded
  Canon header_canon = Canon::kSimple;
  Canon body_canon = Canon::kSimple;
  std::string domain;      // d=, lower case
  std::vector<std::string> headers;  // h=, lower case, in order
  std::string identity;    // i=, default "@" + d
  std::optional<std::uint64_t> body_length;  // l=
  std::string selector;    // s=
  std::optional<std::uint64_t> timestamp;    // t=
  std::optional<std::uint64_t> expiration;   // x=
};

// Parses a DKIM-Signature header value (what follows the colon, folded or not).
// On failure, `error` says why (for the Authentication-Results comment).
std::optional<DkimSignature> parse_dkim_signature(std::string_view value, std::string* error);

struct DkimKey {
  std::string key_type = "rsa";  // k=
  std::string public_key;        // p=, decoded; empty: revoked (RFC 6376 3.6.1)
  std::vector<std::string> hashes;  // h=; empty: any
  bool testing = false;             // t=y
  bool strict_identity = false;     // t=s: i= must equal d=, not a subdomain
};

std::optional<DkimKey> parse_dkim_key(std::string_view record, std::string* error);

// The header value with the b= tag's value deleted (RFC 6376 3.7 step 2), every
// other byte kept as it is.
std::string without_b_value(std::string_view value);

enum class DmarcPolicy { kNone, kQuarantine, kReject };
std::string_view to_string(DmarcPolicy p);

struct DmarcRecord {
  DmarcPolicy policy = DmarcPolicy::kNone;
  std::optional<DmarcPolicy> subdomain_policy;  // sp=
  bool strict_dkim = false;                      // adkim=s
  bool strict_spf = false;                       // aspf=s
  unsigned percent = 100;                        // pct=
};

// nullopt when the text is not a DMARC record (v=DMARC1 must come first) or is
// invalid. RFC 7489 6.6.3: a missing or unknown p= with a valid rua= is p=none;
// without rua= the record is discarded.
std::optional<DmarcRecord> parse_dmarc_record(std::string_view text);

}  // namespace taube::mailauth
