#include "config/toml_flatten.h"

#include <toml++/toml.h>

#include <charconv>
#include <exception>
#include <sstream>

#include "mgw/base/log.h"
#include "mgw/base/strings.h"

namespace mgw::config::detail {
namespace {

struct PathPart {
  std::string lower;
  std::string original;
};

std::string position(std::string_view path, const toml::source_region& src) {
  return std::string(path) + ":" + std::to_string(src.begin.line) + ":" +
         std::to_string(src.begin.column);
}

std::string joinPath(const std::vector<PathPart>& parts, bool lower) {
  std::string out;
  for (const PathPart& p : parts) {
    if (!out.empty())
      out += '.';
    out += lower ? p.lower : p.original;
  }
  return out;
}

std::string formatDouble(double d) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, d);
  std::string out(buf, res.ptr);
  // Keep floats recognisable as floats ("1.0", not "1") so integer keys reject them.
  if (out.find_first_of(".eEn") == std::string::npos)
    out += ".0";
  return out;
}

template <class T>
std::string streamed(const T& v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

class Flattener {
 public:
  explicit Flattener(std::string_view path) : path_(path) {}

  void table(const toml::table& tbl, std::vector<PathPart>& parts) {
    for (auto&& [k, v] : tbl) {
      // WSO2/Ballerina addressed config by dotted strings, so ["b7a.users.x"] is the same
      // table as [b7a.users.x]: a quoted key containing dots is split into path parts.
      size_t pushed = 0;
      for (std::string_view part : splitList(k.str(), '.')) {
        if (part.empty())
          continue;
        parts.push_back(PathPart{toLower(part), std::string(part)});
        ++pushed;
      }
      if (pushed == 0) {
        log::warn("config.empty_key", "ignoring a configuration key that is empty",
                  {{"source", position(path_, k.source())}});
        continue;
      }
      node(v, parts);
      parts.resize(parts.size() - pushed);
    }
  }

  std::vector<FlatEntry> take() { return std::move(entries_); }

 private:
  void node(const toml::node& n, std::vector<PathPart>& parts) {
    if (const toml::table* t = n.as_table()) {
      table(*t, parts);
      return;
    }
    if (const toml::array* a = n.as_array()) {
      array(*a, parts);
      return;
    }
    FlatEntry e;
    e.key = joinPath(parts, true);
    e.original_key = joinPath(parts, false);
    e.value = scalar(n);
    e.source = position(path_, n.source());
    entries_.push_back(std::move(e));
  }

  // Arrays of tables (and tables inside mixed arrays) are flattened with their index:
  // [[jwtTokenConfig]] issuer -> "jwttokenconfig.0.issuer". Other elements form a list.
  void array(const toml::array& arr, std::vector<PathPart>& parts) {
    std::vector<std::string> items;
    bool has_scalars = false;
    for (size_t i = 0; i < arr.size(); ++i) {
      const toml::node& el = arr[i];
      if (el.is_table()) {
        parts.push_back(PathPart{std::to_string(i), std::to_string(i)});
        table(*el.as_table(), parts);
        parts.pop_back();
      } else {
        has_scalars = true;
        items.push_back(el.is_array() ? nested(*el.as_array()) : scalar(el));
      }
    }
    if (!has_scalars && !arr.empty())
      return;
    FlatEntry e;
    e.key = joinPath(parts, true);
    e.original_key = joinPath(parts, false);
    for (size_t i = 0; i < items.size(); ++i) {
      if (i)
        e.value += ',';
      e.value += items[i];
    }
    e.list = std::move(items);
    e.source = position(path_, arr.source());
    entries_.push_back(std::move(e));
  }

  // Nested arrays are rare in WSO2 configs; they are kept as "[a,b]" text.
  std::string nested(const toml::array& arr) {
    std::string out = "[";
    for (size_t i = 0; i < arr.size(); ++i) {
      if (i)
        out += ',';
      const toml::node& el = arr[i];
      if (el.is_array()) {
        out += nested(*el.as_array());
      } else if (el.is_table()) {
        out += "{}";
      } else {
        out += scalar(el);
      }
    }
    out += ']';
    return out;
  }

  static std::string scalar(const toml::node& n) {
    if (auto s = n.as_string())
      return s->get();
    if (auto i = n.as_integer())
      return std::to_string(i->get());
    if (auto f = n.as_floating_point())
      return formatDouble(f->get());
    if (auto b = n.as_boolean())
      return b->get() ? "true" : "false";
    if (auto d = n.as_date())
      return streamed(d->get());
    if (auto t = n.as_time())
      return streamed(t->get());
    if (auto dt = n.as_date_time())
      return streamed(dt->get());
    return {};
  }

  std::string path_;
  std::vector<FlatEntry> entries_;
};

}  // namespace

Result<std::vector<FlatEntry>> flattenToml(std::string_view text, std::string_view path) {
  try {
    toml::table root = toml::parse(text, path);
    Flattener f(path);
    std::vector<PathPart> parts;
    f.table(root, parts);
    return f.take();
  } catch (const toml::parse_error& e) {
    return makeError("config.parse",
                     position(path, e.source()) + ": " + std::string(e.description()));
  } catch (const std::exception& e) {
    return makeError("config.parse", std::string(path) + ": " + e.what());
  }
}

}  // namespace mgw::config::detail
