// The log facade: one line per event, `event=name key=value ...`, on stderr via spdlog.
// Values are quoted and escaped so that peer-supplied text can never forge a line.
// Thread-safe; call init() once at start-up (tests may skip it and get "info" to stderr).
#pragma once

#include <fmt/format.h>

#include <initializer_list>
#include <string>
#include <string_view>

namespace taube::log {

enum class Level { kTrace, kDebug, kInfo, kWarn, kError, kCritical, kOff };

struct Field {
  std::string_view key;
  std::string value;
};

// Any fmt-formattable value.
template <class T>
Field kv(std::string_view key, const T& value) {
  return Field{key, fmt::format("{}", value)};
}

// REQUIRES: level is a name accepted by config ("info", "debug", ...).
void init(std::string_view level);
bool enabled(Level level);
void write(Level level, std::string_view event, std::initializer_list<Field> fields);

// Renders the line without the timestamp and level (exposed for tests).
std::string format_line(std::string_view event, std::initializer_list<Field> fields);

inline void trace(std::string_view e, std::initializer_list<Field> f = {}) { write(Level::kTrace, e, f); }
inline void debug(std::string_view e, std::initializer_list<Field> f = {}) { write(Level::kDebug, e, f); }
inline void info(std::string_view e, std::initializer_list<Field> f = {}) { write(Level::kInfo, e, f); }
inline void warn(std::string_view e, std::initializer_list<Field> f = {}) { write(Level::kWarn, e, f); }
inline void error(std::string_view e, std::initializer_list<Field> f = {}) { write(Level::kError, e, f); }
inline void critical(std::string_view e, std::initializer_list<Field> f = {}) { write(Level::kCritical, e, f); }

}  // namespace taube::log
