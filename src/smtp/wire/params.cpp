#include "smtp/wire/params.hpp"

#include "base/ascii.hpp"

namespace taube::smtp::wire {
namespace {

// RFC 3461: ENVID at most 100 characters, ORCPT at most 500.
constexpr std::size_t kMaxEnvidBytes = 100;
constexpr std::size_t kMaxOrcptBytes = 500;

Reply syntax_error(std::string_view what) {
  return make_reply(501, "5.5.4", std::string("Syntax error in parameter ") + std::string(what));
}

Reply unsupported(std::string_view keyword) {
  return make_reply(555, "5.5.4", "Unsupported parameter: " + std::string(keyword.substr(0, 32)));
}

Reply duplicate(std::string_view keyword) {
  return make_reply(501, "5.5.4", "Duplicate parameter: " + std::string(keyword));
}

struct Param {
  std::string_view keyword;
  std::optional<std::string_view> value;
};

// esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-");
// esmtp-value = 1*(%d33-60 / %d62-126).
bool split_param(std::string_view token, Param& out) {
  const std::size_t eq = token.find('=');
  out.keyword = token.substr(0, eq);
  if (out.keyword.empty()) return false;
  for (std::size_t i = 0; i < out.keyword.size(); ++i) {
    const char c = out.keyword[i];
    if (!(ascii::is_alpha(c) || ascii::is_digit(c) || (i > 0 && c == '-'))) return false;
  }
  if (eq == std::string_view::npos) {
    out.value.reset();
    return true;
  }
  const std::string_view value = token.substr(eq + 1);
  if (value.empty()) return false;
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 33 || u > 126 || c == '=') return false;
  }
  out.value = value;
  return true;
}

// Calls on_param(Param) for each SP-separated token; stops at the first error.
template <class F>
std::optional<Reply> for_each_param(std::string_view text, F&& on_param) {
  while (true) {
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    if (text.empty()) return std::nullopt;
    const std::size_t sp = text.find(' ');
    const std::string_view token = text.substr(0, sp);
    text.remove_prefix(sp == std::string_view::npos ? text.size() : sp);
    Param p;
    if (!split_param(token, p)) {
      for (char c : token)
        if (static_cast<unsigned char>(c) >= 0x80)
          return make_reply(501, "5.5.4", "Non-ASCII octets in parameters");
      return make_reply(501, "5.5.4", "Syntax error in parameters");
    }
    if (auto err = on_param(p)) return err;
  }
}

std::optional<std::uint64_t> parse_size(std::string_view v) {
  if (v.empty() || v.size() > 20) return std::nullopt;  // RFC 1870: 1*20DIGIT
  std::uint64_t n = 0;
  for (char c : v) {
    if (!ascii::is_digit(c)) return std::nullopt;
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (n > (UINT64_MAX - d) / 10) return std::nullopt;
    n = n * 10 + d;
  }
  return n;
}

std::optional<Notify> parse_notify(std::string_view v) {
  Notify n;
  if (ascii::iequals(v, "NEVER")) {
    n.never = true;
    return n;
  }
  while (true) {
    const std::size_t comma = v.find(',');
    const std::string_view item = v.substr(0, comma);
    bool* flag = ascii::iequals(item, "SUCCESS")   ? &n.success
                 : ascii::iequals(item, "FAILURE") ? &n.failure
                 : ascii::iequals(item, "DELAY")   ? &n.delay
                                                   : nullptr;
    if (flag == nullptr || *flag) return std::nullopt;
    *flag = true;
    if (comma == std::string_view::npos) return n;
    v.remove_prefix(comma + 1);
  }
}

}  // namespace

std::optional<std::string> decode_xtext(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  auto hex = [](char c) -> int {
    if (ascii::is_digit(c)) return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto u = static_cast<unsigned char>(text[i]);
    if (text[i] == '+') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int hi = hex(text[i + 1]);
      const int lo = hex(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (u >= 33 && u <= 126 && text[i] != '=') {
      out += text[i];
    } else {
      return std::nullopt;
    }
  }
  return out;
}

std::string encode_xtext(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 33 && u <= 126 && c != '+' && c != '=') {
      out += c;
    } else {
      out += '+';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

ParamsResult<MailParams> parse_mail_params(std::string_view text) {
  MailParams m;
  auto err = for_each_param(text, [&](const Param& p) -> std::optional<Reply> {
    const std::string_view k = p.keyword;
    if (ascii::iequals(k, "SIZE")) {
      if (m.size) return duplicate("SIZE");
      if (!p.value) return syntax_error("SIZE");
      m.size = parse_size(*p.value);
      if (!m.size) return syntax_error("SIZE");
    } else if (ascii::iequals(k, "BODY")) {
      if (m.body) return duplicate("BODY");
      if (!p.value) return syntax_error("BODY");
      if (ascii::iequals(*p.value, "7BIT"))
        m.body = Body::k7Bit;
      else if (ascii::iequals(*p.value, "8BITMIME"))
        m.body = Body::k8BitMime;
      else if (ascii::iequals(*p.value, "BINARYMIME"))
        m.body = Body::kBinaryMime;
      else
        return make_reply(501, "5.5.4", "Unsupported BODY type");
    } else if (ascii::iequals(k, "SMTPUTF8")) {
      if (m.smtputf8) return duplicate("SMTPUTF8");
      if (p.value) return syntax_error("SMTPUTF8");
      m.smtputf8 = true;
    } else if (ascii::iequals(k, "RET")) {
      if (m.ret) return duplicate("RET");
      if (p.value && ascii::iequals(*p.value, "FULL"))
        m.ret = Ret::kFull;
      else if (p.value && ascii::iequals(*p.value, "HDRS"))
        m.ret = Ret::kHdrs;
      else
        return syntax_error("RET");
    } else if (ascii::iequals(k, "ENVID")) {
      if (m.envid) return duplicate("ENVID");
      if (!p.value || p.value->size() > kMaxEnvidBytes) return syntax_error("ENVID");
      m.envid = decode_xtext(*p.value);
      if (!m.envid) return syntax_error("ENVID");
    } else if (ascii::iequals(k, "AUTH")) {
      if (m.auth) return duplicate("AUTH");
      if (!p.value) return syntax_error("AUTH");
      m.auth = decode_xtext(*p.value);
      if (!m.auth) return syntax_error("AUTH");
    } else {
      return unsupported(k);
    }
    return std::nullopt;
  });
  if (err) return {std::nullopt, std::move(*err)};
  return {std::move(m), {}};
}

ParamsResult<RcptParams> parse_rcpt_params(std::string_view text) {
  RcptParams r;
  auto err = for_each_param(text, [&](const Param& p) -> std::optional<Reply> {
    if (ascii::iequals(p.keyword, "NOTIFY")) {
      if (r.notify) return duplicate("NOTIFY");
      if (!p.value) return syntax_error("NOTIFY");
      r.notify = parse_notify(*p.value);
      if (!r.notify) return syntax_error("NOTIFY");
    } else if (ascii::iequals(p.keyword, "ORCPT")) {
      if (r.orcpt) return duplicate("ORCPT");
      if (!p.value || p.value->size() > kMaxOrcptBytes) return syntax_error("ORCPT");
      const std::size_t semi = p.value->find(';');
      if (semi == 0 || semi == std::string_view::npos) return syntax_error("ORCPT");
      const std::string_view type = p.value->substr(0, semi);
      for (char c : type)
        if (!ascii::is_alpha(c) && !ascii::is_digit(c) && c != '-') return syntax_error("ORCPT");
      auto addr = decode_xtext(p.value->substr(semi + 1));
      if (!addr || addr->empty()) return syntax_error("ORCPT");
      r.orcpt = OriginalRecipient{std::string(type), std::move(*addr)};
    } else {
      return unsupported(p.keyword);
    }
    return std::nullopt;
  });
  if (err) return {std::nullopt, std::move(*err)};
  return {std::move(r), {}};
}

}  // namespace taube::smtp::wire
