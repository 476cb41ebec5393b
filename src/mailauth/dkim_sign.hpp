// DKIM signing (RFC 6376 5, RFC 8463 for Ed25519) and signing keys: load, generate,
// and the DNS TXT record that publishes a key. Keys live as PEM (PKCS#8) files
// <data>/dkim/<domain>.<selector>.key; `taube dkim generate` writes them.
// Used by the outbound queue before a message leaves. Thread-safe: a SigningKey is
// immutable and may be shared between threads.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "mailauth/records.hpp"

struct evp_pkey_st;

namespace taube::mailauth {

struct SigningKey {
  std::string domain;    // d=, lower case
  std::string selector;  // s=
  DkimAlgorithm algorithm = DkimAlgorithm::kRsaSha256;
  std::shared_ptr<evp_pkey_st> pkey;  // private key
};

// Reads a PEM private key (RSA of at least 1024 bits, or Ed25519). kNotFound when
// the file is missing, kInvalidArgument when it holds no usable key.
Result<SigningKey> load_signing_key(const std::filesystem::path& file, std::string domain,
                                    std::string selector);

// Every key under `directory` named <domain>.<selector>.key, for any domain. A file
// that does not load is reported in `problems` ("path: reason") and skipped.
std::vector<SigningKey> load_signing_keys(const std::filesystem::path& directory,
                                          std::vector<std::string>* problems = nullptr);

// The file a key for (domain, selector) is kept in.
std::filesystem::path key_file(const std::filesystem::path& directory, std::string_view domain,
                               std::string_view selector);

// A new key: RSA 2048 bits or Ed25519.
Result<SigningKey> generate_signing_key(std::string domain, std::string selector,
                                        DkimAlgorithm algorithm);

// The key as PEM (PKCS#8) text, for writing to key_file() with mode 0600.
std::string private_key_pem(const SigningKey& key);

// `taube dkim generate`: a new key written to key_file(directory, domain, selector)
// with mode 0600 (the directory is created). kAlreadyExists when that file exists
// (a published key is never overwritten).
Result<SigningKey> generate_key_file(const std::filesystem::path& directory, std::string domain,
                                     std::string selector, DkimAlgorithm algorithm);

// The TXT record value, e.g. "v=DKIM1; k=ed25519; p=...", and the zone-file line
// "<selector>._domainkey.<domain>. IN TXT ( "..." "..." )" in 255-octet strings.
std::string dns_record_value(const SigningKey& key);
std::string dns_zone_line(const SigningKey& key);

// The headers signed when present (RFC 6376 5.4.1), From once more than it occurs
// so that no From can be added later (oversigning).
inline constexpr std::string_view kSignedHeaders[] = {
    "from", "to", "cc", "subject", "date", "message-id", "reply-to", "in-reply-to",
    "references", "mime-version", "content-type", "content-transfer-encoding"};

// Signs `raw` (a CRLF message: header, blank line, body) with relaxed/relaxed
// canonicalisation and returns the whole header field to put in front of it:
// "DKIM-Signature: v=1; a=...; ...\r\n" (folded, CRLF-terminated).
// kInvalidArgument when the message has no From field; kInternal on a crypto failure.
Result<std::string> dkim_sign(std::string_view raw, const SigningKey& key,
                              std::chrono::system_clock::time_point now =
                                  std::chrono::system_clock::now());

}  // namespace taube::mailauth
