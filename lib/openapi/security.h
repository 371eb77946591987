// Internal to lib/openapi: OpenAPI security (securitySchemes / securityDefinitions, `security`
// requirements), x-wso2-application-security and x-wso2-cors -> artifact model.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "mgw/artifact/model.h"
#include "openapi/yaml_source.h"

namespace mgw::openapi {

struct SecurityContext {
  // Scheme name -> mapped scheme; nullopt for a scheme type this gateway does not enforce
  // (e.g. mutualTLS, http digest), reported once as a warning.
  std::map<std::string, std::optional<artifact::AuthScheme>> schemes;
  // Where schemes are declared, for messages: components.securitySchemes or securityDefinitions.
  std::string declared_in;
};

SecurityContext parseSecuritySchemes(DocumentStore& store, Diagnostics& d, const Cursor& root,
                                     bool oas3);

struct SecurityMapping {
  std::vector<artifact::AuthScheme> auth;  // OR of every listed scheme
  std::vector<std::string> scopes;         // union of listed scopes, any-of
  std::vector<artifact::AuthScheme> api_keys;
};

// Maps a `security` requirement list (null/absent -> nothing declared).
//
// Leniency for WSO2 projects (WSO2's parser accepted these): a requirement that is not a map,
// and a requirement naming an undeclared scheme, are ignored with a warning, scopes included; a
// scope value that is a string is read as a one-element list (warning). Requirements are
// alternatives, so dropping one never loosens the others; when none is usable the mapping is
// empty, which means the default, OAuth2 (a warning says so) — never an unsecured resource.
SecurityMapping mapSecurity(Diagnostics& d, const SecurityContext& ctx, const Cursor& security);

struct AppSecurity {
  std::vector<std::string> types;  // oauth2 | basic_auth | api_key
  std::optional<bool> optional;
  Cursor optional_at;
};

std::optional<AppSecurity> parseAppSecurity(Diagnostics& d, const Cursor& c);

// The schemes of x-wso2-application-security. api_key uses the apiKey schemes of the effective
// `security`, else every apiKey scheme of the definition, else header `apikey` and query
// `apikey` (WSO2's defaults).
std::vector<artifact::AuthScheme> authFromAppSecurity(const AppSecurity& app,
                                                      const SecurityContext& ctx,
                                                      const SecurityMapping& mapped);

// x-wso2-cors with camelCase, kebab-case and snake_case keys. nullopt when invalid (reported) or
// when `corsConfigurationEnabled: false` (API Manager exports carry that flag).
std::optional<artifact::Cors> parseCors(Diagnostics& d, const Cursor& c);

}  // namespace mgw::openapi
