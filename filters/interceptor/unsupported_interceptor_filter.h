// Interceptors that cannot run in this gateway (`.bal` functions, Ballerina module functions,
// `java:` classes) are kept in the artifact; a resource that uses one answers 500 with a fault
// naming it, never silently skipping it. The Lua interceptor issue replaces this for functions
// that have a Lua implementation.
#pragma once

#include <string>

#include "mgw/filter/filter.h"

namespace mgw::filters {

class UnsupportedInterceptorFilter final : public filter::Filter {
 public:
  // `ref`: the interceptor reference as written in the definition.
  explicit UnsupportedInterceptorFilter(std::string ref) : ref_(std::move(ref)) {}
  std::string_view name() const override { return "interceptor"; }
  filter::FilterStatus onRequestHeaders(filter::RequestContext& ctx) const override;

 private:
  std::string ref_;
};

}  // namespace mgw::filters
