#include "openapi/yaml_source.h"

#include <charconv>
#include <cmath>
#include <exception>
#include <sstream>

#include "mgw/base/strings.h"

namespace mgw::openapi {
namespace {

constexpr int kMaxRefHops = 64;

// A block map or sequence "starts" at its first entry, usually on the line after its key; the
// key's position reads better in messages. Scalars and flow collections use their own.
void setPosition(Cursor& c, const YAML::Mark& own, int fallback_line, int fallback_col) {
  bool block =
      (c.node.IsMap() || c.node.IsSequence()) && c.node.Style() == YAML::EmitterStyle::Block;
  if (block && fallback_line > 0 && own.line + 1 != fallback_line) {
    c.line = fallback_line;
    c.col = fallback_col;
    return;
  }
  if (own.line >= 0 && !(c.node.IsDefined() && c.node.IsNull())) {
    c.line = own.line + 1;
    c.col = own.column + 1;
  } else {
    c.line = fallback_line;
    c.col = fallback_col;
  }
}

// `$ref` fragments are URI fragments (RFC 3986 §3.5): percent-decode before reading the
// pointer.
std::string percentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int hi = hexValue(s[i + 1]);
      int lo = hexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

std::string unescapePointerToken(std::string_view t) {
  std::string out;
  out.reserve(t.size());
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '~' && i + 1 < t.size() && (t[i + 1] == '0' || t[i + 1] == '1')) {
      out.push_back(t[i + 1] == '0' ? '~' : '/');
      ++i;
    } else {
      out.push_back(t[i]);
    }
  }
  return out;
}

}  // namespace

Cursor Cursor::root(const Document& d) {
  Cursor c;
  c.node.reset(d.root);
  c.doc = &d;
  setPosition(c, d.root.Mark(), 1, 1);
  if (c.line == 0)
    c.line = c.col = 1;
  return c;
}

Cursor Cursor::child(std::string_view key) const {
  if (!isMap())
    return {};
  for (auto it = node.begin(); it != node.end(); ++it) {
    // yaml-cpp iterators yield proxies by value: keep the pair alive while it is used.
    const auto kv = *it;
    const YAML::Node& k = kv.first;
    if (k.IsScalar() && k.Scalar() == key) {
      Cursor c;
      c.node.reset(kv.second);
      c.doc = doc;
      c.pointer = pointer + "/" + escapePointerToken(key);
      setPosition(c, kv.second.Mark(), k.Mark().line + 1, k.Mark().column + 1);
      return c;
    }
  }
  return {};
}

Cursor Cursor::at(std::size_t index) const {
  if (!isSeq() || index >= node.size())
    return {};
  Cursor c;
  c.node.reset(static_cast<const YAML::Node&>(node)[index]);
  c.doc = doc;
  c.pointer = pointer + "/" + std::to_string(index);
  setPosition(c, c.node.Mark(), 0, 0);
  if (c.line == 0) {
    c.line = line;
    c.col = col;
  }
  return c;
}

std::vector<std::pair<std::string, Cursor>> Cursor::members() const {
  std::vector<std::pair<std::string, Cursor>> out;
  if (!isMap())
    return out;
  out.reserve(node.size());
  for (auto it = node.begin(); it != node.end(); ++it) {
    // yaml-cpp iterators yield proxies by value: keep the pair alive while it is used.
    const auto kv = *it;
    const YAML::Node& k = kv.first;
    if (!k.IsScalar())
      continue;
    Cursor c;
    c.node.reset(kv.second);
    c.doc = doc;
    c.pointer = pointer + "/" + escapePointerToken(k.Scalar());
    setPosition(c, kv.second.Mark(), k.Mark().line + 1, k.Mark().column + 1);
    out.emplace_back(k.Scalar(), std::move(c));
  }
  return out;
}

std::vector<Cursor> Cursor::items() const {
  std::vector<Cursor> out;
  if (!isSeq())
    return out;
  out.reserve(node.size());
  std::size_t i = 0;
  for (auto it = node.begin(); it != node.end(); ++it, ++i) {
    Cursor c;
    c.node.reset(static_cast<const YAML::Node&>(*it));
    c.doc = doc;
    c.pointer = pointer + "/" + std::to_string(i);
    setPosition(c, it->Mark(), 0, 0);
    if (c.line == 0) {
      c.line = line;
      c.col = col;
    }
    out.push_back(std::move(c));
  }
  return out;
}

std::string escapePointerToken(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  for (char ch : token) {
    if (ch == '~') {
      out += "~0";
    } else if (ch == '/') {
      out += "~1";
    } else {
      out.push_back(ch);
    }
  }
  return out;
}

void Diagnostics::add(Severity s, const Cursor& at, std::string message) {
  Diagnostic d;
  d.severity = s;
  if (at.doc != nullptr)
    d.file = at.doc->path;
  d.line = at.line;
  d.col = at.col;
  d.pointer = at.pointer;
  d.message = std::move(message);
  add(std::move(d));
}

void Diagnostics::add(Diagnostic d) {
  if (d.severity == Severity::Warning && !warnings_seen_.insert(formatDiagnostic(d)).second) {
    return;
  }
  if (d.severity == Severity::Error)
    ++errors_;
  items_.push_back(std::move(d));
}

std::optional<std::string> normalizeRelPath(std::string_view path) {
  if (path.empty() || path.front() == '/')
    return std::nullopt;
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t slash = path.find('/', start);
    if (slash == std::string_view::npos)
      slash = path.size();
    std::string_view part = path.substr(start, slash - start);
    if (part == "..") {
      if (parts.empty())
        return std::nullopt;
      parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    start = slash + 1;
  }
  if (parts.empty())
    return std::nullopt;
  std::string out;
  for (std::string_view p : parts) {
    if (!out.empty())
      out.push_back('/');
    out.append(p);
  }
  return out;
}

std::string dirName(std::string_view path) {
  std::size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string() : std::string(path.substr(0, slash));
}

const Document* DocumentStore::load(const std::string& rel_path, const Cursor* from) {
  if (auto it = docs_.find(rel_path); it != docs_.end())
    return it->second.get();
  // A parse failure was reported once at the file; a missing file is reported at every
  // reference, as one reference may be lenient (a warning) and the next one not.
  if (failed_.count(rel_path) != 0) {
    if (from != nullptr && unreadable_.count(rel_path) != 0)
      refProblem(*from, "cannot read referenced file '" + rel_path + "'");
    return nullptr;
  }
  std::optional<std::string> text = reader_ ? reader_(rel_path) : std::nullopt;
  if (!text) {
    failed_.insert(rel_path);
    unreadable_.insert(rel_path);
    if (from != nullptr) {
      refProblem(*from, "cannot read referenced file '" + rel_path + "'");
    } else {
      diags_.add(Diagnostic{Severity::Error, rel_path, 0, 0, "", "cannot read file"});
    }
    return nullptr;
  }
  auto doc = std::make_unique<Document>();
  doc->path = rel_path;
  // yaml-cpp reports malformed input by throwing; this is the module boundary for it.
  try {
    doc->root.reset(YAML::Load(*text));
  } catch (const YAML::Exception& e) {
    failed_.insert(rel_path);
    int line = e.mark.line >= 0 ? e.mark.line + 1 : 0;
    int col = e.mark.column >= 0 ? e.mark.column + 1 : 0;
    diags_.add(Diagnostic{Severity::Error, rel_path, line, col, "",
                          "invalid YAML/JSON: " + (e.msg.empty() ? std::string(e.what()) : e.msg)});
    return nullptr;
  } catch (const std::exception& e) {
    failed_.insert(rel_path);
    diags_.add(Diagnostic{Severity::Error, rel_path, 0, 0, "",
                          std::string("cannot parse file: ") + e.what()});
    return nullptr;
  }
  const Document* raw = doc.get();
  docs_.emplace(rel_path, std::move(doc));
  return raw;
}

void DocumentStore::refProblem(const Cursor& at, std::string message) {
  if (lenient_consequence_.empty()) {
    diags_.error(at, std::move(message));
  } else {
    diags_.warning(at, message + "; " + lenient_consequence_);
  }
}

Cursor DocumentStore::resolveRef(const Cursor& ref) {
  bool number = ref.plain() &&
                (plainInt(ref.scalar()) || plainFloat(ref.scalar()) || plainBool(ref.scalar()));
  if (!ref.isScalar() || number) {
    refProblem(ref, "$ref must be a string");
    return {};
  }
  const std::string& value = ref.scalar();
  if (value.find("://") != std::string::npos) {
    refProblem(ref, "unsupported $ref '" + value + "': only local and relative file references");
    return {};
  }
  std::size_t hash = value.find('#');
  std::string file_part = value.substr(0, hash);
  std::string fragment = hash == std::string::npos ? std::string() : value.substr(hash + 1);
  const Document* target = ref.doc;
  if (!file_part.empty()) {
    std::string dir = dirName(ref.doc->path);
    std::string joined = dir.empty() ? file_part : dir + "/" + file_part;
    std::optional<std::string> norm = normalizeRelPath(joined);
    if (!norm) {
      refProblem(ref, "unresolved $ref '" + value + "': the file is outside the project");
      return {};
    }
    if (*norm != ref.doc->path)
      referenced_.insert(*norm);
    target = load(*norm, &ref);
    if (target == nullptr)
      return {};
  }
  Cursor cur = Cursor::root(*target);
  std::string pointer = percentDecode(fragment);
  if (!pointer.empty() && pointer.front() != '/') {
    refProblem(ref, "unresolved $ref '" + value + "': the fragment is not a JSON pointer");
    return {};
  }
  std::size_t pos = pointer.empty() ? std::string::npos : 1;
  while (pos != std::string::npos) {
    std::size_t slash = pointer.find('/', pos);
    std::string token = unescapePointerToken(
        pointer.substr(pos, slash == std::string::npos ? std::string::npos : slash - pos));
    Cursor next;
    if (cur.isMap()) {
      next = cur.child(token);
    } else if (cur.isSeq()) {
      std::optional<uint64_t> idx = parseDecimal(token);
      if (idx)
        next = cur.at(static_cast<std::size_t>(*idx));
    }
    if (!next.valid()) {
      refProblem(ref, "unresolved $ref '" + value + "': '" + token + "' not found");
      return {};
    }
    cur = std::move(next);
    pos = slash == std::string::npos ? std::string::npos : slash + 1;
  }
  return cur;
}

Cursor DocumentStore::deref(const Cursor& c) {
  Cursor cur = c;
  std::set<std::string> seen;
  for (int hops = 0; cur.isMap(); ++hops) {
    Cursor ref = cur.child("$ref");
    if (!ref.valid())
      return cur;
    std::string id = cur.doc->path + "#" + cur.pointer;
    if (!seen.insert(id).second || hops > kMaxRefHops) {
      diags_.error(ref, "circular $ref");
      return {};
    }
    cur = resolveRef(ref);
  }
  return cur;
}

std::optional<bool> plainBool(std::string_view s) {
  if (s == "true" || s == "True" || s == "TRUE")
    return true;
  if (s == "false" || s == "False" || s == "FALSE")
    return false;
  return std::nullopt;
}

std::optional<int64_t> plainInt(std::string_view s) {
  if (s.empty())
    return std::nullopt;
  std::string_view digits = s;
  if (digits.front() == '+')
    digits.remove_prefix(1);
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc() || ptr != digits.data() + digits.size())
    return std::nullopt;
  return v;
}

std::optional<double> plainFloat(std::string_view s) {
  if (s.empty())
    return std::nullopt;
  std::string_view digits = s;
  if (digits.front() == '+')
    digits.remove_prefix(1);
  double v = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc() || ptr != digits.data() + digits.size() || !std::isfinite(v)) {
    return std::nullopt;
  }
  return v;
}

std::optional<std::string> readString(Diagnostics& d, const Cursor& c) {
  if (!c.isScalar()) {
    d.error(c, "expected a string");
    return std::nullopt;
  }
  return c.scalar();
}

std::optional<bool> readBool(Diagnostics& d, const Cursor& c) {
  if (c.plain()) {
    if (auto b = plainBool(c.scalar()))
      return b;
  }
  d.error(c, "expected a boolean (true or false)" +
                 (c.isScalar() ? ", got '" + c.scalar() + "'" : std::string()));
  return std::nullopt;
}

std::optional<int64_t> readInt(Diagnostics& d, const Cursor& c, int64_t min, int64_t max) {
  std::optional<int64_t> v = c.plain() ? plainInt(c.scalar()) : std::nullopt;
  if (!v) {
    d.error(c,
            "expected an integer" + (c.isScalar() ? ", got '" + c.scalar() + "'" : std::string()));
    return std::nullopt;
  }
  if (*v < min || *v > max) {
    d.error(c, "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " +
                   std::to_string(*v));
    return std::nullopt;
  }
  return v;
}

std::optional<double> readNumber(Diagnostics& d, const Cursor& c, double min, double max) {
  std::optional<double> v = c.plain() ? plainFloat(c.scalar()) : std::nullopt;
  if (!v) {
    d.error(c, "expected a number" + (c.isScalar() ? ", got '" + c.scalar() + "'" : std::string()));
    return std::nullopt;
  }
  if (*v < min || *v > max) {
    std::ostringstream range;
    range << min << " and " << max;
    d.error(c, "must be between " + range.str() + ", got " + c.scalar());
    return std::nullopt;
  }
  return v;
}

std::optional<std::vector<std::string>> readStringList(Diagnostics& d, const Cursor& c) {
  if (!c.isSeq()) {
    d.error(c, "expected a list of strings");
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool ok = true;
  for (const Cursor& item : c.items()) {
    if (!item.isScalar()) {
      d.error(item, "expected a string");
      ok = false;
      continue;
    }
    out.push_back(item.scalar());
  }
  if (!ok)
    return std::nullopt;
  return out;
}

}  // namespace mgw::openapi
