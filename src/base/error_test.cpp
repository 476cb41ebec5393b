#include "base/error.hpp"

#include <gtest/gtest.h>

namespace taube {
namespace {

Result<int> half(int n) {
  if (n % 2 != 0) return fail(ErrorCode::kInvalidArgument, "odd");
  return n / 2;
}

TEST(Result, CarriesValueOrError) {
  auto ok = half(4);
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, 2);
  auto bad = half(3);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad.error().detail, "odd");
}

TEST(Result, ValueOnErrorThrowsWithCodeAndDetail) {
  auto bad = half(3);
  try {
    (void)bad.value();
    FAIL() << "value() on an error must throw";
  } catch (const ErrorException& e) {
    EXPECT_EQ(e.error().code, ErrorCode::kInvalidArgument);
    EXPECT_STREQ(e.what(), "invalid_argument: odd");
  }
}

}  // namespace
}  // namespace taube
