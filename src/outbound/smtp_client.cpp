#include "outbound/smtp_client.hpp"

#include <algorithm>

#include "base/ascii.hpp"

namespace taube::outbound {
namespace asio = boost::asio;

namespace {

bool is_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return uint8_t(c) < 0x80; });
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = char(std::toupper(uint8_t(c)));
  return out;
}

SmtpReply lost(std::string why) { return SmtpReply{0, {std::move(why)}}; }

}  // namespace

std::string SmtpReply::text() const {
  std::string out = code ? std::to_string(code) : std::string("no reply");
  for (size_t i = 0; i < lines.size(); ++i) {
    out += i == 0 ? " " : " / ";
    out += lines[i];
  }
  return out;
}

MessageTraits analyze(std::string_view raw, std::string_view sender,
                      const std::vector<store::OutboundRecipient>& recipients) {
  MessageTraits t;
  t.eight_bit = !is_ascii(raw);
  t.utf8_envelope = !is_ascii(sender);
  for (auto& r : recipients) t.utf8_envelope |= !is_ascii(r.address);
  return t;
}

std::string to_crlf(std::string_view raw) {
  std::string out;
  out.reserve(raw.size() + raw.size() / 50);
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\n' && (i == 0 || raw[i - 1] != '\r')) out += '\r';
    out += raw[i];
  }
  if (!out.empty() && (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0)) out += "\r\n";
  return out;
}

std::string dot_stuff(std::string_view raw) {
  std::string crlf = to_crlf(raw);
  std::string out;
  out.reserve(crlf.size() + crlf.size() / 100 + 8);
  bool line_start = true;
  for (char c : crlf) {
    if (line_start && c == '.') out += '.';
    out += c;
    line_start = (c == '\n');
  }
  out += ".\r\n";
  return out;
}

std::string xtext(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    auto c = uint8_t(ch);
    if (c < 33 || c > 126 || c == '+' || c == '=') {
      out += '+';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += ch;
    }
  }
  return out;
}

SmtpClient::SmtpClient(std::unique_ptr<net::Transport> transport, ClientOptions options)
    : transport_(std::move(transport)), options_(std::move(options)) {}

asio::awaitable<SmtpReply> SmtpClient::read_reply() {
  SmtpReply reply;
  for (;;) {
    auto eol = buffer_.find("\r\n");
    if (eol == std::string::npos) {
      if (buffer_.size() > 64 * 1024) {
        broken_ = true;
        co_return lost("reply line too long");
      }
      char buf[8192];
      auto op = transport_->read_some(buf, sizeof buf);
      size_t n = co_await std::move(op);
      if (n == 0) {
        broken_ = true;
        co_return lost(transport_->timed_out() ? "timeout waiting for the reply" : "connection closed");
      }
      buffer_.append(buf, n);
      continue;
    }
    std::string line = buffer_.substr(0, eol);
    buffer_.erase(0, eol + 2);
    if (line.size() < 3 || !ascii::is_digit(line[0]) || !ascii::is_digit(line[1]) || !ascii::is_digit(line[2]) ||
        (line.size() > 3 && line[3] != ' ' && line[3] != '-')) {
      broken_ = true;
      co_return lost("malformed reply: " + line.substr(0, 100));
    }
    int code = std::stoi(line.substr(0, 3));
    if (code < 200 || code > 599) {
      broken_ = true;
      co_return lost("malformed reply code: " + line.substr(0, 100));
    }
    reply.code = code;
    reply.lines.push_back(line.size() > 4 ? line.substr(4) : std::string());
    if (line.size() <= 3 || line[3] == ' ') co_return reply;
  }
}

asio::awaitable<SmtpReply> SmtpClient::command(std::string line) {
  line += "\r\n";
  auto op = transport_->write(line);
  if (!(co_await std::move(op))) {
    broken_ = true;
    co_return lost("connection lost while sending");
  }
  auto op2 = read_reply();
  co_return co_await std::move(op2);
}

asio::awaitable<SmtpReply> SmtpClient::ehlo() {
  ext_ = Extensions{};
  transport_->set_deadline(options_.command_timeout);
  auto op = command("EHLO " + options_.helo_name);
  SmtpReply r = co_await std::move(op);
  if (r.code == 250) {
    ext_.esmtp = true;
    for (size_t i = 1; i < r.lines.size(); ++i) {
      std::string kw = upper(r.lines[i]);
      std::string name = kw.substr(0, kw.find(' '));
      if (name == "PIPELINING") ext_.pipelining = true;
      else if (name == "8BITMIME") ext_.eightbitmime = true;
      else if (name == "SMTPUTF8") ext_.smtputf8 = true;
      else if (name == "CHUNKING") ext_.chunking = true;
      else if (name == "STARTTLS") ext_.starttls = true;
      else if (name == "DSN") ext_.dsn = true;
      else if (name == "SIZE") {
        auto sp = kw.find(' ');
        if (sp != std::string::npos) {
          try {
            ext_.size = std::stoull(kw.substr(sp + 1));
          } catch (...) {
            ext_.size = 0;
          }
        }
      }
    }
    co_return r;
  }
  if (r.code == 0 || r.code == 421) co_return r;
  // RFC 5321 4.1.4 / 3.2: a server that does not know EHLO; fall back to HELO.
  auto op2 = command("HELO " + options_.helo_name);
  co_return co_await std::move(op2);
}

asio::awaitable<SmtpReply> SmtpClient::open(std::shared_ptr<asio::ssl::context> tls) {
  transport_->set_deadline(options_.greeting_timeout);
  auto op = read_reply();
  SmtpReply greeting = co_await std::move(op);
  if (greeting.code != 220) co_return greeting;
  auto op2 = ehlo();
  SmtpReply hello = co_await std::move(op2);
  if (hello.code != 250) co_return hello;
  bool want_tls = tls && (options_.use_starttls || options_.require_tls);
  if (want_tls && ext_.starttls) {
    auto op3 = command("STARTTLS");
    SmtpReply r = co_await std::move(op3);
    if (r.code != 220) {
      if (options_.require_tls) co_return r;
    } else {
      buffer_.clear();  // RFC 3207 6: nothing read before the handshake counts
      auto op4 = transport_->start_tls(tls);
      if (!(co_await std::move(op4))) {
        tls_failed_ = true;
        broken_ = true;
        co_return lost("TLS handshake failed");
      }
      auto op5 = ehlo();
      hello = co_await std::move(op5);
      if (hello.code != 250) co_return hello;
    }
  }
  if (options_.require_tls && !transport_->is_tls()) {
    tls_failed_ = !ext_.starttls ? false : tls_failed_;
    co_return SmtpReply{0, {"TLS required by policy but the peer does not offer STARTTLS"}};
  }
  co_return hello;
}

std::string SmtpClient::mail_command(const Envelope& e, const MessageTraits& t, size_t size) const {
  std::string cmd = "MAIL FROM:<" + e.sender + ">";
  if (ext_.size) cmd += " SIZE=" + std::to_string(size);
  if (t.eight_bit && ext_.eightbitmime) cmd += " BODY=8BITMIME";
  if (t.utf8_envelope && ext_.smtputf8) cmd += " SMTPUTF8";
  if (ext_.dsn) {
    if (e.ret == store::DsnRet::kFull) cmd += " RET=FULL";
    if (e.ret == store::DsnRet::kHeaders) cmd += " RET=HDRS";
    if (!e.envid.empty()) cmd += " ENVID=" + xtext(e.envid);
  }
  return cmd;
}

std::string SmtpClient::rcpt_command(const store::OutboundRecipient& r) const {
  std::string cmd = "RCPT TO:<" + r.address + ">";
  if (ext_.dsn) {
    if (r.notify) {
      if (r.notify & store::kNotifyNever) {
        cmd += " NOTIFY=NEVER";
      } else {
        std::string n;
        if (r.notify & store::kNotifySuccess) n += ",SUCCESS";
        if (r.notify & store::kNotifyFailure) n += ",FAILURE";
        if (r.notify & store::kNotifyDelay) n += ",DELAY";
        if (!n.empty()) cmd += " NOTIFY=" + n.substr(1);
      }
    }
    if (!r.orcpt.empty()) cmd += " ORCPT=" + xtext(r.orcpt);
  }
  return cmd;
}

asio::awaitable<SendResult> SmtpClient::send(const Envelope& e, std::string_view raw) {
  SendResult result;
  auto all = [&](SmtpReply r) {
    result.recipients.clear();
    for (auto& rc : e.recipients) result.recipients.push_back(RecipientOutcome{rc.address, r});
  };
  MessageTraits traits = analyze(raw, e.sender, e.recipients);
  // RFC 6152 / RFC 6531: no 8-bit data and no UTF-8 addresses to a peer that did not
  // agree to them. Taube does not downgrade (that would alter signed content).
  if (traits.utf8_envelope && !ext_.smtputf8) {
    all(SmtpReply{553, {"5.6.7 the recipient's server does not support SMTPUTF8, needed for a non-ASCII address"}});
    result.connection_usable = !broken_;
    co_return result;
  }
  if (traits.eight_bit && !ext_.eightbitmime) {
    all(SmtpReply{554, {"5.6.3 the recipient's server does not accept 8-bit content (no 8BITMIME); the message was not converted"}});
    result.connection_usable = !broken_;
    co_return result;
  }
  std::string payload = ext_.chunking ? to_crlf(raw) : dot_stuff(raw);
  size_t size = ext_.chunking ? payload.size() : to_crlf(raw).size();
  if (ext_.size && size > ext_.size) {
    all(SmtpReply{552, {"5.3.4 message size " + std::to_string(size) + " exceeds the recipient's server limit of " +
                            std::to_string(ext_.size)}});
    result.connection_usable = !broken_;
    co_return result;
  }

  transport_->set_deadline(options_.command_timeout);
  std::string mail = mail_command(e, traits, size) + "\r\n";
  std::vector<std::string> rcpts;
  for (auto& r : e.recipients) rcpts.push_back(rcpt_command(r) + "\r\n");

  SmtpReply mail_reply;
  std::vector<SmtpReply> rcpt_replies;
  if (ext_.pipelining) {
    // RFC 2920 3.1: MAIL and RCPTs in one group; replies come back in order.
    std::string batch = mail;
    for (auto& r : rcpts) batch += r;
    auto op = transport_->write(batch);
    if (!(co_await std::move(op))) {
      broken_ = true;
      all(lost("connection lost while sending"));
      co_return result;
    }
    auto op2 = read_reply();
    mail_reply = co_await std::move(op2);
    for (size_t i = 0; i < rcpts.size(); ++i) {
      if (broken_) {
        rcpt_replies.push_back(lost("connection lost"));
        continue;
      }
      auto op3 = read_reply();
      rcpt_replies.push_back(co_await std::move(op3));
    }
  } else {
    mail.resize(mail.size() - 2);
    auto op = command(mail);
    mail_reply = co_await std::move(op);
    if (mail_reply.code == 250) {
      for (auto& r : rcpts) {
        r.resize(r.size() - 2);
        auto op2 = command(r);
        rcpt_replies.push_back(co_await std::move(op2));
        if (broken_) break;
      }
    }
  }
  if (mail_reply.code != 250) {
    all(mail_reply);
    if (!broken_ && mail_reply.code != 421) {
      auto op = reset();
      result.connection_usable = co_await std::move(op);
    }
    co_return result;
  }
  std::vector<size_t> accepted;
  for (size_t i = 0; i < e.recipients.size(); ++i) {
    SmtpReply r = i < rcpt_replies.size() ? rcpt_replies[i] : lost("connection lost");
    result.recipients.push_back(RecipientOutcome{e.recipients[i].address, r});
    if (r.code == 250 || r.code == 251) accepted.push_back(i);
  }
  if (accepted.empty()) {
    if (!broken_) {
      auto op = reset();
      result.connection_usable = co_await std::move(op);
    }
    co_return result;
  }

  SmtpReply final_reply;
  if (ext_.chunking) {
    // RFC 3030 2: the whole message as one last chunk, no dot-stuffing.
    std::string bdat = "BDAT " + std::to_string(payload.size()) + " LAST\r\n";
    transport_->set_deadline(options_.data_timeout);
    auto op = transport_->write(bdat);
    bool ok = co_await std::move(op);
    if (ok) {
      auto op2 = transport_->write(payload);
      ok = co_await std::move(op2);
    }
    if (!ok) {
      broken_ = true;
      final_reply = lost("connection lost while sending the message");
    } else {
      auto op3 = read_reply();
      final_reply = co_await std::move(op3);
    }
  } else {
    auto op = command("DATA");
    SmtpReply data_reply = co_await std::move(op);
    if (data_reply.code != 354) {
      final_reply = data_reply;
    } else {
      transport_->set_deadline(options_.data_timeout);
      auto op2 = transport_->write(payload);
      if (!(co_await std::move(op2))) {
        broken_ = true;
        final_reply = lost("connection lost while sending the message");
      } else {
        auto op3 = read_reply();
        final_reply = co_await std::move(op3);
      }
    }
  }
  for (size_t i : accepted) result.recipients[i].reply = final_reply;
  result.connection_usable = !broken_ && final_reply.code != 421;
  co_return result;
}

asio::awaitable<bool> SmtpClient::reset() {
  if (broken_) co_return false;
  transport_->set_deadline(options_.command_timeout);
  auto op = command("RSET");
  SmtpReply r = co_await std::move(op);
  co_return r.code == 250;
}

asio::awaitable<void> SmtpClient::quit() {
  if (!broken_) {
    transport_->set_deadline(std::chrono::seconds(10));
    auto op = command("QUIT");
    co_await std::move(op);
  }
  transport_->close();
}

}  // namespace taube::outbound
