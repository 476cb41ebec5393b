// The SQLite engine's threads and the asynchronous facade over ops::*. The only
// translation unit of the engine that includes Asio.
#include "store/sqlite/sqlite_store.hpp"

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <type_traits>

#include "store/change_hub.hpp"
#include "store/content.hpp"
#include "store/sqlite/db.hpp"
#include "store/sqlite/fault_vfs.hpp"
#include "store/sqlite/ops.hpp"
#include "store/sqlite/schema.hpp"

namespace taube::store::sqlite {
namespace {

namespace asio = boost::asio;
using ops::Changes;

// A queued operation. run() executes it on an engine thread (never throws);
// complete() hands the result to the caller's executor and is called once.
class Job {
 public:
  virtual ~Job() = default;
  virtual bool run(Db& db, Changes& changes) = 0;
  virtual void fail(const Error& e) = 0;
  virtual void complete() = 0;
};

template <class R, class F, class Handler>
class JobImpl final : public Job {
 public:
  JobImpl(F fn, Handler handler)
      : fn_(std::move(fn)),
        handler_(std::move(handler)),
        // Keeps the caller's io_context from running out of work while we hold
        // its continuation.
        work_(asio::prefer(asio::get_associated_executor(handler_),
                           asio::execution::outstanding_work.tracked)) {}

  bool run(Db& db, Changes& changes) override {
    try {
      result_.emplace(fn_(db, changes));
    } catch (const DbError& e) {
      result_.emplace(boost::system::in_place_error, e.to_error());
    } catch (const std::exception& e) {
      result_.emplace(boost::system::in_place_error, Error{ErrorCode::kInternal, e.what()});
    }
    return result_->has_value();
  }

  void fail(const Error& e) override { result_.emplace(boost::system::in_place_error, e); }

  void complete() override {
    if (!result_)
      result_.emplace(boost::system::in_place_error, Error{ErrorCode::kInternal, "not run"});
    asio::post(work_, [h = std::move(handler_), r = std::move(*result_)]() mutable {
      std::move(h)(std::move(r));
    });
  }

 private:
  using Executor =
      std::decay_t<decltype(asio::prefer(asio::get_associated_executor(std::declval<Handler&>()),
                                         asio::execution::outstanding_work.tracked))>;
  F fn_;
  Handler handler_;
  Executor work_;
  std::optional<R> result_;
};

class Engine {
 public:
  explicit Engine(SqliteOptions options) : options_(std::move(options)) {
    if (options_.max_batch_jobs == 0) options_.max_batch_jobs = 1;
    if (options_.on_sync) vfs_ = std::make_unique<FaultVfs>(options_.on_sync);
    writer_db_ = open_db(true);
    migrate(*writer_db_, options_.schema_version);
    for (int i = 0; i < std::max(1, options_.reader_threads); ++i)
      reader_dbs_.push_back(open_db(false));
    writer_ = std::thread([this] { writer_loop(); });
    for (auto& db : reader_dbs_) readers_.emplace_back([this, d = db.get()] { reader_loop(*d); });
  }

  ~Engine() {
    {
      std::scoped_lock lock(write_mu_, read_mu_);
      stopping_ = true;
    }
    write_cv_.notify_all();
    read_cv_.notify_all();
    writer_.join();
    for (auto& t : readers_) t.join();
    reader_dbs_.clear();
    writer_db_.reset();
  }

  template <class F>
  auto write(F fn) {
    using R = std::invoke_result_t<F&, Db&, Changes&>;
    return asio::async_initiate<decltype(asio::use_awaitable), void(R)>(
        [this](auto handler, F f) {
          auto job =
              std::make_unique<JobImpl<R, F, decltype(handler)>>(std::move(f), std::move(handler));
          begin_job();
          {
            std::lock_guard lock(write_mu_);
            write_queue_.push_back(std::move(job));
          }
          write_cv_.notify_one();
        },
        asio::use_awaitable, std::move(fn));
  }

  template <class F>
  auto read(F fn) {
    using R = std::invoke_result_t<F&, Db&, Changes&>;
    return asio::async_initiate<decltype(asio::use_awaitable), void(R)>(
        [this](auto handler, F f) {
          auto job =
              std::make_unique<JobImpl<R, F, decltype(handler)>>(std::move(f), std::move(handler));
          begin_job();
          {
            std::lock_guard lock(read_mu_);
            read_queue_.push_back(std::move(job));
          }
          read_cv_.notify_one();
        },
        asio::use_awaitable, std::move(fn));
  }

  ChangeHub& hub() { return hub_; }
  const SqliteOptions& options() const { return options_; }

  // Waits until every queued job has run and posted its completion.
  void drain() {
    std::unique_lock lock(pending_mu_);
    pending_cv_.wait(lock, [&] { return pending_ == 0; });
  }

 private:
  void begin_job() {
    std::lock_guard lock(pending_mu_);
    ++pending_;
  }
  // After a job's complete(): its result is in the caller's executor's hands.
  void end_jobs(std::size_t n) {
    std::lock_guard lock(pending_mu_);
    pending_ -= n;
    if (pending_ == 0) pending_cv_.notify_all();
  }

  std::unique_ptr<Db> open_db(bool create) {
    return Db::open(options_.path.string(), vfs_ ? vfs_->name() : nullptr, create, !create);
  }

  void writer_loop() {
    for (;;) {
      std::vector<std::unique_ptr<Job>> batch;
      {
        std::unique_lock lock(write_mu_);
        write_cv_.wait(lock, [&] { return stopping_ || !write_queue_.empty(); });
        if (write_queue_.empty()) return;  // stopping, and everything queued is done
        while (!write_queue_.empty() && batch.size() < options_.max_batch_jobs) {
          batch.push_back(std::move(write_queue_.front()));
          write_queue_.pop_front();
        }
      }
      run_batch(batch);
    }
  }

  // Group commit: every job of the batch runs in its own SAVEPOINT of one
  // transaction; callers learn their result only after COMMIT (and so the fsync
  // of synchronous=FULL) returned. A failed COMMIT fails every job of the batch.
  void run_batch(std::vector<std::unique_ptr<Job>>& batch) {
    Changes changes;
    std::optional<Error> batch_error;
    try {
      if (!writer_db_) writer_db_ = open_db(true);
      Db& db = *writer_db_;
      if (after_failed_commit_) overwrite_failed_frames(db);
      db.exec("BEGIN IMMEDIATE");
      try {
        for (auto& job : batch) {
          db.exec("SAVEPOINT job");
          size_t mark = changes.size();
          if (job->run(db, changes)) {
            db.exec("RELEASE job");
          } else {
            db.exec("ROLLBACK TO job");
            db.exec("RELEASE job");
            changes.resize(mark);
          }
        }
        db.exec("COMMIT");
      } catch (const DbError&) {
        try {
          db.exec("ROLLBACK");
        } catch (const DbError&) {
          // Already rolled back by SQLite after the failed COMMIT.
        }
        throw;
      }
    } catch (const DbError& e) {
      batch_error = Error{ErrorCode::kUnavailable, std::string("commit failed: ") + e.what()};
      // A connection that saw a failed fsync is not trusted: reopen it, and
      // neutralise the failed frames before any caller hears of the failure.
      writer_db_.reset();
      after_failed_commit_ = true;
      neutralise_failed_commit();
    }
    if (batch_error) {
      for (auto& job : batch) job->fail(*batch_error);
      changes.clear();
    }
    hub_.publish(changes);
    for (auto& job : batch) job->complete();
    end_jobs(batch.size());
  }

  // After a failed COMMIT the transaction's frames may still sit, with valid
  // checksums, past the end of the WAL that readers see; crash recovery would
  // replay them and a message whose delivery failed would appear (and arrive
  // twice after the sender retries). One small commit overwrites the first of
  // those frames and so breaks their checksum chain (see the test
  // FailedCommitDoesNotReappearAfterCrashRecovery). Throws DbError.
  void overwrite_failed_frames(Db& db) {
    db.exec("BEGIN IMMEDIATE");
    try {
      // It must really change a page: SQLite skips writing identical content.
      db.exec(
          "INSERT INTO meta(key, value) VALUES ('failed_commits', 1) "
          "ON CONFLICT(key) DO UPDATE SET value = value + 1; COMMIT");
    } catch (const DbError&) {
      try {
        db.exec("ROLLBACK");
      } catch (const DbError&) {
        // Rolled back by SQLite already.
      }
      throw;
    }
    after_failed_commit_ = false;
  }

  void neutralise_failed_commit() {
    try {
      writer_db_ = open_db(true);
      overwrite_failed_frames(*writer_db_);
    } catch (const DbError&) {
      writer_db_.reset();  // still failing: retried before the next batch
    }
  }

  void reader_loop(Db& db) {
    for (;;) {
      std::unique_ptr<Job> job;
      {
        std::unique_lock lock(read_mu_);
        read_cv_.wait(lock, [&] { return stopping_ || !read_queue_.empty(); });
        if (read_queue_.empty()) return;
        job = std::move(read_queue_.front());
        read_queue_.pop_front();
      }
      Changes unused;
      try {
        db.exec("BEGIN");  // one snapshot for all statements of the job
        job->run(db, unused);
        db.exec("COMMIT");
      } catch (const DbError& e) {
        job->fail(e.to_error());
        try {
          db.exec("ROLLBACK");
        } catch (const DbError&) {
          // No transaction was open.
        }
      }
      job->complete();
      end_jobs(1);
    }
  }

  SqliteOptions options_;
  std::unique_ptr<FaultVfs> vfs_;
  ChangeHub hub_;
  std::unique_ptr<Db> writer_db_;
  bool after_failed_commit_ = false;  // writer thread only
  std::vector<std::unique_ptr<Db>> reader_dbs_;

  std::mutex write_mu_;
  std::condition_variable write_cv_;
  std::deque<std::unique_ptr<Job>> write_queue_;
  std::mutex read_mu_;
  std::condition_variable read_cv_;
  std::deque<std::unique_ptr<Job>> read_queue_;
  bool stopping_ = false;
  std::mutex pending_mu_;
  std::condition_variable pending_cv_;
  std::size_t pending_ = 0;  // queued or running jobs, see drain()

  std::thread writer_;
  std::vector<std::thread> readers_;
};

// Hashing and compression happen on the caller's thread so that the single
// writer thread only runs SQL.
Result<ops::PreparedBlob> prepare_blob(const std::string& raw, std::size_t max_bytes) {
  if (raw.size() > max_bytes) return fail(ErrorCode::kTooLarge, "message too large");
  auto frame = compress(raw);
  if (!frame) return frame.error();
  return ops::PreparedBlob{sha256_hex(raw), std::move(*frame), raw.size()};
}

Async<std::vector<Result<Delivered>>> deliver_on(Engine& engine, Delivery d) {
  auto blob = prepare_blob(d.raw, engine.options().max_message_bytes);
  if (!blob) co_return blob.error();
  d.raw = std::string();
  // GCC 12 miscompiles non-trivial temporaries inside a co_await expression
  // (bitwise copies): build the operation in its own statement.
  auto op = engine.write([d = std::move(d), b = std::move(*blob)](Db& db, Changes& ch) {
    return ops::deliver(db, ch, d, b);
  });
  co_return co_await std::move(op);
}

class SqliteBlobStore final : public BlobStore {
 public:
  explicit SqliteBlobStore(Engine& engine) : engine_(engine) {}

  Async<std::string> put(std::string raw) override {
    auto blob = prepare_blob(raw, engine_.options().max_message_bytes);
    if (!blob) co_return blob.error();
    auto op =
        engine_.write([b = std::move(*blob)](Db& db, Changes&) { return ops::put_blob(db, b); });
    co_return co_await std::move(op);
  }
  Async<std::string> get(std::string hash) override {
    auto max = engine_.options().max_message_bytes;
    return engine_.read([hash, max](Db& db, Changes&) -> Result<std::string> {
      auto frame = ops::get_blob_frame(db, hash);
      if (!frame) return frame.error();
      return decompress(*frame, max);
    });
  }
  Async<void> erase(std::string hash) override {
    return engine_.write([hash](Db& db, Changes&) { return ops::erase_blob(db, hash); });
  }
  Async<std::uint64_t> count() override {
    return engine_.read([](Db& db, Changes&) { return ops::count_blobs(db); });
  }

 private:
  Engine& engine_;
};

class SqliteQueueStore final : public QueueStore {
 public:
  explicit SqliteQueueStore(Engine& engine) : e_(engine) {}

  Async<std::vector<QueueEntryId>> enqueue(std::string raw, Outbound outbound) override {
    auto blob = prepare_blob(raw, e_.options().max_message_bytes);
    if (!blob) co_return blob.error();
    auto op = e_.write([o = std::move(outbound), b = std::move(*blob)](Db& db, Changes&) {
      return ops::enqueue(db, o, b);
    });
    co_return co_await std::move(op);
  }
  Async<std::vector<QueueEntry>> claim(std::string node, std::size_t max,
                                       std::chrono::seconds lease) override {
    return e_.write(
        [node, max, lease](Db& db, Changes&) { return ops::claim(db, node, max, lease); });
  }
  Async<void> renew(QueueEntryId id, std::string node, std::chrono::seconds lease) override {
    return e_.write(
        [id, node, lease](Db& db, Changes&) { return ops::renew(db, id, node, lease); });
  }
  Async<std::string> read_message(QueueEntryId id) override {
    auto max = e_.options().max_message_bytes;
    return e_.read([id, max](Db& db, Changes&) -> Result<std::string> {
      auto frame = ops::read_queue_frame(db, id);
      if (!frame) return frame.error();
      return decompress(*frame, max);
    });
  }
  Async<void> record_attempt(QueueEntryId id, std::string node, AttemptResult r) override {
    return e_.write([id, node, r = std::move(r)](Db& db, Changes&) {
      return ops::record_attempt(db, id, node, r);
    });
  }
  Async<std::vector<QueueEntry>> list() override {
    return e_.read([](Db& db, Changes&) { return ops::list_queue(db); });
  }
  Async<QueueEntry> get(QueueEntryId id) override {
    return e_.read([id](Db& db, Changes&) { return ops::get_queue_entry(db, id); });
  }
  Async<void> hold(QueueEntryId id, bool held) override {
    return e_.write([id, held](Db& db, Changes&) { return ops::hold_queue_entry(db, id, held); });
  }
  Async<void> retry_now(QueueEntryId id) override {
    return e_.write([id](Db& db, Changes&) { return ops::retry_queue_entry(db, id); });
  }
  Async<void> remove(QueueEntryId id) override {
    return e_.write([id](Db& db, Changes&) { return ops::remove_queue_entry(db, id); });
  }
  Async<std::uint64_t> depth() override {
    return e_.read([](Db& db, Changes&) { return ops::queue_depth(db); });
  }

 private:
  Engine& e_;
};

// Calendars and address books: the etag is hashed on the caller's thread; the
// access checks and preconditions run in the writer's transaction.
class SqliteDavStore final : public DavStore {
 public:
  explicit SqliteDavStore(Engine& engine) : e_(engine) {}

  Async<std::vector<Collection>> list_collections(AccountId actor, AccountId owner) override {
    return e_.read([actor, owner](Db& db, Changes&) {
      return ops::dav::list_collections(db, actor, owner);
    });
  }
  Async<std::vector<Collection>> list_shared_with(AccountId actor) override {
    return e_.read([actor](Db& db, Changes&) { return ops::dav::list_shared_with(db, actor); });
  }
  Async<Collection> get_collection(AccountId actor, AccountId owner, std::string name) override {
    return e_.read([actor, owner, name](Db& db, Changes&) {
      return ops::dav::get_collection(db, actor, owner, name);
    });
  }
  Async<Collection> get_collection(AccountId actor, CollectionId id) override {
    return e_.read(
        [actor, id](Db& db, Changes&) { return ops::dav::get_collection(db, actor, id); });
  }
  Async<Collection> create_collection(AccountId actor, AccountId owner,
                                      NewCollection collection) override {
    return e_.write([actor, owner, c = std::move(collection)](Db& db, Changes&) {
      return ops::dav::create_collection(db, actor, owner, c);
    });
  }
  Async<Collection> update_collection(AccountId actor, CollectionId id,
                                      CollectionPatch patch) override {
    return e_.write([actor, id, p = std::move(patch)](Db& db, Changes&) {
      return ops::dav::update_collection(db, actor, id, p);
    });
  }
  Async<void> delete_collection(AccountId actor, CollectionId id) override {
    return e_.write(
        [actor, id](Db& db, Changes&) { return ops::dav::delete_collection(db, actor, id); });
  }
  Async<std::vector<DavResource>> list_resources(AccountId actor, CollectionId id,
                                                 ResourceFilter filter) override {
    return e_.read([actor, id, f = std::move(filter)](Db& db, Changes&) {
      return ops::dav::list_resources(db, actor, id, f);
    });
  }
  Async<DavResource> get_resource(AccountId actor, CollectionId id, std::string name) override {
    return e_.read([actor, id, name](Db& db, Changes&) {
      return ops::dav::get_resource(db, actor, id, name);
    });
  }
  Async<std::vector<DavResource>> multiget(AccountId actor, CollectionId id,
                                           std::vector<std::string> names) override {
    return e_.read([actor, id, n = std::move(names)](Db& db, Changes&) {
      return ops::dav::multiget(db, actor, id, n);
    });
  }
  Async<DavPutResult> put_resource(AccountId actor, CollectionId id, DavPut put) override {
    std::string etag = sha256_hex(put.content);
    return e_.write([actor, id, p = std::move(put), etag = std::move(etag)](Db& db, Changes&) {
      return ops::dav::put_resource(db, actor, id, p, etag);
    });
  }
  Async<std::uint64_t> delete_resource(AccountId actor, CollectionId id, std::string name,
                                       std::optional<std::string> if_match) override {
    return e_.write([actor, id, name, if_match](Db& db, Changes&) {
      return ops::dav::delete_resource(db, actor, id, name, if_match);
    });
  }
  Async<DavChanges> changes_since(AccountId actor, CollectionId id, std::uint64_t token) override {
    return e_.read([actor, id, token](Db& db, Changes&) {
      return ops::dav::changes_since(db, actor, id, token);
    });
  }
  Async<std::vector<ResourceRef>> find_uid(AccountId actor, AccountId owner,
                                           std::string uid) override {
    return e_.read([actor, owner, uid](Db& db, Changes&) {
      return ops::dav::find_uid(db, actor, owner, uid);
    });
  }
  Async<void> set_share(CollectionId id, AccountId sharee, Access access) override {
    return e_.write([id, sharee, access](Db& db, Changes&) {
      return ops::dav::set_share(db, id, sharee, access);
    });
  }
  Async<void> remove_share(CollectionId id, AccountId sharee) override {
    return e_.write(
        [id, sharee](Db& db, Changes&) { return ops::dav::remove_share(db, id, sharee); });
  }
  Async<std::vector<Share>> list_shares(std::optional<AccountId> account) override {
    return e_.read([account](Db& db, Changes&) { return ops::dav::list_shares(db, account); });
  }

 private:
  Engine& e_;
};

class SqliteAccountStore final : public AccountStore {
 public:
  SqliteAccountStore(Engine& engine, AccountId account) : e_(engine), a_(account) {}
  AccountId account() const override { return a_; }

  Async<std::vector<Mailbox>> list_mailboxes() override {
    return e_.read([a = a_](Db& db, Changes&) { return ops::list_mailboxes(db, a); });
  }
  Async<Mailbox> get_mailbox(std::string name) override {
    return e_.read([a = a_, name](Db& db, Changes&) { return ops::get_mailbox(db, a, name); });
  }
  Async<Mailbox> get_mailbox(MailboxId id) override {
    return e_.read([a = a_, id](Db& db, Changes&) { return ops::get_mailbox(db, a, id); });
  }
  Async<Mailbox> create_mailbox(std::string name, SpecialUse use) override {
    return e_.write([a = a_, name, use](Db& db, Changes& ch) {
      return ops::create_mailbox(db, ch, a, name, use);
    });
  }
  Async<void> delete_mailbox(std::string name) override {
    return e_.write(
        [a = a_, name](Db& db, Changes& ch) { return ops::delete_mailbox(db, ch, a, name); });
  }
  Async<void> rename_mailbox(std::string from, std::string to) override {
    return e_.write([a = a_, from, to](Db& db, Changes& ch) {
      return ops::rename_mailbox(db, ch, a, from, to);
    });
  }
  Async<void> subscribe(std::string name) override {
    return e_.write([a = a_, name](Db& db, Changes&) { return ops::subscribe(db, a, name); });
  }
  Async<void> unsubscribe(std::string name) override {
    return e_.write([a = a_, name](Db& db, Changes&) { return ops::unsubscribe(db, a, name); });
  }
  Async<std::vector<std::string>> list_subscriptions() override {
    return e_.read([a = a_](Db& db, Changes&) { return ops::list_subscriptions(db, a); });
  }
  Async<Delivered> append(MailboxId mailbox, std::string raw, MessageMeta meta, Flags flags,
                          UnixTime internal_date) override {
    Delivery d{std::move(raw),
               std::move(meta),
               internal_date,
               {DeliveryTarget{a_, std::string(), mailbox, std::move(flags)}}};
    auto op = deliver_on(e_, std::move(d));
    auto r = co_await std::move(op);
    if (!r) co_return r.error();
    co_return std::move(r->front());
  }
  Async<std::vector<MessageRecord>> list_messages(MailboxId mailbox, ModSeq since) override {
    return e_.read([a = a_, mailbox, since](Db& db, Changes&) {
      return ops::list_messages(db, a, mailbox, since);
    });
  }
  Async<std::vector<std::pair<Uid, MessageMeta>>> read_meta(MailboxId mailbox,
                                                            UidSet uids) override {
    return e_.read(
        [a = a_, mailbox, uids](Db& db, Changes&) { return ops::read_meta(db, a, mailbox, uids); });
  }
  Async<std::string> read_raw(MailboxId mailbox, Uid uid) override {
    auto max = e_.options().max_message_bytes;
    return e_.read([a = a_, mailbox, uid, max](Db& db, Changes&) -> Result<std::string> {
      auto frame = ops::read_frame(db, a, mailbox, uid);
      if (!frame) return frame.error();
      return decompress(*frame, max);
    });
  }
  Async<StoreFlagsResult> store_flags(MailboxId mailbox, UidSet uids, FlagsMode mode, Flags flags,
                                      std::optional<ModSeq> unchanged_since) override {
    return e_.write([a = a_, mailbox, uids, mode, flags, unchanged_since](Db& db, Changes& ch) {
      return ops::store_flags(db, ch, a, mailbox, uids, mode, flags, unchanged_since);
    });
  }
  Async<std::vector<Uid>> expunge(MailboxId mailbox, UidSet uids, bool only_deleted) override {
    return e_.write([a = a_, mailbox, uids, only_deleted](Db& db, Changes& ch) {
      return ops::expunge(db, ch, a, mailbox, uids, only_deleted);
    });
  }
  Async<std::vector<Uid>> expunged_since(MailboxId mailbox, ModSeq since) override {
    return e_.read([a = a_, mailbox, since](Db& db, Changes&) {
      return ops::expunged_since(db, a, mailbox, since);
    });
  }
  Async<CopyResult> copy(MailboxId from, UidSet uids, MailboxId to) override {
    return e_.write([a = a_, from, uids, to](Db& db, Changes& ch) {
      return ops::copy(db, ch, a, from, uids, to, false);
    });
  }
  Async<CopyResult> move(MailboxId from, UidSet uids, MailboxId to) override {
    return e_.write([a = a_, from, uids, to](Db& db, Changes& ch) {
      return ops::copy(db, ch, a, from, uids, to, true);
    });
  }
  Async<std::vector<Uid>> search_text(MailboxId mailbox, std::string query) override {
    return e_.read([a = a_, mailbox, query](Db& db, Changes&) {
      return ops::search_text(db, a, mailbox, query);
    });
  }
  Async<std::vector<Uid>> header_search(MailboxId mailbox, std::string field,
                                        std::string substring) override {
    return e_.read([a = a_, mailbox, field, substring](Db& db, Changes&) {
      return ops::header_search(db, a, mailbox, field, substring);
    });
  }

 private:
  Engine& e_;
  AccountId a_;
};

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(SqliteOptions options) : e_(std::move(options)), blobs_(e_), queue_(e_) {}

  Async<Domain> add_domain(std::string name) override {
    return e_.write([name](Db& db, Changes&) { return ops::add_domain(db, name); });
  }
  Async<std::vector<Domain>> list_domains() override {
    return e_.read([](Db& db, Changes&) { return ops::list_domains(db); });
  }
  Async<void> delete_domain(std::string name) override {
    return e_.write([name](Db& db, Changes&) { return ops::delete_domain(db, name); });
  }
  Async<bool> is_local_domain(std::string name) override {
    return e_.read([name](Db& db, Changes&) { return ops::is_local_domain(db, name); });
  }
  Async<Account> create_account(std::string address, std::string password_hash) override {
    return e_.write([address, password_hash](Db& db, Changes& ch) {
      return ops::create_account(db, ch, address, password_hash);
    });
  }
  Async<Account> find_account(std::string address) override {
    return e_.read([address](Db& db, Changes&) { return ops::find_account(db, address); });
  }
  Async<Account> get_account(AccountId id) override {
    return e_.read([id](Db& db, Changes&) { return ops::get_account(db, id); });
  }
  Async<std::vector<Account>> list_accounts(std::optional<std::string> domain) override {
    return e_.read([domain](Db& db, Changes&) { return ops::list_accounts(db, domain); });
  }
  Async<void> delete_account(AccountId id) override {
    return e_.write([id](Db& db, Changes& ch) { return ops::delete_account(db, ch, id); });
  }
  Async<void> set_password_hash(AccountId id, std::string password_hash) override {
    return e_.write([id, password_hash](Db& db, Changes&) {
      return ops::set_password_hash(db, id, password_hash);
    });
  }
  Async<void> add_alias(Alias alias) override {
    return e_.write([alias](Db& db, Changes&) { return ops::add_alias(db, alias); });
  }
  Async<std::vector<Alias>> list_aliases(std::optional<std::string> domain) override {
    return e_.read([domain](Db& db, Changes&) { return ops::list_aliases(db, domain); });
  }
  Async<void> delete_alias(std::string source) override {
    return e_.write([source](Db& db, Changes&) { return ops::delete_alias(db, source); });
  }
  Async<std::vector<AccountId>> resolve_recipient(std::string address) override {
    return e_.read([address](Db& db, Changes&) { return ops::resolve_recipient(db, address); });
  }
  Async<std::vector<Result<Delivered>>> deliver(Delivery delivery) override {
    return deliver_on(e_, std::move(delivery));
  }
  std::unique_ptr<AccountStore> account(AccountId id) override {
    return std::make_unique<SqliteAccountStore>(e_, id);
  }
  std::unique_ptr<ChangeSubscription> subscribe_changes(
      AccountId account, std::function<void(const MailboxChange&)> on_change) override {
    return e_.hub().subscribe(account, std::move(on_change));
  }
  BlobStore& blobs() override { return blobs_; }
  DavStore& dav() override { return dav_; }
  QueueStore& queue() override { return queue_; }
  void drain() override { e_.drain(); }

 private:
  Engine e_;
  SqliteBlobStore blobs_;
  SqliteDavStore dav_{e_};
  SqliteQueueStore queue_;
};

}  // namespace

Result<std::unique_ptr<Store>> open_sqlite_store(SqliteOptions options) {
  try {
    return std::unique_ptr<Store>(std::make_unique<SqliteStore>(std::move(options)));
  } catch (const DbError& e) {
    return e.to_error();
  } catch (const std::exception& e) {
    return fail(ErrorCode::kInternal, e.what());
  }
}

}  // namespace taube::store::sqlite
