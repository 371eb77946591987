#include "mgw/base/log.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <string>

namespace mgw::log {
namespace {

std::atomic<int> g_level{static_cast<int>(Level::Info)};
std::atomic<bool> g_json{false};

constexpr std::string_view levelName(Level l) {
  switch (l) {
    case Level::Debug:
      return "debug";
    case Level::Info:
      return "info";
    case Level::Warn:
      return "warn";
    case Level::Error:
      return "error";
  }
  return "info";
}

void appendJsonString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xf];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

// Untrusted bytes may end up in log values: keep each event on one line.
void appendTextValue(std::string& out, std::string_view s) {
  for (unsigned char c : s) {
    out += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
  }
}

void appendTimestamp(std::string& out) {
  using namespace std::chrono;
  auto now = system_clock::now();
  auto secs = system_clock::to_time_t(now);
  auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  out.append(buf, n);
  char msbuf[8];
  int m = std::snprintf(msbuf, sizeof msbuf, ".%03dZ", static_cast<int>(ms));
  out.append(msbuf, static_cast<size_t>(m));
}

}  // namespace

void setLevel(Level level) {
  g_level.store(static_cast<int>(level), std::memory_order_relaxed);
}
Level level() {
  return static_cast<Level>(g_level.load(std::memory_order_relaxed));
}
void setJson(bool json) {
  g_json.store(json, std::memory_order_relaxed);
}

bool parseLevel(std::string_view name, Level& out) {
  for (Level l : {Level::Debug, Level::Info, Level::Warn, Level::Error}) {
    std::string_view n = levelName(l);
    if (name.size() == n.size()) {
      bool eq = true;
      for (size_t i = 0; i < n.size(); ++i) {
        if ((name[i] | 0x20) != n[i])
          eq = false;
      }
      if (eq) {
        out = l;
        return true;
      }
    }
  }
  if (name == "WARNING" || name == "warning") {
    out = Level::Warn;
    return true;
  }
  if (name == "TRACE" || name == "trace") {
    out = Level::Debug;
    return true;
  }
  return false;
}

void write(Level level, std::string_view event, std::string_view message,
           std::initializer_list<Field> fields) {
  std::string line;
  line.reserve(128 + message.size());
  if (g_json.load(std::memory_order_relaxed)) {
    line += "{\"time\":\"";
    appendTimestamp(line);
    line += "\",\"level\":\"";
    line += levelName(level);
    line += "\",\"event\":";
    appendJsonString(line, event);
    line += ",\"msg\":";
    appendJsonString(line, message);
    for (const auto& [k, v] : fields) {
      line += ',';
      appendJsonString(line, k);
      line += ':';
      appendJsonString(line, v);
    }
    line += "}\n";
  } else {
    appendTimestamp(line);
    line += ' ';
    line += levelName(level);
    line += ' ';
    line += event;
    line += ": ";
    appendTextValue(line, message);
    for (const auto& [k, v] : fields) {
      line += ' ';
      line += k;
      line += '=';
      appendTextValue(line, v);
    }
    line += '\n';
  }
  size_t off = 0;
  while (off < line.size()) {
    ssize_t n = ::write(STDERR_FILENO, line.data() + off, line.size() - off);
    if (n <= 0)
      break;
    off += static_cast<size_t>(n);
  }
}

}  // namespace mgw::log
