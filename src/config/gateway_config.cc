#include "mgw/config/gateway_config.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <set>
#include <unordered_map>

#include "config/known_keys.h"
#include "config/toml_flatten.h"
#include "mgw/base/log.h"
#include "mgw/base/strings.h"

extern char** environ;  // POSIX; not declared by <unistd.h> without _GNU_SOURCE

namespace mgw::config {
namespace {

using detail::KeyType;

constexpr size_t kMaxConfigFileBytes = 16 * 1024 * 1024;

// One merged configuration value and where it came from.
struct Entry {
  std::string original_key;  // spelling shown in messages (file/flag spelling, or WSO2's)
  std::string value;
  std::optional<std::vector<std::string>> list;
  std::string source;
};
using Store = std::map<std::string, Entry>;  // lowercase dotted key -> entry

std::string quoteValue(std::string_view v) {
  constexpr size_t kMax = 64;
  std::string out = "\"";
  out.append(v.substr(0, kMax));
  if (v.size() > kMax)
    out += "...";
  out += '"';
  return out;
}

std::optional<int64_t> parseInt(std::string_view s) {
  s = trimOws(s);
  if (s.empty())
    return std::nullopt;
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size())
    return std::nullopt;
  return v;
}

std::optional<double> parseDouble(std::string_view s) {
  s = trimOws(s);
  if (s.empty())
    return std::nullopt;
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size())
    return std::nullopt;
  return v;
}

std::optional<bool> parseBool(std::string_view s) {
  s = trimOws(s);
  if (iequals(s, "true"))
    return true;
  if (iequals(s, "false"))
    return false;
  return std::nullopt;
}

std::vector<std::string> splitNonEmpty(std::string_view s) {
  std::vector<std::string> out;
  for (std::string_view part : splitList(s, ',')) {
    if (!part.empty())
      out.emplace_back(part);
  }
  return out;
}

// Ballerina config keys are case-insensitive in this gateway; the lowercase form is the key.
void put(Store& store, std::string key, Entry entry, bool warn_duplicate) {
  auto it = store.find(key);
  if (it != store.end() && warn_duplicate) {
    log::warn(
        "config.duplicate_key", "configuration key set twice; the later value wins",
        {{"key", entry.original_key}, {"first", it->second.source}, {"second", entry.source}});
  }
  store[std::move(key)] = std::move(entry);
}

// ---- config file -------------------------------------------------------------------------

bool isRegularFile(const std::filesystem::path& p) {
  std::error_code ec;
  return std::filesystem::is_regular_file(p, ec);
}

Result<std::string> readFile(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return makeError("config.unreadable", path + ": no such configuration file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return makeError("config.unreadable", path + ": cannot open configuration file");
  std::string data;
  char buf[8192];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    data.append(buf, static_cast<size_t>(in.gcount()));
    if (data.size() > kMaxConfigFileBytes) {
      return makeError("config.unreadable", path + ": configuration file larger than 16 MiB");
    }
  }
  if (in.bad())
    return makeError("config.unreadable", path + ": read error");
  return data;
}

// The file to read, or nullopt for defaults only (see README "File lookup").
std::optional<std::string> findConfigFile(bool use_environment) {
  if (use_environment) {
    if (const char* dir = std::getenv("MGW_CONF_DIR"); dir != nullptr && *dir != '\0') {
      std::filesystem::path base(dir);
      for (const auto& candidate : {base / "conf" / "micro-gw.conf", base / "micro-gw.conf"}) {
        if (isRegularFile(candidate))
          return candidate.string();
      }
      log::info("config.file", "MGW_CONF_DIR has no micro-gw.conf", {{"dir", dir}});
    }
  }
  std::filesystem::path local = std::filesystem::path("conf") / "micro-gw.conf";
  if (isRegularFile(local))
    return local.string();
  return std::nullopt;
}

Status applyFile(Store& store, const std::string& path) {
  auto text = readFile(path);
  if (!text)
    return text.error();
  auto entries = detail::flattenToml(*text, path);
  if (!entries)
    return entries.error();
  for (detail::FlatEntry& e : *entries) {
    put(store, std::move(e.key),
        Entry{std::move(e.original_key), std::move(e.value), std::move(e.list),
              std::move(e.source)},
        true);
  }
  return {};
}

// ---- environment ---------------------------------------------------------------------------

// Removes '.', '_' and case: MGW_LISTENERCONFIG_HTTPPORT and listenerConfig.httpPort meet here.
std::string squash(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c != '.' && c != '_')
      out += asciiLower(c);
  }
  return out;
}

std::string underscored(std::string_view pattern) {
  std::string out = toLower(pattern);
  std::replace(out.begin(), out.end(), '.', '_');
  return out;
}

struct EnvIndex {
  std::unordered_map<std::string, std::string_view> exact;     // "listenerconfig_httpport"
  std::unordered_map<std::string, std::string_view> squashed;  // "listenerconfighttpport"
};

const EnvIndex& envIndex() {
  static const EnvIndex index = [] {
    EnvIndex ix;
    for (const detail::KnownKey& k : detail::knownKeys()) {
      if (detail::isWildcardPattern(k.pattern))
        continue;
      // First entry wins on a clash (3.2 spellings are listed before 3.0 ones).
      ix.exact.emplace(underscored(k.pattern), k.pattern);
      ix.squashed.emplace(squash(k.pattern), k.pattern);
    }
    return ix;
  }();
  return index;
}

std::optional<std::string_view> matchMgwEnv(std::string_view rest) {
  const EnvIndex& ix = envIndex();
  if (auto it = ix.exact.find(toLower(rest)); it != ix.exact.end())
    return it->second;
  if (auto it = ix.squashed.find(squash(rest)); it != ix.squashed.end())
    return it->second;
  return std::nullopt;
}

void putEnv(Store& store, std::string_view name, std::string_view key, std::string_view value) {
  put(store, toLower(key),
      Entry{std::string(key), std::string(value), std::nullopt, "env " + std::string(name)}, false);
}

// Two passes so that MGW_-prefixed variables win over WSO2's bare forms whatever the order of
// `environ`: 1) bare `listenerConfig_httpPort` / `LISTENERCONFIG_HTTPPORT` (known keys only)
// and bare endpoint overrides `myEp_prod_endpoint_0`; 2) `MGW_<SECTION>_<KEY>`.
void applyEnvironment(Store& store) {
  std::vector<std::pair<std::string_view, std::string_view>> vars;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view kv(*e);
    size_t eq = kv.find('=');
    if (eq == std::string_view::npos || eq == 0)
      continue;
    vars.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
  }
  const EnvIndex& ix = envIndex();
  for (const auto& [name, value] : vars) {
    if (name.size() > 4 && iequals(name.substr(0, 4), "MGW_"))
      continue;
    if (detail::isEndpointOverrideKey(name)) {
      putEnv(store, name, name, value);
    } else if (auto it = ix.exact.find(toLower(name)); it != ix.exact.end()) {
      putEnv(store, name, it->second, value);
    }
  }
  for (const auto& [name, value] : vars) {
    if (name.size() <= 4 || !iequals(name.substr(0, 4), "MGW_"))
      continue;
    std::string_view rest = name.substr(4);
    if (auto key = matchMgwEnv(rest)) {
      putEnv(store, name, *key, value);
    } else if (detail::isEndpointOverrideKey(rest)) {
      putEnv(store, name, rest, value);
    } else if (!iequals(rest, "CONF_DIR") && !iequals(rest, "HOME")) {
      log::debug("config.env_ignored", "environment variable matches no known key",
                 {{"name", name}});
    }
  }
}

// ---- command-line overrides ----------------------------------------------------------------

struct Override {
  std::string key;  // as typed, dashes removed
  std::string value;
};

Result<std::vector<Override>> parseOverrides(const std::vector<std::string>& args) {
  std::vector<Override> out;
  for (const std::string& arg : args) {
    std::string_view a(arg);
    if (a.starts_with("--")) {
      a.remove_prefix(2);
    } else if (a.starts_with("-")) {
      a.remove_prefix(1);
    }
    size_t eq = a.find('=');
    if (eq == std::string_view::npos) {
      return makeError("config.bad_override",
                       quoteValue(arg) + ": expected --<section.key>=<value>");
    }
    std::string_view key = a.substr(0, eq);
    bool ok = !key.empty() && key.front() != '.' && key.back() != '.' &&
              key.find("..") == std::string_view::npos;
    for (char c : key) {
      bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                     c == '_' || c == '-' || c == '.';
      ok = ok && allowed;
    }
    if (!ok) {
      return makeError("config.bad_override",
                       quoteValue(arg) + ": key must be dotted letters, digits, '_' or '-'");
    }
    out.push_back(Override{std::string(key), std::string(a.substr(eq + 1))});
  }
  return out;
}

void applyOverrides(Store& store, const std::vector<Override>& overrides) {
  for (const Override& o : overrides) {
    put(store, toLower(o.key), Entry{o.key, o.value, std::nullopt, "flag --" + o.key}, false);
  }
}

// ---- checks --------------------------------------------------------------------------------

class Checker {
 public:
  explicit Checker(const Store& store) : store_(store) {}

  // nullptr when absent or already reported, so one bad key gives one message.
  const Entry* find(std::string_view key) const {
    auto it = store_.find(toLower(key));
    if (it == store_.end() || failed_.count(&it->second))
      return nullptr;
    return &it->second;
  }

  void fail(const Entry& e, std::string_view expected) {
    std::string got = e.list ? "an array [" + e.value.substr(0, 64) + "]" : quoteValue(e.value);
    errors_.push_back(e.source + ": " + e.original_key + ": expected " + std::string(expected) +
                      ", got " + got);
    failed_.insert(&e);
  }

  template <class T>
  void integer(std::string_view key, T& out, int64_t min, int64_t max, std::string_view what) {
    const Entry* e = find(key);
    if (e == nullptr)
      return;
    auto v = parseInt(e->value);
    if (!v || *v < min || *v > max) {
      fail(*e, what);
      return;
    }
    out = static_cast<T>(*v);
  }

  // Every known key with a scalar type must parse as that type, whichever source set it.
  void knownTypes() {
    for (const auto& [key, e] : store_) {
      const detail::KnownKey* k = detail::findKnownKey(key);
      if (k == nullptr)
        continue;
      // Arrays are only valid where a list is expected.
      bool ok = !e.list || k->type == KeyType::List || k->type == KeyType::Any;
      switch (k->type) {
        case KeyType::Int:
          ok = ok && parseInt(e.value).has_value();
          break;
        case KeyType::Bool:
          ok = ok && parseBool(e.value).has_value();
          break;
        case KeyType::Float:
          ok = ok && parseDouble(e.value).has_value();
          break;
        case KeyType::Any:
        case KeyType::String:
        case KeyType::List:
          break;
      }
      if (!ok)
        fail(e, detail::typeName(k->type));
    }
  }

  std::vector<std::string>& errors() { return errors_; }

 private:
  const Store& store_;
  std::vector<std::string> errors_;
  std::set<const Entry*> failed_;
};

constexpr int64_t kIntMax = 2147483647;
constexpr int64_t kInt64Max = INT64_MAX;

void fillTyped(Checker& c, GatewayConfig& cfg) {
  ListenerConfig& l = cfg.listener;
  if (const Entry* e = c.find("listenerconfig.host")) {
    if (trimOws(e->value).empty()) {
      c.fail(*e, "a host name or address");
    } else {
      l.host = std::string(trimOws(e->value));
    }
  }
  constexpr std::string_view kPort = "an integer port in 0..65535 (0 = ephemeral)";
  c.integer("listenerconfig.httpport", l.http_port, 0, 65535, kPort);
  c.integer("listenerconfig.httpsport", l.https_port, 0, 65535, kPort);
  c.integer("listenerconfig.tokenlistenerport", l.token_listener_port, 0, 65535, kPort);
  if (const Entry* e = c.find("listenerconfig.keepalive")) {
    std::string_view v = trimOws(e->value);
    if (iequals(v, "AUTO")) {
      l.keep_alive = KeepAlive::Auto;
    } else if (iequals(v, "ALWAYS")) {
      l.keep_alive = KeepAlive::Always;
    } else if (iequals(v, "NEVER")) {
      l.keep_alive = KeepAlive::Never;
    } else {
      c.fail(*e, "AUTO, ALWAYS or NEVER");
    }
  }
  constexpr std::string_view kPositive = "a positive integer";
  c.integer("listenerconfig.maxpipelinedrequests", l.max_pipelined_requests, 1, kIntMax, kPositive);
  c.integer("listenerconfig.maxurilength", l.max_uri_length, 1, kInt64Max, kPositive);
  c.integer("listenerconfig.maxheadersize", l.max_header_size, 1, kInt64Max, kPositive);
  c.integer("listenerconfig.maxheadercount", l.max_header_count, 1, kInt64Max, kPositive);
  c.integer("listenerconfig.maxentitybodysize", l.max_entity_body_size, -1, kInt64Max,
            "an integer >= 0, or -1 for unlimited");
  constexpr std::string_view kMillis = "a positive number of milliseconds";
  c.integer("listenerconfig.requestheadertimeoutmillis", l.request_header_timeout_ms, 1, kInt64Max,
            kMillis);
  c.integer("listenerconfig.bodyidletimeoutmillis", l.body_idle_timeout_ms, 1, kInt64Max, kMillis);
  c.integer("listenerconfig.keepalivetimeoutmillis", l.keep_alive_timeout_ms, 1, kInt64Max,
            kMillis);
  if (const Entry* e = c.find("listenerconfig.trustedproxies")) {
    std::vector<std::string> items = e->list ? *e->list : splitNonEmpty(e->value);
    for (const std::string& item : items) {
      auto cidr = parseCidr(item);
      if (!cidr) {
        c.errors().push_back(e->source + ": " + e->original_key +
                             ": expected IPv4/IPv6 addresses or CIDRs, " + cidr.error().message);
        continue;
      }
      l.trusted_proxies.push_back(*cidr);
    }
  }

  ServerConfig& s = cfg.server;
  c.integer("server.workers", s.workers, 0, 4096, "an integer in 0..4096 (0 = number of cores)");
  c.integer("server.shutdowngracemillis", s.shutdown_grace_ms, 0, kInt64Max,
            "a non-negative number of milliseconds");
  if (const Entry* e = c.find("b7a.log.level")) {
    // Ballerina's levels, folded onto the four of mgw::log: TRACE/ALL log as DEBUG, OFF as
    // ERROR (errors are always written).
    static constexpr std::pair<std::string_view, std::string_view> kLevels[] = {
        {"off", "ERROR"}, {"error", "ERROR"}, {"warn", "WARN"},   {"warning", "WARN"},
        {"info", "INFO"}, {"debug", "DEBUG"}, {"trace", "DEBUG"}, {"all", "DEBUG"}};
    std::string level = toLower(trimOws(e->value));
    auto it = std::find_if(std::begin(kLevels), std::end(kLevels),
                           [&](const auto& entry) { return entry.first == level; });
    if (it == std::end(kLevels)) {
      c.fail(*e, "OFF, ERROR, WARN, INFO, DEBUG, TRACE or ALL");
    } else {
      s.log_level = std::string(it->second);
    }
  }
  if (const Entry* e = c.find("server.logformat")) {
    std::string_view v = trimOws(e->value);
    if (iequals(v, "json")) {
      s.log_json = true;
    } else if (iequals(v, "text")) {
      s.log_json = false;
    } else {
      c.fail(*e, "\"text\" or \"json\"");
    }
  }
}

Result<GatewayConfig> loadImpl(const LoadOptions& options) {
  auto overrides = parseOverrides(options.overrides);
  if (!overrides)
    return overrides.error();

  // WSO2's launcher passes the file as --b7a.config.file=<path>; --config wins over it.
  std::optional<std::string> explicit_path = options.config_path;
  if (!explicit_path) {
    for (const Override& o : *overrides) {
      if (iequals(o.key, "b7a.config.file"))
        explicit_path = o.value;
    }
  }

  Store store;
  GatewayConfig cfg;
  std::optional<std::string> path =
      explicit_path ? explicit_path : findConfigFile(options.use_environment);
  if (path) {
    if (auto st = applyFile(store, *path); !st)
      return st.error();
    cfg.config_file = *path;
    log::info("config.file", "loaded configuration file", {{"path", *path}});
  } else {
    log::info("config.file", "no micro-gw.conf found; using defaults");
  }
  if (options.use_environment)
    applyEnvironment(store);
  applyOverrides(store, *overrides);

  for (const auto& [key, e] : store) {
    if (detail::findKnownKey(key) == nullptr && !detail::isEndpointOverrideKey(key)) {
      log::warn("config.unknown_key", "unknown configuration key ignored",
                {{"key", e.original_key}, {"source", e.source}});
    }
  }

  Checker checker(store);
  checker.knownTypes();
  fillTyped(checker, cfg);
  if (!checker.errors().empty()) {
    std::string msg;
    for (const std::string& err : checker.errors()) {
      if (!msg.empty())
        msg += "; ";
      msg += err;
    }
    return makeError("config.bad_value", msg);
  }

  for (auto& [key, e] : store) {
    if (detail::isEndpointOverrideKey(key))
      cfg.endpoint_overrides[e.original_key] = e.value;
    if (e.list)
      cfg.lists[key] = std::move(*e.list);
    cfg.sources[key] = std::move(e.source);
    cfg.values[key] = std::move(e.value);
  }
  return cfg;
}

}  // namespace

Result<GatewayConfig> load(const LoadOptions& options) {
  try {
    return loadImpl(options);
  } catch (const std::exception& e) {
    return makeError("config.internal", e.what());
  }
}

const std::string* GatewayConfig::get(std::string_view key) const {
  auto it = values.find(toLower(key));
  return it == values.end() ? nullptr : &it->second;
}

std::vector<std::string> GatewayConfig::getList(std::string_view key) const {
  std::string k = toLower(key);
  if (auto it = lists.find(k); it != lists.end()) {
    std::vector<std::string> out;
    for (const std::string& item : it->second) {
      std::string_view t = trimOws(item);
      if (!t.empty())
        out.emplace_back(t);
    }
    return out;
  }
  if (auto it = values.find(k); it != values.end())
    return splitNonEmpty(it->second);
  return {};
}

size_t GatewayConfig::arrayCount(std::string_view prefix) const {
  std::string p = toLower(prefix) + ".";
  size_t count = 0;
  for (auto it = values.lower_bound(p); it != values.end() && it->first.starts_with(p); ++it) {
    std::string_view rest = std::string_view(it->first).substr(p.size());
    auto index = parseDecimal(rest.substr(0, rest.find('.')));
    if (index && *index < SIZE_MAX)
      count = std::max(count, static_cast<size_t>(*index) + 1);
  }
  return count;
}

const std::string* GatewayConfig::getEndpointOverride(std::string_view key) const {
  if (auto it = endpoint_overrides.find(std::string(key)); it != endpoint_overrides.end()) {
    return &it->second;
  }
  return get(key);
}

std::string GatewayConfig::getString(std::string_view key, std::string_view fallback) const {
  const std::string* v = get(key);
  return v ? *v : std::string(fallback);
}

int64_t GatewayConfig::getInt(std::string_view key, int64_t fallback) const {
  const std::string* v = get(key);
  if (v == nullptr)
    return fallback;
  return parseInt(*v).value_or(fallback);
}

double GatewayConfig::getDouble(std::string_view key, double fallback) const {
  const std::string* v = get(key);
  if (v == nullptr)
    return fallback;
  return parseDouble(*v).value_or(fallback);
}

bool GatewayConfig::getBool(std::string_view key, bool fallback) const {
  const std::string* v = get(key);
  if (v == nullptr)
    return fallback;
  return parseBool(*v).value_or(fallback);
}

}  // namespace mgw::config
