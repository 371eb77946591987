#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <system_error>

#include "commands.h"

namespace mgw::toolkit {

std::optional<std::string> Args::parse(const std::vector<std::string_view>& with_value,
                                       const std::vector<std::string_view>& flags) {
  auto contains = [](const std::vector<std::string_view>& v, std::string_view s) {
    for (std::string_view x : v) {
      if (x == s)
        return true;
    }
    return false;
  };
  bool only_positional = false;
  for (std::size_t i = 0; i < args_.size(); ++i) {
    const std::string& a = args_[i];
    if (only_positional || a.size() < 2 || a[0] != '-') {
      positional_.push_back(a);
      continue;
    }
    if (a == "--") {
      only_positional = true;
      continue;
    }
    std::string name = a;
    std::optional<std::string> inline_value;
    if (std::size_t eq = a.find('='); eq != std::string::npos && a.rfind("--", 0) == 0) {
      name = a.substr(0, eq);
      inline_value = a.substr(eq + 1);
    }
    if (contains(flags, name)) {
      if (inline_value)
        return "option " + name + " takes no value";
      options_.emplace_back(name, "");
    } else if (contains(with_value, name)) {
      if (inline_value) {
        options_.emplace_back(name, *inline_value);
      } else if (i + 1 < args_.size()) {
        options_.emplace_back(name, args_[++i]);
      } else {
        return "option " + name + " needs a value";
      }
    } else {
      return "unknown option " + name;
    }
  }
  return std::nullopt;
}

bool Args::has(std::string_view name) const {
  for (const auto& [n, v] : options_) {
    if (n == name)
      return true;
  }
  return false;
}

std::optional<std::string> Args::value(std::string_view name) const {
  for (const auto& [n, v] : options_) {
    if (n == name)
      return v;
  }
  return std::nullopt;
}

std::optional<std::string> Args::value(std::string_view a, std::string_view b) const {
  if (auto v = value(a))
    return v;
  return value(b);
}

Status writeFileAtomic(const std::string& path, std::string_view text) {
  namespace fs = std::filesystem;
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out)
      return makeError("io.write", "cannot write " + tmp);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.flush();
    if (!out)
      return makeError("io.write", "cannot write " + tmp);
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return makeError("io.write", "cannot write " + path);
  }
  return {};
}

Result<std::string> readFile(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec))
    return makeError("io.read", "cannot read " + path);
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return makeError("io.read", "cannot read " + path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return text;
}

void printError(std::string_view message) {
  std::cerr << "micro-gw: error: " << message << "\n";
}

}  // namespace mgw::toolkit
