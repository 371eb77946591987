// Codec-independent HTTP message heads. The HTTP/1.1 codec fills them today; the HTTP/2 codec
// (later issue) fills the same types, so filters and the router never see the wire protocol.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mgw::http {

struct Header {
  std::string name;  // as received (case preserved); compare with iequals
  std::string value;
};

// Ordered multimap of fields with ASCII case-insensitive names. Small: linear scans beat hashing
// for the ~10-20 fields of a typical request.
class HeaderMap {
 public:
  void add(std::string_view name, std::string_view value);
  // Replaces every field named `name` by one field (appended if absent).
  void set(std::string_view name, std::string_view value);
  // First value of `name`, or nullptr.
  const std::string* get(std::string_view name) const;
  size_t count(std::string_view name) const;
  // Removes every field named `name`; returns how many were removed.
  size_t remove(std::string_view name);
  bool empty() const { return fields_.empty(); }
  size_t size() const { return fields_.size(); }
  void clear() { fields_.clear(); }
  void reserve(size_t n) { fields_.reserve(n); }
  std::vector<Header>::const_iterator begin() const { return fields_.begin(); }
  std::vector<Header>::const_iterator end() const { return fields_.end(); }

 private:
  std::vector<Header> fields_;
};

// How a message body is delimited (RFC 9112 §6.3).
enum class BodyFraming {
  None,           // no body
  ContentLength,  // exactly content_length bytes
  Chunked,        // chunked transfer coding
  UntilClose,     // responses only: body ends when the connection closes
};

struct RequestHead {
  std::string method;  // token, case-sensitive (RFC 9110 §9.1)
  // Origin-form path and query exactly as received ("/a/b?x=1"); for an absolute-form target the
  // path and query of the URI (the host it names is never connected to). Never holds a fragment.
  std::string target;
  std::string authority;  // Host field value, or the authority of an absolute-form target
  int version_minor = 1;  // HTTP/1.x minor version (0 or 1); 1 for HTTP/2
  HeaderMap headers;      // regular fields; HTTP/1 framing fields still present
  BodyFraming framing = BodyFraming::None;
  uint64_t content_length = 0;   // when framing == ContentLength
  bool keep_alive = true;        // from version + Connection
  bool expect_continue = false;  // `Expect: 100-continue`
};

struct ResponseHead {
  int status = 200;
  std::string reason;
  int version_minor = 1;
  HeaderMap headers;
  BodyFraming framing = BodyFraming::None;
  uint64_t content_length = 0;
  bool keep_alive = true;
};

// Default reason phrase for a status code ("OK", "Not Found", ...; "Unknown" otherwise).
std::string_view reasonPhrase(int status);

}  // namespace mgw::http
