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
  awaitable<Result<void>> load_sent_dates();
  awaitable<Result<Bits>> from_uids(Result<std::vector<store::Uid>> uids);
  template <class F>
  Bits each(F&& f) {
    Bits b(n_, 0);
    for (std::size_t i = 0; i < n_; ++i)
      if (records_[i]) b[i] = f(*records_[i], i) ? 1 : 0;
    return b;
  }

  Context& ctx_;
  SelectedView& view_;
  std::size_t n_;
  std::vector<store::MessageRecord> storage_;
  std::vector<const store::MessageRecord*> records_;  // by seq - 1; null when expunged
  std::vector<std::optional<std::int64_t>> sent_;      // Date: header, Unix seconds
  bool records_loaded_ = false;
  bool sent_loaded_ = false;
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
  auto records = co_await ctx_.account->list_messages(view_.id(), 0);
  if (!records) co_return records.error();
  storage_ = std::move(*records);
  records_.assign(n_, nullptr);
  for (const auto& r : storage_)
    if (auto seq = view_.seq_of(r.uid)) records_[seq - 1] = &r;
  records_loaded_ = true;
  co_return Result<void>();
}

awaitable<Result<void>> Evaluator::load_sent_dates() {
  if (sent_loaded_) co_return Result<void>();
  sent_.assign(n_, std::nullopt);
  constexpr std::size_t kBatch = 1000;
  for (std::size_t start = 0; start < n_; start += kBatch) {
    std::vector<store::Uid> uids;
    for (std::size_t i = start; i < std::min(n_, start + kBatch); ++i) uids.push_back(view_.uid_at(std::uint32_t(i + 1)));
    auto metas = co_await ctx_.account->read_meta(view_.id(), to_uid_set(uids));
    if (!metas) co_return metas.error();
    for (const auto& [uid, meta] : *metas)
      if (auto seq = view_.seq_of(uid); seq && meta.sent_date) sent_[seq - 1] = unix_of(*meta.sent_date);
  }
  sent_loaded_ = true;
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
    case SearchKeyKind::kSentSince: {
      if (auto loaded = co_await load_sent_dates(); !loaded) co_return loaded.error();
      // RFC 9051 6.4.4 leaves a missing Date: open; like Dovecot, use the internal date.
      co_return each([&](const store::MessageRecord& r, std::size_t i) {
        return date_matches(key.kind, sent_[i].value_or(unix_of(r.internal_date)), key.date);
      });
    }
    default: break;
  }
  auto has = [](store::SystemFlag f) { return [f](const store::MessageRecord& r, std::size_t) { return r.flags.has(f); }; };
  auto lacks = [](store::SystemFlag f) { return [f](const store::MessageRecord& r, std::size_t) { return !r.flags.has(f); }; };
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
      co_return each([&](const store::MessageRecord& r, std::size_t) { return r.flags.has_keyword(key.text); });
    case SearchKeyKind::kUnkeyword:
      co_return each([&](const store::MessageRecord& r, std::size_t) { return !r.flags.has_keyword(key.text); });
    case SearchKeyKind::kBefore:
    case SearchKeyKind::kOn:
    case SearchKeyKind::kSince:
      co_return each([&](const store::MessageRecord& r, std::size_t) {
        return date_matches(key.kind, unix_of(r.internal_date), key.date);
      });
    case SearchKeyKind::kSavedBefore:
    case SearchKeyKind::kSavedOn:
    case SearchKeyKind::kSavedSince:
      co_return each([&](const store::MessageRecord& r, std::size_t) {
        return date_matches(key.kind, unix_of(r.save_date), key.date);
      });
    case SearchKeyKind::kLarger:
      co_return each([&](const store::MessageRecord& r, std::size_t) { return r.size > key.number; });
    case SearchKeyKind::kSmaller:
      co_return each([&](const store::MessageRecord& r, std::size_t) { return r.size < key.number; });
    case SearchKeyKind::kOlder:  // RFC 5032
      co_return each([&](const store::MessageRecord& r, std::size_t) {
        return now - unix_of(r.internal_date) >= static_cast<std::int64_t>(key.number);
      });
    case SearchKeyKind::kYounger:
      co_return each([&](const store::MessageRecord& r, std::size_t) {
        return now - unix_of(r.internal_date) <= static_cast<std::int64_t>(key.number);
      });
    case SearchKeyKind::kModSeq:
      used_modseq = true;
      co_return each([&](const store::MessageRecord& r, std::size_t) { return r.modseq >= key.number; });
    case SearchKeyKind::kEmailId:
      co_return each([&](const store::MessageRecord& r, std::size_t) { return r.email_id == key.text; });
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
      co_return each([&](const store::MessageRecord&, std::size_t i) { return in[i] != 0; });
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
