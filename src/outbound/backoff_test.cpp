#include <gtest/gtest.h>

#include "outbound/service.hpp"

namespace taube::outbound {
namespace {
using std::chrono::seconds;

TEST(Backoff, DoublesFromFiveMinutesUpToAnHour) {
  Policy p;  // defaults: 5 min doubling to 1 h
  EXPECT_EQ(backoff(p, 0), seconds(300));
  EXPECT_EQ(backoff(p, 1), seconds(300));
  EXPECT_EQ(backoff(p, 2), seconds(600));
  EXPECT_EQ(backoff(p, 3), seconds(1200));
  EXPECT_EQ(backoff(p, 4), seconds(2400));
  EXPECT_EQ(backoff(p, 5), seconds(3600));
  EXPECT_EQ(backoff(p, 1000), seconds(3600));
}

TEST(Backoff, ConfiguredInSeconds) {
  Policy p;
  p.retry_initial = seconds(1);
  p.retry_max = seconds(5);
  EXPECT_EQ(backoff(p, 1), seconds(1));
  EXPECT_EQ(backoff(p, 3), seconds(4));
  EXPECT_EQ(backoff(p, 4), seconds(5));
}

}  // namespace
}  // namespace taube::outbound
