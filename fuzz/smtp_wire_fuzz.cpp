// libFuzzer target for smtp/wire: the command receiver and parser, the DATA
// receiver (checked against a simple reference model, whole versus chunked),
// the BDAT receiver, the reply writer and the base64/xtext codecs, on
// arbitrary bytes. Every invariant failure aborts, so libFuzzer reports it.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "smtp/wire/auth_response.hpp"
#include "smtp/wire/bdat.hpp"
#include "smtp/wire/data_receiver.hpp"
#include "smtp/wire/params.hpp"
#include "smtp/wire/receiver.hpp"

namespace {

using namespace taube::smtp::wire;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant violated: %s\n", what);
    std::abort();
  }
}

// Small limits so that the fuzzer reaches every limit path quickly.
Limits fuzz_limits() {
  Limits l;
  l.max_command_line_bytes = 64;
  l.max_auth_line_bytes = 128;
  l.max_data_line_bytes = 40;
  l.max_message_bytes = 256;
  l.sink_chunk_bytes = 16;
  return l;
}

// Chunk sizes 1..17 from a seed, so every run cuts the input differently.
std::vector<std::string_view> chop(std::string_view in, std::uint32_t seed) {
  std::vector<std::string_view> out;
  std::uint32_t x = seed | 1;
  while (!in.empty()) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    const std::size_t n = std::min<std::size_t>(in.size(), 1 + x % 17);
    out.push_back(in.substr(0, n));
    in.remove_prefix(n);
  }
  return out;
}

void check_reply(const Reply& r) {
  const std::string text = format_reply(r);
  std::size_t lines = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') {
      check(i > 0 && text[i - 1] == '\r', "reply LF without CR");
      ++lines;
    } else if (text[i] == '\r') {
      check(i + 1 < text.size() && text[i + 1] == '\n', "reply bare CR");
    } else {
      const auto u = static_cast<unsigned char>(text[i]);
      check(u >= 0x20 && u <= 0x7e, "reply octet outside printable ASCII");
    }
  }
  check(lines == std::max<std::size_t>(r.lines.size(), 1), "reply line count");
  check(r.code >= 200 && r.code <= 599, "reply code range");
}

std::string describe(const ReceiveStep& s) {
  if (const auto* c = std::get_if<Command>(&s.result)) {
    std::string d(to_string(c->verb));
    d += '|' + c->argument + '|' + c->path.mailbox.address() + '|' + std::to_string(c->bdat_size);
    return d;
  }
  if (const auto* i = std::get_if<Invalid>(&s.result)) return "!" + format_reply(i->reply);
  return {};
}

std::vector<std::string> run_commands(const std::vector<std::string_view>& pieces,
                                      const Limits& limits, bool utf8) {
  std::vector<std::string> transcript;
  CommandReceiver rx(limits);
  for (std::string_view p : pieces) {
    while (!p.empty()) {
      const ReceiveStep s = rx.feed(p, {.smtputf8_transaction = utf8});
      check(s.consumed > 0 && s.consumed <= p.size(), "command consumed out of range");
      check(s.has_unconsumed_input == (s.consumed < p.size()), "unconsumed flag");
      check(rx.buffered_bytes() < limits.max_auth_line_bytes, "command buffer bound");
      if (const auto* c = std::get_if<Command>(&s.result)) {
        check(c->path.mailbox.local_part.size() <= kMaxLocalPartBytes, "local part length");
        check(c->path.mailbox.domain.size() <= kMaxDomainBytes, "domain length");
        if (c->path.mailbox.has_utf8) {
          check(c->verb == Verb::kMail ? c->mail_params.smtputf8 : utf8, "utf8 without SMTPUTF8");
          check(is_valid_utf8(c->path.mailbox.address()), "invalid utf8 accepted");
        }
        if (c->verb == Verb::kMail && !c->path.null)
          check(c->path.mailbox.address().size() + 2 <= kMaxPathBytes, "path length");
        check(c->argument.find_first_of(std::string_view("\r\n\0", 3)) == std::string::npos,
              "line ending inside an argument");
      } else if (const auto* i = std::get_if<Invalid>(&s.result)) {
        check_reply(i->reply);
      }
      if (!std::holds_alternative<NeedMore>(s.result)) transcript.push_back(describe(s));
      p.remove_prefix(s.consumed);
    }
  }
  return transcript;
}

// Reference DATA transform, written for clarity, not speed: lines end at CRLF,
// bare LF or bare CR; each loses one leading "."; each is stored with CRLF.
// `end` is set to where <CRLF>.<CRLF> ends (in input octets) if it occurs.
std::string reference_data(std::string_view in, std::size_t& end, bool& done) {
  const std::string framed = "\r\n" + std::string(in);
  const std::size_t marker = framed.find("\r\n.\r\n");
  done = marker != std::string::npos;
  std::string_view body = in;
  if (done) {
    end = marker + 3;  // marker + 5 in framed octets, minus the 2 we prepended
    body = in.substr(0, marker);
  }
  std::string out;
  std::size_t i = 0;
  while (i < body.size()) {
    std::size_t j = i;
    while (j < body.size() && body[j] != '\r' && body[j] != '\n') ++j;
    std::string_view line = body.substr(i, j - i);
    if (!line.empty() && line.front() == '.') line.remove_prefix(1);
    if (j == body.size()) {  // unterminated last line (only when not done)
      out.append(line);
      break;
    }
    out.append(line);
    out += "\r\n";
    i = (body[j] == '\r' && j + 1 < body.size() && body[j + 1] == '\n') ? j + 2 : j + 1;
  }
  return out;
}

bool only_crlf(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r' && (i + 1 == s.size() || s[i + 1] != '\n')) return false;
    if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r')) return false;
  }
  return true;
}

struct DataRun {
  std::string stored;
  std::size_t consumed = 0;
  bool done = false;
  DataOutcome outcome;
};

DataRun run_data(const std::vector<std::string_view>& pieces, const Limits& limits) {
  DataRun r;
  DataReceiver rx(limits, [&](std::string_view chunk) {
    check(chunk.size() <= limits.sink_chunk_bytes, "sink chunk bound");
    r.stored.append(chunk);
  });
  for (std::string_view p : pieces) {
    if (rx.done()) break;
    const DataStep s = rx.feed(p);
    check(s.consumed <= p.size(), "data consumed more than input");
    check(s.done || s.consumed == p.size(), "data stopped early");
    check(rx.buffered_bytes() <= limits.sink_chunk_bytes, "data buffer bound");
    r.consumed += s.consumed;
    r.done = s.done;
  }
  r.outcome = rx.outcome();
  return r;
}

void fuzz_data(std::string_view in, std::uint32_t seed) {
  const Limits limits = fuzz_limits();
  const DataRun whole = run_data({in}, limits);
  const DataRun chunked = run_data(chop(in, seed), limits);
  check(whole.stored == chunked.stored, "data output depends on chunking");
  check(whole.outcome == chunked.outcome, "data outcome depends on chunking");
  check(whole.consumed == chunked.consumed && whole.done == chunked.done,
        "data end depends on chunking");

  std::size_t end = 0;
  bool done = false;
  const std::string expected = reference_data(in, end, done);
  check(whole.done == done, "end of data differs from <CRLF>.<CRLF> reference");
  if (done) {
    check(whole.consumed == end, "consumed differs from the end marker");
    check(whole.outcome.message_bytes == expected.size(), "message size differs from reference");
    check(whole.stored == expected.substr(0, limits.max_message_bytes),
          "stored differs from reference");
    check(whole.outcome.too_large == (expected.size() > limits.max_message_bytes), "too_large");
    // The stored message holds no bare CR/LF: no downstream can find an end
    // of data (or a line) that this receiver did not see.
    // (A message cut at the size limit may end between CR and LF; it is
    // refused with 552 anyway.)
    std::string_view stored = whole.stored;
    if (whole.outcome.too_large && !stored.empty() && stored.back() == '\r')
      stored.remove_suffix(1);
    check(only_crlf(stored), "bare CR or LF in stored message");
  } else {
    check(whole.consumed == in.size(), "undone data left input");
    check(whole.stored.size() <= expected.size() &&
              expected.compare(0, whole.stored.size(), whole.stored) == 0,
          "partial output not a prefix of reference");
  }
}

void fuzz_bdat(std::string_view in, std::uint32_t seed) {
  Limits limits = fuzz_limits();
  std::string stored;
  BdatReceiver rx(limits, [&](std::string_view c) { stored.append(c); });
  const std::uint64_t n = seed % 300;
  rx.start_chunk(n, true);
  std::size_t consumed = 0;
  for (std::string_view p : chop(in, seed)) {
    const BdatStep s = rx.feed(p);
    check(s.consumed <= p.size(), "bdat consumed more than input");
    consumed += s.consumed;
    if (s.chunk_done) break;
  }
  check(consumed == std::min<std::uint64_t>(n, in.size()), "bdat consumed != announced size");
  if (rx.chunk_done())
    check(stored == in.substr(0, std::min<std::uint64_t>(n, limits.max_message_bytes)),
          "bdat stored differs from raw input");
}

void fuzz_codecs(std::string_view in) {
  if (auto decoded = decode_base64(in))
    check(encode_base64(*decoded) == in, "base64 not canonical");
  check(decode_base64(encode_base64(in)) == std::string(in), "base64 round trip");
  if (auto x = decode_xtext(in)) check(decode_xtext(encode_xtext(*x)) == *x, "xtext round trip");
  check(decode_xtext(encode_xtext(in)) == std::string(in), "xtext encode round trip");
  check_reply(make_reply(501, "5.5.4", in));
  for (bool initial : {false, true}) {
    auto r = decode_sasl_response(in, initial);
    if (auto* inv = std::get_if<Invalid>(&r)) check_reply(inv->reply);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::uint32_t seed = static_cast<std::uint32_t>(data[0]) << 8 | data[1];
  const std::string_view in(reinterpret_cast<const char*>(data) + 2, size - 2);
  const Limits limits = fuzz_limits();
  const bool utf8 = (seed & 0x100) != 0;

  const auto whole = run_commands({in}, limits, utf8);
  check(whole == run_commands(chop(in, seed), limits, utf8), "commands depend on chunking");
  if (auto parsed = parse_command(in, {.smtputf8_transaction = utf8});
      std::holds_alternative<Invalid>(parsed))
    check_reply(std::get<Invalid>(parsed).reply);

  fuzz_data(in, seed);
  fuzz_bdat(in, seed);
  fuzz_codecs(in);
  return 0;
}
