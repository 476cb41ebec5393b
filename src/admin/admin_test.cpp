#include "admin/admin.hpp"

#include <gtest/gtest.h>

namespace taube::admin {
namespace {

TEST(AdminSyntax, Domains) {
  EXPECT_TRUE(is_valid_domain("example.org"));
  EXPECT_TRUE(is_valid_domain("mail-1.stadt.example.de"));
  EXPECT_TRUE(is_valid_domain("localhost"));
  EXPECT_FALSE(is_valid_domain("example"));
  EXPECT_FALSE(is_valid_domain("not a domain"));
  EXPECT_FALSE(is_valid_domain("-bad.example"));
  EXPECT_FALSE(is_valid_domain("a..example"));
  EXPECT_FALSE(is_valid_domain("example.org."));
  EXPECT_FALSE(is_valid_domain(std::string(64, 'a') + ".org"));
}

TEST(AdminSyntax, Addresses) {
  EXPECT_TRUE(is_valid_address("alice@example.org"));
  EXPECT_TRUE(is_valid_address("first.last+tag@example.org"));
  EXPECT_FALSE(is_valid_address("no-at-sign"));
  EXPECT_FALSE(is_valid_address("@example.org"));
  EXPECT_FALSE(is_valid_address(".alice@example.org"));
  EXPECT_FALSE(is_valid_address("al..ice@example.org"));
  EXPECT_FALSE(is_valid_address("al ice@example.org"));
  EXPECT_FALSE(is_valid_address(std::string(65, 'a') + "@example.org"));
}

}  // namespace
}  // namespace taube::admin
