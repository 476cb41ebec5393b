// Test helper for the SMTP end-to-end suites: prints what the store holds, so the
// tests compare delivered messages byte for byte (blobs are zstd-compressed in the
// database; Python has no zstd module here). Opens the store directly: DB is the SQLite
// file, or a postgresql:// URL when the suite runs against PostgreSQL.
//
//   smtp_store_dump DB messages ADDRESS   every INBOX message: "message UID SIZE\n",
//                                         then exactly SIZE raw bytes, then "\n"
//   smtp_store_dump DB message-ids        "ADDRESS<TAB>MAILBOX<TAB>MESSAGE-ID\n" for
//                                         every message of every account
//   smtp_store_dump DB queue              the outbound queue, one line per recipient:
//                                         "ID DOMAIN SENDER ENVID RET SUBMITTED_BY
//                                         RCPT NOTIFY ORCPT STATE" (TAB-separated)
//   smtp_store_dump DB queue-message ID   "message ID SIZE\n", SIZE raw bytes, "\n"
//   smtp_store_dump DB queue-message-ids  "ID<TAB>DOMAIN<TAB>MESSAGE-ID\n" per entry (the
//                                         value of the first "Message-ID: " line)
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <optional>
#include <string>

#include "store/queue.hpp"
#include "store/postgres/postgres_store.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace {

namespace asio = boost::asio;
using namespace taube;

template <class T>
T must(asio::awaitable<Result<T>> op, const char* what) {
  asio::io_context io;
  std::optional<Result<T>> out;
  asio::co_spawn(io, std::move(op), [&](std::exception_ptr e, Result<T> r) {
    if (e) std::rethrow_exception(e);
    out.emplace(std::move(r));
  });
  io.run();
  if (!out || !*out) {
    std::fprintf(stderr, "smtp_store_dump: %s failed: %s\n", what,
                 out ? (*out).error().detail.c_str() : "no result");
    std::exit(2);
  }
  return std::move(**out);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: smtp_store_dump DB messages ADDRESS | DB message-ids\n");
    return 64;
  }
  const std::string db = argv[1];
  Result<std::unique_ptr<store::Store>> opened = fail(ErrorCode::kInternal, "not opened");
  if (db.starts_with("postgresql://")) {
    store::postgres::PostgresOptions options;
    options.conninfo = db;
    options.pool_size = 2;
    opened = store::postgres::open_postgres_store(options);
  } else {
    store::sqlite::SqliteOptions options;
    options.path = db;
    options.reader_threads = 1;
    opened = store::sqlite::open_sqlite_store(options);
  }
  if (!opened) {
    std::fprintf(stderr, "smtp_store_dump: %s\n", opened.error().detail.c_str());
    return 2;
  }
  store::Store& s = **opened;
  const std::string command = argv[2];
  if (command == "messages" && argc == 4) {
    auto account = must(s.find_account(argv[3]), "find_account");
    auto a = s.account(account.id);
    auto box = must(a->get_mailbox(std::string("INBOX")), "get_mailbox");
    for (const auto& m : must(a->list_messages(box.id), "list_messages")) {
      std::string raw = must(a->read_raw(box.id, m.uid), "read_raw");
      std::printf("message %u %zu\n", m.uid, raw.size());
      std::fwrite(raw.data(), 1, raw.size(), stdout);
      std::printf("\n");
    }
    return 0;
  }
  if (command == "message-ids") {
    for (const auto& account : must(s.list_accounts(std::nullopt), "list_accounts")) {
      auto a = s.account(account.id);
      for (const auto& box : must(a->list_mailboxes(), "list_mailboxes")) {
        for (const auto& [uid, meta] : must(a->read_meta(box.id, store::all_uids()), "read_meta"))
          std::printf("%s\t%s\t%s\n", account.address.c_str(), box.name.c_str(),
                      meta.message_id.c_str());
      }
    }
    return 0;
  }
  if (command == "queue") {
    for (const auto& e : must(s.queue().list(), "queue list"))
      for (const auto& r : e.recipients)
        std::printf("%lld\t%s\t%s\t%s\t%d\t%lld\t%s\t%d\t%s\t%d\n",
                    static_cast<long long>(e.id.value), e.domain.c_str(), e.sender.c_str(),
                    e.envid.c_str(), static_cast<int>(e.ret),
                    static_cast<long long>(e.submitted_by.value), r.rcpt.address.c_str(),
                    static_cast<int>(r.rcpt.notify), r.rcpt.orcpt.c_str(), static_cast<int>(r.state));
    return 0;
  }
  if (command == "queue-message" && argc == 4) {
    const store::QueueEntryId id{std::stoll(argv[3])};
    std::string raw = must(s.queue().read_message(id), "read_message");
    std::printf("message %s %zu\n", argv[3], raw.size());
    std::fwrite(raw.data(), 1, raw.size(), stdout);
    std::printf("\n");
    return 0;
  }
  if (command == "queue-message-ids") {
    for (const auto& e : must(s.queue().list(), "queue list")) {
      const std::string raw = must(s.queue().read_message(e.id), "read_message");
      std::string id;
      const auto at = raw.find("\r\nMessage-ID: ");
      if (at != std::string::npos) {
        const auto begin = at + 14;
        id = raw.substr(begin, raw.find("\r\n", begin) - begin);
      }
      std::printf("%lld\t%s\t%s\n", static_cast<long long>(e.id.value), e.domain.c_str(), id.c_str());
    }
    return 0;
  }
  std::fprintf(stderr, "smtp_store_dump: unknown command %s\n", command.c_str());
  return 64;
}
