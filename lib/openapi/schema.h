// Internal to lib/openapi: OpenAPI schema objects -> self-contained JSON Schema text for the
// gateway's validation filter.
//
// `$ref`s (local or into other project files) are inlined. A reference that is reached again
// while it is being inlined (a recursive schema) is not expanded: the referenced schema goes
// once into a `definitions` bundle at the root of the emitted schema and every use becomes
// {"$ref": "#/definitions/<Name>"} (<Name> = last pointer token, made unique with a suffix).
// A recursive root is emitted as {"allOf": [{"$ref": ...}], "definitions": {...}}.
// Output is bounded: at most kMaxSchemaNodes JSON values and kMaxSchemaDepth nesting levels
// after inlining, so "billion laughs"-style reference fan-out is a build error, not a hang.
#pragma once

#include <cstddef>
#include <string>

#include "openapi/yaml_source.h"

namespace mgw::openapi {

inline constexpr std::size_t kMaxSchemaNodes = 100000;
inline constexpr int kMaxSchemaDepth = 128;

// JSON text (compact, keys sorted) of `schema`, or "" after a reported error.
std::string bundleSchema(DocumentStore& store, Diagnostics& diags, const Cursor& schema);

}  // namespace mgw::openapi
