#include "json_codec.h"

#include <climits>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace mgw::artifact::detail {
namespace {

using nlohmann::json;

// ---- enum names -------------------------------------------------------------------------------

constexpr std::pair<EndpointType, std::string_view> kEndpointTypes[] = {
    {EndpointType::Http, "http"},
    {EndpointType::LoadBalance, "load_balance"},
    {EndpointType::Failover, "failover"},
};
constexpr std::pair<InterceptorKind, std::string_view> kInterceptorKinds[] = {
    {InterceptorKind::Function, "function"},
    {InterceptorKind::Module, "module"},
    {InterceptorKind::Java, "java"},
};
constexpr std::pair<AuthScheme::Type, std::string_view> kAuthTypes[] = {
    {AuthScheme::Type::OAuth2, "oauth2"},
    {AuthScheme::Type::Basic, "basic"},
    {AuthScheme::Type::ApiKey, "api_key"},
};
constexpr std::pair<MutualSsl, std::string_view> kMutualSsl[] = {
    {MutualSsl::None, "none"},
    {MutualSsl::Mandatory, "mandatory"},
    {MutualSsl::Optional, "optional"},
};
constexpr std::pair<TimeUnit, std::string_view> kTimeUnits[] = {
    {TimeUnit::Second, "sec"}, {TimeUnit::Minute, "min"}, {TimeUnit::Hour, "hour"},
    {TimeUnit::Day, "day"},    {TimeUnit::Week, "week"},  {TimeUnit::Month, "month"},
    {TimeUnit::Year, "year"},
};

template <class E, size_t N>
std::string enumName(const std::pair<E, std::string_view> (&table)[N], E value) {
  for (const auto& [e, name] : table) {
    if (e == value)
      return std::string(name);
  }
  // An out-of-range enum value (only possible through a cast) is written as the first name so
  // the output stays valid; checkWritable() does not need to know about it.
  return std::string(table[0].second);
}

template <class E, size_t N>
std::optional<E> enumValue(const std::pair<E, std::string_view> (&table)[N], std::string_view s) {
  for (const auto& [e, name] : table) {
    if (name == s)
      return e;
  }
  return std::nullopt;
}

// ---- writing ----------------------------------------------------------------------------------

void putStr(json& j, const char* key, const std::string& s) {
  if (!s.empty())
    j[key] = s;
}

void putStrList(json& j, const char* key, const std::vector<std::string>& v) {
  if (!v.empty())
    j[key] = v;
}

void putIntList(json& j, const char* key, const std::vector<int>& v) {
  if (!v.empty())
    j[key] = v;
}

void putStrMap(json& j, const char* key, const std::map<std::string, std::string>& m) {
  if (m.empty())
    return;
  json o = json::object();
  for (const auto& [k, v] : m)
    o[k] = v;
  j[key] = std::move(o);
}

void putSource(json& j, const SourceRef& s) {
  if (s.file.empty() && s.line == 0)
    return;
  json o = json::object();
  putStr(o, "file", s.file);
  o["line"] = s.line;
  j["source"] = std::move(o);
}

void putRefs(json& j, const EndpointRefs& r) {
  if (!r.production && !r.sandbox)
    return;
  json o = json::object();
  if (r.production)
    o["production"] = *r.production;
  if (r.sandbox)
    o["sandbox"] = *r.sandbox;
  j["endpoints"] = std::move(o);
}

json endpointToJson(const Endpoint& e) {
  json j = json::object();
  j["name"] = e.name;
  j["type"] = enumName(kEndpointTypes, e.type);
  json urls = json::array();
  for (const auto& u : e.urls) {
    json uj = json::object();
    uj["url"] = u.url;
    putStr(uj, "etcd_key", u.etcd_key);
    urls.push_back(std::move(uj));
  }
  j["urls"] = std::move(urls);
  if (e.security) {
    json s = json::object();
    s["type"] = e.security->type;
    putStr(s, "username", e.security->username);
    putStr(s, "password", e.security->password);
    j["security"] = std::move(s);
  }
  const AdvanceEndpointConfig& a = e.advance;
  if (a.timeout_ms || a.retry || a.circuit_breaker || a.pool) {
    json aj = json::object();
    if (a.timeout_ms)
      aj["timeout_ms"] = *a.timeout_ms;
    if (a.retry) {
      json r = json::object();
      r["count"] = a.retry->count;
      r["interval_ms"] = a.retry->interval_ms;
      r["back_off_factor"] = a.retry->back_off_factor;
      r["max_wait_interval_ms"] = a.retry->max_wait_interval_ms;
      putIntList(r, "status_codes", a.retry->status_codes);
      aj["retry"] = std::move(r);
    }
    if (a.circuit_breaker) {
      const CircuitBreakerConfig& c = *a.circuit_breaker;
      json cj = json::object();
      cj["request_volume_threshold"] = c.request_volume_threshold;
      cj["time_window_ms"] = c.time_window_ms;
      cj["bucket_size_ms"] = c.bucket_size_ms;
      cj["failure_threshold"] = c.failure_threshold;
      cj["reset_time_ms"] = c.reset_time_ms;
      putIntList(cj, "status_codes", c.status_codes);
      aj["circuit_breaker"] = std::move(cj);
    }
    if (a.pool) {
      json p = json::object();
      p["max_active_connections"] = a.pool->max_active_connections;
      p["max_idle_connections"] = a.pool->max_idle_connections;
      p["wait_time_ms"] = a.pool->wait_time_ms;
      p["max_active_streams_per_connection"] = a.pool->max_active_streams_per_connection;
      aj["pool"] = std::move(p);
    }
    j["advance"] = std::move(aj);
  }
  return j;
}

json interceptorsToJson(const std::vector<Interceptor>& v) {
  json a = json::array();
  for (const auto& i : v) {
    json o = json::object();
    o["ref"] = i.ref;
    o["kind"] = enumName(kInterceptorKinds, i.kind);
    a.push_back(std::move(o));
  }
  return a;
}

json resourceToJson(const Resource& r) {
  json j = json::object();
  j["path_template"] = r.path_template;
  j["method"] = r.method;
  putStr(j, "operation_id", r.operation_id);
  putRefs(j, r.endpoints);
  j["disable_security"] = r.disable_security;
  if (!r.auth.empty()) {
    json a = json::array();
    for (const auto& s : r.auth) {
      json o = json::object();
      o["type"] = enumName(kAuthTypes, s.type);
      putStr(o, "name", s.name);
      putStr(o, "in", s.in);
      putStr(o, "key_name", s.key_name);
      a.push_back(std::move(o));
    }
    j["auth"] = std::move(a);
  }
  j["app_security_optional"] = r.app_security_optional;
  putStrList(j, "scopes", r.scopes);
  putStr(j, "throttling_tier", r.throttling_tier);
  if (!r.request_interceptors.empty()) {
    j["request_interceptors"] = interceptorsToJson(r.request_interceptors);
  }
  if (!r.response_interceptors.empty()) {
    j["response_interceptors"] = interceptorsToJson(r.response_interceptors);
  }
  putStr(j, "request_schema", r.request_schema);
  putStrMap(j, "response_schemas", r.response_schemas);
  putSource(j, r.source);
  return j;
}

json apiToJson(const Api& api) {
  json j = json::object();
  j["name"] = api.name;
  j["version"] = api.version;
  j["base_path"] = api.base_path;
  putStr(j, "owner", api.owner);
  putStrList(j, "transports", api.transports);
  j["mutual_ssl"] = enumName(kMutualSsl, api.mutual_ssl);
  putStr(j, "auth_header", api.auth_header);
  putStr(j, "throttling_tier", api.throttling_tier);
  if (api.cors) {
    json c = json::object();
    putStrList(c, "allow_origins", api.cors->allow_origins);
    c["allow_credentials"] = api.cors->allow_credentials;
    putStrList(c, "allow_headers", api.cors->allow_headers);
    putStrList(c, "allow_methods", api.cors->allow_methods);
    j["cors"] = std::move(c);
  }
  json rc = json::object();
  rc["enabled"] = api.response_cache.enabled;
  rc["timeout_seconds"] = api.response_cache.timeout_seconds;
  j["response_cache"] = std::move(rc);
  putRefs(j, api.endpoints);
  json res = json::array();
  for (const auto& r : api.resources)
    res.push_back(resourceToJson(r));
  j["resources"] = std::move(res);
  putSource(j, api.source);
  return j;
}

json policiesToJson(const std::vector<ThrottlePolicy>& v) {
  json a = json::array();
  for (const auto& p : v) {
    json o = json::object();
    o["name"] = p.name;
    o["count"] = p.count;
    o["unit_time"] = p.unit_time;
    o["time_unit"] = enumName(kTimeUnits, p.time_unit);
    o["stop_on_quota"] = p.stop_on_quota;
    a.push_back(std::move(o));
  }
  return a;
}

// ---- reading ----------------------------------------------------------------------------------

// JSON pointer token escaping, RFC 6901 §3.
std::string ptrToken(std::string_view key) {
  std::string out;
  out.reserve(key.size());
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string child(const std::string& ptr, std::string_view key) {
  return ptr + "/" + ptrToken(key);
}

std::string child(const std::string& ptr, size_t index) {
  return ptr + "/" + std::to_string(index);
}

// Collects the first error; every getter returns false once something failed so parsing stops
// early without exceptions.
class Reader {
 public:
  bool failed() const { return error_.has_value(); }
  Error takeError() { return std::move(*error_); }

  bool fail(const std::string& ptr, std::string_view msg) {
    if (!error_) {
      error_ = makeError("artifact.malformed",
                         (ptr.empty() ? std::string("/") : ptr) + ": " + std::string(msg));
    }
    return false;
  }

  bool expectObject(const json& j, const std::string& ptr) {
    if (!j.is_object())
      return fail(ptr, "expected an object");
    return true;
  }

  // Returns the member, nullptr when absent (an error when required).
  const json* member(const json& obj, const char* key, const std::string& ptr, bool required) {
    auto it = obj.find(key);
    if (it == obj.end()) {
      if (required)
        fail(child(ptr, key), "required member is missing");
      return nullptr;
    }
    return &*it;
  }

  bool str(const json& obj, const char* key, std::string& out, const std::string& ptr,
           bool required) {
    const json* m = member(obj, key, ptr, required);
    if (m == nullptr)
      return !failed();
    if (!m->is_string())
      return fail(child(ptr, key), "expected a string");
    out = m->get_ref<const std::string&>();
    return true;
  }

  bool boolean(const json& obj, const char* key, bool& out, const std::string& ptr, bool required) {
    const json* m = member(obj, key, ptr, required);
    if (m == nullptr)
      return !failed();
    if (!m->is_boolean())
      return fail(child(ptr, key), "expected a boolean");
    out = m->get<bool>();
    return true;
  }

  bool intValue(const json& v, int64_t& out, const std::string& ptr, int64_t min, int64_t max) {
    if (!v.is_number_integer())
      return fail(ptr, "expected an integer");
    if (v.is_number_unsigned()) {
      uint64_t u = v.get<uint64_t>();
      if (u > static_cast<uint64_t>(max))
        return fail(ptr, "integer out of range");
      out = static_cast<int64_t>(u);
      return true;
    }
    int64_t i = v.get<int64_t>();
    if (i < min || i > max)
      return fail(ptr, "integer out of range");
    out = i;
    return true;
  }

  template <class T>
  bool integer(const json& obj, const char* key, T& out, const std::string& ptr, bool required,
               int64_t min = std::numeric_limits<T>::min(),
               int64_t max = static_cast<int64_t>(std::numeric_limits<T>::max())) {
    const json* m = member(obj, key, ptr, required);
    if (m == nullptr)
      return !failed();
    int64_t v = 0;
    if (!intValue(*m, v, child(ptr, key), min, max))
      return false;
    out = static_cast<T>(v);
    return true;
  }

  bool number(const json& obj, const char* key, double& out, const std::string& ptr,
              bool required) {
    const json* m = member(obj, key, ptr, required);
    if (m == nullptr)
      return !failed();
    if (!m->is_number())
      return fail(child(ptr, key), "expected a number");
    out = m->get<double>();
    if (!std::isfinite(out))
      return fail(child(ptr, key), "number out of range");
    return true;
  }

  template <class E, size_t N>
  bool enumeration(const json& obj, const char* key, E& out,
                   const std::pair<E, std::string_view> (&table)[N], const std::string& ptr,
                   bool required) {
    const json* m = member(obj, key, ptr, required);
    if (m == nullptr)
      return !failed();
    if (!m->is_string())
      return fail(child(ptr, key), "expected a string");
    auto v = enumValue(table, m->get_ref<const std::string&>());
    if (!v) {
      std::string allowed;
      for (const auto& [e, name] : table) {
        (void)e;
        if (!allowed.empty())
          allowed += ", ";
        allowed += name;
      }
      return fail(child(ptr, key), "unknown value \"" + m->get_ref<const std::string&>() +
                                       "\" (expected one of " + allowed + ")");
    }
    out = *v;
    return true;
  }

  // Calls each(element, element_pointer) for the elements of an array member.
  template <class F>
  bool array(const json& obj, const char* key, const std::string& ptr, bool required, F&& each) {
    const json* m = member(obj, key, ptr, required);
    if (m == nullptr)
      return !failed();
    std::string aptr = child(ptr, key);
    if (!m->is_array())
      return fail(aptr, "expected an array");
    for (size_t i = 0; i < m->size(); ++i) {
      if (!each((*m)[i], child(aptr, i)))
        return false;
    }
    return true;
  }

  bool strList(const json& obj, const char* key, std::vector<std::string>& out,
               const std::string& ptr) {
    return array(obj, key, ptr, false, [&](const json& e, const std::string& eptr) {
      if (!e.is_string())
        return fail(eptr, "expected a string");
      out.push_back(e.get<std::string>());
      return true;
    });
  }

  bool intList(const json& obj, const char* key, std::vector<int>& out, const std::string& ptr) {
    return array(obj, key, ptr, false, [&](const json& e, const std::string& eptr) {
      int64_t v = 0;
      if (!intValue(e, v, eptr, INT_MIN, INT_MAX))
        return false;
      out.push_back(static_cast<int>(v));
      return true;
    });
  }

  bool strMap(const json& obj, const char* key, std::map<std::string, std::string>& out,
              const std::string& ptr) {
    const json* m = member(obj, key, ptr, false);
    if (m == nullptr)
      return !failed();
    std::string mptr = child(ptr, key);
    if (!expectObject(*m, mptr))
      return false;
    for (auto it = m->begin(); it != m->end(); ++it) {
      if (!it.value().is_string())
        return fail(child(mptr, it.key()), "expected a string");
      out.emplace(it.key(), it.value().get<std::string>());
    }
    return true;
  }

  // Optional object member: nullptr when absent or on error (check failed()).
  const json* object(const json& obj, const char* key, const std::string& ptr, bool required) {
    const json* m = member(obj, key, ptr, required);
    if (m == nullptr)
      return nullptr;
    if (!m->is_object()) {
      fail(child(ptr, key), "expected an object");
      return nullptr;
    }
    return m;
  }

 private:
  std::optional<Error> error_;
};

bool readSource(Reader& r, const json& obj, SourceRef& out, const std::string& ptr) {
  const json* s = r.object(obj, "source", ptr, false);
  if (s == nullptr)
    return !r.failed();
  std::string sptr = child(ptr, "source");
  return r.str(*s, "file", out.file, sptr, false) &&
         r.integer(*s, "line", out.line, sptr, true, 0, INT_MAX);
}

bool readRefs(Reader& r, const json& obj, EndpointRefs& out, const std::string& ptr) {
  const json* e = r.object(obj, "endpoints", ptr, false);
  if (e == nullptr)
    return !r.failed();
  std::string eptr = child(ptr, "endpoints");
  for (auto [key, slot] :
       {std::pair{"production", &out.production}, std::pair{"sandbox", &out.sandbox}}) {
    if (e->contains(key)) {
      uint32_t v = 0;
      if (!r.integer(*e, key, v, eptr, true))
        return false;
      *slot = v;
    }
  }
  return true;
}

bool readInterceptors(Reader& r, const json& obj, const char* key, std::vector<Interceptor>& out,
                      const std::string& ptr) {
  return r.array(obj, key, ptr, false, [&](const json& e, const std::string& eptr) {
    if (!r.expectObject(e, eptr))
      return false;
    Interceptor i;
    if (!r.str(e, "ref", i.ref, eptr, true) ||
        !r.enumeration(e, "kind", i.kind, kInterceptorKinds, eptr, true)) {
      return false;
    }
    out.push_back(std::move(i));
    return true;
  });
}

bool readResource(Reader& r, const json& j, Resource& out, const std::string& ptr) {
  if (!r.expectObject(j, ptr))
    return false;
  bool ok =
      r.str(j, "path_template", out.path_template, ptr, true) &&
      r.str(j, "method", out.method, ptr, true) &&
      r.str(j, "operation_id", out.operation_id, ptr, false) &&
      readRefs(r, j, out.endpoints, ptr) &&
      r.boolean(j, "disable_security", out.disable_security, ptr, true) &&
      r.array(j, "auth", ptr, false,
              [&](const json& e, const std::string& eptr) {
                if (!r.expectObject(e, eptr))
                  return false;
                AuthScheme s;
                if (!r.enumeration(e, "type", s.type, kAuthTypes, eptr, true) ||
                    !r.str(e, "name", s.name, eptr, false) || !r.str(e, "in", s.in, eptr, false) ||
                    !r.str(e, "key_name", s.key_name, eptr, false)) {
                  return false;
                }
                out.auth.push_back(std::move(s));
                return true;
              }) &&
      r.boolean(j, "app_security_optional", out.app_security_optional, ptr, true) &&
      r.strList(j, "scopes", out.scopes, ptr) &&
      r.str(j, "throttling_tier", out.throttling_tier, ptr, false) &&
      readInterceptors(r, j, "request_interceptors", out.request_interceptors, ptr) &&
      readInterceptors(r, j, "response_interceptors", out.response_interceptors, ptr) &&
      r.str(j, "request_schema", out.request_schema, ptr, false) &&
      r.strMap(j, "response_schemas", out.response_schemas, ptr) &&
      readSource(r, j, out.source, ptr);
  return ok;
}

bool readApi(Reader& r, const json& j, Api& out, const std::string& ptr) {
  if (!r.expectObject(j, ptr))
    return false;
  if (!r.str(j, "name", out.name, ptr, true) || !r.str(j, "version", out.version, ptr, true) ||
      !r.str(j, "base_path", out.base_path, ptr, true) ||
      !r.str(j, "owner", out.owner, ptr, false) ||
      !r.strList(j, "transports", out.transports, ptr) ||
      !r.enumeration(j, "mutual_ssl", out.mutual_ssl, kMutualSsl, ptr, true) ||
      !r.str(j, "auth_header", out.auth_header, ptr, false) ||
      !r.str(j, "throttling_tier", out.throttling_tier, ptr, false)) {
    return false;
  }
  if (const json* c = r.object(j, "cors", ptr, false)) {
    std::string cptr = child(ptr, "cors");
    Cors cors;
    if (!r.strList(*c, "allow_origins", cors.allow_origins, cptr) ||
        !r.boolean(*c, "allow_credentials", cors.allow_credentials, cptr, true) ||
        !r.strList(*c, "allow_headers", cors.allow_headers, cptr) ||
        !r.strList(*c, "allow_methods", cors.allow_methods, cptr)) {
      return false;
    }
    out.cors = std::move(cors);
  }
  if (r.failed())
    return false;
  const json* rc = r.object(j, "response_cache", ptr, true);
  if (rc == nullptr)
    return false;
  std::string rcptr = child(ptr, "response_cache");
  if (!r.boolean(*rc, "enabled", out.response_cache.enabled, rcptr, true) ||
      !r.integer(*rc, "timeout_seconds", out.response_cache.timeout_seconds, rcptr, true)) {
    return false;
  }
  return readRefs(r, j, out.endpoints, ptr) &&
         r.array(j, "resources", ptr, true,
                 [&](const json& e, const std::string& eptr) {
                   Resource res;
                   if (!readResource(r, e, res, eptr))
                     return false;
                   out.resources.push_back(std::move(res));
                   return true;
                 }) &&
         readSource(r, j, out.source, ptr);
}

bool readEndpoint(Reader& r, const json& j, Endpoint& out, const std::string& ptr) {
  if (!r.expectObject(j, ptr))
    return false;
  if (!r.str(j, "name", out.name, ptr, true) ||
      !r.enumeration(j, "type", out.type, kEndpointTypes, ptr, true) ||
      !r.array(j, "urls", ptr, true, [&](const json& e, const std::string& eptr) {
        if (!r.expectObject(e, eptr))
          return false;
        EndpointUrl u;
        if (!r.str(e, "url", u.url, eptr, true) || !r.str(e, "etcd_key", u.etcd_key, eptr, false)) {
          return false;
        }
        out.urls.push_back(std::move(u));
        return true;
      })) {
    return false;
  }
  if (const json* s = r.object(j, "security", ptr, false)) {
    std::string sptr = child(ptr, "security");
    EndpointSecurity sec;
    if (!r.str(*s, "type", sec.type, sptr, true) ||
        !r.str(*s, "username", sec.username, sptr, false) ||
        !r.str(*s, "password", sec.password, sptr, false)) {
      return false;
    }
    out.security = std::move(sec);
  }
  if (r.failed())
    return false;
  const json* a = r.object(j, "advance", ptr, false);
  if (a == nullptr)
    return !r.failed();
  std::string aptr = child(ptr, "advance");
  AdvanceEndpointConfig& adv = out.advance;
  if (a->contains("timeout_ms")) {
    int64_t t = 0;
    if (!r.integer(*a, "timeout_ms", t, aptr, true))
      return false;
    adv.timeout_ms = t;
  }
  if (const json* rj = r.object(*a, "retry", aptr, false)) {
    std::string rptr = child(aptr, "retry");
    RetryConfig rc;
    if (!r.integer(*rj, "count", rc.count, rptr, true) ||
        !r.integer(*rj, "interval_ms", rc.interval_ms, rptr, true) ||
        !r.number(*rj, "back_off_factor", rc.back_off_factor, rptr, true) ||
        !r.integer(*rj, "max_wait_interval_ms", rc.max_wait_interval_ms, rptr, true) ||
        !r.intList(*rj, "status_codes", rc.status_codes, rptr)) {
      return false;
    }
    adv.retry = std::move(rc);
  }
  if (r.failed())
    return false;
  if (const json* cj = r.object(*a, "circuit_breaker", aptr, false)) {
    std::string cptr = child(aptr, "circuit_breaker");
    CircuitBreakerConfig cb;
    if (!r.integer(*cj, "request_volume_threshold", cb.request_volume_threshold, cptr, true) ||
        !r.integer(*cj, "time_window_ms", cb.time_window_ms, cptr, true) ||
        !r.integer(*cj, "bucket_size_ms", cb.bucket_size_ms, cptr, true) ||
        !r.number(*cj, "failure_threshold", cb.failure_threshold, cptr, true) ||
        !r.integer(*cj, "reset_time_ms", cb.reset_time_ms, cptr, true) ||
        !r.intList(*cj, "status_codes", cb.status_codes, cptr)) {
      return false;
    }
    adv.circuit_breaker = std::move(cb);
  }
  if (r.failed())
    return false;
  if (const json* pj = r.object(*a, "pool", aptr, false)) {
    std::string pptr = child(aptr, "pool");
    PoolConfig pool;
    if (!r.integer(*pj, "max_active_connections", pool.max_active_connections, pptr, true) ||
        !r.integer(*pj, "max_idle_connections", pool.max_idle_connections, pptr, true) ||
        !r.integer(*pj, "wait_time_ms", pool.wait_time_ms, pptr, true) ||
        !r.integer(*pj, "max_active_streams_per_connection", pool.max_active_streams_per_connection,
                   pptr, true)) {
      return false;
    }
    adv.pool = pool;
  }
  return !r.failed();
}

bool readPolicies(Reader& r, const json& obj, const char* key, std::vector<ThrottlePolicy>& out,
                  const std::string& ptr) {
  return r.array(obj, key, ptr, false, [&](const json& e, const std::string& eptr) {
    if (!r.expectObject(e, eptr))
      return false;
    ThrottlePolicy p;
    if (!r.str(e, "name", p.name, eptr, true) || !r.integer(e, "count", p.count, eptr, true) ||
        !r.integer(e, "unit_time", p.unit_time, eptr, true) ||
        !r.enumeration(e, "time_unit", p.time_unit, kTimeUnits, eptr, true) ||
        !r.boolean(e, "stop_on_quota", p.stop_on_quota, eptr, true)) {
      return false;
    }
    out.push_back(std::move(p));
    return true;
  });
}

// Cross references, shared by the reader and the writer.
Status checkRefs(const Artifact& a) {
  auto check = [&](const EndpointRefs& refs, const std::string& ptr) -> Status {
    for (auto [name, v] :
         {std::pair{"production", refs.production}, std::pair{"sandbox", refs.sandbox}}) {
      if (v && *v >= a.endpoints.size()) {
        return makeError("artifact.malformed", ptr + "/endpoints/" + name + ": endpoint index " +
                                                   std::to_string(*v) + " out of range (" +
                                                   std::to_string(a.endpoints.size()) +
                                                   " endpoints)");
      }
    }
    return {};
  };
  for (size_t i = 0; i < a.apis.size(); ++i) {
    std::string aptr = "/apis/" + std::to_string(i);
    if (auto s = check(a.apis[i].endpoints, aptr); !s)
      return s;
    for (size_t k = 0; k < a.apis[i].resources.size(); ++k) {
      if (auto s =
              check(a.apis[i].resources[k].endpoints, aptr + "/resources/" + std::to_string(k));
          !s) {
        return s;
      }
    }
  }
  return {};
}

Status checkFinite(double v, const std::string& ptr) {
  if (std::isfinite(v))
    return {};
  return makeError("artifact.malformed", ptr + ": number is not finite");
}

}  // namespace

nlohmann::json modelToJson(const Artifact& a) {
  json j = json::object();
  j["project"] = a.project;
  j["toolkit_version"] = a.toolkit_version;
  json apis = json::array();
  for (const auto& api : a.apis)
    apis.push_back(apiToJson(api));
  j["apis"] = std::move(apis);
  json eps = json::array();
  for (const auto& e : a.endpoints)
    eps.push_back(endpointToJson(e));
  j["endpoints"] = std::move(eps);
  json pol = json::object();
  if (!a.policies.resource.empty())
    pol["resource"] = policiesToJson(a.policies.resource);
  if (!a.policies.application.empty())
    pol["application"] = policiesToJson(a.policies.application);
  if (!a.policies.subscription.empty()) {
    pol["subscription"] = policiesToJson(a.policies.subscription);
  }
  j["policies"] = std::move(pol);
  putStrMap(j, "interceptor_sources", a.interceptor_sources);
  return j;
}

Result<Artifact> modelFromJson(const nlohmann::json& j) {
  try {
    Reader r;
    Artifact a;
    const std::string root;
    if (!r.expectObject(j, root))
      return r.takeError();
    const json* pol = nullptr;
    bool ok = r.str(j, "project", a.project, root, true) &&
              r.str(j, "toolkit_version", a.toolkit_version, root, true) &&
              r.array(j, "apis", root, true,
                      [&](const json& e, const std::string& eptr) {
                        Api api;
                        if (!readApi(r, e, api, eptr))
                          return false;
                        a.apis.push_back(std::move(api));
                        return true;
                      }) &&
              r.array(j, "endpoints", root, true,
                      [&](const json& e, const std::string& eptr) {
                        Endpoint ep;
                        if (!readEndpoint(r, e, ep, eptr))
                          return false;
                        a.endpoints.push_back(std::move(ep));
                        return true;
                      }) &&
              (pol = r.object(j, "policies", root, true)) != nullptr &&
              readPolicies(r, *pol, "resource", a.policies.resource, "/policies") &&
              readPolicies(r, *pol, "application", a.policies.application, "/policies") &&
              readPolicies(r, *pol, "subscription", a.policies.subscription, "/policies") &&
              r.strMap(j, "interceptor_sources", a.interceptor_sources, root);
    if (!ok)
      return r.failed() ? r.takeError() : makeError("artifact.malformed", "/: invalid");
    if (auto s = checkRefs(a); !s)
      return s.error();
    return a;
  } catch (const std::exception& e) {
    // nlohmann accessors are type-checked above; this is a safety net at the module boundary.
    return makeError("artifact.malformed", std::string("payload: ") + e.what());
  }
}

Status checkWritable(const Artifact& a) {
  for (size_t i = 0; i < a.endpoints.size(); ++i) {
    const AdvanceEndpointConfig& adv = a.endpoints[i].advance;
    std::string ptr = "/endpoints/" + std::to_string(i) + "/advance";
    if (adv.retry) {
      if (auto s = checkFinite(adv.retry->back_off_factor, ptr + "/retry/back_off_factor"); !s) {
        return s;
      }
    }
    if (adv.circuit_breaker) {
      if (auto s = checkFinite(adv.circuit_breaker->failure_threshold,
                               ptr + "/circuit_breaker/failure_threshold");
          !s) {
        return s;
      }
    }
  }
  return checkRefs(a);
}

}  // namespace mgw::artifact::detail
