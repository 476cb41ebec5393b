#include "outbound/queue_cli.hpp"

#include <cstdio>
#include <ctime>

namespace taube::outbound {

namespace {

std::string span(long long s) {
  bool neg = s < 0;
  if (neg) s = -s;
  char buf[32];
  if (s < 120) std::snprintf(buf, sizeof buf, "%llds", s);
  else if (s < 7200) std::snprintf(buf, sizeof buf, "%lldm", s / 60);
  else if (s < 172800) std::snprintf(buf, sizeof buf, "%lldh", s / 3600);
  else std::snprintf(buf, sizeof buf, "%lldd", s / 86400);
  return buf;
}

const char* state_name(store::RecipientState s) {
  switch (s) {
    case store::RecipientState::kPending: return "pending";
    case store::RecipientState::kDelivered: return "delivered";
    case store::RecipientState::kFailed: return "failed";
  }
  return "?";
}

std::string status(const store::QueueEntry& e, store::UnixTime now) {
  if (e.held) return "held";
  if (!e.lease_owner.empty() && e.lease_until > now) return "sending";
  if (e.next_attempt <= now) return "due";
  return "waiting";
}

std::string clip(const std::string& s, size_t n) { return s.size() <= n ? s : s.substr(0, n - 1) + "~"; }

}  // namespace

std::string format_time(store::UnixTime t, store::UnixTime now) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%SZ", &tm);
  long long d = (t - now).count();
  return std::string(buf) + (d >= 0 ? " (in " + span(d) + ")" : " (" + span(d) + " ago)");
}

std::string format_queue_list(const std::vector<store::QueueEntry>& entries, store::UnixTime now) {
  if (entries.empty()) return "queue is empty\n";
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line, "%-8s %-8s %-24s %-28s %6s %5s %-8s %s\n", "ID", "STATUS", "DOMAIN", "SENDER",
                "RCPTS", "TRIES", "NEXT", "LAST ERROR");
  out += line;
  for (auto& e : entries) {
    size_t pending = 0;
    for (auto& r : e.recipients) pending += r.state == store::RecipientState::kPending;
    std::string rcpts = std::to_string(pending) + "/" + std::to_string(e.recipients.size());
    long long next = (e.next_attempt - now).count();
    std::string next_text = next <= 0 ? "now" : span(next);
    std::snprintf(line, sizeof line, "%-8lld %-8s %-24s %-28s %6s %5u %-8s %s\n",
                  static_cast<long long>(e.id.value), status(e, now).c_str(), clip(e.domain, 24).c_str(),
                  clip(e.sender.empty() ? "<>" : e.sender, 28).c_str(), rcpts.c_str(), e.attempts,
                  next_text.c_str(), clip(e.last_error, 60).c_str());
    out += line;
  }
  out += std::to_string(entries.size()) + (entries.size() == 1 ? " entry\n" : " entries\n");
  return out;
}

std::string format_queue_entry(const store::QueueEntry& e, store::UnixTime now) {
  std::string out;
  auto field = [&](const char* name, const std::string& value) {
    out += name;
    out += std::string(14 - std::min<size_t>(14, std::string(name).size()), ' ');
    out += value + "\n";
  };
  field("id:", std::to_string(e.id.value));
  field("status:", status(e, now));
  field("domain:", e.domain);
  field("sender:", e.sender.empty() ? "<> (a bounce: never bounced)" : e.sender);
  if (!e.envid.empty()) field("envid:", e.envid);
  field("size:", std::to_string(e.size) + " bytes");
  field("message:", e.blob_hash);
  field("queued:", format_time(e.created_at, now));
  field("attempts:", std::to_string(e.attempts));
  field("next attempt:", format_time(e.next_attempt, now));
  if (!e.lease_owner.empty()) field("lease:", e.lease_owner + " until " + format_time(e.lease_until, now));
  field("delay notice:", e.delay_notified ? "sent" : "not sent");
  if (!e.last_error.empty()) field("last error:", e.last_error);
  out += "recipients:\n";
  for (auto& r : e.recipients) {
    out += "  " + r.rcpt.address + "  " + state_name(r.state);
    if (!r.last_reply.empty()) out += "  " + r.last_reply;
    out += "\n";
  }
  return out;
}

}  // namespace taube::outbound
