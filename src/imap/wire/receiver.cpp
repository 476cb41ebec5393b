#include "imap/wire/receiver.hpp"

#include <algorithm>
#include <optional>

#include "base/ascii.hpp"

namespace taube::imap::wire {
namespace {

constexpr std::size_t kTailBytes = 32;

struct LiteralMarker {
  std::size_t start = 0;  // offset of "{" or "~"
  std::uint64_t size = 0;
  bool synchronizing = true;
  bool binary = false;
};

// RFC 9051 9: literal = "{" number64 ["+"] "}" CRLF; RFC 3516: literal8 = "~{" ...
// The marker must end the line and start a token (follow SP or "(").
std::optional<LiteralMarker> find_literal_marker(std::string_view line) {
  if (line.empty() || line.back() != '}') return std::nullopt;
  std::size_t i = line.size() - 1;
  LiteralMarker m;
  if (i > 0 && line[i - 1] == '+') {
    m.synchronizing = false;
    --i;
  }
  const std::size_t digits_end = i;
  while (i > 0 && ascii::is_digit(line[i - 1])) --i;
  const std::size_t digits_begin = i;
  if (digits_begin == digits_end || i == 0 || line[i - 1] != '{') return std::nullopt;
  --i;
  if (i > 0 && line[i - 1] == '~') {
    m.binary = true;
    --i;
  }
  if (i == 0 || (line[i - 1] != ' ' && line[i - 1] != '(')) return std::nullopt;
  m.start = i;
  std::uint64_t v = 0;
  for (std::size_t k = digits_begin; k < digits_end; ++k) {
    const auto d = static_cast<std::uint64_t>(line[k] - '0');
    if (v > (UINT64_MAX - d) / 10) {
      v = UINT64_MAX;  // number64 overflow: certainly over every limit
      break;
    }
    v = v * 10 + d;
  }
  m.size = v;
  return m;
}

std::string_view first_word(std::string_view s) {
  const auto sp = s.find(' ');
  return sp == std::string_view::npos ? s : s.substr(0, sp);
}

void keep_tail(std::string& tail, std::string_view chunk) {
  tail.append(chunk);
  if (tail.size() > kTailBytes) tail.erase(0, tail.size() - kTailBytes);
}

}  // namespace

bool is_valid_tag(std::string_view tag, const Limits& limits) {
  if (tag.empty() || tag.size() > limits.max_tag_bytes) return false;
  return std::all_of(tag.begin(), tag.end(), [](char c) { return is_astring_char(c) && c != '+'; });
}

Invalid Receiver::refuse(Status status, std::string code, std::string text) {
  std::string tag = tag_;
  if (segments_.empty()) {
    const auto sp = line_.find(' ');
    tag = (sp != std::string::npos && is_valid_tag(std::string_view(line_).substr(0, sp), limits_))
              ? line_.substr(0, sp)
              : "*";
  }
  return Invalid{Reply{tag, status, std::move(code), std::move(text)}, false};
}

void Receiver::reset() {
  state_ = State::kLine;
  line_.clear();
  segments_.clear();
  literals_.clear();
  line_total_ = 0;
  literal_total_ = 0;
  remaining_ = 0;
  tag_.clear();
  name_.clear();
  tail_.clear();
}

void Receiver::start_discard() {
  reset();
  state_ = State::kDiscardLine;
}

ReceiveStep Receiver::feed(std::string_view in) {
  std::size_t pos = 0;
  while (pos < in.size()) {
    switch (state_) {
      case State::kLiteral: {
        const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, in.size() - pos));
        literals_.back().data.append(in.substr(pos, take));
        pos += take;
        remaining_ -= take;
        if (remaining_ == 0) state_ = State::kLine;
        break;
      }
      case State::kDiscardLiteral: {
        const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, in.size() - pos));
        pos += take;
        remaining_ -= take;
        if (remaining_ == 0) {
          state_ = State::kDiscardLine;
          tail_.clear();
        }
        break;
      }
      case State::kDiscardLine: {
        const auto lf = in.find('\n', pos);
        if (lf == std::string_view::npos) {
          keep_tail(tail_, in.substr(pos));
          pos = in.size();
          break;
        }
        keep_tail(tail_, in.substr(pos, lf - pos));
        pos = lf + 1;
        if (!tail_.empty() && tail_.back() == '\r') tail_.pop_back();
        const auto marker = find_literal_marker(tail_);
        // The discarded command goes on with a {n+} literal the client sends
        // regardless; a synchronising one it will not send without "+".
        if (marker && !marker->synchronizing) {
          if (marker->size > limits_.max_discarded_literal_bytes) {
            reset();
            return {pos, Invalid{Reply{"*", Status::kBye, "TOOBIG", "Literal too large to discard"}, true}};
          }
          tail_.clear();
          remaining_ = marker->size;
          state_ = marker->size ? State::kDiscardLiteral : State::kDiscardLine;
        } else {
          reset();
        }
        break;
      }
      case State::kLine: {
        const auto lf = in.find('\n', pos);
        const std::size_t end = lf == std::string_view::npos ? in.size() : lf;
        // Octets of this line so far; a CR ending it may be the CR of CRLF and
        // is not counted, so the verdict does not depend on how input is split.
        std::size_t count = line_.size() + (end - pos);
        const char last = end > pos ? in[end - 1] : (line_.empty() ? '\0' : line_.back());
        if (last == '\r') --count;
        if (line_total_ + count > limits_.max_line_bytes) {
          if (line_.size() <= limits_.max_line_bytes) {
            // Hold exactly max_line_bytes + 1 octets, whatever the split, so the
            // tag named in the reply (see refuse()) does not depend on it.
            const std::size_t n = std::min(limits_.max_line_bytes + 1 - line_.size(), end - pos);
            line_.append(in.substr(pos, n));
            pos += n;
          }
          Invalid inv = refuse(Status::kBad, "", "Command line too long");
          // Keep the last octets so that a {n+} ending this line is still seen.
          std::string keep = line_.size() > kTailBytes ? line_.substr(line_.size() - kTailBytes) : line_;
          start_discard();
          tail_ = std::move(keep);
          return {pos, std::move(inv)};
        }
        line_.append(in.substr(pos, end - pos));
        if (lf == std::string_view::npos) {
          pos = in.size();
          break;
        }
        pos = lf + 1;
        if (!line_.empty() && line_.back() == '\r') line_.pop_back();
        if (segments_.empty() && line_.empty()) break;  // empty line: ignored
        ReceiveStep step = finish_line(pos);
        if (!std::holds_alternative<NeedMore>(step.result)) return step;
        break;
      }
    }
  }
  return {pos, NeedMore{}};
}

ReceiveStep Receiver::finish_line(std::size_t consumed) {
  if (segments_.empty()) {
    const std::string_view line = line_;
    const auto tag = first_word(line);
    tag_ = is_valid_tag(tag, limits_) && tag.size() < line.size() ? std::string(tag) : "*";
    name_ = tag.size() < line.size() ? ascii::upper(first_word(line.substr(tag.size() + 1))) : "";
  }
  const auto marker = find_literal_marker(line_);
  if (!marker) {
    segments_.push_back(std::move(line_));
    line_.clear();
    RawCommand cmd;
    std::vector<Token> tokens;
    std::string error;
    const bool ok = lex_command(segments_, literals_, limits_, tokens, error);
    std::string tag = tag_;
    reset();
    if (tag == "*") return {consumed, Invalid{Reply{"*", Status::kBad, "", "Invalid tag"}, false}};
    if (!ok) return {consumed, Invalid{Reply{tag, Status::kBad, "", error}, false}};
    // The tag was checked up to its SP; a "[" in it would have made the lexer read on.
    if (tokens.empty() || tokens[0].kind != TokenKind::kAtom || tokens[0].text != tag)
      return {consumed, Invalid{Reply{"*", Status::kBad, "", "Invalid tag"}, false}};
    if (tokens.size() < 2 || tokens[1].kind != TokenKind::kAtom)
      return {consumed, Invalid{Reply{tag, Status::kBad, "", "Missing command"}, false}};
    cmd.tag = std::move(tokens[0].text);
    cmd.name = ascii::upper(tokens[1].text);
    cmd.args.assign(std::make_move_iterator(tokens.begin() + 2), std::make_move_iterator(tokens.end()));
    return {consumed, std::move(cmd)};
  }

  const bool is_append = name_ == "APPEND";
  const std::uint64_t limit = is_append ? limits_.max_literal_bytes : limits_.max_argument_literal_bytes;
  std::optional<Invalid> refusal;
  if (tag_ == "*") {
    refusal = Invalid{Reply{"*", Status::kBad, "", "Invalid tag"}, false};
  } else if (segments_.empty() && (name_.empty() || !std::all_of(name_.begin(), name_.end(), is_atom_char))) {
    refusal = refuse(Status::kBad, "", "Missing command");
  } else if (!marker->synchronizing && limits_.literal_minus_only && marker->size > kLiteralMinusMaxBytes) {
    refusal = refuse(Status::kBad, "TOOBIG", "Non-synchronizing literal over 4096 octets");  // RFC 7888 4
  } else if (marker->size > limit || marker->size > limits_.max_command_literal_bytes - literal_total_) {
    refusal = refuse(is_append ? Status::kNo : Status::kBad, "TOOBIG", "Literal too large");
  } else if (segments_.size() + 1 >= limits_.max_tokens) {
    refusal = refuse(Status::kBad, "LIMIT", "Too many literals");
  }
  if (refusal) {
    const bool sync = marker->synchronizing;
    const std::uint64_t size = marker->size;
    reset();
    if (!sync) {
      if (size > limits_.max_discarded_literal_bytes) {
        refusal->close_connection = true;
      } else if (size > 0) {
        state_ = State::kDiscardLiteral;
        remaining_ = size;
      } else {
        state_ = State::kDiscardLine;
      }
    }
    return {consumed, std::move(*refusal)};
  }

  line_total_ += line_.size();
  line_.resize(marker->start);
  segments_.push_back(std::move(line_));
  line_.clear();
  literals_.push_back(LexedLiteral{std::string(), marker->binary});
  literals_.back().data.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(marker->size, 64 * 1024)));
  literal_total_ += marker->size;
  remaining_ = marker->size;
  state_ = marker->size ? State::kLiteral : State::kLine;
  return {consumed, NeedLiteral{marker->size, marker->synchronizing, marker->binary}};
}

LineStep Receiver::feed_line(std::string_view in) {
  std::size_t pos = 0;
  while (pos < in.size()) {
    const auto lf = in.find('\n', pos);
    const std::size_t end = lf == std::string_view::npos ? in.size() : lf;
    if (state_ == State::kDiscardLine) {
      pos = end == in.size() ? end : end + 1;
      if (lf != std::string_view::npos) reset();
      continue;
    }
    std::size_t count = line_.size() + (end - pos);
    const char last = end > pos ? in[end - 1] : (line_.empty() ? '\0' : line_.back());
    if (last == '\r') --count;
    if (count > limits_.max_line_bytes) {
      reset();
      state_ = State::kDiscardLine;
      return {pos, Invalid{Reply{"*", Status::kBad, "", "Line too long"}, false}};
    }
    line_.append(in.substr(pos, end - pos));
    if (lf == std::string_view::npos) return {in.size(), NeedMore{}};
    pos = lf + 1;
    if (!line_.empty() && line_.back() == '\r') line_.pop_back();
    std::string line = std::move(line_);
    reset();
    if (line.find('\0') != std::string::npos || line.find('\r') != std::string::npos)
      return {pos, Invalid{Reply{"*", Status::kBad, "", "Invalid characters in line"}, false}};
    return {pos, std::move(line)};
  }
  return {pos, NeedMore{}};
}

}  // namespace taube::imap::wire
