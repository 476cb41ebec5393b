#include "mailauth/dkim_verify.hpp"

#include <openssl/evp.h>

#include <algorithm>

#include "base/ascii.hpp"
#include "mailauth/canon.hpp"
#include "mailauth/crypto.hpp"
#include "mailauth/records.hpp"

namespace taube::mailauth {

namespace asio = boost::asio;
using asio::awaitable;

std::string_view to_string(DkimResult r) {
  switch (r) {
    case DkimResult::kNone: return "none";
    case DkimResult::kPass: return "pass";
    case DkimResult::kFail: return "fail";
    case DkimResult::kNeutral: return "neutral";
    case DkimResult::kPolicy: return "policy";
    case DkimResult::kTempError: return "temperror";
    case DkimResult::kPermError: return "permerror";
  }
  return "none";
}

namespace {

// Everything about one signature that needs no DNS; the key lookup follows.
DkimOutcome precheck(std::string_view raw, const SplitMessage& message,
                     const mime::HeaderField& field, const DkimVerifyOptions& options,
                     std::optional<DkimSignature>& sig) {
  DkimOutcome out;
  std::string error;
  sig = parse_dkim_signature(field.raw_value(raw), &error);
  if (!sig) {
    out.result = DkimResult::kPermError;  // RFC 8601 2.7.1: a malformed signature
    out.reason = error;
    return out;
  }
  out.domain = sig->domain;
  out.selector = sig->selector;
  out.identity = sig->identity;
  out.b_prefix = sig->b_text.substr(0, 8);
  out.algorithm = std::string(to_string(sig->algorithm));
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(options.now.time_since_epoch()).count();
  if (sig->expiration && static_cast<std::uint64_t>(now) > *sig->expiration) {
    out.result = DkimResult::kFail;
    out.reason = "signature expired";
    return out;
  }
  // The body hash first: it needs no DNS and fails most broken messages.
  const std::string bh = body_hash(message.body, sig->body_canon, sig->body_length);
  if (bh != sig->body_hash) {
    out.result = DkimResult::kFail;
    out.reason = "body hash did not verify";
    return out;
  }
  out.result = DkimResult::kNone;  // still to do: the key and the header signature
  return out;
}

}  // namespace

awaitable<std::vector<DkimOutcome>> verify_dkim(dns::Resolver& resolver, std::string_view raw,
                                                DkimVerifyOptions options) {
  std::vector<DkimOutcome> outcomes;
  const SplitMessage message = split_message(raw);
  for (const mime::HeaderField& field : message.header.fields) {
    if (!ascii::iequals(ascii::trim(field.name(raw)), "DKIM-Signature")) continue;
    if (outcomes.size() >= options.max_signatures) break;
    std::optional<DkimSignature> sig;
    DkimOutcome out = precheck(raw, message, field, options, sig);
    if (out.result != DkimResult::kNone) {
      outcomes.push_back(std::move(out));
      continue;
    }
    if (std::chrono::steady_clock::now() >= options.deadline) {
      out.result = DkimResult::kTempError;
      out.reason = "deadline";
      outcomes.push_back(std::move(out));
      continue;
    }
    std::string name = sig->selector + "._domainkey." + sig->domain;
    dns::Answer<std::string> txt = co_await resolver.txt(std::move(name));
    if (txt.temporary() || txt.bogus) {
      out.result = DkimResult::kTempError;
      out.reason = "key lookup failed";
    } else if (txt.records.empty()) {
      out.result = DkimResult::kPermError;  // RFC 6376 6.1.2: no key record
      out.reason = "no key record";
    } else {
      std::string error;
      std::optional<DkimKey> key = parse_dkim_key(txt.records.front(), &error);
      std::shared_ptr<evp_pkey_st> pkey;
      if (key && key->public_key.empty()) error = "key revoked";
      else if (key) pkey = public_key(*key, sig->algorithm, &error);
      bool hash_ok = key && (key->hashes.empty() ||
                             std::find(key->hashes.begin(), key->hashes.end(), "sha256") != key->hashes.end());
      if (key && !hash_ok) error = "key does not allow sha256";
      if (key && key->strict_identity) {
        const std::string idomain = ascii::lower(sig->identity.substr(sig->identity.rfind('@') + 1));
        if (idomain != sig->domain) {
          error = "key requires i= domain equal to d=";
          pkey.reset();
        }
      }
      if (!pkey || !hash_ok) {
        out.result = DkimResult::kPermError;
        out.reason = error;
      } else {
        const std::string data = header_hash_input(raw, message.header, sig->headers,
                                                   sig->header_canon, field.bytes(raw));
        if (verify_header_data(pkey.get(), sig->algorithm, data, sig->signature)) {
          out.result = DkimResult::kPass;
          if (key->testing) out.reason = "key in testing mode";
        } else {
          out.result = DkimResult::kFail;
          out.reason = "signature did not verify";
        }
      }
    }
    outcomes.push_back(std::move(out));
  }
  co_return outcomes;
}

}  // namespace taube::mailauth
