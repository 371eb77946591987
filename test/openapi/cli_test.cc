// Drives the built `micro-gw` binary: every command, exit codes, files written or not.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>

namespace {

namespace fs = std::filesystem;

struct Outcome {
  int code = -1;
  std::string out;
  std::string err;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void spit(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/mgw-cli-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // Runs micro-gw with `args` (shell words) in the temporary directory.
  Outcome mgw(const std::string& args) {
    Outcome r;
    fs::path out = dir_ / ".stdout";
    fs::path err = dir_ / ".stderr";
    std::string cmd = "cd '" + dir_.string() + "' && '" MICRO_GW_BIN "' " + args + " >'" +
                      out.string() + "' 2>'" + err.string() + "'";
    int st = std::system(cmd.c_str());
    r.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    r.out = slurp(out);
    r.err = slurp(err);
    return r;
  }

  void copyProject(const fs::path& from, const std::string& name) {
    fs::copy(from, dir_ / name, fs::copy_options::recursive);
    std::error_code ec;
    fs::remove_all(dir_ / name / "target", ec);
  }

  fs::path dir_;
};

TEST_F(Cli, VersionAndHelp) {
  Outcome v = mgw("--version");
  EXPECT_EQ(v.code, 0);
  EXPECT_EQ(v.out, "micro-gw " MGW_VERSION "\n");
  Outcome h = mgw("--help");
  EXPECT_EQ(h.code, 0);
  EXPECT_NE(h.out.find("Usage: micro-gw <command>"), std::string::npos);
  for (const char* cmd : {"init", "import", "validate", "build", "inspect"}) {
    Outcome c = mgw(std::string(cmd) + " --help");
    EXPECT_EQ(c.code, 0) << cmd;
    EXPECT_NE(c.out.find(std::string("Usage: micro-gw ") + cmd), std::string::npos) << cmd;
    Outcome viaHelp = mgw(std::string("help ") + cmd);
    EXPECT_EQ(viaHelp.out, c.out);
  }
}

TEST_F(Cli, UsageErrorsExitTwo) {
  EXPECT_EQ(mgw("").code, 2);
  Outcome unknown = mgw("frobnicate");
  EXPECT_EQ(unknown.code, 2);
  EXPECT_NE(unknown.err.find("unknown command 'frobnicate'"), std::string::npos);
  Outcome opt = mgw("build p --bogus");
  EXPECT_EQ(opt.code, 2);
  EXPECT_NE(opt.err.find("unknown option --bogus"), std::string::npos);
  EXPECT_EQ(mgw("build").code, 2);
  EXPECT_EQ(mgw("init a b").code, 2);
  EXPECT_EQ(mgw("init p -a").code, 2);
  EXPECT_EQ(mgw("inspect").code, 2);
}

TEST_F(Cli, InitCreatesLayoutAndRefusesExisting) {
  Outcome r = mgw("init proj");
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* p : {"api_definitions", "interceptors", "certs", "conf"}) {
    EXPECT_TRUE(fs::is_directory(dir_ / "proj" / p)) << p;
  }
  EXPECT_TRUE(fs::is_regular_file(dir_ / "proj/conf/deployment-config.toml"));
  std::string policies = slurp(dir_ / "proj/policies.yaml");
  EXPECT_NE(policies.find("10kPerMin"), std::string::npos);

  Outcome again = mgw("init proj");
  EXPECT_EQ(again.code, 1);
  EXPECT_NE(again.err.find("project 'proj' already exists (use -f to overwrite)"),
            std::string::npos);
  spit(dir_ / "proj/api_definitions/keep.yaml", "x: 1\n");
  EXPECT_EQ(mgw("init proj --force").code, 0);
  EXPECT_TRUE(fs::exists(dir_ / "proj/api_definitions/keep.yaml"));

  Outcome nothing = mgw("build proj");
  EXPECT_EQ(nothing.code, 1);
  fs::remove(dir_ / "proj/api_definitions/keep.yaml");
  nothing = mgw("build proj");
  EXPECT_EQ(nothing.code, 1);
  EXPECT_NE(nothing.err.find("Nothing to build"), std::string::npos) << nothing.err;
}

TEST_F(Cli, InitWithDefinitionThenValidateBuildInspect) {
  Outcome r = mgw("init shop -a '" MGW_EXAMPLES_DIR "/petstore/api_definitions/petstore.yaml'");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(fs::is_regular_file(dir_ / "shop/api_definitions/petstore.yaml"));
  Outcome v = mgw("validate shop");
  EXPECT_EQ(v.code, 0) << v.err;
  EXPECT_NE(v.out.find("Validation successful: 1 API, 5 resources"), std::string::npos) << v.out;
  EXPECT_FALSE(fs::exists(dir_ / "shop/target"));

  Outcome b = mgw("build shop");
  ASSERT_EQ(b.code, 0) << b.err;
  fs::path artifact = dir_ / "shop/target/shop.mgw";
  ASSERT_TRUE(fs::is_regular_file(artifact));
  std::string first = slurp(artifact);
  ASSERT_EQ(mgw("build shop").code, 0);
  EXPECT_EQ(slurp(artifact), first);  // deterministic

  Outcome i = mgw("inspect shop/target/shop.mgw");
  ASSERT_EQ(i.code, 0) << i.err;
  for (const char* s : {"PetStore", "/petstore/v1", "GET", "/pet/{petId}", "petstore",
                        "http://127.0.0.1:8081/v1", "10kPerMin", "write:pets", "Gold"}) {
    EXPECT_NE(i.out.find(s), std::string::npos) << s << "\n" << i.out;
  }
  Outcome j = mgw("inspect --json shop/target/shop.mgw");
  ASSERT_EQ(j.code, 0) << j.err;
  auto parsed = nlohmann::json::parse(j.out, nullptr, false);
  EXPECT_FALSE(parsed.is_discarded());

  std::string bytes = first;
  bytes[bytes.size() / 2] ^= 0x01;
  spit(dir_ / "bad.mgw", bytes);
  Outcome t = mgw("inspect bad.mgw");
  EXPECT_EQ(t.code, 1);
  EXPECT_NE(t.err.find("bad.mgw: artifact."), std::string::npos) << t.err;
  EXPECT_EQ(mgw("inspect missing.mgw").code, 1);
}

TEST_F(Cli, InitWithBadDefinitionCreatesNothing) {
  spit(dir_ / "notapi.yaml", "hello: world\n");
  Outcome r = mgw("init proj -a notapi.yaml");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("not an OpenAPI definition"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir_ / "proj"));
  spit(dir_ / "broken.yaml", "openapi: [\n");
  r = mgw("init proj -a broken.yaml");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("broken.yaml: 2:1:"), std::string::npos) << r.err;
  EXPECT_EQ(mgw("init proj -a does-not-exist.yaml").code, 1);
  EXPECT_FALSE(fs::exists(dir_ / "proj"));
}

TEST_F(Cli, Import) {
  Outcome unsupported = mgw("import proj --api-name PizzaShack -v 1.0.0");
  EXPECT_EQ(unsupported.code, 2);
  EXPECT_EQ(unsupported.err,
            "micro-gw: error: importing from WSO2 API Manager (--api-name, --label) is not "
            "supported by this toolkit; use --api-definition <file|URL>\n");
  EXPECT_EQ(mgw("import proj -l gateway").code, 2);
  EXPECT_EQ(mgw("import proj").code, 2);
  EXPECT_EQ(
      mgw("import nope -a '" MGW_EXAMPLES_DIR "/petstore/api_definitions/petstore.yaml'").code, 1);

  ASSERT_EQ(mgw("init proj").code, 0);
  const std::string src = "'" MGW_OPENAPI_FIXTURES "/wso2_project/api_definitions/etcd_test.yaml'";
  Outcome ok = mgw("import proj --api-definition " + src);
  ASSERT_EQ(ok.code, 0) << ok.err;
  EXPECT_TRUE(fs::is_regular_file(dir_ / "proj/api_definitions/etcd_test.yaml"));
  Outcome dup = mgw("import proj -a " + src);
  EXPECT_EQ(dup.code, 1);
  EXPECT_NE(dup.err.find("already exists (use -f to replace it)"), std::string::npos);
  EXPECT_EQ(mgw("import proj -f -a " + src).code, 0);
  EXPECT_EQ(mgw("build proj").code, 0);
}

TEST_F(Cli, BrokenProjectReportsAllErrorsAndWritesNothing) {
  copyProject(MGW_OPENAPI_FIXTURES "/broken_project", "broken");
  for (const char* cmd : {"validate broken", "build broken"}) {
    Outcome r = mgw(cmd);
    EXPECT_EQ(r.code, 1) << cmd;
    EXPECT_NE(r.err.find("api_definitions/one.yaml:6:26: /x-wso2-disable-security: expected a "
                         "boolean (true or false), got 'nope'"),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("api_definitions/two.yaml:5:18: /x-wso2-basePath: duplicate base path"),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("micro-gw: 3 errors, 0 warnings"), std::string::npos) << r.err;
  }
  EXPECT_FALSE(fs::exists(dir_ / "broken/target"));
  EXPECT_EQ(mgw("validate no-such-project").code, 1);
}

TEST_F(Cli, WarningsDoNotFailTheBuild) {
  copyProject(MGW_OPENAPI_FIXTURES "/wso2_project", "wso2");
  Outcome r = mgw("build wso2");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find(": warning: "), std::string::npos);
  EXPECT_TRUE(fs::is_regular_file(dir_ / "wso2/target/wso2.mgw"));
}

// Leniency for WSO2 projects: sloppy security and dangling schema $refs build with warnings;
// the resources fall back to the default OAuth2, never to "no security".
TEST_F(Cli, LenientWso2PatternsBuildWithWarnings) {
  copyProject(MGW_OPENAPI_FIXTURES "/lenient_project", "lenient");
  Outcome r = mgw("build lenient");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("api_definitions/sloppy_security.yaml:22:11: "
                       "/paths/~1string-item/post/security/0: warning: a security requirement "
                       "must be a map of scheme name to scopes, got the string 'oauth:[]'"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("api_definitions/sloppy_security.yaml:38:18: "
                       "/paths/~1string-scope/get/security/1/admin: warning: scopes of 'admin' "
                       "should be a list"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("api_definitions/no_components.yaml:28:23: "
                       "/paths/~1pets~1{id}/get/responses/200/content/application~1json/schema/"
                       "$ref: warning: unresolved $ref '#/components/schemas/Pet'"),
            std::string::npos)
      << r.err;
  std::size_t start = 0;
  for (std::size_t nl = r.err.find('\n'); nl != std::string::npos;
       start = nl + 1, nl = r.err.find('\n', start)) {
    EXPECT_NE(r.err.substr(start, nl - start).find(": warning: "), std::string::npos) << r.err;
  }
  ASSERT_TRUE(fs::is_regular_file(dir_ / "lenient/target/lenient.mgw"));
  Outcome i = mgw("inspect --json lenient/target/lenient.mgw");
  ASSERT_EQ(i.code, 0) << i.err;
  EXPECT_EQ(i.out.find("\"disable_security\": true"), std::string::npos) << i.out;
  EXPECT_NE(i.out.find("\"disable_security\": false"), std::string::npos);
  Outcome t = mgw("inspect lenient/target/lenient.mgw");
  ASSERT_EQ(t.code, 0) << t.err;
  EXPECT_NE(t.out.find("oauth2(default)"), std::string::npos) << t.out;
}

TEST_F(Cli, SignedArtifact) {
  if (std::system("openssl version >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "no openssl CLI";
  // Two Ed25519 key pairs: k (signs) and o (another key).
  std::string keys = "cd '" + dir_.string() + "' && openssl genpkey -algorithm ed25519 -out k.pem";
  keys += " && openssl pkey -in k.pem -pubout -out k.pub";
  keys += " && openssl genpkey -algorithm ed25519 -out o.pem";
  keys += " && openssl pkey -in o.pem -pubout -out o.pub";
  ASSERT_EQ(std::system(keys.c_str()), 0);
  copyProject(MGW_EXAMPLES_DIR "/petstore", "pets");
  Outcome b = mgw("build pets --sign-key k.pem");
  ASSERT_EQ(b.code, 0) << b.err;
  EXPECT_NE(b.out.find("signed"), std::string::npos);
  EXPECT_EQ(mgw("inspect pets/target/pets.mgw --verify-key k.pub").code, 0);
  Outcome wrong = mgw("inspect pets/target/pets.mgw --verify-key o.pub");
  EXPECT_EQ(wrong.code, 1);
  EXPECT_NE(wrong.err.find("artifact.signature_invalid"), std::string::npos) << wrong.err;
  EXPECT_EQ(mgw("build pets --sign-key missing.pem").code, 1);
  ASSERT_EQ(mgw("build pets").code, 0);
  Outcome unsigned_ = mgw("inspect pets/target/pets.mgw --verify-key k.pub");
  EXPECT_EQ(unsigned_.code, 1);
  EXPECT_NE(unsigned_.err.find("artifact.signature_missing"), std::string::npos) << unsigned_.err;
}

// A loopback HTTP server (python3 stdlib) for the download paths.
class Server {
 public:
  explicit Server(const fs::path& dir) {
    fs::path script = dir / "server.py";
    spit(script, R"(import http.server, os, sys
spec = open(sys.argv[1]).read()
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        if self.path.startswith('/defs/petstore.yaml') or self.path == '/swagger':
            body = spec.encode(); self.send_response(200)
        elif self.path == '/redirect':
            self.send_response(302); self.send_header('Location', '/defs/petstore.yaml')
            self.send_header('Content-Length', '0'); self.end_headers(); return
        elif self.path == '/loop':
            self.send_response(302); self.send_header('Location', '/loop')
            self.send_header('Content-Length', '0'); self.end_headers(); return
        elif self.path == '/big':
            body = b'a: "' + b'x' * (11 << 20) + b'"\n'; self.send_response(200)
        else:
            body = b'not found'; self.send_response(404)
        self.send_header('Content-Length', str(len(body))); self.end_headers()
        self.wfile.write(body)
s = http.server.HTTPServer(('127.0.0.1', 0), H)
print(s.server_address[1], os.getpid(), flush=True)
s.serve_forever()
)");
    std::string cmd = "/usr/bin/python3 '" + script.string() +
                      "' '" MGW_EXAMPLES_DIR "/petstore/api_definitions/petstore.yaml' &";
    pipe_ = popen(cmd.c_str(), "r");
    if (pipe_ != nullptr && std::fscanf(pipe_, "%d %d", &port_, &pid_) != 2)
      port_ = 0;
  }
  ~Server() {
    if (pid_ > 0)
      kill(pid_, SIGTERM);
    if (pipe_ != nullptr)
      pclose(pipe_);
  }
  int port() const { return port_; }

 private:
  FILE* pipe_ = nullptr;
  int port_ = 0;
  int pid_ = 0;
};

TEST_F(Cli, DownloadsDefinitions) {
  Server server(dir_);
  ASSERT_GT(server.port(), 0);
  const std::string base = "http://127.0.0.1:" + std::to_string(server.port());
  Outcome ok = mgw("init web -a " + base + "/defs/petstore.yaml?x=1");
  ASSERT_EQ(ok.code, 0) << ok.err;
  EXPECT_TRUE(fs::is_regular_file(dir_ / "web/api_definitions/petstore.yaml"));
  Outcome redirected = mgw("import web -f -a " + base + "/redirect");
  ASSERT_EQ(redirected.code, 0) << redirected.err;
  Outcome named = mgw("import web -a " + base + "/swagger");
  ASSERT_EQ(named.code, 0) << named.err;
  EXPECT_TRUE(fs::is_regular_file(dir_ / "web/api_definitions/api.yaml"));
  Outcome missing = mgw("import web -a " + base + "/missing.yaml");
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.err.find("failed: HTTP status 404"), std::string::npos) << missing.err;
  Outcome loop = mgw("import web -a " + base + "/loop");
  EXPECT_EQ(loop.code, 1);
  Outcome big = mgw("import web -a " + base + "/big");
  EXPECT_EQ(big.code, 1);
  EXPECT_NE(big.err.find("larger than 10 MiB"), std::string::npos) << big.err;
  Outcome refused = mgw("import web -a http://127.0.0.1:1/x.yaml");
  EXPECT_EQ(refused.code, 1);
  Outcome scheme = mgw("import web -a ftp://127.0.0.1/x.yaml");
  EXPECT_EQ(scheme.code, 1);
}

}  // namespace
