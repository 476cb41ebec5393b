#include "log/log.hpp"

#include <gtest/gtest.h>

namespace taube::log {
namespace {

TEST(Log, FormatsKeyValueFields) {
  EXPECT_EQ(format_line("store.open", {kv("path", "var/taube.db"), kv("version", 3)}),
            "event=store.open path=var/taube.db version=3");
}

TEST(Log, QuotesAndEscapesPeerTextSoItCannotForgeALine) {
  EXPECT_EQ(format_line("smtp.helo", {kv("name", "evil\r\nevent=fake ok")}),
            "event=smtp.helo name=\"evil\\r\\nevent=fake ok\"");
  EXPECT_EQ(format_line("x", {kv("empty", "")}), "event=x empty=\"\"");
  EXPECT_EQ(format_line("x", {kv("nul", std::string("a\0b", 3))}), "event=x nul=\"a\\x00b\"");
}

TEST(Log, LevelsFilter) {
  init("warn");
  EXPECT_FALSE(enabled(Level::kInfo));
  EXPECT_TRUE(enabled(Level::kError));
  init("debug");
  EXPECT_TRUE(enabled(Level::kDebug));
  init("info");
}

}  // namespace
}  // namespace taube::log
