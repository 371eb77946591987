// The `micro-gw` toolkit: one function per command (ARCHITECTURE.md §1 CLI contract).
// Exit status: 0 success, 1 failure (build errors, I/O, download), 2 usage error.
// Single-threaded; the only global state is libcurl's, initialised once in main().
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mgw/base/result.h"

namespace mgw::toolkit {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// Command-line arguments after the command name.
class Args {
 public:
  explicit Args(std::vector<std::string> args) : args_(std::move(args)) {}

  // Parses the arguments against the command's options. `with_value` options take the next
  // argument (or `--opt=value`); `flags` take none. Returns an error message on an unknown
  // option or a missing value.
  std::optional<std::string> parse(const std::vector<std::string_view>& with_value,
                                   const std::vector<std::string_view>& flags);

  bool has(std::string_view name) const;
  std::optional<std::string> value(std::string_view name) const;
  // The first of the given option spellings that is present.
  std::optional<std::string> value(std::string_view a, std::string_view b) const;
  bool has(std::string_view a, std::string_view b) const { return has(a) || has(b); }
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::vector<std::string> args_;
  std::vector<std::pair<std::string, std::string>> options_;
  std::vector<std::string> positional_;
};

int runInit(Args args);
int runImport(Args args);
int runValidate(Args args);
int runBuild(Args args);
int runInspect(Args args);

// A definition fetched from a file or an http(s) URL.
struct FetchedDefinition {
  std::string file_name;  // name to store it under in api_definitions/
  std::string text;
};

// Local path or http(s) URL (libcurl: 30 s timeout, <= 5 redirects, 10 MiB cap, 2xx only).
// The text must be a YAML/JSON OpenAPI definition.
Result<FetchedDefinition> fetchDefinition(const std::string& source);

// Writes `text` to `path` through a temporary file and rename, so readers never see half.
Status writeFileAtomic(const std::string& path, std::string_view text);
Result<std::string> readFile(const std::string& path);

void printError(std::string_view message);

}  // namespace mgw::toolkit
