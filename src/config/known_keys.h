// Internal to mgw_config: the table of configuration keys the gateway knows (WSO2 3.x keys of
// reference §3 plus ours) and the shapes of WSO2's top-level endpoint override keys.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace mgw::config::detail {

// How a value is checked at load. Strings from env/flags and TOML strings are accepted for
// Int/Bool/Float keys when they parse, as Ballerina's config API did.
enum class KeyType { Any, String, Int, Bool, Float, List };

struct KnownKey {
  // Dotted, in WSO2 spelling. Segment "*" matches any one segment, "#" an array index, a
  // final "**" any rest (user-defined sub-tables). Matching is case-insensitive.
  std::string_view pattern;
  KeyType type;
};

// First entry whose pattern matches `key` (any case), or nullptr.
const KnownKey* findKnownKey(std::string_view key);
// Every entry, in table order (wildcard ones included).
std::span<const KnownKey> knownKeys();
bool isWildcardPattern(std::string_view pattern);
std::string_view typeName(KeyType type);

// True for WSO2's top-level runtime keys `<ep>_<prod|sand>_endpoint_<i>`,
// `<ep>_<prod|sand>_basic_<username|password>` and `<ep>_<prod|sand>_<i>_etcdKey`
// (suffix matched case-insensitively, `<ep>` non-empty, no '.').
bool isEndpointOverrideKey(std::string_view key);

}  // namespace mgw::config::detail
