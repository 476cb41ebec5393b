// `taube share` as a library, on a real SQLite store.
#include "admin/share.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdlib>
#include <filesystem>

#include "store/sqlite/sqlite_store.hpp"

namespace taube::admin {
namespace {

namespace fs = std::filesystem;

template <class T>
Result<T> run(store::Async<T> op) {
  boost::asio::io_context io;
  std::optional<Result<T>> out;
  boost::asio::co_spawn(
      io, [&]() -> boost::asio::awaitable<void> { out.emplace(co_await std::move(op)); },
      boost::asio::detached);
  io.run();
  return std::move(*out);
}

class ShareTest : public testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "taube-share-XXXXXX").string();
    ASSERT_TRUE(mkdtemp(pattern.data()));
    dir_ = pattern;
    auto s = store::sqlite::open_sqlite_store(store::sqlite::SqliteOptions{.path = dir_ / "db"});
    ASSERT_TRUE(s);
    store_ = std::move(*s);
    ASSERT_TRUE(run(store_->add_domain("example.org")));
    for (const char* a : {"bob@example.org", "alice@example.org", "carol@example.org"})
      ASSERT_TRUE(run(store_->create_account(a, "{PLAIN}x")));
  }
  void TearDown() override {
    store_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  fs::path dir_;
  std::unique_ptr<store::Store> store_;
};

TEST_F(ShareTest, AddListRemove) {
  auto& s = *store_;
  EXPECT_EQ(format_shares(*run(list_shares(s, std::nullopt))), "no shares\n");
  ASSERT_TRUE(run(add_share(s, "bob@example.org", "calendar", "alice@example.org", "read")));
  ASSERT_TRUE(run(add_share(s, "bob@example.org", "contacts", "carol@example.org", "read-write")));
  auto rows = run(list_shares(s, std::nullopt));
  ASSERT_TRUE(rows);
  EXPECT_EQ(format_shares(*rows),
            "bob@example.org/calendar (calendar) -> alice@example.org read\n"
            "bob@example.org/contacts (addressbook) -> carol@example.org read-write\n");
  EXPECT_EQ(run(list_shares(s, std::string("alice@example.org")))->size(), 1u);
  EXPECT_EQ(run(list_shares(s, std::string("BOB@example.org")))->size(), 2u);

  // Re-sharing changes the access.
  ASSERT_TRUE(run(add_share(s, "bob@example.org", "calendar", "alice@example.org", "read-write")));
  EXPECT_EQ((*run(list_shares(s, std::string("alice@example.org"))))[0].access,
            store::Access::kReadWrite);
  // ... and the sharee can now write there.
  auto alice = run(s.find_account("alice@example.org"));
  auto bob = run(s.find_account("bob@example.org"));
  auto cal = run(s.dav().get_collection(alice->id, bob->id, "calendar"));
  ASSERT_TRUE(cal);
  EXPECT_EQ(cal->access, store::Access::kReadWrite);

  ASSERT_TRUE(run(remove_share(s, "bob@example.org", "calendar", "alice@example.org")));
  auto again = run(remove_share(s, "bob@example.org", "calendar", "alice@example.org"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(again.error().detail, "bob@example.org/calendar is not shared with alice@example.org");
  EXPECT_EQ(run(s.dav().get_collection(alice->id, bob->id, "calendar")).error().code,
            ErrorCode::kNotFound);
}

TEST_F(ShareTest, ErrorsNameWhatIsWrong) {
  auto& s = *store_;
  auto r = run(add_share(s, "nobody@example.org", "calendar", "alice@example.org", "read"));
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(r.error().detail, "no such account: nobody@example.org");
  r = run(add_share(s, "bob@example.org", "holidays", "alice@example.org", "read"));
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(r.error().detail, "no such collection: bob@example.org/holidays");
  r = run(add_share(s, "bob@example.org", "calendar", "ghost@example.org", "read"));
  EXPECT_EQ(r.error().detail, "no such account: ghost@example.org");
  r = run(add_share(s, "bob@example.org", "calendar", "alice@example.org", "owner"));
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  r = run(add_share(s, "bob@example.org", "calendar", "bob@example.org", "read"));
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(run(list_shares(s, std::string("ghost@example.org"))).error().code,
            ErrorCode::kNotFound);
}

}  // namespace
}  // namespace taube::admin
