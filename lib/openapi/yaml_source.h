// Internal to lib/openapi: YAML/JSON documents with source locations, JSON pointers, $ref
// resolution across project files, typed value readers that report Diagnostics.
// Not thread-safe: one DocumentStore per compilation.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "openapi/compiler.h"

namespace mgw::openapi {

struct Document {
  std::string path;  // project-relative
  YAML::Node root;
};

// A node together with where it lives: its document and its JSON pointer there. `line`/`col` are
// the node's own position, or its key's when the node has none (null values).
struct Cursor {
  YAML::Node node;
  const Document* doc = nullptr;
  std::string pointer;
  int line = 0;
  int col = 0;

  // YAML::Node assignment writes through to the node it refers to (it would rewrite the
  // document); a Cursor rebinds instead.
  Cursor() = default;
  Cursor(const Cursor&) = default;
  Cursor& operator=(const Cursor& o) {
    if (this != &o) {
      node.reset(o.node);
      doc = o.doc;
      pointer = o.pointer;
      line = o.line;
      col = o.col;
    }
    return *this;
  }
  ~Cursor() = default;

  static Cursor root(const Document& d);
  bool valid() const { return doc != nullptr && node.IsDefined(); }
  bool isMap() const { return valid() && node.IsMap(); }
  bool isSeq() const { return valid() && node.IsSequence(); }
  bool isScalar() const { return valid() && node.IsScalar(); }
  bool isNull() const { return valid() && node.IsNull(); }
  // Map member lookup; an invalid cursor when absent or when this is not a map.
  Cursor child(std::string_view key) const;
  bool has(std::string_view key) const { return child(key).valid(); }
  Cursor at(std::size_t index) const;
  // Members of a map in document order (key text, value cursor); keys that are not scalars are
  // skipped.
  std::vector<std::pair<std::string, Cursor>> members() const;
  std::vector<Cursor> items() const;
  const std::string& scalar() const { return node.Scalar(); }
  // True for plain (unquoted) scalars: only those can be booleans or numbers.
  bool plain() const { return isScalar() && node.Tag() == "?"; }
};

std::string escapePointerToken(std::string_view token);

class Diagnostics {
 public:
  void error(const Cursor& at, std::string message) {
    add(Severity::Error, at, std::move(message));
  }
  void warning(const Cursor& at, std::string message) {
    add(Severity::Warning, at, std::move(message));
  }
  void add(Severity s, const Cursor& at, std::string message);
  // A warning identical to one already reported (same place, same text) is dropped: the root
  // `security` is mapped once per operation and would otherwise repeat its warnings.
  void add(Diagnostic d);
  std::vector<Diagnostic>& items() { return items_; }
  std::size_t errorCount() const { return errors_; }

 private:
  std::vector<Diagnostic> items_;
  std::set<std::string> warnings_seen_;
  std::size_t errors_ = 0;
};

// Lexically normalises a project-relative path ("a/./b/../c" -> "a/c"); nullopt when it leaves
// the project (leading "..") or is absolute.
std::optional<std::string> normalizeRelPath(std::string_view path);
std::string dirName(std::string_view path);

// Loads and caches project files; resolves `$ref`s (RFC 6901 pointers, relative files).
class DocumentStore {
 public:
  DocumentStore(const FileReader& reader, Diagnostics& diags) : reader_(reader), diags_(diags) {}

  // Parses a project-relative file (cached). Parse errors are reported at their line and
  // column; a missing file is reported at `from` when given. nullptr on failure.
  const Document* load(const std::string& rel_path, const Cursor* from);

  // Resolves the `$ref` string held by `ref` (a scalar cursor). Reports and returns an invalid
  // cursor on failure.
  Cursor resolveRef(const Cursor& ref);

  // When `c` is a map with a `$ref` member, follows the chain (cycle-checked) and returns the
  // target; otherwise returns `c`. Invalid cursor after a reported error.
  Cursor deref(const Cursor& c);

  // Files reached only through `$ref` from another file.
  const std::set<std::string>& referencedFiles() const { return referenced_; }

  // While a LenientRefs guard is alive, a `$ref` that cannot be resolved (missing target or
  // file, outside the project, remote, malformed) is reported as a warning ending in
  // "; <consequence>" instead of an error. Used only where the referenced value merely feeds
  // body validation (request/response schemas), never for routing, endpoints or security.
  class LenientRefs {
   public:
    LenientRefs(DocumentStore& store, std::string consequence)
        : store_(store), saved_(std::move(store.lenient_consequence_)) {
      store_.lenient_consequence_ = std::move(consequence);
    }
    LenientRefs(const LenientRefs&) = delete;
    LenientRefs& operator=(const LenientRefs&) = delete;
    ~LenientRefs() { store_.lenient_consequence_ = std::move(saved_); }

   private:
    DocumentStore& store_;
    std::string saved_;
  };

 private:
  void refProblem(const Cursor& at, std::string message);

  const FileReader& reader_;
  Diagnostics& diags_;
  std::map<std::string, std::unique_ptr<Document>> docs_;
  std::set<std::string> failed_;
  std::set<std::string> unreadable_;  // subset of failed_: reported again at every reference
  std::set<std::string> referenced_;
  std::string lenient_consequence_;  // non-empty while a LenientRefs guard is alive
};

// Typed readers: each reports "expected ..." at `c` and returns nullopt on a type mismatch.
std::optional<std::string> readString(Diagnostics& d, const Cursor& c);
std::optional<bool> readBool(Diagnostics& d, const Cursor& c);
std::optional<int64_t> readInt(Diagnostics& d, const Cursor& c, int64_t min, int64_t max);
std::optional<double> readNumber(Diagnostics& d, const Cursor& c, double min, double max);
std::optional<std::vector<std::string>> readStringList(Diagnostics& d, const Cursor& c);
// Plain-scalar classification shared with the JSON converter (YAML 1.2 core schema).
std::optional<bool> plainBool(std::string_view s);
std::optional<int64_t> plainInt(std::string_view s);
std::optional<double> plainFloat(std::string_view s);

}  // namespace mgw::openapi
