#include <algorithm>
#include <iostream>
#include <sstream>

#include "commands.h"
#include "mgw/artifact/artifact_io.h"

namespace mgw::toolkit {
namespace {

using artifact::Api;
using artifact::Artifact;
using artifact::AuthScheme;
using artifact::Endpoint;
using artifact::EndpointRefs;
using artifact::Interceptor;
using artifact::Resource;
using artifact::ThrottlePolicy;

constexpr std::string_view kHelp =
    R"(Usage: micro-gw inspect <artifact.mgw> [--json] [--verify-key <ed25519 public key PEM file>]

Checks an artifact (format, version, SHA-256, and the signature with --verify-key) and prints
every API (name, version, base path, transports, mutual TLS, auth header, tier), its resources
(method, path, effective endpoints, security, scopes, tier, interceptors), the endpoints (name,
type, URLs, timeout) and the throttling policies.

Options:
  --json              print the model as JSON instead of tables
  --verify-key <pem>  require a valid Ed25519 signature by this key
  -h, --help          show this help
)";

// Left-aligned text columns, two spaces apart.
class Table {
 public:
  explicit Table(std::vector<std::string> header) { rows_.push_back(std::move(header)); }
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void print(std::ostream& out, std::string_view indent) const {
    std::vector<std::size_t> width;
    for (const auto& row : rows_) {
      if (width.size() < row.size())
        width.resize(row.size(), 0);
      for (std::size_t i = 0; i < row.size(); ++i)
        width[i] = std::max(width[i], row[i].size());
    }
    for (const auto& row : rows_) {
      std::string line(indent);
      for (std::size_t i = 0; i < row.size(); ++i) {
        line += row[i];
        if (i + 1 < row.size())
          line += std::string(width[i] - row[i].size() + 2, ' ');
      }
      out << line << "\n";
    }
  }

 private:
  std::vector<std::vector<std::string>> rows_;
};

std::string join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (const std::string& s : v) {
    if (!out.empty())
      out += sep;
    out += s;
  }
  return out;
}

std::string orDash(std::string s) {
  return s.empty() ? "-" : s;
}

std::string typeName(artifact::EndpointType t) {
  switch (t) {
    case artifact::EndpointType::Http:
      return "http";
    case artifact::EndpointType::LoadBalance:
      return "load_balance";
    case artifact::EndpointType::Failover:
      return "failover";
  }
  return "http";
}

std::string endpointsText(const Artifact& a, const EndpointRefs& refs) {
  auto name = [&a](const std::optional<uint32_t>& i) -> std::string {
    if (!i)
      return "-";
    if (*i >= a.endpoints.size())
      return std::to_string(*i) + "(invalid)";
    // Generated names carry a 64-hex digest: the endpoint table shows it in full.
    std::string n = a.endpoints[*i].name;
    if (n.size() > 20)
      n = n.substr(0, 16) + "...";
    return n + "#" + std::to_string(*i);
  };
  return "prod=" + name(refs.production) + " sand=" + name(refs.sandbox);
}

std::string securityText(const Resource& r) {
  if (r.disable_security)
    return "none";
  std::vector<std::string> parts;
  for (const AuthScheme& s : r.auth) {
    switch (s.type) {
      case AuthScheme::Type::OAuth2:
        parts.emplace_back("oauth2");
        break;
      case AuthScheme::Type::Basic:
        parts.emplace_back("basic");
        break;
      case AuthScheme::Type::ApiKey:
        parts.push_back("api_key(" + s.in + ":" + s.key_name + ")");
        break;
    }
  }
  std::string text = parts.empty() ? "oauth2(default)" : join(parts, "|");
  if (r.app_security_optional)
    text += " optional";
  return text;
}

std::string interceptorsText(const Resource& r) {
  std::vector<std::string> parts;
  for (const Interceptor& i : r.request_interceptors)
    parts.push_back("req:" + i.ref);
  for (const Interceptor& i : r.response_interceptors)
    parts.push_back("resp:" + i.ref);
  return orDash(join(parts, ","));
}

std::string mtlsText(artifact::MutualSsl m) {
  switch (m) {
    case artifact::MutualSsl::None:
      return "none";
    case artifact::MutualSsl::Mandatory:
      return "mandatory";
    case artifact::MutualSsl::Optional:
      return "optional";
  }
  return "none";
}

std::string unitText(const ThrottlePolicy& p) {
  static constexpr std::string_view kUnits[] = {"sec",  "min",   "hour", "day",
                                                "week", "month", "year"};
  std::string unit(kUnits[static_cast<int>(p.time_unit)]);
  return p.unit_time == 1 ? unit : std::to_string(p.unit_time) + " " + unit;
}

void printArtifact(const Artifact& a, std::ostream& out) {
  out << "Artifact: project " << a.project << ", built by micro-gw " << a.toolkit_version << "\n\n";
  out << "APIs (" << a.apis.size() << ")\n";
  Table apis({"NAME", "VERSION", "BASE PATH", "TRANSPORTS", "MTLS", "AUTH HEADER", "TIER", "CORS",
              "ENDPOINTS"});
  for (const Api& api : a.apis) {
    apis.add({api.name, api.version, api.base_path, join(api.transports, ","),
              mtlsText(api.mutual_ssl), orDash(api.auth_header), orDash(api.throttling_tier),
              api.cors ? "on" : "off", endpointsText(a, api.endpoints)});
  }
  apis.print(out, "  ");
  for (const Api& api : a.apis) {
    out << "\nResources of " << api.name << " " << api.version << " (" << api.base_path << ")\n";
    Table res({"METHOD", "PATH", "ENDPOINTS", "SECURITY", "SCOPES", "TIER", "INTERCEPTORS"});
    for (const Resource& r : api.resources) {
      res.add({r.method, r.path_template, endpointsText(a, r.endpoints), securityText(r),
               orDash(join(r.scopes, ",")), orDash(r.throttling_tier), interceptorsText(r)});
    }
    res.print(out, "  ");
  }
  out << "\nEndpoints (" << a.endpoints.size() << ")\n";
  Table eps({"#", "NAME", "TYPE", "URLS", "TIMEOUT", "SECURITY"});
  for (std::size_t i = 0; i < a.endpoints.size(); ++i) {
    const Endpoint& e = a.endpoints[i];
    std::vector<std::string> urls;
    for (const auto& u : e.urls) {
      urls.push_back(u.etcd_key.empty() ? u.url : "etcd(" + u.etcd_key + "," + u.url + ")");
    }
    std::string timeout =
        e.advance.timeout_ms ? std::to_string(*e.advance.timeout_ms) + "ms" : "60000ms(default)";
    eps.add({std::to_string(i), e.name, typeName(e.type), join(urls, " "), timeout,
             e.security ? e.security->type + "(" + e.security->username + ")" : "-"});
  }
  eps.print(out, "  ");
  out << "\nPolicies\n";
  Table pol({"SECTION", "NAME", "COUNT", "PER", "STOP ON QUOTA"});
  auto addAll = [&pol](std::string_view section, const std::vector<ThrottlePolicy>& ps) {
    for (const ThrottlePolicy& p : ps) {
      pol.add({std::string(section), p.name, std::to_string(p.count), unitText(p),
               p.stop_on_quota ? "true" : "false"});
    }
  };
  addAll("resource", a.policies.resource);
  addAll("application", a.policies.application);
  addAll("subscription", a.policies.subscription);
  pol.print(out, "  ");
  if (!a.interceptor_sources.empty()) {
    out << "\nInterceptor sources\n";
    for (const auto& [path, text] : a.interceptor_sources) {
      out << "  " << path << " (" << text.size() << " bytes)\n";
    }
  }
}

}  // namespace

int runInspect(Args args) {
  if (auto err = args.parse({"--verify-key"}, {"--json", "-h", "--help"})) {
    printError(*err + " (see micro-gw inspect --help)");
    return kExitUsage;
  }
  if (args.has("-h", "--help")) {
    std::cout << kHelp;
    return kExitOk;
  }
  if (args.positional().size() != 1) {
    printError("expected exactly one artifact file (see micro-gw inspect --help)");
    return kExitUsage;
  }
  std::string key;
  if (auto key_path = args.value("--verify-key")) {
    Result<std::string> k = readFile(*key_path);
    if (!k) {
      printError("cannot read verification key " + *key_path);
      return kExitFailure;
    }
    key = std::move(*k);
  }
  Result<Artifact> a = artifact::loadFile(args.positional().front(), key);
  if (!a) {
    printError(args.positional().front() + ": " + a.error().reason + ": " + a.error().message);
    return kExitFailure;
  }
  if (args.has("--json")) {
    std::cout << artifact::toJson(*a, true) << "\n";
  } else {
    std::ostringstream out;
    printArtifact(*a, out);
    std::cout << out.str();
  }
  return kExitOk;
}

}  // namespace mgw::toolkit
