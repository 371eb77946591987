#include <gtest/gtest.h>

#include "mgw/config/gateway_config.h"
#include "test_util.h"

namespace mgw::config {
namespace {

using testing::ScopedCwd;
using testing::ScopedEnv;
using testing::TempDir;

LoadOptions fileOnly(const std::string& path) {
  LoadOptions o;
  o.config_path = path;
  o.use_environment = false;
  return o;
}

GatewayConfig mustLoad(const LoadOptions& o) {
  auto r = load(o);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().reason + ": " + r.error().message);
  return r.ok() ? *r : GatewayConfig{};
}

TEST(ConfigLoad, DefaultsWhenNoFileAnywhere) {
  TempDir dir;
  ScopedCwd cwd(dir.path());
  LoadOptions o;
  o.use_environment = false;
  GatewayConfig c = mustLoad(o);
  EXPECT_TRUE(c.config_file.empty());
  EXPECT_EQ(c.listener.host, "0.0.0.0");
  EXPECT_EQ(c.listener.http_port, 9090);
  EXPECT_EQ(c.listener.https_port, 9095);
  EXPECT_EQ(c.listener.token_listener_port, 9096);
  EXPECT_EQ(c.listener.keep_alive, KeepAlive::Auto);
  EXPECT_EQ(c.listener.max_entity_body_size, -1);
  EXPECT_TRUE(c.listener.trusted_proxies.empty());
  EXPECT_EQ(c.server.workers, 0);
  EXPECT_EQ(c.server.log_level, "INFO");
  EXPECT_FALSE(c.server.log_json);
  EXPECT_TRUE(c.values.empty());
}

TEST(ConfigLoad, FillsTypedStructFromFile) {
  TempDir dir;
  std::string path = dir.write("micro-gw.conf", R"(
[listenerConfig]
host = "127.0.0.1"
httpPort = 19090
httpsPort = 19095
tokenListenerPort = 0
keepAlive = "never"
maxPipelinedRequests = 3
maxUriLength = 1024
maxHeaderSize = 4096
maxHeaderCount = 50
maxEntityBodySize = 1048576
requestHeaderTimeoutMillis = 1000
bodyIdleTimeoutMillis = 2000
keepAliveTimeoutMillis = 3000
trustedProxies = ["10.0.0.0/8", "::1"]

[server]
workers = 4
shutdownGraceMillis = 500
logFormat = "JSON"

[b7a.log]
level = "debug"
)");
  GatewayConfig c = mustLoad(fileOnly(path));
  EXPECT_EQ(c.config_file, path);
  EXPECT_EQ(c.listener.host, "127.0.0.1");
  EXPECT_EQ(c.listener.http_port, 19090);
  EXPECT_EQ(c.listener.https_port, 19095);
  EXPECT_EQ(c.listener.token_listener_port, 0);
  EXPECT_EQ(c.listener.keep_alive, KeepAlive::Never);
  EXPECT_EQ(c.listener.max_pipelined_requests, 3);
  EXPECT_EQ(c.listener.max_uri_length, 1024);
  EXPECT_EQ(c.listener.max_header_size, 4096);
  EXPECT_EQ(c.listener.max_header_count, 50);
  EXPECT_EQ(c.listener.max_entity_body_size, 1048576);
  EXPECT_EQ(c.listener.request_header_timeout_ms, 1000);
  EXPECT_EQ(c.listener.body_idle_timeout_ms, 2000);
  EXPECT_EQ(c.listener.keep_alive_timeout_ms, 3000);
  ASSERT_EQ(c.listener.trusted_proxies.size(), 2u);
  EXPECT_FALSE(c.listener.trusted_proxies[0].v6);
  EXPECT_EQ(c.listener.trusted_proxies[0].prefix, 8);
  EXPECT_TRUE(c.listener.trusted_proxies[1].v6);
  EXPECT_EQ(c.listener.trusted_proxies[1].prefix, 128);
  EXPECT_EQ(c.server.workers, 4);
  EXPECT_EQ(c.server.shutdown_grace_ms, 500);
  EXPECT_TRUE(c.server.log_json);
  EXPECT_EQ(c.server.log_level, "DEBUG");
  // Flat view: lowercase keys, stringified values, source positions.
  ASSERT_NE(c.get("listenerconfig.httpport"), nullptr);
  EXPECT_EQ(*c.get("listenerconfig.httpport"), "19090");
  EXPECT_EQ(c.sources.at("listenerconfig.httpport"), path + ":4:12");
}

TEST(ConfigLoad, KeepAliveAndLogFormatAreCaseInsensitive) {
  TempDir dir;
  std::string path = dir.write("a.conf",
                               "[listenerConfig]\nkeepAlive = \"Always\"\n"
                               "[server]\nlogFormat = \"Text\"\n");
  GatewayConfig c = mustLoad(fileOnly(path));
  EXPECT_EQ(c.listener.keep_alive, KeepAlive::Always);
  EXPECT_FALSE(c.server.log_json);
}

TEST(ConfigLoad, SectionAndKeyNamesAreCaseInsensitive) {
  TempDir dir;
  std::string path = dir.write("a.conf", R"(
[LISTENERCONFIG]
HTTPPORT = 1234
[keyManager]
serverUrl = "https://km:9443"
[keymanager.security.basic]
Username = "bob"
)");
  GatewayConfig c = mustLoad(fileOnly(path));
  EXPECT_EQ(c.listener.http_port, 1234);
  ASSERT_NE(c.get("keyManager.serverUrl"), nullptr);
  EXPECT_EQ(*c.get("KEYMANAGER.SERVERURL"), "https://km:9443");
  ASSERT_NE(c.get("keyManager.security.basic.username"), nullptr);
  EXPECT_EQ(*c.get("keymanager.security.basic.username"), "bob");
  EXPECT_EQ(c.values.count("keymanager.serverurl"), 1u);
}

TEST(ConfigLoad, QuotedDottedTableNameEqualsDottedTable) {
  TempDir dir;
  std::string path = dir.write("a.conf", R"(
["b7a.users.alice"]
password = "d033e22ae348aeb5660fc2140aec35850c4da997"
scopes = "read,write"
[b7a.users.bob]
password = "x"
["listenerConfig"]
"httpPort" = 2000
)");
  GatewayConfig c = mustLoad(fileOnly(path));
  ASSERT_NE(c.get("b7a.users.alice.password"), nullptr);
  EXPECT_EQ(*c.get("b7a.users.alice.password"), "d033e22ae348aeb5660fc2140aec35850c4da997");
  EXPECT_EQ(c.getList("b7a.users.alice.scopes"), (std::vector<std::string>{"read", "write"}));
  ASSERT_NE(c.get("b7a.users.bob.password"), nullptr);
  EXPECT_EQ(c.listener.http_port, 2000);
}

TEST(ConfigLoad, SameTableSpelledTwoWaysMergesAndLaterWins) {
  TempDir dir;
  std::string path = dir.write("a.conf", R"(
[b7a.users.carol]
password = "first"
["b7a.users.carol"]
password = "second"
)");
  ::testing::internal::CaptureStderr();
  GatewayConfig c = mustLoad(fileOnly(path));
  std::string err = ::testing::internal::GetCapturedStderr();
  ASSERT_NE(c.get("b7a.users.carol.password"), nullptr);
  EXPECT_EQ(*c.get("b7a.users.carol.password"), "second");
  EXPECT_NE(err.find("config.duplicate_key"), std::string::npos) << err;
}

TEST(ConfigLoad, ArraysOfTablesAreIndexed) {
  TempDir dir;
  std::string path = dir.write("a.conf", R"(
[[jwtTokenConfig]]
issuer = "https://localhost:9443/oauth2/token"
audience = "http://org.wso2.apimgt/gateway"
validateSubscription = false
[[jwtTokenConfig.claims]]
remoteClaim = "scp"
localClaim = "scope"
[[jwtTokenConfig.claims]]
remoteClaim = "FName"
localClaim = "firstName"
[[jwtTokenConfig]]
issuer = "https://other/issuer"
[[mutualSSLConfig.api.certificates]]
name = "PizzaShack"
version = "1.0.0"
aliasList = ["a1", "a2"]
)");
  GatewayConfig c = mustLoad(fileOnly(path));
  EXPECT_EQ(c.arrayCount("jwtTokenConfig"), 2u);
  EXPECT_EQ(c.arrayCount("jwtTokenConfig.0.claims"), 2u);
  EXPECT_EQ(c.arrayCount("jwtTokenConfig.1.claims"), 0u);
  EXPECT_EQ(c.arrayCount("nothing"), 0u);
  EXPECT_EQ(c.getString("jwttokenconfig.0.issuer"), "https://localhost:9443/oauth2/token");
  EXPECT_EQ(c.getString("jwttokenconfig.1.issuer"), "https://other/issuer");
  EXPECT_EQ(c.getString("jwtTokenConfig.0.claims.1.localClaim"), "firstName");
  EXPECT_FALSE(c.getBool("jwttokenconfig.0.validatesubscription", true));
  EXPECT_EQ(c.arrayCount("mutualSSLConfig.api.certificates"), 1u);
  EXPECT_EQ(c.getList("mutualsslconfig.api.certificates.0.aliaslist"),
            (std::vector<std::string>{"a1", "a2"}));
}

TEST(ConfigLoad, ScalarArraysAreJoinedAndKeptAsLists) {
  TempDir dir;
  std::string path = dir.write("a.conf", R"(
[jwtGeneratorConfig]
restrictedClaims = ["a", "b,c", " d "]
audience = []
[mutualSSLConfig]
protocolVersions = "TLSv1.2, TLSv1.1"
)");
  GatewayConfig c = mustLoad(fileOnly(path));
  EXPECT_EQ(c.getString("jwtgeneratorconfig.restrictedclaims"), "a,b,c, d ");
  // The list keeps elements that contain the separator.
  EXPECT_EQ(c.getList("jwtGeneratorConfig.restrictedClaims"),
            (std::vector<std::string>{"a", "b,c", "d"}));
  ASSERT_NE(c.get("jwtgeneratorconfig.audience"), nullptr);
  EXPECT_EQ(*c.get("jwtgeneratorconfig.audience"), "");
  EXPECT_TRUE(c.getList("jwtgeneratorconfig.audience").empty());
  EXPECT_EQ(c.getList("mutualSSLConfig.protocolVersions"),
            (std::vector<std::string>{"TLSv1.2", "TLSv1.1"}));
  EXPECT_TRUE(c.getList("absent.key").empty());
}

TEST(ConfigLoad, ScalarTypesAreStringified) {
  TempDir dir;
  std::string path = dir.write("a.conf", R"(
[caching]
enabled = true
tokenCacheEvictionFactor = 0.25
tokenCacheCapacity = 0x10
[x]
when = 1979-05-27
)");
  ::testing::internal::CaptureStderr();
  GatewayConfig c = mustLoad(fileOnly(path));
  ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(c.getString("caching.enabled"), "true");
  EXPECT_TRUE(c.getBool("caching.enabled", false));
  EXPECT_EQ(c.getString("caching.tokencacheevictionfactor"), "0.25");
  EXPECT_DOUBLE_EQ(c.getDouble("caching.tokenCacheEvictionFactor", 0), 0.25);
  EXPECT_EQ(c.getInt("caching.tokencachecapacity", 0), 16);
  EXPECT_EQ(c.getString("x.when"), "1979-05-27");
  EXPECT_EQ(c.getInt("absent", 7), 7);
  EXPECT_EQ(c.getString("absent", "dflt"), "dflt");
  EXPECT_EQ(c.getInt("x.when", 7), 7);  // unparsable unknown key falls back
}

TEST(ConfigLoad, EndpointOverrideKeysKeepTheirCase) {
  TempDir dir;
  std::string path = dir.write("a.conf",
                               "myEp_prod_endpoint_0 = \"http://file:1\"\n"
                               "[listenerConfig]\nhttpPort = 1\n");
  ScopedEnv env;
  env.set("shopEp_sand_basic_password", "s3cret");
  env.set("MGW_otherEp_prod_endpoint_1", "http://env:2");
  LoadOptions o;
  o.config_path = path;
  o.overrides = {"--myEp_prod_endpoint_0=http://flag:3", "api_ab12_sand_0_etcdKey=shopKey",
                 "--myEp_prod_basic_username=alice"};
  ::testing::internal::CaptureStderr();
  GatewayConfig c = mustLoad(o);
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(err.find("config.unknown_key"), std::string::npos) << err;
  EXPECT_EQ(c.endpoint_overrides.at("myEp_prod_endpoint_0"), "http://flag:3");
  EXPECT_EQ(c.endpoint_overrides.at("api_ab12_sand_0_etcdKey"), "shopKey");
  EXPECT_EQ(c.endpoint_overrides.at("myEp_prod_basic_username"), "alice");
  EXPECT_EQ(c.endpoint_overrides.at("shopEp_sand_basic_password"), "s3cret");
  EXPECT_EQ(c.endpoint_overrides.at("otherEp_prod_endpoint_1"), "http://env:2");
  ASSERT_NE(c.getEndpointOverride("myEp_prod_endpoint_0"), nullptr);
  EXPECT_EQ(*c.getEndpointOverride("myEp_prod_endpoint_0"), "http://flag:3");
  ASSERT_NE(c.getEndpointOverride("MYEP_PROD_ENDPOINT_0"), nullptr);  // case-insensitive fallback
  ASSERT_NE(c.get("myep_prod_endpoint_0"), nullptr);
  EXPECT_EQ(c.getEndpointOverride("nope_prod_endpoint_0"), nullptr);
}

TEST(ConfigLoad, PrecedenceFileThenEnvironmentThenFlags) {
  TempDir dir;
  std::string path = dir.write("a.conf",
                               "[listenerConfig]\nhttpPort = 1000\nhttpsPort = 1001\n"
                               "tokenListenerPort = 1002\n");
  ScopedEnv env;
  env.set("MGW_LISTENERCONFIG_HTTPSPORT", "2001");
  env.set("MGW_LISTENERCONFIG_TOKENLISTENERPORT", "2002");
  LoadOptions o;
  o.config_path = path;
  o.overrides = {"--listenerConfig.tokenListenerPort=3002"};
  GatewayConfig c = mustLoad(o);
  EXPECT_EQ(c.listener.http_port, 1000);
  EXPECT_EQ(c.listener.https_port, 2001);
  EXPECT_EQ(c.listener.token_listener_port, 3002);
  EXPECT_EQ(c.sources.at("listenerconfig.httpsport"), "env MGW_LISTENERCONFIG_HTTPSPORT");
  EXPECT_EQ(c.sources.at("listenerconfig.tokenlistenerport"),
            "flag --listenerConfig.tokenListenerPort");
}

TEST(ConfigLoad, EnvironmentFormsMatchKnownKeys) {
  ScopedEnv env;
  env.set("MGW_LISTENER_CONFIG_HTTP_PORT", "2100");  // underscores ignored when matching
  env.set("listenerConfig_maxUriLength", "2048");    // Ballerina's bare form
  env.set("LISTENERCONFIG_MAXHEADERSIZE", "9000");   // bare form, upper case
  env.set("LISTENERCONFIG_HTTPSPORT", "1111");       // bare form loses against MGW_
  env.set("MGW_LISTENERCONFIG_HTTPSPORT", "2222");
  env.set("MGW_B7A_LOG_LEVEL", "warn");
  env.set("MGW_NOT_A_KEY", "x");
  env.set("SOMETHING_UNRELATED", "y");
  TempDir dir;
  ScopedCwd cwd(dir.path());
  env.unset("MGW_CONF_DIR");
  ::testing::internal::CaptureStderr();
  GatewayConfig c = mustLoad(LoadOptions{});
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(c.listener.http_port, 2100);
  EXPECT_EQ(c.listener.max_uri_length, 2048);
  EXPECT_EQ(c.listener.max_header_size, 9000);
  EXPECT_EQ(c.listener.https_port, 2222);
  EXPECT_EQ(c.server.log_level, "WARN");
  EXPECT_EQ(c.get("not.a.key"), nullptr);
  EXPECT_EQ(c.get("something_unrelated"), nullptr);
  EXPECT_EQ(err.find("config.unknown_key"), std::string::npos) << err;
}

TEST(ConfigLoad, EnvironmentIgnoredWhenDisabled) {
  ScopedEnv env;
  env.set("MGW_LISTENERCONFIG_HTTPPORT", "2100");
  TempDir dir;
  ScopedCwd cwd(dir.path());
  LoadOptions o;
  o.use_environment = false;
  GatewayConfig c = mustLoad(o);
  EXPECT_EQ(c.listener.http_port, 9090);
}

TEST(ConfigLoad, OverridesWithOrWithoutDashes) {
  TempDir dir;
  ScopedCwd cwd(dir.path());
  LoadOptions o;
  o.use_environment = false;
  o.overrides = {"listenerConfig.httpPort=19090", "-listenerConfig.httpsPort=0",
                 "--keyManager.serverUrl=https://km/?a=b",
                 "--listenerConfig.trustedProxies=10.0.0.1, 192.168.0.0/16"};
  GatewayConfig c = mustLoad(o);
  EXPECT_EQ(c.listener.http_port, 19090);
  EXPECT_EQ(c.listener.https_port, 0);
  EXPECT_EQ(c.getString("keymanager.serverurl"), "https://km/?a=b");
  ASSERT_EQ(c.listener.trusted_proxies.size(), 2u);
  EXPECT_EQ(c.listener.trusted_proxies[0].prefix, 32);
  EXPECT_EQ(c.listener.trusted_proxies[1].prefix, 16);
}

TEST(ConfigLoad, FlagReplacesArrayFromFile) {
  TempDir dir;
  std::string path = dir.write("a.conf", "[listenerConfig]\ntrustedProxies = [\"10.0.0.0/8\"]\n");
  LoadOptions o = fileOnly(path);
  o.overrides = {"--listenerConfig.trustedProxies=::1"};
  GatewayConfig c = mustLoad(o);
  ASSERT_EQ(c.listener.trusted_proxies.size(), 1u);
  EXPECT_TRUE(c.listener.trusted_proxies[0].v6);
  EXPECT_EQ(c.getList("listenerconfig.trustedproxies"), (std::vector<std::string>{"::1"}));
  EXPECT_EQ(c.lists.count("listenerconfig.trustedproxies"), 0u);
}

TEST(ConfigLoad, B7aConfigFileOverrideSelectsTheFile) {
  TempDir dir;
  std::string path = dir.write("elsewhere/gw.conf", "[listenerConfig]\nhttpPort = 4321\n");
  ScopedCwd cwd(dir.path());
  LoadOptions o;
  o.use_environment = false;
  o.overrides = {"--b7a.config.file=" + path};
  GatewayConfig c = mustLoad(o);
  EXPECT_EQ(c.listener.http_port, 4321);
  EXPECT_EQ(c.config_file, path);
}

TEST(ConfigLoad, UnknownKeysWarnOncePerKeyButLoad) {
  TempDir dir;
  std::string path = dir.write("a.conf", R"(
[listenerConfig]
httpPort = 9090
htpPort = 1
[mySection]
a = 1
[b7a.users.dave]
password = "x"
[[jwtTokenConfig]]
issuer = "i"
customThing = "c"
[analytics.fileUpload]
enable = false
[throttlingConfig.agent]
queueSize = 32768
)");
  LoadOptions o = fileOnly(path);
  o.overrides = {"--other.flag=1"};
  ::testing::internal::CaptureStderr();
  auto r = load(o);
  std::string err = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_NE(err.find("listenerConfig.htpPort"), std::string::npos) << err;
  EXPECT_NE(err.find("mySection.a"), std::string::npos) << err;
  EXPECT_NE(err.find("other.flag"), std::string::npos) << err;
  EXPECT_EQ(err.find("dave"), std::string::npos) << err;
  EXPECT_EQ(err.find("customThing"), std::string::npos) << err;
  EXPECT_EQ(err.find("queueSize"), std::string::npos) << err;
  size_t count = 0;
  for (size_t pos = 0; (pos = err.find("config.unknown_key", pos)) != std::string::npos; ++pos) {
    ++count;
  }
  EXPECT_EQ(count, 3u) << err;
  EXPECT_EQ(r->getString("mysection.a"), "1");  // kept, available to whoever wants it
}

TEST(ConfigLoad, MgwConfDirPrefersConfSubdirectory) {
  TempDir dir;
  dir.write("conf/micro-gw.conf", "[listenerConfig]\nhttpPort = 1111\n");
  std::string plain = dir.write("micro-gw.conf", "[listenerConfig]\nhttpPort = 2222\n");
  TempDir elsewhere;
  ScopedCwd cwd(elsewhere.path());
  ScopedEnv env;
  env.set("MGW_CONF_DIR", dir.path().string());
  GatewayConfig c = mustLoad(LoadOptions{});
  EXPECT_EQ(c.listener.http_port, 1111);
  std::filesystem::remove(dir.path() / "conf" / "micro-gw.conf");
  GatewayConfig c2 = mustLoad(LoadOptions{});
  EXPECT_EQ(c2.listener.http_port, 2222);
  EXPECT_EQ(c2.config_file, plain);
}

TEST(ConfigLoad, MgwConfDirWithoutFileFallsBackToCwdThenDefaults) {
  TempDir confdir;
  TempDir work;
  ScopedCwd cwd(work.path());
  ScopedEnv env;
  env.set("MGW_CONF_DIR", confdir.path().string());
  GatewayConfig c = mustLoad(LoadOptions{});
  EXPECT_EQ(c.listener.http_port, 9090);
  EXPECT_TRUE(c.config_file.empty());
  work.write("conf/micro-gw.conf", "[listenerConfig]\nhttpPort = 3333\n");
  GatewayConfig c2 = mustLoad(LoadOptions{});
  EXPECT_EQ(c2.listener.http_port, 3333);
}

TEST(ConfigLoad, ExplicitPathWinsOverMgwConfDir) {
  TempDir dir;
  dir.write("conf/micro-gw.conf", "[listenerConfig]\nhttpPort = 1111\n");
  std::string path = dir.write("explicit.conf", "[listenerConfig]\nhttpPort = 5555\n");
  ScopedEnv env;
  env.set("MGW_CONF_DIR", dir.path().string());
  LoadOptions o;
  o.config_path = path;
  GatewayConfig c = mustLoad(o);
  EXPECT_EQ(c.listener.http_port, 5555);
}

}  // namespace
}  // namespace mgw::config

namespace mgw::config {
namespace {

TEST(ConfigLoad, BallerinaLogLevelsFoldOntoOurs) {
  const std::pair<const char*, const char*> cases[] = {
      {"TRACE", "DEBUG"}, {"all", "DEBUG"},   {"Debug", "DEBUG"}, {"info", "INFO"},
      {"WARN", "WARN"},   {"error", "ERROR"}, {"OFF", "ERROR"}};
  for (const auto& [in, out] : cases) {
    LoadOptions o;
    o.use_environment = false;
    o.overrides = {std::string("--b7a.log.level=") + in};
    testing::TempDir dir;
    o.config_path = dir.write("a.conf", "");
    auto r = load(o);
    ASSERT_TRUE(r.ok()) << in;
    EXPECT_EQ(r->server.log_level, out) << in;
  }
}

}  // namespace
}  // namespace mgw::config
