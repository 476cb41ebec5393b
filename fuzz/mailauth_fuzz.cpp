// libFuzzer target for src/mailauth's pure parsers: the input is read as a
// DKIM-Signature value, a DKIM key record, an SPF record (and its terms' macros
// expanded), a DMARC record and a whole message (canonicalised both ways, header
// hash input built, author domain, forged Authentication-Results removed).
// Invariants checked: canonical bodies never hold a bare LF, relaxed header
// output is "name:value\r\n", removal only shortens the message.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "mailauth/auth_results.hpp"
#include "mailauth/canon.hpp"
#include "mailauth/dmarc_align.hpp"
#include "mailauth/records.hpp"
#include "mailauth/spf_record.hpp"

namespace {

using namespace taube::mailauth;

void check_body(std::string_view body, Canon canon) {
  std::string out;
  canon_body(body, canon, [&](std::string_view piece) { out += piece; });
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i] == '\n' && (i == 0 || out[i - 1] != '\r')) __builtin_trap();
  }
  if (canon == Canon::kRelaxed && out.find(" \r\n") != std::string::npos) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string error;

  if (auto sig = parse_dkim_signature(in, &error)) {
    if (sig->domain.empty() || sig->selector.empty() || sig->headers.empty()) __builtin_trap();
  }
  (void)parse_dkim_key(in, &error);
  std::string stripped = without_b_value(in);
  if (stripped.size() > in.size()) __builtin_trap();
  (void)parse_dmarc_record(in);

  if (is_spf_record(in)) {
    if (auto record = parse_spf_record(in, &error)) {
      MacroContext c;
      c.sender = "user@example.com";
      c.local_part = "user";
      c.sender_domain = c.domain = "example.com";
      c.ip = *IpAddress::parse("2001:db8::1");
      for (const SpfTerm& t : record->terms) {
        if (t.domain_spec.empty()) continue;
        // nullopt only when no cut at a dot fits 253 octets (one overlong label)
        auto expanded = expand_macros(t.domain_spec, c);
        if (expanded && expanded->size() > 253) __builtin_trap();
      }
    }
  }
  (void)expand_macros(in.substr(0, 512), MacroContext{}, true);
  (void)IpAddress::parse(in.substr(0, 64));

  const SplitMessage m = split_message(in);
  check_body(m.body, Canon::kSimple);
  check_body(m.body, Canon::kRelaxed);
  for (const auto& f : m.header.fields) {
    std::string relaxed = canon_header(f.bytes(in), Canon::kRelaxed);
    if (relaxed.size() < 3 || relaxed.compare(relaxed.size() - 2, 2, "\r\n") != 0) __builtin_trap();
    if (relaxed.find(':') == std::string::npos) __builtin_trap();
  }
  if (!m.header.fields.empty()) {
    (void)header_hash_input(in, m.header, {"from", "to", "subject", "from"}, Canon::kRelaxed,
                            m.header.fields.front().bytes(in));
  }
  (void)author_domain(in);
  (void)organizational_domain(in.substr(0, 300));
  if (remove_authentication_results(in, "mx.example.org").size() > in.size()) __builtin_trap();
  return 0;
}
