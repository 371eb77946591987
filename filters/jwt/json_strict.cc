#include "filters/jwt/json_strict.h"

#include <exception>
#include <string>
#include <utility>
#include <vector>

namespace mgw::jwt {
namespace {

using Json = nlohmann::json;

// Builds the DOM from nlohmann's SAX events, like its own DOM parser, and fails the parse at the
// first repeated member name (a std::map insertion that finds the key) or at the first array or
// object nested deeper than the limit. Doing both here, rather than through the callback parser,
// avoids a JSON string per member name and a second pass over the text: the token path is hot.
class StrictDomBuilder {
 public:
  StrictDomBuilder(Json& root, int max_depth) : root_(root), max_depth_(max_depth) {}

  bool null() { return add(nullptr); }
  bool boolean(bool v) { return add(v); }
  bool number_integer(Json::number_integer_t v) { return add(v); }
  bool number_unsigned(Json::number_unsigned_t v) { return add(v); }
  bool number_float(Json::number_float_t v, const Json::string_t& /*text*/) { return add(v); }
  // The lexer clears its token buffer before the next token: the string can be moved from.
  bool string(Json::string_t& v) { return add(std::move(v)); }
  bool binary(Json::binary_t& v) { return add(Json::binary(std::move(v))); }
  bool start_object(std::size_t /*size*/) { return open(Json::value_t::object); }
  bool start_array(std::size_t /*size*/) { return open(Json::value_t::array); }
  bool key(Json::string_t& name) {
    auto& members = stack_.back()->get_ref<Json::object_t&>();
    const auto [it, inserted] = members.try_emplace(std::move(name));
    member_ = &it->second;
    return inserted;
  }
  bool end_object() { return close(); }
  bool end_array() { return close(); }
  bool parse_error(std::size_t /*pos*/, const std::string& /*token*/,
                   const nlohmann::detail::exception& /*e*/) {
    return false;
  }

 private:
  // Places `value` where the grammar says: the root, the next array element, or the member
  // whose key was just read. Returns its address for open().
  template <class V>
  Json* place(V&& value) {
    if (stack_.empty()) {
      root_ = Json(std::forward<V>(value));
      return &root_;
    }
    Json& parent = *stack_.back();
    if (parent.is_array()) {
      auto& elements = parent.get_ref<Json::array_t&>();
      elements.emplace_back(std::forward<V>(value));
      return &elements.back();
    }
    *member_ = Json(std::forward<V>(value));
    return member_;
  }
  template <class V>
  bool add(V&& value) {
    place(std::forward<V>(value));
    return true;
  }
  bool open(Json::value_t type) {
    if (static_cast<int>(stack_.size()) >= max_depth_)
      return false;
    stack_.push_back(place(type));
    return true;
  }
  bool close() {
    stack_.pop_back();
    return true;
  }

  Json& root_;
  const int max_depth_;
  std::vector<Json*> stack_;
  Json* member_ = nullptr;
};

}  // namespace

nlohmann::json parseStrictJson(std::string_view text, int max_depth) {
  Json result;
  StrictDomBuilder builder(result, max_depth);
  try {
    if (!Json::sax_parse(text.begin(), text.end(), &builder, Json::input_format_t::json,
                         /*strict=*/true))
      return Json(Json::value_t::discarded);
    return result;
  } catch (const std::exception&) {
    // Only allocation failures can get here (parse errors go to parse_error()).
    return Json(Json::value_t::discarded);
  }
}

}  // namespace mgw::jwt
