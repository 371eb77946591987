#include <gtest/gtest.h>

#include "mgw/config/gateway_config.h"
#include "test_util.h"

namespace mgw::config {
namespace {

using testing::ScopedCwd;
using testing::ScopedEnv;
using testing::TempDir;

Error mustFail(const LoadOptions& o) {
  ::testing::internal::CaptureStderr();
  auto r = load(o);
  ::testing::internal::GetCapturedStderr();
  EXPECT_FALSE(r.ok());
  return r.ok() ? Error{} : r.error();
}

Error failFile(const std::string& content) {
  TempDir dir;
  LoadOptions o;
  o.config_path = dir.write("micro-gw.conf", content);
  o.use_environment = false;
  return mustFail(o);
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

TEST(ConfigErrors, MissingExplicitFileIsUnreadable) {
  LoadOptions o;
  o.config_path = "/nonexistent/dir/micro-gw.conf";
  Error e = mustFail(o);
  EXPECT_EQ(e.reason, "config.unreadable");
  EXPECT_TRUE(contains(e.message, "/nonexistent/dir/micro-gw.conf")) << e.message;
}

TEST(ConfigErrors, DirectoryAsFileIsUnreadable) {
  TempDir dir;
  LoadOptions o;
  o.config_path = dir.path().string();
  EXPECT_EQ(mustFail(o).reason, "config.unreadable");
}

TEST(ConfigErrors, SyntaxErrorCarriesFileLineColumn) {
  TempDir dir;
  LoadOptions o;
  o.config_path = dir.write("micro-gw.conf", "[listenerConfig]\nhttpPort = \n");
  o.use_environment = false;
  Error e = mustFail(o);
  EXPECT_EQ(e.reason, "config.parse");
  EXPECT_TRUE(e.message.starts_with(*o.config_path + ":2:")) << e.message;
}

TEST(ConfigErrors, GarbageInputIsAParseErrorNotACrash) {
  EXPECT_EQ(failFile(std::string("\x00\xff\xfe[[[\x01", 7)).reason, "config.parse");
  EXPECT_EQ(failFile("[a\nb=1").reason, "config.parse");
  EXPECT_EQ(failFile("a = 99999999999999999999999\n").reason, "config.parse");
  EXPECT_EQ(failFile("a = 1\na = 2\n").reason, "config.parse");
  EXPECT_EQ(failFile(std::string(100000, '[')).reason, "config.parse");
  std::string deep = "a = " + std::string(5000, '[') + std::string(5000, ']') + "\n";
  EXPECT_EQ(failFile(deep).reason, "config.parse");
}

TEST(ConfigErrors, StringForIntegerNamesKeyTypeAndPosition) {
  TempDir dir;
  LoadOptions o;
  o.config_path = dir.write("micro-gw.conf", "[listenerConfig]\nhttpPort = \"abc\"\n");
  o.use_environment = false;
  Error e = mustFail(o);
  EXPECT_EQ(e.reason, "config.bad_value");
  EXPECT_TRUE(contains(e.message, *o.config_path + ":2:12")) << e.message;
  EXPECT_TRUE(contains(e.message, "listenerConfig.httpPort")) << e.message;
  EXPECT_TRUE(contains(e.message, "integer")) << e.message;
  EXPECT_TRUE(contains(e.message, "\"abc\"")) << e.message;
}

TEST(ConfigErrors, NumericStringIsAcceptedAsInteger) {
  TempDir dir;
  LoadOptions o;
  o.config_path = dir.write("micro-gw.conf", "[listenerConfig]\nhttpPort = \"8080\"\n");
  o.use_environment = false;
  auto r = load(o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->listener.http_port, 8080);
}

TEST(ConfigErrors, OutOfRangeAndWrongTypes) {
  const char* cases[] = {
      "[listenerConfig]\nhttpPort = 70000\n",
      "[listenerConfig]\nhttpsPort = -1\n",
      "[listenerConfig]\nhttpPort = 9090.5\n",
      "[listenerConfig]\nhttpPort = true\n",
      "[listenerConfig]\nhttpPort = [1]\n",
      "[listenerConfig]\nmaxHeaderSize = -5\n",
      "[listenerConfig]\nmaxHeaderSize = 0\n",
      "[listenerConfig]\nmaxEntityBodySize = -2\n",
      "[listenerConfig]\nmaxPipelinedRequests = 3000000000\n",
      "[listenerConfig]\nkeepAlive = \"sometimes\"\n",
      "[listenerConfig]\nhost = \"\"\n",
      "[listenerConfig]\nrequestHeaderTimeoutMillis = 0\n",
      "[listenerConfig]\ntrustedProxies = [\"10.0.0.0/33\"]\n",
      "[listenerConfig]\ntrustedProxies = \"10.0.0.0/8, nonsense\"\n",
      "[server]\nworkers = -1\n",
      "[server]\nshutdownGraceMillis = -1\n",
      "[server]\nlogFormat = \"xml\"\n",
      "[b7a.log]\nlevel = \"LOUD\"\n",
      "[caching]\nenabled = \"yes\"\n",
      "[caching]\ntokenCacheEvictionFactor = \"quarter\"\n",
      "etcdtimer = \"soon\"\n",
  };
  for (const char* c : cases) {
    Error e = failFile(c);
    EXPECT_EQ(e.reason, "config.bad_value") << c << " -> " << e.message;
    EXPECT_TRUE(contains(e.message, "micro-gw.conf:")) << c << " -> " << e.message;
  }
}

TEST(ConfigErrors, BoundaryValuesAreAccepted) {
  TempDir dir;
  LoadOptions o;
  o.config_path = dir.write("micro-gw.conf",
                            "[listenerConfig]\nhttpPort = 0\nhttpsPort = 65535\n"
                            "maxEntityBodySize = -1\n[caching]\ntokenCacheEvictionFactor = 1\n"
                            "enabled = \"TRUE\"\n");
  o.use_environment = false;
  auto r = load(o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->listener.http_port, 0);
  EXPECT_EQ(r->listener.https_port, 65535);
}

TEST(ConfigErrors, AllBadValuesAreReportedTogether) {
  Error e = failFile("[listenerConfig]\nhttpPort = \"x\"\nhttpsPort = \"y\"\n");
  EXPECT_TRUE(contains(e.message, "httpPort")) << e.message;
  EXPECT_TRUE(contains(e.message, "httpsPort")) << e.message;
}

TEST(ConfigErrors, BadEnvironmentValueNamesTheVariable) {
  ScopedEnv env;
  env.set("MGW_LISTENERCONFIG_HTTPPORT", "eighty");
  TempDir dir;
  ScopedCwd cwd(dir.path());
  env.unset("MGW_CONF_DIR");
  Error e = mustFail(LoadOptions{});
  EXPECT_EQ(e.reason, "config.bad_value");
  EXPECT_TRUE(contains(e.message, "env MGW_LISTENERCONFIG_HTTPPORT")) << e.message;
}

TEST(ConfigErrors, BadFlagValueNamesTheFlag) {
  TempDir dir;
  ScopedCwd cwd(dir.path());
  LoadOptions o;
  o.use_environment = false;
  o.overrides = {"--listenerConfig.httpPort=99999"};
  Error e = mustFail(o);
  EXPECT_EQ(e.reason, "config.bad_value");
  EXPECT_TRUE(contains(e.message, "flag --listenerConfig.httpPort")) << e.message;
  EXPECT_TRUE(contains(e.message, "65535")) << e.message;
}

TEST(ConfigErrors, MalformedOverrides) {
  const char* cases[] = {"--listenerConfig.httpPort",
                         "--=1",
                         "--a..b=1",
                         "--.a=1",
                         "--a.=1",
                         "--a b=1",
                         "--a\nb=1",
                         ""};
  for (const char* c : cases) {
    LoadOptions o;
    o.use_environment = false;
    o.config_path = "/nonexistent";  // never reached: overrides are checked first
    o.overrides = {c};
    EXPECT_EQ(mustFail(o).reason, "config.bad_override") << c;
  }
}

}  // namespace
}  // namespace mgw::config
