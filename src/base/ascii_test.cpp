#include "base/ascii.hpp"

#include <gtest/gtest.h>

namespace taube::ascii {
namespace {

TEST(Ascii, ComparesIgnoringCaseOnlyForAsciiLetters) {
  EXPECT_TRUE(iequals("EHLO", "ehlo"));
  EXPECT_FALSE(iequals("EHLO", "ehl0"));
  EXPECT_FALSE(iequals("\xC3\x84", "\xC3\xA4"));  // Ä vs ä: not ASCII, not folded
  EXPECT_TRUE(istarts_with("Content-Type: text", "content-type"));
  EXPECT_FALSE(istarts_with("Cont", "content-type"));
}

TEST(Ascii, TrimsSpaceTabAndLineEnds) {
  EXPECT_EQ(trim(" \t value \r\n"), "value");
  EXPECT_EQ(trim(""), "");
  EXPECT_EQ(upper("Mail From"), "MAIL FROM");
}

}  // namespace
}  // namespace taube::ascii
