// Internal to mgw_config: parses TOML text with toml++ and flattens it into dotted keys the way
// WSO2/Ballerina config addressed them. The only place that includes <toml++/toml.h>.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mgw/base/result.h"

namespace mgw::config::detail {

struct FlatEntry {
  std::string key;           // lowercase dotted path, array-of-table entries indexed ("a.0.b")
  std::string original_key;  // same path in the file's spelling
  std::string value;         // scalar as text; arrays of scalars joined with ","
  std::optional<std::vector<std::string>> list;  // set for arrays of scalars
  std::string source;                            // "path:line:col"
};

// Never throws. A syntax error is Error{"config.parse", "path:line:col: description"}.
Result<std::vector<FlatEntry>> flattenToml(std::string_view text, std::string_view path);

}  // namespace mgw::config::detail
