#include "spool/spool.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

namespace taube::spool {
namespace {

namespace fs = std::filesystem;

class SpoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("taube-spool-test-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  static Entry sample(std::string raw = "Subject: hi\r\n\r\nbody\r\n") {
    Entry e;
    e.sender = "alice@example.org";
    e.received = std::chrono::sys_seconds(std::chrono::seconds(1700000000));
    e.accounts = {3, 7};
    e.addresses = {"bob@example.com"};
    e.raw = std::move(raw);
    return e;
  }
  fs::path dir_;
};

TEST_F(SpoolTest, WritesReadsListsAndRemovesAnEntry) {
  auto spool = Spool::open(dir_, 1 << 20);
  ASSERT_TRUE(spool);
  auto id = (*spool)->write(sample());
  ASSERT_TRUE(id);
  auto ids = (*spool)->list();
  ASSERT_TRUE(ids);
  ASSERT_EQ(*ids, std::vector<std::string>{*id});
  auto e = (*spool)->read(*id);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->id, *id);
  EXPECT_EQ(e->sender, "alice@example.org");
  EXPECT_EQ(e->received.time_since_epoch().count(), 1700000000);
  EXPECT_EQ(e->accounts, (std::vector<std::int64_t>{3, 7}));
  EXPECT_EQ(e->addresses, std::vector<std::string>{"bob@example.com"});
  EXPECT_EQ(e->raw, "Subject: hi\r\n\r\nbody\r\n");
  EXPECT_EQ(e->delivery_key, "");
  EXPECT_EQ((*spool)->size(), 1u);
  ASSERT_TRUE((*spool)->remove(*id));
  EXPECT_TRUE((*spool)->list()->empty());
  EXPECT_EQ((*spool)->used_bytes(), 0u);
  EXPECT_EQ((*spool)->remove(*id).error().code, ErrorCode::kNotFound);
}

TEST_F(SpoolTest, KeepsTheDeliveryKeyOfAnUnknownCommit) {
  auto spool = Spool::open(dir_, 1 << 20);
  ASSERT_TRUE(spool);
  Entry entry = sample();
  entry.delivery_key = "smtp:0123456789abcdef0123456789abcdef";
  auto id = (*spool)->write(entry);
  ASSERT_TRUE(id);
  auto e = (*spool)->read(*id);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->delivery_key, "smtp:0123456789abcdef0123456789abcdef");
  EXPECT_EQ(e->raw, entry.raw);
}

TEST_F(SpoolTest, KeepsBinaryBytesAndEmptySenderExactly) {
  auto spool = Spool::open(dir_, 1 << 20);
  ASSERT_TRUE(spool);
  Entry in = sample(std::string("a\0b\n\nc\r\n", 8));
  in.sender = "";
  in.addresses.clear();
  auto id = (*spool)->write(in);
  ASSERT_TRUE(id);
  auto e = (*spool)->read(*id);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->raw, std::string("a\0b\n\nc\r\n", 8));
  EXPECT_EQ(e->sender, "");
  EXPECT_TRUE(e->addresses.empty());
}

TEST_F(SpoolTest, RefusesBeyondMaxBytesAndAcceptsAgainAfterRemove) {
  auto spool = Spool::open(dir_, 400);
  ASSERT_TRUE(spool);
  auto first = (*spool)->write(sample(std::string(200, 'x')));
  ASSERT_TRUE(first);
  auto second = (*spool)->write(sample(std::string(200, 'y')));
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, ErrorCode::kQuotaExceeded);
  EXPECT_EQ((*spool)->list()->size(), 1u);
  ASSERT_TRUE((*spool)->remove(*first));
  EXPECT_TRUE((*spool)->write(sample(std::string(200, 'y'))));
}

TEST_F(SpoolTest, SurvivesReopenWithEntriesAndSizeInOrder) {
  std::vector<std::string> written;
  {
    auto spool = Spool::open(dir_, 1 << 20);
    ASSERT_TRUE(spool);
    for (int i = 0; i < 5; ++i) written.push_back((*spool)->write(sample(std::to_string(i))).value());
  }
  auto spool = Spool::open(dir_, 1 << 20);
  ASSERT_TRUE(spool);
  EXPECT_EQ((*spool)->size(), 5u);
  EXPECT_GT((*spool)->used_bytes(), 0u);
  auto ids = (*spool)->list();
  ASSERT_TRUE(ids);
  EXPECT_EQ(*ids, written);
  for (int i = 0; i < 5; ++i) EXPECT_EQ((*spool)->read((*ids)[i])->raw, std::to_string(i));
  auto again = (*spool)->write(sample());
  ASSERT_TRUE(again);
  EXPECT_EQ(std::find(written.begin(), written.end(), *again), written.end());
}

TEST_F(SpoolTest, IgnoresAndCleansAHalfWrittenTempFileAfterACrash) {
  {
    auto spool = Spool::open(dir_, 1 << 20);
    ASSERT_TRUE(spool);
    ASSERT_TRUE((*spool)->write(sample()));
  }
  // What a crash between open() and rename() leaves behind: a truncated temp file.
  const std::string full = encode(sample());
  {
    std::ofstream half(dir_ / "tmp.00000000000000000001-1-1", std::ios::binary);
    half << full.substr(0, full.size() / 2);
  }
  auto spool = Spool::open(dir_, 1 << 20);
  ASSERT_TRUE(spool);
  EXPECT_EQ((*spool)->list()->size(), 1u);
  EXPECT_FALSE(fs::exists(dir_ / "tmp.00000000000000000001-1-1"));
  const std::string id = (*spool)->list()->front();
  EXPECT_EQ((*spool)->used_bytes(), fs::file_size(dir_ / ("msg." + id)));
}

TEST_F(SpoolTest, DecodeRejectsATruncatedEntry) {
  Entry e = sample();
  e.id = "x";
  const std::string full = encode(e);
  EXPECT_TRUE(decode(full));
  EXPECT_FALSE(decode(full.substr(0, full.size() - 1)));
  EXPECT_FALSE(decode(full.substr(0, 10)));
  EXPECT_FALSE(decode("garbage\n\n"));
}

TEST_F(SpoolTest, RefusesLineBreaksInTheEnvelope) {
  auto spool = Spool::open(dir_, 1 << 20);
  ASSERT_TRUE(spool);
  Entry e = sample();
  e.addresses = {"a@b\r\naccount 1"};
  EXPECT_EQ((*spool)->write(e).error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE((*spool)->list()->empty());
  EXPECT_FALSE(fs::exists(dir_ / "tmp"));
}

}  // namespace
}  // namespace taube::spool
