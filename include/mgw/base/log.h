// Process-wide logger: one line per event on stderr, plain text or JSON.
// Thread-safe: each line is formatted into a local buffer and written with one write(2),
// which is atomic for lines under PIPE_BUF on pipes and fine for terminals and files.
// Never log passwords or tokens.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace mgw::log {

enum class Level { Debug = 0, Info = 1, Warn = 2, Error = 3 };

// Extra key/value fields appended to the line (`key=value` in text, members in JSON).
using Field = std::pair<std::string_view, std::string_view>;

void setLevel(Level level);
Level level();
void setJson(bool json);
bool parseLevel(std::string_view name, Level& out);

void write(Level level, std::string_view event, std::string_view message,
           std::initializer_list<Field> fields = {});

inline bool enabled(Level l) {
  return static_cast<int>(l) >= static_cast<int>(level());
}

inline void debug(std::string_view event, std::string_view msg,
                  std::initializer_list<Field> f = {}) {
  if (enabled(Level::Debug))
    write(Level::Debug, event, msg, f);
}
inline void info(std::string_view event, std::string_view msg,
                 std::initializer_list<Field> f = {}) {
  if (enabled(Level::Info))
    write(Level::Info, event, msg, f);
}
inline void warn(std::string_view event, std::string_view msg,
                 std::initializer_list<Field> f = {}) {
  if (enabled(Level::Warn))
    write(Level::Warn, event, msg, f);
}
inline void error(std::string_view event, std::string_view msg,
                  std::initializer_list<Field> f = {}) {
  write(Level::Error, event, msg, f);
}

}  // namespace mgw::log
