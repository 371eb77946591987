#include "mgw/router/route_table.h"

#include <algorithm>
#include <string>
#include <unordered_map>
#include <utility>

#include "mgw/base/log.h"

namespace mgw::router {
namespace {

constexpr std::string_view kCatchAllBasePath = "/*";

// One trailing slash is insignificant on both the template and the request side ("/pets/" ==
// "/pets"); a lone "/" means "no segments". The result is "" (no segments) or "/seg[/seg...]".
std::string_view normalizeTail(std::string_view p) {
  if (p.size() > 1 && p.back() == '/')
    p.remove_suffix(1);
  if (p == "/")
    p = {};
  return p;
}

// Base paths compare without trailing slashes; "" and "/" are the root.
std::string normalizeBasePath(std::string_view bp) {
  std::string out(bp);
  if (out.empty() || out.front() != '/')
    out.insert(out.begin(), '/');
  while (out.size() > 1 && out.back() == '/')
    out.pop_back();
  return out;
}

// Splits "/a/b" into its first segment "a" and the rest "/b" ("" when none).
std::pair<std::string_view, std::string_view> nextSegment(std::string_view rest) {
  size_t end = rest.find('/', 1);
  if (end == std::string_view::npos)
    return {rest.substr(1), std::string_view{}};
  return {rest.substr(1, end - 1), rest.substr(end)};
}

// Resources whose template ends at one trie node (the same template, possibly written with or
// without a trailing slash or with other parameter names), one entry per method.
struct Terminal {
  std::vector<std::pair<std::string, uint32_t>> methods;  // method -> resource index
  std::string allow;                                      // "GET, POST": precomputed for 405
  bool empty() const { return methods.empty(); }
};

// A "<prefix>{name}<suffix>" segment, e.g. "{id}.api" or "v{n}".
struct AffixEdge {
  std::string prefix;
  std::string suffix;
  uint32_t child = 0;
  bool matches(std::string_view seg) const {
    return seg.size() > prefix.size() + suffix.size() && seg.starts_with(prefix) &&
           seg.ends_with(suffix);
  }
};

struct Node {
  std::vector<std::pair<std::string, uint32_t>> literals;  // sorted by segment text
  std::vector<AffixEdge> affixes;  // most literal characters first, then insertion order
  int64_t param = -1;              // child for "{name}"
  Terminal end;                    // templates ending here
  Terminal wildcard;               // templates ending here with "/*"
};

// Per-API segment trie. Node 0 is the root.
struct Tree {
  std::vector<Node> nodes{1};
};

enum class SegmentKind { Literal, Affix, Param };

struct ParsedSegment {
  SegmentKind kind = SegmentKind::Literal;
  std::string_view literal;  // Literal: the text; Affix: prefix
  std::string_view suffix;   // Affix only
};

// "{name}" -> Param; "pre{name}suf" -> Affix; anything else (including unbalanced braces or
// more than one parameter, which OpenAPI tooling rejects) is compared literally, so such a
// template can only match its own text and never routes more than it says.
ParsedSegment parseSegment(std::string_view seg, bool& unsupported) {
  size_t open = seg.find('{');
  if (open == std::string_view::npos) {
    if (seg.find('}') != std::string_view::npos)
      unsupported = true;
    return {SegmentKind::Literal, seg, {}};
  }
  size_t close = seg.find('}', open);
  if (close == std::string_view::npos || close == open + 1 || seg.find('{', open + 1) < close ||
      seg.find_first_of("{}", close + 1) != std::string_view::npos ||
      seg.substr(0, open).find('}') != std::string_view::npos) {
    unsupported = true;
    return {SegmentKind::Literal, seg, {}};
  }
  std::string_view prefix = seg.substr(0, open);
  std::string_view suffix = seg.substr(close + 1);
  if (prefix.empty() && suffix.empty())
    return {SegmentKind::Param, {}, {}};
  return {SegmentKind::Affix, prefix, suffix};
}

uint32_t literalChild(Tree& t, uint32_t n, std::string_view seg) {
  auto& lits = t.nodes[n].literals;
  auto it = std::lower_bound(lits.begin(), lits.end(), seg,
                             [](const auto& e, std::string_view s) { return e.first < s; });
  if (it != lits.end() && it->first == seg)
    return it->second;
  auto child = static_cast<uint32_t>(t.nodes.size());
  lits.insert(it, {std::string(seg), child});
  t.nodes.emplace_back();
  return child;
}

uint32_t affixChild(Tree& t, uint32_t n, std::string_view prefix, std::string_view suffix) {
  for (const auto& a : t.nodes[n].affixes) {
    if (a.prefix == prefix && a.suffix == suffix)
      return a.child;
  }
  auto child = static_cast<uint32_t>(t.nodes.size());
  t.nodes.emplace_back();
  auto& affixes = t.nodes[n].affixes;
  AffixEdge edge{std::string(prefix), std::string(suffix), child};
  // Stable: a longer literal part is more specific ("{f}.tar.gz" before "{f}.gz").
  auto pos = std::find_if(affixes.begin(), affixes.end(), [&](const AffixEdge& a) {
    return a.prefix.size() + a.suffix.size() < prefix.size() + suffix.size();
  });
  affixes.insert(pos, std::move(edge));
  return child;
}

uint32_t paramChild(Tree& t, uint32_t n) {
  if (t.nodes[n].param < 0) {
    t.nodes[n].param = static_cast<int64_t>(t.nodes.size());
    t.nodes.emplace_back();
  }
  return static_cast<uint32_t>(t.nodes[n].param);
}

// Depth-first search in specificity order: at each segment literal, then affix, then "{param}",
// then "*". The first terminal reached that has the method is the most specific match for it;
// the first terminal reached at all is the most specific template, whose methods form `allow`.
// Each trie node is visited at most once, so the cost is bounded by the trie size and, for a
// given path, by its segment count (recursion depth <= the deepest template).
struct Search {
  std::string_view method;
  const Terminal* first = nullptr;
  uint32_t resource = 0;

  bool check(const Terminal& term) {
    if (term.empty())
      return false;
    for (const auto& [m, index] : term.methods) {
      if (m == method) {
        resource = index;
        return true;
      }
    }
    if (first == nullptr)
      first = &term;
    return false;
  }

  bool visit(const Tree& t, uint32_t n, std::string_view rest) {
    const Node& node = t.nodes[n];
    if (rest.empty())
      return check(node.end) || check(node.wildcard);
    auto [seg, next] = nextSegment(rest);
    auto it = std::lower_bound(node.literals.begin(), node.literals.end(), seg,
                               [](const auto& e, std::string_view s) { return e.first < s; });
    if (it != node.literals.end() && it->first == seg && visit(t, it->second, next))
      return true;
    for (const auto& a : node.affixes) {
      if (a.matches(seg) && visit(t, a.child, next))
        return true;
    }
    if (node.param >= 0 && !seg.empty() && visit(t, static_cast<uint32_t>(node.param), next)) {
      return true;
    }
    return check(node.wildcard);
  }
};

}  // namespace

struct RouteTable::Impl {
  const artifact::Artifact* artifact = nullptr;
  std::vector<std::string> base_paths;  // normalised, per API; owns the map keys' text
  std::vector<Tree> trees;              // per API
  std::unordered_map<std::string_view, uint32_t> by_base_path;  // first API per base path
  size_t max_base_path_len = 0;
  int64_t root_api = -1;       // base path "/"
  int64_t catch_all_api = -1;  // base path "/*"

  void addResource(uint32_t api_index, uint32_t res_index) {
    const artifact::Api& api = artifact->apis[api_index];
    const artifact::Resource& res = api.resources[res_index];
    Tree& tree = trees[api_index];
    std::string_view tpl = res.path_template;
    if (size_t q = tpl.find('?'); q != std::string_view::npos)
      tpl = tpl.substr(0, q);
    std::string with_slash;
    if (!tpl.empty() && tpl.front() != '/') {
      with_slash = "/" + std::string(tpl);
      tpl = with_slash;
    }
    tpl = normalizeTail(tpl);
    uint32_t n = 0;
    bool wildcard = false;
    bool unsupported = false;
    while (!tpl.empty()) {
      auto [seg, next] = nextSegment(tpl);
      tpl = next;
      if (seg == "*" && next.empty()) {
        wildcard = true;
        break;
      }
      ParsedSegment p = parseSegment(seg, unsupported);
      switch (p.kind) {
        case SegmentKind::Literal:
          n = literalChild(tree, n, p.literal);
          break;
        case SegmentKind::Affix:
          n = affixChild(tree, n, p.literal, p.suffix);
          break;
        case SegmentKind::Param:
          n = paramChild(tree, n);
          break;
      }
    }
    if (unsupported) {
      log::warn("router.unsupported_template", "path template segment is matched literally",
                {{"api", api.name}, {"template", res.path_template}});
    }
    Terminal& term = wildcard ? tree.nodes[n].wildcard : tree.nodes[n].end;
    for (const auto& [m, index] : term.methods) {
      if (m == res.method) {
        (void)index;
        log::warn("router.duplicate_resource",
                  "a resource with the same template and method exists; the first one is used",
                  {{"api", api.name}, {"template", res.path_template}, {"method", res.method}});
        return;
      }
    }
    term.methods.emplace_back(res.method, res_index);
  }

  static void finishAllow(Terminal& term) {
    std::vector<std::string> methods;
    for (const auto& [m, index] : term.methods) {
      (void)index;
      methods.push_back(m);
    }
    std::sort(methods.begin(), methods.end());
    methods.erase(std::unique(methods.begin(), methods.end()), methods.end());
    for (const auto& m : methods) {
      if (!term.allow.empty())
        term.allow += ", ";
      term.allow += m;
    }
  }

  // Longest base path that equals `path` or is followed in it by '/', then "/", then "/*".
  int64_t findApi(std::string_view path) const {
    size_t i = std::min(path.size(), max_base_path_len);
    if (i < path.size() && path[i] != '/') {
      // Only segment boundaries are candidates; back up to the previous '/'.
      size_t slash = path.rfind('/', i);
      i = slash == std::string_view::npos ? 0 : slash;
    }
    while (i > 0) {
      auto it = by_base_path.find(path.substr(0, i));
      if (it != by_base_path.end())
        return it->second;
      size_t slash = path.rfind('/', i - 1);
      if (slash == std::string_view::npos)
        break;
      i = slash;
    }
    if (root_api >= 0)
      return root_api;
    return catch_all_api;
  }
};

RouteTable::RouteTable(const artifact::Artifact& artifact) : impl_(std::make_unique<Impl>()) {
  Impl& im = *impl_;
  im.artifact = &artifact;
  const auto api_count = static_cast<uint32_t>(artifact.apis.size());
  im.base_paths.reserve(api_count);
  for (const auto& api : artifact.apis)
    im.base_paths.push_back(normalizeBasePath(api.base_path));
  im.trees.resize(api_count);
  for (uint32_t a = 0; a < api_count; ++a) {
    const std::string& bp = im.base_paths[a];
    if (bp == "/") {
      if (im.root_api < 0)
        im.root_api = a;
    } else if (bp == kCatchAllBasePath) {
      if (im.catch_all_api < 0)
        im.catch_all_api = a;
    } else if (im.by_base_path.emplace(bp, a).second) {
      im.max_base_path_len = std::max(im.max_base_path_len, bp.size());
    }
    const auto res_count = static_cast<uint32_t>(artifact.apis[a].resources.size());
    for (uint32_t r = 0; r < res_count; ++r)
      im.addResource(a, r);
    for (Node& node : im.trees[a].nodes) {
      Impl::finishAllow(node.end);
      Impl::finishAllow(node.wildcard);
    }
  }
}

RouteTable::~RouteTable() = default;

RouteMatch RouteTable::match(std::string_view method, std::string_view path) const {
  RouteMatch out;
  // Defensive: a query is never part of the path.
  if (size_t q = path.find('?'); q != std::string_view::npos)
    path = path.substr(0, q);
  if (path.empty())
    path = "/";
  if (path.front() != '/')
    return out;

  int64_t api = impl_->findApi(path);
  if (api < 0)
    return out;
  const auto api_index = static_cast<uint32_t>(api);
  const std::string& bp = impl_->base_paths[api_index];
  std::string_view after = (bp == "/" || bp == kCatchAllBasePath) ? path : path.substr(bp.size());

  Search search{method};
  if (search.visit(impl_->trees[api_index], 0, normalizeTail(after))) {
    out.status = MatchStatus::Matched;
    out.api_index = api_index;
    out.resource_index = search.resource;
    out.path_after_base = after;
    return out;
  }
  if (search.first != nullptr) {
    out.status = MatchStatus::MethodNotAllowed;
    out.api_index = api_index;
    out.path_after_base = after;
    out.allow = search.first->allow;
  }
  return out;
}

}  // namespace mgw::router
