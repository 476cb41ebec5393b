#include "auth/authenticator.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "auth/password.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace taube::auth {
namespace {

namespace asio = boost::asio;

class AuthenticatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/taube-auth-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    store::sqlite::SqliteOptions options;
    options.path = dir_ / "taube.db";
    store_ = std::move(store::sqlite::open_sqlite_store(options).value());
    ASSERT_TRUE(run(store_->add_domain("example.org")));
    ASSERT_TRUE(run(store_->create_account("alice@example.org", hash_password("right").value())));
    // A hash an old server left behind: SHA512-CRYPT of "secret".
    ASSERT_TRUE(run(store_->create_account(
        "bob@example.org",
        "{SHA512-CRYPT}$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1")));
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  template <class T>
  Result<T> run(asio::awaitable<Result<T>> op) {
    std::optional<Result<T>> out;
    asio::co_spawn(io_, std::move(op), [&](std::exception_ptr e, Result<T> r) {
      if (e) std::rethrow_exception(e);
      out.emplace(std::move(r));
    });
    io_.restart();
    io_.run();
    return std::move(*out);
  }

  std::filesystem::path dir_;
  asio::io_context io_;
  std::unique_ptr<store::Store> store_;
};

TEST_F(AuthenticatorTest, AcceptsTheRightPasswordCaseInsensitiveUser) {
  Authenticator auth(*store_, ThrottlePolicy{.failure_delay = std::chrono::milliseconds(0)});
  auto a = run(auth.authenticate("Alice@Example.ORG", "right", "192.0.2.1"));
  ASSERT_TRUE(a) << a.error().detail;
  EXPECT_EQ(a->address, "alice@example.org");
}

TEST_F(AuthenticatorTest, UnknownUserAndWrongPasswordAreTheSameError) {
  Authenticator auth(*store_, ThrottlePolicy{.failure_delay = std::chrono::milliseconds(0)});
  auto wrong = run(auth.authenticate("alice@example.org", "wrong", "192.0.2.1"));
  auto unknown = run(auth.authenticate("nobody@example.org", "right", "192.0.2.1"));
  ASSERT_FALSE(wrong);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(wrong.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(unknown.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(wrong.error().detail, unknown.error().detail);
}

TEST_F(AuthenticatorTest, FailuresAreDelayed) {
  Authenticator auth(*store_, ThrottlePolicy{.failure_delay = std::chrono::milliseconds(300)});
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(run(auth.authenticate("alice@example.org", "wrong", "192.0.2.1")));
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(300));
}

TEST_F(AuthenticatorTest, ThrottlesAnAddressAfterRepeatedFailuresButNotOthers) {
  Authenticator auth(*store_, ThrottlePolicy{.failure_delay = std::chrono::milliseconds(0),
                                             .max_failures_per_address = 3, .max_failures_per_account = 100});
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(run(auth.authenticate("alice@example.org", "guess", "203.0.113.9")));
  EXPECT_EQ(auth.failures_from("203.0.113.9"), 3u);
  auto blocked = run(auth.authenticate("alice@example.org", "right", "203.0.113.9"));
  ASSERT_FALSE(blocked);
  EXPECT_EQ(blocked.error().code, ErrorCode::kBusy);  // even the right password waits
  EXPECT_TRUE(run(auth.authenticate("alice@example.org", "right", "192.0.2.7")));
}

TEST_F(AuthenticatorTest, ThrottlesAnAccountUnderADistributedGuessingAttack) {
  Authenticator auth(*store_, ThrottlePolicy{.failure_delay = std::chrono::milliseconds(0),
                                             .max_failures_per_address = 100, .max_failures_per_account = 4});
  for (int i = 0; i < 4; ++i)
    EXPECT_FALSE(run(auth.authenticate("alice@example.org", "guess", "198.51.100." + std::to_string(i))));
  auto blocked = run(auth.authenticate("alice@example.org", "right", "192.0.2.50"));
  ASSERT_FALSE(blocked);
  EXPECT_EQ(blocked.error().code, ErrorCode::kBusy);
  EXPECT_TRUE(run(auth.authenticate("bob@example.org", "secret", "192.0.2.50")));
}

TEST_F(AuthenticatorTest, MigratedHashIsUpgradedToArgon2idOnLogin) {
  Authenticator auth(*store_, ThrottlePolicy{.failure_delay = std::chrono::milliseconds(0)});
  ASSERT_TRUE(run(auth.authenticate("bob@example.org", "secret", "192.0.2.1")));
  auto bob = run(store_->find_account("bob@example.org"));
  ASSERT_TRUE(bob);
  EXPECT_EQ(bob->password_hash.rfind("$argon2id$", 0), 0u) << bob->password_hash;
  EXPECT_TRUE(run(auth.authenticate("bob@example.org", "secret", "192.0.2.1")));
  EXPECT_FALSE(run(auth.authenticate("bob@example.org", "Secret", "192.0.2.1")));
}

TEST_F(AuthenticatorTest, ASecondLoginWithTheSamePasswordSkipsTheHash) {
  Authenticator auth(*store_, ThrottlePolicy{.failure_delay = std::chrono::milliseconds(0)});
  ASSERT_TRUE(run(auth.authenticate("alice@example.org", "right", "192.0.2.1")));
  ASSERT_TRUE(run(auth.authenticate("ALICE@example.org", "right", "192.0.2.2")));
  EXPECT_EQ(auth.slow_verifications(), 1u);
}

TEST_F(AuthenticatorTest, AWrongPasswordIsNeverServedFromTheCache) {
  Authenticator auth(*store_, ThrottlePolicy{.failure_delay = std::chrono::milliseconds(0)});
  ASSERT_TRUE(run(auth.authenticate("alice@example.org", "right", "192.0.2.1")));
  EXPECT_FALSE(run(auth.authenticate("alice@example.org", "wrong", "192.0.2.1")));
  EXPECT_FALSE(run(auth.authenticate("alice@example.org", "wrong", "192.0.2.1")));
  EXPECT_EQ(auth.slow_verifications(), 3u);  // failures are always checked in full
}

TEST_F(AuthenticatorTest, APasswordChangeInvalidatesTheCache) {
  Authenticator auth(*store_, ThrottlePolicy{.failure_delay = std::chrono::milliseconds(0)});
  ASSERT_TRUE(run(auth.authenticate("alice@example.org", "right", "192.0.2.1")));
  auto alice = run(store_->find_account("alice@example.org"));
  ASSERT_TRUE(alice);
  ASSERT_TRUE(run(store_->set_password_hash(alice->id, hash_password("changed").value())));
  EXPECT_FALSE(run(auth.authenticate("alice@example.org", "right", "192.0.2.1")));
  EXPECT_TRUE(run(auth.authenticate("alice@example.org", "changed", "192.0.2.1")));
}

TEST_F(AuthenticatorTest, ACacheTtlOfZeroChecksEveryLogin) {
  Authenticator auth(*store_, ThrottlePolicy{.failure_delay = std::chrono::milliseconds(0),
                                             .verified_cache_ttl = std::chrono::seconds(0)});
  ASSERT_TRUE(run(auth.authenticate("alice@example.org", "right", "192.0.2.1")));
  ASSERT_TRUE(run(auth.authenticate("alice@example.org", "right", "192.0.2.1")));
  EXPECT_EQ(auth.slow_verifications(), 2u);
}

}  // namespace
}  // namespace taube::auth
