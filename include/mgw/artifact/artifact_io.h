// Artifact file format: serialisation, checksum and optional Ed25519 signature.
// Used by `micro-gw build` / `inspect` and by the gateway at start. Deterministic: the same
// Artifact gives the same bytes.
#pragma once

#include <string>
#include <string_view>

#include "mgw/artifact/model.h"
#include "mgw/base/result.h"

namespace mgw::artifact {

inline constexpr int kFormatVersion = 1;

// Serialises `artifact` into the file bytes. With a non-empty `ed25519_private_key_pem`, the
// payload is signed and the signature stored in the header.
Result<std::string> serialize(const Artifact& artifact,
                              std::string_view ed25519_private_key_pem = {});

// Parses and checks file bytes: magic, format version, SHA-256 of the payload, and, when
// `ed25519_public_key_pem` is non-empty, a valid signature (a missing signature is an error then).
// Errors have reasons "artifact.bad_magic", "artifact.unsupported_version",
// "artifact.checksum_mismatch", "artifact.signature_missing", "artifact.signature_invalid",
// "artifact.malformed".
Result<Artifact> deserialize(std::string_view bytes, std::string_view ed25519_public_key_pem = {});

// Reads a file and deserialises it.
Result<Artifact> loadFile(const std::string& path, std::string_view ed25519_public_key_pem = {});

// JSON text of the model (what inspect --json prints; also the payload encoding).
std::string toJson(const Artifact& artifact, bool pretty);

}  // namespace mgw::artifact
