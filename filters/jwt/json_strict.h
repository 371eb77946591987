// Strict JSON parsing for JOSE headers and JWT claim sets.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

namespace mgw::jwt {

// Parses `text` without throwing. Returns a discarded value (`is_discarded()`) when the text is
// not valid JSON (including invalid UTF-8, which nlohmann's lexer rejects), nests deeper than
// `max_depth` arrays/objects (the parse stops at the first one too deep), or repeats a member
// name inside one object. RFC 7515 §5.2 / RFC 7519 §4 let parsers either reject duplicates or keep
// the last one; nlohmann keeps the last silently, and two parsers disagreeing on which value wins
// is an attack (catalogue §6 row 15), so we reject.
nlohmann::json parseStrictJson(std::string_view text, int max_depth = 64);

}  // namespace mgw::jwt
