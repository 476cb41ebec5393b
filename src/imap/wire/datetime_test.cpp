#include "imap/wire/datetime.hpp"

#include <gtest/gtest.h>

namespace taube::imap::wire {
namespace {

TEST(ImapDateTime, ParsesDates) {
  EXPECT_EQ(parse_date("1-Feb-1994"), (Date{1994, 2, 1}));
  EXPECT_EQ(parse_date("29-feb-2000"), (Date{2000, 2, 29}));
  for (const char* bad : {"29-Feb-1900", "31-Apr-2020", "0-Jan-2020", "1-Foo-2020", "1-Jan-20",
                          "001-Jan-2020", "1-Jan-2020x", "1 Jan 2020", "", "--"})
    EXPECT_FALSE(parse_date(bad)) << bad;
}

TEST(ImapDateTime, ParsesDateTimesAndConvertsToUnix) {
  auto dt = parse_date_time("17-Jul-1996 02:44:25 -0700");
  ASSERT_TRUE(dt);
  EXPECT_EQ(dt->zone_minutes, -420);
  EXPECT_EQ(dt->to_unix(), 837596665);  // 1996-07-17T09:44:25Z
  EXPECT_EQ(parse_date_time(" 7-Feb-1994 21:52:25 -0800")->date, (Date{1994, 2, 7}));
  for (const char* bad : {"17-Jul-1996 24:00:00 +0000", "17-Jul-1996 02:44:25 0700", "17-Jul-1996 02:44 -0700",
                          "17-Jul-1996 02:44:25 -07000", "17-Jul-1996  02:44:25 -0700", "17-Jul-1996 02:44:25 +0060"})
    EXPECT_FALSE(parse_date_time(bad)) << bad;
}

TEST(ImapDateTime, FormatsInternalDates) {
  EXPECT_EQ(format_date_time(837596665, -420), "\"17-Jul-1996 02:44:25 -0700\"");
  EXPECT_EQ(format_date_time(0), "\"01-Jan-1970 00:00:00 +0000\"");
  EXPECT_EQ(format_date_time(951782400 + 3600, 330), "\"29-Feb-2000 06:30:00 +0530\"");
}

}  // namespace
}  // namespace taube::imap::wire
