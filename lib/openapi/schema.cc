#include "openapi/schema.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <vector>

namespace mgw::openapi {
namespace {

using Json = nlohmann::json;

struct BundleState {
  std::vector<std::string> stack;                // reference targets being inlined
  std::map<std::string, std::string> recursive;  // target id -> bundle name
  std::set<std::string> names;
  Json definitions = Json::object();
  std::size_t nodes = 0;
  bool failed = false;
};

Json scalarToJson(const Cursor& c) {
  if (c.node.IsNull())
    return nullptr;
  const std::string& s = c.scalar();
  if (!c.plain())
    return s;
  if (auto b = plainBool(s))
    return *b;
  if (auto i = plainInt(s))
    return *i;
  if (auto f = plainFloat(s))
    return *f;
  return s;
}

std::string bundleName(const Cursor& target, BundleState& st) {
  std::string base = "schema";
  std::size_t slash = target.pointer.rfind('/');
  if (slash != std::string::npos && slash + 1 < target.pointer.size()) {
    base.clear();
    for (char ch : target.pointer.substr(slash + 1)) {
      bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                ch == '_' || ch == '-' || ch == '.';
      base.push_back(ok ? ch : '_');
    }
  }
  std::string name = base;
  for (int i = 2; !st.names.insert(name).second; ++i)
    name = base + "_" + std::to_string(i);
  return name;
}

class Bundler {
 public:
  Bundler(DocumentStore& store, Diagnostics& diags) : store_(store), diags_(diags) {}

  Json convert(const Cursor& c, int depth) {
    if (st_.failed)
      return nullptr;
    if (++st_.nodes > kMaxSchemaNodes) {
      fail(c, "schema too large: more than " + std::to_string(kMaxSchemaNodes) +
                  " values after inlining $refs");
      return nullptr;
    }
    if (depth > kMaxSchemaDepth) {
      fail(c, "schema nested too deeply (more than " + std::to_string(kMaxSchemaDepth) +
                  " levels after inlining $refs)");
      return nullptr;
    }
    if (c.isMap()) {
      Cursor ref = c.child("$ref");
      if (ref.valid())
        return convertRef(ref, depth);
      Json obj = Json::object();
      for (const auto& [key, value] : c.members())
        obj[key] = convert(value, depth + 1);
      return obj;
    }
    if (c.isSeq()) {
      Json arr = Json::array();
      for (const Cursor& item : c.items())
        arr.push_back(convert(item, depth + 1));
      return arr;
    }
    if (c.isScalar() || c.isNull())
      return scalarToJson(c);
    return nullptr;
  }

  BundleState& state() { return st_; }

 private:
  void fail(const Cursor& c, std::string message) {
    st_.failed = true;
    diags_.error(c, std::move(message));
  }

  Json convertRef(const Cursor& ref, int depth) {
    Cursor target = store_.resolveRef(ref);
    if (!target.valid()) {
      st_.failed = true;
      return nullptr;
    }
    std::string id = target.doc->path + "#" + target.pointer;
    if (auto it = st_.recursive.find(id); it != st_.recursive.end())
      return refTo(it->second);
    if (std::find(st_.stack.begin(), st_.stack.end(), id) != st_.stack.end()) {
      std::string name = bundleName(target, st_);
      st_.recursive.emplace(id, name);
      return refTo(name);
    }
    st_.stack.push_back(id);
    Json body = convert(target, depth + 1);
    st_.stack.pop_back();
    if (auto it = st_.recursive.find(id); it != st_.recursive.end()) {
      st_.definitions[it->second] = std::move(body);
      return refTo(it->second);
    }
    return body;
  }

  static Json refTo(const std::string& name) {
    return Json{{"$ref", "#/definitions/" + escapePointerToken(name)}};
  }

  DocumentStore& store_;
  Diagnostics& diags_;
  BundleState st_;
};

}  // namespace

std::string bundleSchema(DocumentStore& store, Diagnostics& diags, const Cursor& schema) {
  Bundler bundler(store, diags);
  Json root = bundler.convert(schema, 0);
  BundleState& st = bundler.state();
  if (st.failed)
    return {};
  if (!st.definitions.empty()) {
    if (root.is_object() && root.contains("$ref"))
      root = Json{{"allOf", Json::array({root})}};
    if (!root.is_object())
      return {};
    Json& defs = root["definitions"];
    if (!defs.is_object())
      defs = Json::object();
    for (auto& [name, body] : st.definitions.items())
      defs[name] = std::move(body);
  }
  // Invalid UTF-8 in the definition must not throw here: replace it (U+FFFD).
  return root.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace mgw::openapi
