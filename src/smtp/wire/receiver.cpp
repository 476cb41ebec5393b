#include "smtp/wire/receiver.hpp"

#include <algorithm>
#include <cstring>

#include "base/ascii.hpp"

namespace taube::smtp::wire {

void CommandReceiver::reset() {
  buffer_.clear();
  buffer_.shrink_to_fit();
  discarding_ = false;
}

std::size_t CommandReceiver::line_limit(std::string_view prefix, bool raw) const {
  if (raw || ascii::istarts_with(prefix, "AUTH "))
    return std::max(limits_.max_auth_line_bytes, limits_.max_command_line_bytes);
  return limits_.max_command_line_bytes;
}

// The first octets of the pending line (enough to recognise "AUTH ").
std::string CommandReceiver::head(std::string_view input) const {
  std::string h = buffer_.substr(0, 8);
  h.append(input.substr(0, 8 - h.size()));
  return h;
}

CommandReceiver::Framed CommandReceiver::frame(std::string_view input, bool raw) {
  Framed f;
  if (discarding_) {
    const std::size_t lf = input.find('\n');
    if (lf == std::string_view::npos) {
      f.consumed = input.size();
      return f;
    }
    discarding_ = false;
    f.consumed = lf + 1;
    input.remove_prefix(lf + 1);
  }

  const std::size_t lf = input.find('\n');
  if (lf == std::string_view::npos) {
    // RFC 5321 4.5.3.1.4: the limit counts the CRLF, so a line without its
    // LF may hold at most limit - 1 octets.
    const std::size_t total = buffer_.size() + input.size();
    if (total >= limits_.max_command_line_bytes && total >= line_limit(head(input), raw)) {
      buffer_.clear();
      discarding_ = true;
      f.consumed += input.size();
      f.kind = Framed::kInvalid;
      f.reply = make_reply(500, "5.5.2", "Line too long");
      return f;
    }
    buffer_.append(input);
    f.consumed += input.size();
    return f;
  }

  f.consumed += lf + 1;
  std::string_view line;
  if (buffer_.empty()) {
    line = input.substr(0, lf);
  } else {
    buffer_.append(input.substr(0, lf));
    line = buffer_;
  }
  // Consumed the line; whatever the outcome the buffer is free for the next.
  auto finish = [&](Framed& out) -> Framed& {
    if (out.kind != Framed::kLine) buffer_.clear();
    return out;
  };
  if (line.size() + 1 > line_limit(line, raw)) {
    f.kind = Framed::kInvalid;
    f.reply = make_reply(500, "5.5.2", "Line too long");
    return finish(f);
  }
  if (!line.empty() && line.back() == '\r') {
    line.remove_suffix(1);
  } else {
    f.bare_lf = true;
    if (!limits_.accept_bare_lf_in_commands) {
      f.kind = Framed::kInvalid;
      f.reply = make_reply(500, "5.5.2", "Bare LF in command; use CRLF");
      return finish(f);
    }
  }
  if (line.find('\r') != std::string_view::npos) {
    f.kind = Framed::kInvalid;
    f.reply = make_reply(500, "5.5.2", "Bare CR in command");
    return finish(f);
  }
  if (line.find('\0') != std::string_view::npos) {
    f.kind = Framed::kInvalid;
    f.reply = make_reply(500, "5.5.2", "NUL octet in command");
    return finish(f);
  }
  f.kind = Framed::kLine;
  f.line = line;
  return f;
}

ReceiveStep CommandReceiver::feed(std::string_view input, const ParseContext& context) {
  Framed f = frame(input, false);
  ReceiveStep step;
  step.consumed = f.consumed;
  step.has_unconsumed_input = f.consumed < input.size();
  switch (f.kind) {
    case Framed::kNeedMore:
      step.result = NeedMore{};
      break;
    case Framed::kInvalid:
      step.result = Invalid{std::move(f.reply)};
      break;
    case Framed::kLine: {
      ParsedCommand parsed = parse_command(f.line, context);
      buffer_.clear();
      if (auto* cmd = std::get_if<Command>(&parsed)) {
        cmd->tolerated.bare_lf = f.bare_lf;
        step.result = std::move(*cmd);
      } else {
        step.result = std::move(std::get<Invalid>(parsed));
      }
      break;
    }
  }
  return step;
}

LineStep CommandReceiver::feed_line(std::string_view input) {
  Framed f = frame(input, true);
  LineStep step;
  step.consumed = f.consumed;
  step.has_unconsumed_input = f.consumed < input.size();
  switch (f.kind) {
    case Framed::kNeedMore:
      step.result = NeedMore{};
      break;
    case Framed::kInvalid:
      step.result = Invalid{std::move(f.reply)};
      break;
    case Framed::kLine:
      step.result = std::string(f.line);
      buffer_.clear();
      break;
  }
  return step;
}

}  // namespace taube::smtp::wire
