// Model <-> JSON mapping of the artifact payload (private to lib/artifact; tests include it to
// build corrupt payloads). Member names are the snake_case field names of model.h; enums are
// lowercase strings; std::optional members and empty strings / lists / maps are omitted.
#pragma once

#include <nlohmann/json.hpp>

#include "mgw/artifact/model.h"
#include "mgw/base/result.h"

namespace mgw::artifact::detail {

// Never throws. Doubles are written as nlohmann's shortest round-trip form.
nlohmann::json modelToJson(const Artifact& artifact);

// Strict: wrong types, missing required members, unknown enum names, out-of-range numbers and
// dangling endpoint indices give "artifact.malformed" with the JSON pointer of the culprit.
// Unknown members are ignored (the format version, not the reader, gates incompatible changes).
// Never throws.
Result<Artifact> modelFromJson(const nlohmann::json& json);

// Checks what a writer must not emit: non-finite doubles (JSON has no NaN) and endpoint indices
// out of range. "artifact.malformed" with the JSON pointer.
Status checkWritable(const Artifact& artifact);

}  // namespace mgw::artifact::detail
