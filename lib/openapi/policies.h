// Throttling policies: the project's policies.yaml (WSO2 format, reference §4) compiled into
// artifact::Policies, merged over the shipped defaults.
#pragma once

#include <string>
#include <string_view>

#include "mgw/artifact/model.h"
#include "openapi/compiler.h"

namespace mgw::openapi {

class Diagnostics;
class DocumentStore;

// The policies.yaml that `micro-gw init` writes (WSO2's shipped file).
std::string_view shippedPoliciesYaml();

// The shipped policies as a model (what a project without policies.yaml gets).
artifact::Policies shippedPolicies();

// Tier names every gateway knows without policies.yaml (WSO2 built-ins and shipped defaults).
bool isBuiltinTier(std::string_view name);

// Parses `rel_path` (normally "policies.yaml") through `store` and merges it over the shipped
// defaults: a policy of the same name in the same section replaces the default in place; new
// ones are appended in file order. Unknown keys, duplicates and bad units are reported.
artifact::Policies compilePolicies(DocumentStore& store, Diagnostics& diags,
                                   const std::string& rel_path);

std::string_view timeUnitName(artifact::TimeUnit unit);

}  // namespace mgw::openapi
