// Route matching: base path + path template + method -> resource. Built once from the artifact
// (immutable, shared read-only by all workers); matching allocates nothing and is O(path length)
// in the number of path segments for a given API.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mgw/artifact/model.h"

namespace mgw::router {

enum class MatchStatus {
  Matched,           // api/resource set
  NotFound,          // no API base path or no resource template matches -> 404
  MethodNotAllowed,  // a template matches but not the method -> 405 with `allow`
};

struct RouteMatch {
  MatchStatus status = MatchStatus::NotFound;
  uint32_t api_index = 0;       // index in Artifact::apis
  uint32_t resource_index = 0;  // index in Api::resources
  // The request path after the API base path ("" or starting with '/'): what is appended to the
  // endpoint URL (WSO2: rawPath minus the first basePath occurrence).
  std::string_view path_after_base;
  std::string allow;  // MethodNotAllowed: "GET, POST" (sorted, unique)
};

class RouteTable {
 public:
  // Keeps a pointer to `artifact`, which must outlive the table.
  explicit RouteTable(const artifact::Artifact& artifact);
  ~RouteTable();
  RouteTable(const RouteTable&) = delete;
  RouteTable& operator=(const RouteTable&) = delete;

  // `path` is the raw (percent-encoded) path without query. Matching is case-sensitive and
  // segment-wise: "{p}" matches one non-empty segment, "{p}.api" a segment ending in ".api",
  // a trailing "/*" any remainder (also empty). Literal segments beat parameters, parameters
  // beat wildcards; the longest matching base path wins.
  RouteMatch match(std::string_view method, std::string_view path) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mgw::router
