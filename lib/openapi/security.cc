#include "openapi/security.h"

#include <algorithm>

#include "mgw/base/strings.h"

namespace mgw::openapi {
namespace {

using artifact::AuthScheme;
using artifact::Cors;

bool sameScheme(const AuthScheme& a, const AuthScheme& b) {
  return a.type == b.type && a.name == b.name && a.in == b.in && a.key_name == b.key_name;
}

void addScheme(std::vector<AuthScheme>& out, const AuthScheme& s) {
  for (const AuthScheme& e : out) {
    if (sameScheme(e, s))
      return;
  }
  out.push_back(s);
}

std::optional<AuthScheme> mapScheme(Diagnostics& d, const std::string& name, const Cursor& def,
                                    bool oas3, bool& reported) {
  reported = false;
  Cursor type_at = def.child("type");
  auto type = type_at.valid() ? readString(d, type_at) : std::nullopt;
  if (!type) {
    if (!type_at.valid())
      d.error(def, "security scheme '" + name + "' has no type");
    reported = true;
    return std::nullopt;
  }
  AuthScheme s;
  s.name = name;
  if (*type == "oauth2" || (oas3 && *type == "openIdConnect")) {
    s.type = AuthScheme::Type::OAuth2;
    return s;
  }
  if (*type == "basic" && !oas3) {
    s.type = AuthScheme::Type::Basic;
    return s;
  }
  if (*type == "http" && oas3) {
    Cursor scheme_at = def.child("scheme");
    auto scheme = scheme_at.valid() ? readString(d, scheme_at) : std::nullopt;
    if (!scheme) {
      if (!scheme_at.valid())
        d.error(def, "http security scheme '" + name + "' has no scheme");
      reported = true;
      return std::nullopt;
    }
    if (iequals(*scheme, "basic")) {
      s.type = AuthScheme::Type::Basic;
      return s;
    }
    // WSO2 3.x read `scheme: jwt` as its OAuth2/JWT authentication too.
    if (iequals(*scheme, "bearer") || iequals(*scheme, "jwt")) {
      s.type = AuthScheme::Type::OAuth2;
      return s;
    }
    d.warning(scheme_at, "http scheme '" + *scheme + "' of '" + name +
                             "' is not supported by this gateway and is ignored");
    reported = true;
    return std::nullopt;
  }
  if (*type == "apiKey") {
    s.type = AuthScheme::Type::ApiKey;
    Cursor in = def.child("in");
    Cursor key = def.child("name");
    auto in_v = in.valid() ? readString(d, in) : std::nullopt;
    auto key_v = key.valid() ? readString(d, key) : std::nullopt;
    if (!in.valid())
      d.error(def, "apiKey security scheme '" + name + "' has no 'in'");
    if (!key.valid())
      d.error(def, "apiKey security scheme '" + name + "' has no 'name'");
    if (!in_v || !key_v) {
      reported = true;
      return std::nullopt;
    }
    if (*in_v == "cookie") {
      d.warning(in, "apiKey in cookie ('" + name + "') is not supported and is ignored");
      reported = true;
      return std::nullopt;
    }
    if (*in_v != "header" && *in_v != "query") {
      d.error(in, "apiKey 'in' must be header or query, got '" + *in_v + "'");
      reported = true;
      return std::nullopt;
    }
    if (key_v->empty()) {
      d.error(key, "apiKey name must not be empty");
      reported = true;
      return std::nullopt;
    }
    s.in = *in_v;
    s.key_name = *key_v;
    return s;
  }
  if (oas3 && *type == "mutualTLS") {
    d.warning(type_at,
              "security scheme type mutualTLS ('" + name + "') is ignored: use x-wso2-mutual-ssl");
    reported = true;
    return std::nullopt;
  }
  d.error(type_at, "unknown security scheme type '" + *type + "'");
  reported = true;
  return std::nullopt;
}

std::string normalizeCorsKey(std::string_view key) {
  std::string out;
  for (char c : key) {
    if (c != '-' && c != '_')
      out.push_back(asciiLower(c));
  }
  return out;
}

}  // namespace

SecurityContext parseSecuritySchemes(DocumentStore& store, Diagnostics& d, const Cursor& root,
                                     bool oas3) {
  SecurityContext ctx;
  ctx.declared_in = oas3 ? "components.securitySchemes" : "securityDefinitions";
  Cursor defs =
      oas3 ? root.child("components").child("securitySchemes") : root.child("securityDefinitions");
  if (!defs.valid() || defs.isNull())
    return ctx;
  if (!defs.isMap()) {
    d.error(defs, "expected a map of security schemes");
    return ctx;
  }
  for (const auto& [name, raw] : defs.members()) {
    Cursor def = store.deref(raw);
    if (!def.valid()) {
      ctx.schemes.emplace(name, std::nullopt);
      continue;
    }
    if (!def.isMap()) {
      d.error(def, "security scheme '" + name + "' must be a map");
      ctx.schemes.emplace(name, std::nullopt);
      continue;
    }
    bool reported = false;
    ctx.schemes.emplace(name, mapScheme(d, name, def, oas3, reported));
  }
  return ctx;
}

SecurityMapping mapSecurity(Diagnostics& d, const SecurityContext& ctx, const Cursor& security) {
  SecurityMapping out;
  if (!security.valid() || security.isNull())
    return out;
  if (!security.isSeq()) {
    d.error(security, "security must be a list of requirement objects");
    return out;
  }
  bool dropped = false;
  for (const Cursor& req : security.items()) {
    if (req.isNull())
      continue;
    if (!req.isMap()) {
      std::string msg = "a security requirement must be a map of scheme name to scopes";
      if (req.isScalar()) {
        msg += ", got the string '" + req.scalar() + "'";
        if (std::size_t colon = req.scalar().find(':'); colon != std::string::npos) {
          msg += " (missing space after ':'? write '" + req.scalar().substr(0, colon) + ": " +
                 req.scalar().substr(colon + 1) + "')";
        }
      }
      d.warning(req, msg + ": this requirement is ignored");
      dropped = true;
      continue;
    }
    for (const auto& [name, scopes] : req.members()) {
      auto it = ctx.schemes.find(name);
      if (it == ctx.schemes.end()) {
        d.warning(scopes, "unknown security scheme '" + name + "' (not declared in " +
                              ctx.declared_in + "): it and its scopes are ignored");
        dropped = true;
        continue;
      }
      // A scheme this gateway does not enforce was reported at its definition; its scopes
      // would only widen the any-of scope list of the schemes that remain.
      if (!it->second) {
        dropped = true;
        continue;
      }
      std::optional<std::vector<std::string>> list;
      if (scopes.isNull()) {
        list.emplace();
      } else if (scopes.isScalar()) {
        list.emplace();
        if (!scopes.scalar().empty())
          list->push_back(scopes.scalar());
        d.warning(scopes, "scopes of '" + name + "' should be a list: the string is read as [" +
                              (list->empty() ? std::string() : "'" + scopes.scalar() + "'") + "]");
      } else {
        list = readStringList(d, scopes);
      }
      if (list) {
        for (std::string& s : *list) {
          if (std::find(out.scopes.begin(), out.scopes.end(), s) == out.scopes.end())
            out.scopes.push_back(std::move(s));
        }
      }
      addScheme(out.auth, *it->second);
      if (it->second->type == AuthScheme::Type::ApiKey)
        addScheme(out.api_keys, *it->second);
    }
  }
  if (dropped && out.auth.empty()) {
    d.warning(security,
              "no usable security requirement: the default, OAuth2, is required (as with "
              "'security: []')");
  }
  return out;
}

std::optional<AppSecurity> parseAppSecurity(Diagnostics& d, const Cursor& c) {
  if (!c.isMap()) {
    d.error(c, "x-wso2-application-security must be a map {security-types, optional}");
    return std::nullopt;
  }
  AppSecurity out;
  bool ok = true;
  for (const auto& [key, v] : c.members()) {
    if (key == "security-types") {
      auto list = readStringList(d, v);
      if (!list) {
        ok = false;
        continue;
      }
      std::vector<Cursor> items = v.items();
      for (std::size_t i = 0; i < list->size(); ++i) {
        const std::string& t = (*list)[i];
        if (t != "oauth2" && t != "basic_auth" && t != "api_key") {
          d.error(items[i],
                  "unknown security type '" + t + "': expected oauth2, basic_auth or api_key");
          ok = false;
        } else if (std::find(out.types.begin(), out.types.end(), t) == out.types.end()) {
          out.types.push_back(t);
        }
      }
    } else if (key == "optional") {
      out.optional = readBool(d, v);
      out.optional_at = v;
      ok = ok && out.optional.has_value();
    } else {
      d.warning(v, "unknown x-wso2-application-security key '" + key + "' ignored");
    }
  }
  if (!ok)
    return std::nullopt;
  return out;
}

std::vector<AuthScheme> authFromAppSecurity(const AppSecurity& app, const SecurityContext& ctx,
                                            const SecurityMapping& mapped) {
  std::vector<AuthScheme> out;
  for (const std::string& t : app.types) {
    if (t == "oauth2") {
      addScheme(out, AuthScheme{AuthScheme::Type::OAuth2, "", "", ""});
    } else if (t == "basic_auth") {
      addScheme(out, AuthScheme{AuthScheme::Type::Basic, "", "", ""});
    } else if (t == "api_key") {
      std::vector<AuthScheme> keys = mapped.api_keys;
      if (keys.empty()) {
        for (const auto& [name, s] : ctx.schemes) {
          if (s && s->type == AuthScheme::Type::ApiKey)
            keys.push_back(*s);
        }
      }
      if (keys.empty()) {
        keys.push_back(AuthScheme{AuthScheme::Type::ApiKey, "", "header", "apikey"});
        keys.push_back(AuthScheme{AuthScheme::Type::ApiKey, "", "query", "apikey"});
      }
      for (const AuthScheme& k : keys)
        addScheme(out, k);
    }
  }
  return out;
}

std::optional<Cors> parseCors(Diagnostics& d, const Cursor& c) {
  if (!c.isMap()) {
    d.error(c, "x-wso2-cors must be a map");
    return std::nullopt;
  }
  Cors cors;
  bool ok = true;
  bool enabled = true;
  for (const auto& [key, v] : c.members()) {
    std::string k = normalizeCorsKey(key);
    if (k == "accesscontrolalloworigins") {
      auto list = readStringList(d, v);
      ok = ok && list.has_value();
      if (list)
        cors.allow_origins = *list;
    } else if (k == "accesscontrolallowcredentials") {
      auto b = readBool(d, v);
      ok = ok && b.has_value();
      if (b)
        cors.allow_credentials = *b;
    } else if (k == "accesscontrolallowheaders") {
      auto list = readStringList(d, v);
      ok = ok && list.has_value();
      if (list)
        cors.allow_headers = *list;
    } else if (k == "accesscontrolallowmethods") {
      auto list = readStringList(d, v);
      ok = ok && list.has_value();
      if (list)
        cors.allow_methods = *list;
    } else if (k == "corsconfigurationenabled") {
      auto b = readBool(d, v);
      ok = ok && b.has_value();
      if (b)
        enabled = *b;
    } else {
      d.warning(v, "unknown x-wso2-cors key '" + key + "' ignored");
    }
  }
  if (!ok || !enabled)
    return std::nullopt;
  return cors;
}

}  // namespace mgw::openapi
