#include "openapi/compiler.h"

#include <algorithm>
#include <array>
#include <exception>
#include <map>
#include <set>

#include "mgw/base/strings.h"
#include "openapi/endpoints.h"
#include "openapi/policies.h"
#include "openapi/schema.h"
#include "openapi/security.h"
#include "openapi/yaml_source.h"

namespace mgw::openapi {
namespace {

using artifact::Api;
using artifact::Artifact;
using artifact::EndpointRefs;
using artifact::Interceptor;
using artifact::InterceptorKind;
using artifact::MutualSsl;
using artifact::Resource;

constexpr std::array<std::string_view, 8> kMethods = {"get",     "put",  "post",  "delete",
                                                      "options", "head", "patch", "trace"};

bool isMethod(std::string_view key) {
  return std::find(kMethods.begin(), kMethods.end(), key) != kMethods.end();
}

bool isIdentStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool isIdentChar(char c) {
  return isIdentStart(c) || (c >= '0' && c <= '9');
}

bool isIdentifier(std::string_view s) {
  if (s.empty() || !isIdentStart(s.front()))
    return false;
  return std::all_of(s.begin(), s.end(), isIdentChar);
}

// RFC 9110 §5.6.2 token characters (header names).
bool isToken(std::string_view s) {
  if (s.empty())
    return false;
  for (char c : s) {
    bool ok =
        isIdentChar(c) || std::string_view("!#$%&'*+-.^`|~").find(c) != std::string_view::npos;
    if (!ok)
      return false;
  }
  return true;
}

// Names of functions defined in Lua or Ballerina source: `function name(`, `local function
// name(`, `public function name(`, `name = function(`. A textual scan is enough here: the
// toolkit only checks that a referenced name exists.
void collectFunctions(std::string_view text, std::set<std::string>& out) {
  constexpr std::string_view kFn = "function";
  for (std::size_t pos = text.find(kFn); pos != std::string_view::npos;
       pos = text.find(kFn, pos + kFn.size())) {
    bool word_start = pos == 0 || !isIdentChar(text[pos - 1]);
    std::size_t after = pos + kFn.size();
    if (!word_start || (after < text.size() && isIdentChar(text[after])))
      continue;
    std::size_t i = after;
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t'))
      ++i;
    std::size_t name_start = i;
    while (i < text.size() && isIdentChar(text[i]))
      ++i;
    if (i > name_start) {
      std::size_t j = i;
      while (j < text.size() && (text[j] == ' ' || text[j] == '\t'))
        ++j;
      if (j < text.size() && text[j] == '(')
        out.emplace(text.substr(name_start, i - name_start));
      continue;
    }
    // `name = function(`: look back over `=` and spaces to the assigned name.
    std::size_t k = pos;
    while (k > 0 && (text[k - 1] == ' ' || text[k - 1] == '\t'))
      --k;
    if (k == 0 || text[k - 1] != '=')
      continue;
    --k;
    while (k > 0 && (text[k - 1] == ' ' || text[k - 1] == '\t'))
      --k;
    std::size_t name_end = k;
    while (k > 0 && isIdentChar(text[k - 1]))
      --k;
    if (name_end > k)
      out.emplace(text.substr(k, name_end - k));
  }
}

// Path templates: "/" then segments; `{name}` parameters, non-empty and not nested.
std::optional<std::string> checkPathTemplate(std::string_view path) {
  if (path.empty() || path.front() != '/')
    return "path must start with '/'";
  bool in_param = false;
  std::size_t param_start = 0;
  for (std::size_t i = 0; i < path.size(); ++i) {
    char c = path[i];
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f || c == '?' || c == '#') {
      return "path contains a character that is not allowed (space, control, '?' or '#')";
    }
    if (c == '{') {
      if (in_param)
        return "nested '{' in path template";
      in_param = true;
      param_start = i + 1;
    } else if (c == '}') {
      if (!in_param)
        return "unbalanced '}' in path template";
      if (i == param_start)
        return "empty parameter name '{}' in path template";
      in_param = false;
    } else if (c == '/' && in_param) {
      return "unterminated '{' in path template";
    }
  }
  if (in_param)
    return "unterminated '{' in path template";
  return std::nullopt;
}

// "/pets/{id}" and "/pets/{petId}" route the same requests.
std::string routeShape(std::string_view path) {
  std::string out;
  bool in_param = false;
  for (char c : path) {
    if (c == '{') {
      in_param = true;
      out += "{}";
    } else if (c == '}') {
      in_param = false;
    } else if (!in_param) {
      out.push_back(c);
    }
  }
  return out;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z')
      c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

std::string normalizeBasePath(std::string path) {
  while (path.size() > 1 && path.back() == '/')
    path.pop_back();
  return path;
}

std::string replaceAll(std::string s, std::string_view from, std::string_view to) {
  for (std::size_t pos = s.find(from); pos != std::string::npos;
       pos = s.find(from, pos + to.size())) {
    s.replace(pos, from.size(), to);
  }
  return s;
}

bool startsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// Per-API compilation state.
struct ApiScope {
  Cursor root;
  bool oas3 = false;
  Api api;
  EndpointContext endpoints;
  SecurityContext security;
  std::optional<bool> api_disable_security;
  std::optional<AppSecurity> app_security;
  std::vector<Interceptor> request_interceptors;
  std::vector<Interceptor> response_interceptors;
  std::vector<std::string> root_server_urls;  // OAS3 servers[].url, variables substituted
};

class Compiler {
 public:
  Compiler(const ProjectInput& in, std::string_view version)
      : in_(in), store_(in.read, diags_), registry_(diags_) {
    art_.project = in.name;
    art_.toolkit_version = std::string(version);
  }

  CompileOutput run() {
    loadInterceptors();
    if (in_.has_policies) {
      art_.policies = compilePolicies(store_, diags_, "policies.yaml");
    } else {
      art_.policies = shippedPolicies();
    }
    for (const auto& p : art_.policies.resource)
      resource_tiers_.insert(p.name);
    for (const std::string& rel : in_.definitions)
      compileDefinition(rel);
    for (const auto& [rel, at] : non_api_) {
      if (store_.referencedFiles().count(rel) != 0)
        continue;
      diags_.error(at, "not an OpenAPI definition: no 'openapi' or 'swagger' field");
    }
    art_.endpoints = registry_.take();
    CompileOutput out;
    out.artifact = std::move(art_);
    out.diagnostics = std::move(diags_.items());
    return out;
  }

 private:
  void loadInterceptors() {
    for (const std::string& rel : in_.interceptor_files) {
      std::optional<std::string> text = in_.read ? in_.read(rel) : std::nullopt;
      if (!text) {
        diags_.add(Diagnostic{Severity::Error, rel, 0, 0, "", "cannot read interceptor file"});
        continue;
      }
      bool lua = rel.size() > 4 && rel.substr(rel.size() - 4) == ".lua";
      collectFunctions(*text, lua ? lua_functions_ : bal_functions_);
      art_.interceptor_sources[rel] = std::move(*text);
    }
  }

  void compileDefinition(const std::string& rel) {
    const Document* doc = store_.load(rel, nullptr);
    if (doc == nullptr)
      return;
    Cursor root = Cursor::root(*doc);
    if (!root.isMap()) {
      diags_.error(root, "an OpenAPI definition must be a map");
      return;
    }
    ApiScope scope;
    scope.root = root;
    Cursor swagger = root.child("swagger");
    Cursor openapi = root.child("openapi");
    if (openapi.valid()) {
      std::string v = openapi.isScalar() ? openapi.scalar() : std::string();
      if (!(v == "3.0" || v == "3.1" || startsWith(v, "3.0.") || startsWith(v, "3.1."))) {
        diags_.error(openapi, "unsupported OpenAPI version '" + v +
                                  "': expected openapi 3.0.x (or 3.1.x) or swagger \"2.0\"");
        return;
      }
      scope.oas3 = true;
    } else if (swagger.valid()) {
      std::string v = swagger.isScalar() ? swagger.scalar() : std::string();
      if (v != "2.0") {
        diags_.error(swagger, "unsupported Swagger version '" + v +
                                  "': expected swagger \"2.0\" or openapi 3.0.x");
        return;
      }
    } else {
      non_api_.emplace_back(rel, root);
      return;
    }
    std::size_t errors_before = diags_.errorCount();
    compileApi(scope);
    if (diags_.errorCount() == errors_before)
      art_.apis.push_back(std::move(scope.api));
  }

  void compileApi(ApiScope& s) {
    Api& api = s.api;
    api.source = {s.root.doc->path, s.root.line};
    Cursor info = s.root.child("info");
    if (!info.isMap()) {
      diags_.error(info.valid() ? info : s.root, "missing 'info' object with title and version");
    } else {
      Cursor title = info.child("title");
      Cursor version = info.child("version");
      if (!title.valid())
        diags_.error(info, "missing info.title");
      if (!version.valid())
        diags_.error(info, "missing info.version");
      if (title.valid())
        api.name = readString(diags_, title).value_or("");
      if (version.valid())
        api.version = readString(diags_, version).value_or("");
      if (title.valid() && title.isScalar() && api.name.empty()) {
        diags_.error(title, "info.title must not be empty");
      }
    }
    s.endpoints.api_name = api.name;
    s.endpoints.api_version = api.version;

    readRootExtensions(s);
    resolveBasePath(s);
    checkDuplicates(s);

    s.security = parseSecuritySchemes(store_, diags_, s.root, s.oas3);
    s.endpoints.parseNamedEndpoints(diags_, s.root.child("x-wso2-endpoints"));

    std::string api_ep_name = "api_" + sha256Hex(api.name + ":" + api.version);
    if (Cursor prod = s.root.child("x-wso2-production-endpoints"); prod.valid()) {
      api.endpoints.production = s.endpoints.endpointValue(diags_, registry_, prod, api_ep_name);
    } else if (!s.root_server_urls.empty()) {
      api.endpoints.production = s.endpoints.fromServers(diags_, registry_, s.root_server_urls,
                                                         s.root.child("servers"), api_ep_name);
    }
    if (Cursor sand = s.root.child("x-wso2-sandbox-endpoints"); sand.valid()) {
      api.endpoints.sandbox = s.endpoints.endpointValue(diags_, registry_, sand, api_ep_name);
    }
    compilePaths(s);
  }

  void readRootExtensions(ApiScope& s) {
    Api& api = s.api;
    for (const auto& [key, value] : s.root.members()) {
      if (key == "x-wso2-disable-security") {
        s.api_disable_security = readBool(diags_, value);
      } else if (key == "x-wso2-throttling-tier" ||
                 (key == "x-throttling-tier" && !s.root.has("x-wso2-throttling-tier"))) {
        if (auto tier = readString(diags_, value)) {
          api.throttling_tier = *tier;
          checkTier(value, *tier);
        }
      } else if (key == "x-wso2-cors") {
        api.cors = parseCors(diags_, value);
      } else if (key == "x-wso2-transports") {
        readTransports(s, value);
      } else if (key == "x-wso2-mutual-ssl") {
        std::optional<std::string> v = readString(diags_, value);
        if (v && iequals(*v, "mandatory")) {
          api.mutual_ssl = MutualSsl::Mandatory;
        } else if (v && iequals(*v, "optional")) {
          api.mutual_ssl = MutualSsl::Optional;
        } else if (v) {
          diags_.error(value,
                       "unknown x-wso2-mutual-ssl '" + *v + "': expected mandatory or optional");
        }
      } else if (key == "x-wso2-application-security") {
        s.app_security = parseAppSecurity(diags_, value);
      } else if (key == "x-wso2-auth-header") {
        if (auto h = readString(diags_, value)) {
          if (!isToken(*h)) {
            diags_.error(value, "x-wso2-auth-header '" + *h + "' is not a valid header name");
          } else {
            api.auth_header = *h;
          }
        }
      } else if (key == "x-wso2-owner") {
        api.owner = readString(diags_, value).value_or("");
      } else if (key == "x-wso2-response-cache") {
        readResponseCache(s, value);
      } else if (key == "x-wso2-request-interceptor") {
        if (auto i = parseInterceptor(value))
          s.request_interceptors.push_back(*i);
      } else if (key == "x-wso2-response-interceptor") {
        if (auto i = parseInterceptor(value))
          s.response_interceptors.push_back(*i);
      } else if (key == "servers" && s.oas3) {
        s.root_server_urls = serverUrls(diags_, value);
      }
    }
    if (api.transports.empty())
      api.transports = {"http", "https"};
    if (api.mutual_ssl == MutualSsl::Mandatory) {
      if (std::find(api.transports.begin(), api.transports.end(), "http") != api.transports.end() &&
          s.root.has("x-wso2-transports")) {
        diags_.warning(s.root.child("x-wso2-transports"),
                       "x-wso2-mutual-ssl is mandatory: the API is served over https only");
      }
      api.transports = {"https"};
    }
    if (s.app_security && s.app_security->optional.value_or(false) &&
        api.mutual_ssl != MutualSsl::Mandatory) {
      diags_.error(s.app_security->optional_at,
                   "x-wso2-application-security optional: true requires x-wso2-mutual-ssl: "
                   "mandatory");
    }
  }

  void readTransports(ApiScope& s, const Cursor& value) {
    auto list = readStringList(diags_, value);
    if (!list)
      return;
    if (list->empty()) {
      diags_.error(value, "x-wso2-transports must list http, https or both");
      return;
    }
    std::vector<Cursor> items = value.items();
    for (std::size_t i = 0; i < list->size(); ++i) {
      std::string t = toLower((*list)[i]);
      if (t != "http" && t != "https") {
        diags_.error(items[i], "unknown transport '" + (*list)[i] + "': expected http or https");
        continue;
      }
      if (std::find(s.api.transports.begin(), s.api.transports.end(), t) ==
          s.api.transports.end()) {
        s.api.transports.push_back(t);
      }
    }
    std::sort(s.api.transports.begin(), s.api.transports.end());
  }

  void readResponseCache(ApiScope& s, const Cursor& value) {
    if (!value.isMap()) {
      diags_.error(value, "x-wso2-response-cache must be a map {enabled, cacheTimeoutInSeconds}");
      return;
    }
    for (const auto& [key, v] : value.members()) {
      if (key == "enabled") {
        s.api.response_cache.enabled = readBool(diags_, v).value_or(false);
      } else if (key == "cacheTimeoutInSeconds") {
        s.api.response_cache.timeout_seconds = readInt(diags_, v, 0, INT32_MAX).value_or(300);
      } else {
        diags_.warning(v, "unknown x-wso2-response-cache key '" + key + "' ignored");
      }
    }
  }

  void resolveBasePath(ApiScope& s) {
    Api& api = s.api;
    base_path_at_ = Cursor();
    Cursor bp = s.root.child("x-wso2-basePath");
    std::string path;
    Cursor at = bp;
    if (bp.valid()) {
      auto v = readString(diags_, bp);
      if (!v)
        return;
      path = replaceAll(*v, "{version}", api.version);
    } else if (s.oas3 && !s.root_server_urls.empty()) {
      path = urlPath(s.root_server_urls.front());
      at = s.root.child("servers");
    } else if (!s.oas3 && s.root.has("basePath")) {
      at = s.root.child("basePath");
      auto v = readString(diags_, at);
      if (!v)
        return;
      path = *v;
    } else {
      diags_.warning(s.root, "no x-wso2-basePath, servers or basePath: the API is served at '/'");
      path = "/";
    }
    if (path.empty())
      path = "/";
    if (path.front() != '/') {
      diags_.error(at, "base path '" + path + "' must start with '/'");
      return;
    }
    for (char c : path) {
      if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f || c == '?' || c == '#' || c == '{' ||
          c == '}') {
        diags_.error(at, "base path '" + path + "' contains a character that is not allowed");
        return;
      }
    }
    api.base_path = normalizeBasePath(path);
    base_path_at_ = at;
  }

  void checkDuplicates(ApiScope& s) {
    const Api& api = s.api;
    Cursor at = base_path_at_.valid() ? base_path_at_ : s.root;
    if (!api.base_path.empty()) {
      auto [it, inserted] = base_paths_.emplace(api.base_path, s.root.doc->path);
      if (!inserted) {
        diags_.error(at,
                     "duplicate base path '" + api.base_path + "': already used by " + it->second);
      }
    }
    if (!api.name.empty()) {
      std::string key = api.name + ":" + api.version;
      auto [it, inserted] = name_versions_.emplace(key, s.root.doc->path);
      if (!inserted) {
        diags_.error(s.root.child("info"),
                     "duplicate API '" + key + "': already defined by " + it->second);
      }
    }
  }

  void checkTier(const Cursor& at, const std::string& tier) {
    if (tier.empty() || resource_tiers_.count(tier) != 0 || isBuiltinTier(tier))
      return;
    diags_.warning(at, "throttling tier '" + tier +
                           "' is not defined in policies.yaml resourcePolicies: requests will "
                           "fail at runtime with 500 (900809)");
  }

  std::optional<Interceptor> parseInterceptor(const Cursor& c) {
    auto ref = readString(diags_, c);
    if (!ref)
      return std::nullopt;
    std::string_view r = *ref;
    Interceptor out;
    out.ref = *ref;
    if (startsWith(r, "java:")) {
      std::string_view cls = r.substr(5);
      bool ok = !cls.empty() && cls.front() != '.' && cls.back() != '.';
      for (char ch : cls)
        ok = ok && (isIdentChar(ch) || ch == '.' || ch == '$');
      if (!ok) {
        diags_.error(c, "malformed Java interceptor '" + *ref + "': expected java:<class name>");
        return std::nullopt;
      }
      out.kind = InterceptorKind::Java;
      diags_.warning(c, "Java interceptor '" + *ref +
                            "' cannot run in this gateway: resources using it answer 500 until "
                            "a Lua interceptor replaces it");
      return out;
    }
    if (r.find(':') != std::string_view::npos || r.find('/') != std::string_view::npos) {
      // org/module[/version]:function
      std::size_t colon = r.rfind(':');
      std::string_view module = r.substr(0, colon);
      std::string_view fn = colon == std::string_view::npos ? "" : r.substr(colon + 1);
      std::vector<std::string_view> parts = splitList(module, '/');
      auto isVersion = [](std::string_view v) {
        return !v.empty() && std::all_of(v.begin(), v.end(), [](char ch) {
          return isIdentChar(ch) || ch == '.' || ch == '-';
        });
      };
      bool ok = colon != std::string_view::npos && isIdentifier(fn) &&
                (parts.size() == 2 || parts.size() == 3) && isIdentifier(parts[0]) &&
                isIdentifier(parts[1]) && (parts.size() == 2 || isVersion(parts[2]));
      if (!ok) {
        diags_.error(c, "malformed interceptor '" + *ref +
                            "': expected <function>, <org>/<module>[/<version>]:<function> or "
                            "java:<class>");
        return std::nullopt;
      }
      out.kind = InterceptorKind::Module;
      diags_.warning(c, "Ballerina module interceptor '" + *ref +
                            "' cannot run in this gateway: resources using it answer 500 until "
                            "a Lua interceptor replaces it");
      return out;
    }
    if (!isIdentifier(r)) {
      diags_.error(c, "malformed interceptor '" + *ref +
                          "': expected <function>, <org>/<module>[/<version>]:<function> or "
                          "java:<class>");
      return std::nullopt;
    }
    out.kind = InterceptorKind::Function;
    if (lua_functions_.count(*ref) != 0)
      return out;
    if (bal_functions_.count(*ref) != 0) {
      diags_.warning(c, "interceptor '" + *ref +
                            "' is a Ballerina function (interceptors/*.bal) and cannot run in "
                            "this gateway: resources using it answer 500 until a Lua function of "
                            "that name exists");
      return out;
    }
    diags_.error(c, "unknown interceptor '" + *ref +
                        "': no function of that name in interceptors/*.lua or interceptors/*.bal");
    return std::nullopt;
  }

  void compilePaths(ApiScope& s) {
    Cursor paths = s.root.child("paths");
    if (!paths.valid()) {
      diags_.error(s.root, "missing 'paths'");
      return;
    }
    if (paths.isNull())
      return;
    if (!paths.isMap()) {
      diags_.error(paths, "'paths' must be a map");
      return;
    }
    std::map<std::string, std::string> routes;  // METHOD + shape -> path as written
    for (const auto& [path, raw_item] : paths.members()) {
      if (startsWith(path, "x-"))
        continue;
      if (auto why = checkPathTemplate(path)) {
        diags_.error(raw_item, "invalid path '" + path + "': " + *why);
        continue;
      }
      Cursor item = store_.deref(raw_item);
      if (!item.valid())
        continue;
      if (item.isNull())
        continue;
      if (!item.isMap()) {
        diags_.error(item, "a path item must be a map");
        continue;
      }
      for (const auto& [key, op] : item.members()) {
        if (!isMethod(key)) {
          if (isMethod(toLower(key))) {
            diags_.error(op, "HTTP method keys must be lower case: '" + toLower(key) + "'");
          }
          continue;
        }
        std::string method = upper(key);
        std::string route = method + " " + routeShape(path);
        auto [it, inserted] = routes.emplace(route, path);
        if (!inserted) {
          diags_.error(op, method + " " + path + " conflicts with " + method + " " + it->second);
          continue;
        }
        compileOperation(s, path, item, key, op);
      }
    }
  }

  void compileOperation(ApiScope& s, const std::string& path, const Cursor& item,
                        const std::string& key, const Cursor& op) {
    if (!op.isMap()) {
      diags_.error(op, "an operation must be a map");
      return;
    }
    Api& api = s.api;
    Resource r;
    r.path_template = path;
    r.method = upper(key);
    r.source = {op.doc->path, op.line};
    if (Cursor id = op.child("operationId"); id.valid()) {
      r.operation_id = readString(diags_, id).value_or("");
    }

    // Endpoints: operation extension, then operation/path servers (OAS3), then the API's.
    std::string op_ep_name =
        "res_" +
        sha256Hex(api.name + ":" + api.version + ":" + r.method + ":" + path).substr(0, 16);
    Cursor servers = op.child("servers");
    if (!servers.valid())
      servers = item.child("servers");
    if (Cursor prod = op.child("x-wso2-production-endpoints"); prod.valid()) {
      r.endpoints.production = s.endpoints.endpointValue(diags_, registry_, prod, op_ep_name);
    } else if (s.oas3 && servers.valid()) {
      r.endpoints.production = s.endpoints.fromServers(
          diags_, registry_, serverUrls(diags_, servers), servers, op_ep_name);
    }
    if (!r.endpoints.production && !op.has("x-wso2-production-endpoints")) {
      r.endpoints.production = api.endpoints.production;
    }
    if (Cursor sand = op.child("x-wso2-sandbox-endpoints"); sand.valid()) {
      r.endpoints.sandbox = s.endpoints.endpointValue(diags_, registry_, sand, op_ep_name);
    } else {
      r.endpoints.sandbox = api.endpoints.sandbox;
    }
    // When endpoints are declared but none resolved, their errors are already reported.
    bool declared = op.has("x-wso2-production-endpoints") || op.has("x-wso2-sandbox-endpoints") ||
                    s.root.has("x-wso2-production-endpoints") ||
                    s.root.has("x-wso2-sandbox-endpoints");
    if (!r.endpoints.production && !r.endpoints.sandbox && !declared) {
      diags_.error(op, "no endpoint for " + r.method + " " + path +
                           ": set x-wso2-production-endpoints or x-wso2-sandbox-endpoints on the "
                           "API or the operation (or OpenAPI 3 servers)");
    }

    // Security.
    std::optional<bool> disable = s.api_disable_security;
    if (Cursor auth_type = op.child("x-auth-type"); auth_type.valid()) {
      if (auto v = readString(diags_, auth_type); v && *v == "None")
        disable = true;
    }
    if (Cursor ds = op.child("x-wso2-disable-security"); ds.valid()) {
      if (auto v = readBool(diags_, ds))
        disable = *v;
    }
    r.disable_security = disable.value_or(false);

    Cursor op_security = op.child("security");
    Cursor effective_security = op_security.valid() ? op_security : s.root.child("security");
    SecurityMapping mapped = mapSecurity(diags_, s.security, effective_security);
    std::optional<AppSecurity> app = s.app_security;
    if (Cursor as = op.child("x-wso2-application-security"); as.valid()) {
      app = parseAppSecurity(diags_, as);
      if (app && app->optional.value_or(false) && api.mutual_ssl != MutualSsl::Mandatory) {
        diags_.error(app->optional_at,
                     "x-wso2-application-security optional: true requires x-wso2-mutual-ssl: "
                     "mandatory");
      }
    }
    if (app) {
      r.auth = authFromAppSecurity(*app, s.security, mapped);
      r.app_security_optional = app->optional.value_or(false);
    } else {
      r.auth = std::move(mapped.auth);
    }
    r.scopes = std::move(mapped.scopes);
    if (Cursor xs = op.child("x-scope"); xs.valid()) {
      if (auto v = readString(diags_, xs)) {
        if (!v->empty() && std::find(r.scopes.begin(), r.scopes.end(), *v) == r.scopes.end()) {
          r.scopes.push_back(*v);
        }
      }
    }

    // Throttling: `x-throttling-tier` beats `x-wso2-throttling-tier`; an API tier wins over both.
    Cursor tier_at = op.child("x-throttling-tier");
    if (!tier_at.valid())
      tier_at = op.child("x-wso2-throttling-tier");
    if (tier_at.valid()) {
      if (auto tier = readString(diags_, tier_at)) {
        if (!api.throttling_tier.empty()) {
          diags_.warning(tier_at, "resource tier '" + *tier + "' is ignored: the API tier '" +
                                      api.throttling_tier + "' applies to every resource");
        } else {
          r.throttling_tier = *tier;
          checkTier(tier_at, *tier);
        }
      }
    }

    // Interceptors: request API then resource; response resource then API.
    r.request_interceptors = s.request_interceptors;
    if (Cursor ri = op.child("x-wso2-request-interceptor"); ri.valid()) {
      if (auto i = parseInterceptor(ri))
        r.request_interceptors.push_back(*i);
    }
    if (Cursor ri = op.child("x-wso2-response-interceptor"); ri.valid()) {
      if (auto i = parseInterceptor(ri))
        r.response_interceptors.push_back(*i);
    }
    r.response_interceptors.insert(r.response_interceptors.end(), s.response_interceptors.begin(),
                                   s.response_interceptors.end());

    compileSchemas(s, item, op, r);
    api.resources.push_back(std::move(r));
  }

  // The JSON media type of an OAS3 content map: application/json, else the first *json type.
  Cursor jsonMedia(const Cursor& content) {
    if (!content.isMap())
      return {};
    if (Cursor c = content.child("application/json"); c.valid())
      return c;
    for (const auto& [type, media] : content.members()) {
      if (toLower(type).find("json") != std::string::npos)
        return media;
    }
    return {};
  }

  // WSO2's parser accepted definitions whose body schemas point nowhere (e.g. a
  // `#/components/schemas/Pet` without `components`). Such a `$ref` only costs validation of that
  // body, so it is a warning that says so; routing, endpoint and security references stay errors.
  void compileSchemas(ApiScope& s, const Cursor& item, const Cursor& op, Resource& r) {
    const std::string op_name = r.method + " " + r.path_template;
    {
      DocumentStore::LenientRefs lenient(
          store_, "schema dropped: the request body of " + op_name + " is not validated");
      if (s.oas3) {
        if (Cursor body = op.child("requestBody"); body.valid()) {
          Cursor rb = store_.deref(body);
          Cursor media = jsonMedia(rb.child("content"));
          if (Cursor schema = media.child("schema"); schema.valid()) {
            r.request_schema = bundleSchema(store_, diags_, schema);
          }
        }
      } else {
        // Operation parameters override path-item parameters of the same name and location.
        Cursor body_param;
        for (const Cursor& list : {item.child("parameters"), op.child("parameters")}) {
          for (const Cursor& raw : list.items()) {
            DocumentStore::LenientRefs lenient_param(
                store_, "parameter ignored: if it is the body parameter, the request body of " +
                            op_name + " is not validated");
            Cursor p = store_.deref(raw);
            if (Cursor in = p.child("in"); in.isScalar() && in.scalar() == "body")
              body_param = p;
          }
        }
        if (Cursor schema = body_param.child("schema"); schema.valid()) {
          r.request_schema = bundleSchema(store_, diags_, schema);
        }
      }
    }
    Cursor responses = op.child("responses");
    for (const auto& [status, raw] : responses.members()) {
      if (startsWith(status, "x-"))
        continue;
      DocumentStore::LenientRefs lenient(
          store_,
          "schema dropped: the " + status + " response body of " + op_name + " is not validated");
      Cursor resp = store_.deref(raw);
      Cursor schema =
          s.oas3 ? jsonMedia(resp.child("content")).child("schema") : resp.child("schema");
      if (!schema.valid())
        continue;
      std::string text = bundleSchema(store_, diags_, schema);
      if (!text.empty())
        r.response_schemas[status] = std::move(text);
    }
  }

  const ProjectInput& in_;
  Diagnostics diags_;
  DocumentStore store_;
  EndpointRegistry registry_;
  Artifact art_;
  std::set<std::string> lua_functions_;
  std::set<std::string> bal_functions_;
  std::set<std::string> resource_tiers_;
  std::map<std::string, std::string> base_paths_;
  std::map<std::string, std::string> name_versions_;
  std::vector<std::pair<std::string, Cursor>> non_api_;
  Cursor base_path_at_;
};

}  // namespace

CompileOutput compileProject(const ProjectInput& input, std::string_view toolkit_version) {
  // yaml-cpp and the standard library may throw (bad_alloc, yaml-cpp internals): this is the
  // module boundary, turn anything into a diagnostic.
  try {
    Compiler compiler(input, toolkit_version);
    return compiler.run();
  } catch (const std::exception& e) {
    CompileOutput out;
    out.diagnostics.push_back(
        Diagnostic{Severity::Error, "", 0, 0, "", std::string("internal error: ") + e.what()});
    return out;
  }
}

}  // namespace mgw::openapi
