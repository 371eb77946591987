#include "filters/jwt/json_strict.h"

#include <exception>
#include <string>
#include <unordered_set>
#include <vector>

namespace mgw::jwt {
namespace {

// Maximum nesting depth of `text`, counting only brackets outside string literals. Malformed text
// may give a meaningless number; the real parser rejects it afterwards.
int nestingDepth(std::string_view text, int limit) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > limit)
        return depth;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return 0;
}

// Member names seen in one object: a linear scan for the usual handful of claims, a hash set
// once an object grows large (keeps a 16 KiB token of 2 000 distinct keys linear, not quadratic).
class SeenNames {
 public:
  // Returns false when `name` was already seen.
  bool insert(const std::string& name) {
    if (!large_.empty())
      return large_.insert(name).second;
    for (const auto& seen : small_) {
      if (seen == name)
        return false;
    }
    small_.push_back(name);
    if (small_.size() > kSmallLimit) {
      large_.insert(small_.begin(), small_.end());
      small_.clear();
    }
    return true;
  }

 private:
  static constexpr size_t kSmallLimit = 32;
  std::vector<std::string> small_;
  std::unordered_set<std::string> large_;
};

}  // namespace

nlohmann::json parseStrictJson(std::string_view text, int max_depth) {
  using Json = nlohmann::json;
  if (nestingDepth(text, max_depth) > max_depth)
    return Json(Json::value_t::discarded);
  // One frame of seen member names per open object. Keys only ever arrive for the innermost open
  // object, so arrays need no frame.
  std::vector<SeenNames> frames;
  bool duplicate = false;
  auto callback = [&](int /*depth*/, Json::parse_event_t event, Json& parsed) {
    switch (event) {
      case Json::parse_event_t::object_start:
        frames.emplace_back();
        break;
      case Json::parse_event_t::object_end:
        if (!frames.empty())
          frames.pop_back();
        break;
      case Json::parse_event_t::key: {
        if (frames.empty() || !parsed.is_string())
          break;
        if (!frames.back().insert(parsed.get_ref<const std::string&>()))
          duplicate = true;
        break;
      }
      default:
        break;
    }
    return true;
  };
  try {
    Json result = Json::parse(text.begin(), text.end(), callback, /*allow_exceptions=*/false);
    if (duplicate)
      return Json(Json::value_t::discarded);
    return result;
  } catch (const std::exception&) {
    // Only allocation failures can get here (allow_exceptions=false); treat as unparsable.
    return Json(Json::value_t::discarded);
  }
}

}  // namespace mgw::jwt
