#include "imap/server/search_eval.hpp"

#include <algorithm>
#include <chrono>

#include "imap/server/support.hpp"

namespace taube::imap::server {

using boost::asio::awaitable;
using wire::SearchKeyKind;

namespace {

using Bits = std::vector<char>;

class Evaluator {
 public:
  explicit Evaluator(Context& ctx) : ctx_(ctx), view_(*ctx.selected), n_(view_.exists()) {}

  awaitable<Result<Bits>> eval(const wire::SearchKey& key);
  bool used_modseq = false;
  store::ModSeq modseq_at(std::size_t i) const { return records_loaded_ && records_[i] ? records_[i]->modseq : 0; }

 private:
  awaitable<Result<void>> load_records();
  awaitable<Result<void>> load_email_ids();
  awaitable<Result<Bits>> from_uids(Result<std::vector<store::Uid>> uids);
  template <class F>
  Bits each(F&& f) {
    Bits b(n_, 0);
    for (std::size_t i = 0; i < n_; ++i)
      if (records_[i]) b[i] = f(*records_[i], i) ? 1 : 0;
    return b;
  }
  const store::Flags& flags(const CachedMessage& m) const { return cache_->flag_set(m).flags; }

  Context& ctx_;
  SelectedView& view_;
  std::size_t n_;
  // From the session's message cache, which no step of the search refreshes.
  const MessageCache* cache_ = nullptr;
  std::vector<const CachedMessage*> records_;  // by seq - 1; null when expunged
  std::vector<std::string> email_ids_;          // by seq - 1 (SEARCH EMAILID only)
  bool records_loaded_ = false;
  bool email_ids_loaded_ = false;
};

std::int64_t day_of(std::int64_t unix_seconds) {
  return unix_seconds >= 0 ? unix_seconds / 86400 : -((-unix_seconds + 86399) / 86400);
}
std::int64_t unix_of(store::UnixTime t) { return t.time_since_epoch().count(); }

bool date_matches(SearchKeyKind kind, std::int64_t unix_seconds, const wire::Date& date) {
  const std::int64_t day = day_of(unix_seconds);
  const std::int64_t wanted = wire::days_from_civil(date);
  switch (kind) {
    case SearchKeyKind::kBefore:
    case SearchKeyKind::kSentBefore:
    case SearchKeyKind::kSavedBefore: return day < wanted;
    case SearchKeyKind::kOn:
    case SearchKeyKind::kSentOn:
    case SearchKeyKind::kSavedOn: return day == wanted;
    default: return day >= wanted;
  }
}

std::string_view header_field(SearchKeyKind kind) {
  switch (kind) {
    case SearchKeyKind::kBcc: return "Bcc";
    case SearchKeyKind::kCc: return "Cc";
    case SearchKeyKind::kFrom: return "From";
    case SearchKeyKind::kTo: return "To";
    default: return "Subject";
  }
}

}  // namespace

awaitable<Result<void>> Evaluator::load_records() {
  if (records_loaded_) co_return Result<void>();
  auto cache = co_await refresh_cache(ctx_);
  if (!cache) co_return cache.error();
  cache_ = *cache;
  records_.assign(n_, nullptr);
  // Both ordered by UID: one merge.
  const auto& messages = cache_->messages();
  std::size_t j = 0;
  for (std::size_t i = 0; i < n_ && j < messages.size(); ++i) {
    const store::Uid uid = view_.uid_at(std::uint32_t(i + 1));
    while (j < messages.size() && messages[j].uid < uid) ++j;
    if (j < messages.size() && messages[j].uid == uid) records_[i] = &messages[j];
  }
  records_loaded_ = true;
  co_return Result<void>();
}

awaitable<Result<void>> Evaluator::load_email_ids() {
  if (email_ids_loaded_) co_return Result<void>();
  auto records = co_await ctx_.account->list_messages(view_.id(), 0);
  if (!records) co_return records.error();
  email_ids_.assign(n_, std::string());
  for (auto& r : *records)
    if (auto seq = view_.seq_of(r.uid)) email_ids_[seq - 1] = std::move(r.email_id);
  email_ids_loaded_ = true;
  co_return Result<void>();
}

awaitable<Result<Bits>> Evaluator::from_uids(Result<std::vector<store::Uid>> uids) {
  if (!uids) co_return uids.error();
  Bits b(n_, 0);
  for (store::Uid uid : *uids)
    if (auto seq = view_.seq_of(uid)) b[seq - 1] = 1;
  co_return b;
}

awaitable<Result<Bits>> Evaluator::eval(const wire::SearchKey& key) {
  switch (key.kind) {
    case SearchKeyKind::kAnd:
    case SearchKeyKind::kOr: {
      const bool is_and = key.kind == SearchKeyKind::kAnd;
      Bits acc(n_, is_and ? 1 : 0);
      for (const auto& child : key.children) {
        auto bits = co_await eval(child);
        if (!bits) co_return bits.error();
        for (std::size_t i = 0; i < n_; ++i) acc[i] = is_and ? (acc[i] && (*bits)[i]) : (acc[i] || (*bits)[i]);
      }
      co_return acc;
    }
    case SearchKeyKind::kNot: {
      auto bits = co_await eval(key.children.at(0));
      if (!bits) co_return bits.error();
      if (auto loaded = co_await load_records(); !loaded) co_return loaded.error();
      for (std::size_t i = 0; i < n_; ++i) (*bits)[i] = records_[i] && !(*bits)[i];
      co_return std::move(*bits);
    }
    case SearchKeyKind::kBcc:
    case SearchKeyKind::kCc:
    case SearchKeyKind::kFrom:
    case SearchKeyKind::kTo:
    case SearchKeyKind::kSubject: {
      std::string field(header_field(key.kind));
      auto uids = co_await ctx_.account->header_search(view_.id(), std::move(field), key.text);
      co_return co_await from_uids(std::move(uids));
    }
    case SearchKeyKind::kHeader: {
      auto uids = co_await ctx_.account->header_search(view_.id(), key.field, key.text);
      co_return co_await from_uids(std::move(uids));
    }
    case SearchKeyKind::kBody:
    case SearchKeyKind::kText: {
      if (key.text.empty()) break;  // every message contains the empty string
      auto uids = co_await ctx_.account->search_text(view_.id(), key.text);
      co_return co_await from_uids(std::move(uids));
    }
    default: break;
  }
  if (auto loaded = co_await load_records(); !loaded) co_return loaded.error();
  const auto now = unix_of(std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now()));
  switch (key.kind) {
    case SearchKeyKind::kSentBefore:
    case SearchKeyKind::kSentOn:
    case SearchKeyKind::kSentSince:
      // RFC 9051 6.4.4 leaves a missing Date: open; like Dovecot, use the internal date.
      co_return each([&](const CachedMessage& r, std::size_t) { return date_matches(key.kind, r.sent_date, key.date); });
    default: break;
  }
  auto has = [this](store::SystemFlag f) {
    return [this, f](const CachedMessage& r, std::size_t) { return flags(r).has(f); };
  };
  auto lacks = [this](store::SystemFlag f) {
    return [this, f](const CachedMessage& r, std::size_t) { return !flags(r).has(f); };
  };
  switch (key.kind) {
    case SearchKeyKind::kAll:
    case SearchKeyKind::kOld:
    case SearchKeyKind::kSaveDateSupported:
    case SearchKeyKind::kBody:
    case SearchKeyKind::kText: co_return each([](const auto&, std::size_t) { return true; });
    case SearchKeyKind::kNew:
    case SearchKeyKind::kRecent:
    case SearchKeyKind::kThreadId: co_return Bits(n_, 0);  // no \Recent in this server
    case SearchKeyKind::kAnswered: co_return each(has(store::kAnswered));
    case SearchKeyKind::kDeleted: co_return each(has(store::kDeleted));
    case SearchKeyKind::kDraft: co_return each(has(store::kDraft));
    case SearchKeyKind::kFlagged: co_return each(has(store::kFlagged));
    case SearchKeyKind::kSeen: co_return each(has(store::kSeen));
    case SearchKeyKind::kUnanswered: co_return each(lacks(store::kAnswered));
    case SearchKeyKind::kUndeleted: co_return each(lacks(store::kDeleted));
    case SearchKeyKind::kUndraft: co_return each(lacks(store::kDraft));
    case SearchKeyKind::kUnflagged: co_return each(lacks(store::kFlagged));
    case SearchKeyKind::kUnseen: co_return each(lacks(store::kSeen));
    case SearchKeyKind::kKeyword:
      co_return each([&](const CachedMessage& r, std::size_t) { return flags(r).has_keyword(key.text); });
    case SearchKeyKind::kUnkeyword:
      co_return each([&](const CachedMessage& r, std::size_t) { return !flags(r).has_keyword(key.text); });
    case SearchKeyKind::kBefore:
    case SearchKeyKind::kOn:
    case SearchKeyKind::kSince:
      co_return each([&](const CachedMessage& r, std::size_t) {
        return date_matches(key.kind, r.internal_date, key.date);
      });
    case SearchKeyKind::kSavedBefore:
    case SearchKeyKind::kSavedOn:
    case SearchKeyKind::kSavedSince:
      co_return each([&](const CachedMessage& r, std::size_t) {
        return date_matches(key.kind, r.save_date, key.date);
      });
    case SearchKeyKind::kLarger:
      co_return each([&](const CachedMessage& r, std::size_t) { return r.size > key.number; });
    case SearchKeyKind::kSmaller:
      co_return each([&](const CachedMessage& r, std::size_t) { return r.size < key.number; });
    case SearchKeyKind::kOlder:  // RFC 5032
      co_return each([&](const CachedMessage& r, std::size_t) {
        return now - r.internal_date >= static_cast<std::int64_t>(key.number);
      });
    case SearchKeyKind::kYounger:
      co_return each([&](const CachedMessage& r, std::size_t) {
        return now - r.internal_date <= static_cast<std::int64_t>(key.number);
      });
    case SearchKeyKind::kModSeq:
      used_modseq = true;
      co_return each([&](const CachedMessage& r, std::size_t) { return r.modseq >= key.number; });
    case SearchKeyKind::kEmailId: {
      if (auto loaded = co_await load_email_ids(); !loaded) co_return loaded.error();
      co_return each([&](const CachedMessage&, std::size_t i) { return email_ids_[i] == key.text; });
    }
    case SearchKeyKind::kSequenceSet:
    case SearchKeyKind::kUid: {
      std::vector<char> in(n_, 0);
      if (key.set.saved) {
        for (store::Uid uid : ctx_.saved_search)
          if (auto seq = view_.seq_of(uid)) in[seq - 1] = 1;
      } else {
        for (std::size_t i = 0; i < n_; ++i) {
          in[i] = key.kind == SearchKeyKind::kUid ? key.set.contains(view_.uid_at(std::uint32_t(i + 1)), view_.last_uid())
                                                  : key.set.contains(std::uint32_t(i + 1), std::uint32_t(n_));
        }
      }
      co_return each([&](const CachedMessage&, std::size_t i) { return in[i] != 0; });
    }
    default: break;
  }
  co_return Bits(n_, 0);
}

awaitable<Result<SearchResult>> evaluate_search(Context& ctx, const wire::SearchKey& key) {
  Evaluator evaluator(ctx);
  auto bits = co_await evaluator.eval(key);
  if (!bits) co_return bits.error();
  SearchResult result;
  result.used_modseq = evaluator.used_modseq;
  for (std::size_t i = 0; i < bits->size(); ++i)
    if ((*bits)[i]) result.matches.emplace_back(std::uint32_t(i + 1), ctx.selected->uid_at(std::uint32_t(i + 1)));
  if (result.used_modseq) {
    for (const auto& [seq, uid] : result.matches)
      result.highest_modseq = std::max(result.highest_modseq, evaluator.modseq_at(seq - 1));
  }
  co_return result;
}

}  // namespace taube::imap::server
