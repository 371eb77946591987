// Request head parser: attack catalogue §2 rows 1-17, §3 limits, incremental feeding.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "mgw/http/http1_codec.h"

namespace mgw::http1 {
namespace {

struct Outcome {
  ParseStatus status = ParseStatus::NeedMore;
  size_t consumed = 0;
  int error_status = 0;
  std::string reason;
  http::RequestHead head;
};

Outcome parseOnce(std::string_view in, const Limits& limits = {}) {
  RequestParser parser(limits);
  Outcome out;
  ParseResult r = parser.parse(in, out.head);
  out.status = r.status;
  out.consumed = r.consumed;
  out.error_status = r.error_status;
  out.reason = r.reason;
  return out;
}

// Feeds growing prefixes of `in`, `step` bytes more each time, as a connection reading small
// packets would; stops at the first result other than NeedMore.
Outcome parseIncremental(std::string_view in, size_t step, const Limits& limits = {}) {
  RequestParser parser(limits);
  Outcome out;
  for (size_t n = std::min(step, in.size());; n = std::min(n + step, in.size())) {
    ParseResult r = parser.parse(in.substr(0, n), out.head);
    out.status = r.status;
    out.consumed = r.consumed;
    out.error_status = r.error_status;
    out.reason = r.reason;
    if (r.status != ParseStatus::NeedMore || n == in.size())
      break;
  }
  return out;
}

std::string req(std::string_view fields, std::string_view line = "POST /p HTTP/1.1") {
  return std::string(line) + "\r\n" + std::string(fields) + "\r\n";
}

struct ErrorCase {
  const char* name;
  std::string input;
  int status;
  const char* reason;
};

std::vector<ErrorCase> errorCases() {
  const std::string host = "Host: a\r\n";
  return {
      // Row 1-2: CL.TE and TE.CL.
      {"cl_te", req(host + "Content-Length: 6\r\nTransfer-Encoding: chunked\r\n") + "0\r\n\r\nG",
       400, "http1.cl_and_te"},
      {"te_cl",
       req(host + "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n") +
           "8\r\nSMUGGLED\r\n0\r\n\r\n",
       400, "http1.cl_and_te"},
      {"cl_te_gzip", req(host + "Content-Length: 6\r\nTransfer-Encoding: gzip\r\n"), 400,
       "http1.cl_and_te"},
      // Row 3: transfer codings.
      {"te_chunked_chunked", req(host + "Transfer-Encoding: chunked, chunked\r\n"), 400,
       "http1.bad_transfer_encoding"},
      {"te_gzip_chunked", req(host + "Transfer-Encoding: gzip, chunked\r\n"), 400,
       "http1.bad_transfer_encoding"},
      {"te_chunked_gzip", req(host + "Transfer-Encoding: chunked, gzip\r\n"), 400,
       "http1.chunked_not_final"},
      {"te_gzip", req(host + "Transfer-Encoding: gzip\r\n"), 400, "http1.chunked_not_final"},
      {"te_xchunked", req(host + "Transfer-Encoding: xchunked\r\n"), 501,
       "http1.unknown_transfer_coding"},
      {"te_unknown_then_chunked", req(host + "Transfer-Encoding: foo, chunked\r\n"), 501,
       "http1.unknown_transfer_coding"},
      {"te_two_fields", req(host + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"),
       400, "http1.duplicate_transfer_encoding"},
      {"te_empty", req(host + "Transfer-Encoding:\r\n"), 400, "http1.bad_transfer_encoding"},
      {"te_empty_element", req(host + "Transfer-Encoding: , chunked\r\n"), 400,
       "http1.bad_transfer_encoding"},
      {"te_params", req(host + "Transfer-Encoding: chunked;q=1\r\n"), 400,
       "http1.bad_transfer_encoding"},
      {"te_vertical_tab",
       req(host + "Transfer-Encoding: \x0b"
                  "chunked\r\n"),
       400, "http1.bad_field_value"},
      // Row 4: whitespace before the colon.
      {"te_space_colon", req(host + "Transfer-Encoding : chunked\r\n"), 400,
       "http1.space_before_colon"},
      {"te_tab_colon", req(host + "Transfer-Encoding\t: chunked\r\n"), 400,
       "http1.space_before_colon"},
      // Row 5-6: Content-Length.
      {"cl_two_different", req(host + "Content-Length: 5\r\nContent-Length: 6\r\n"), 400,
       "http1.duplicate_content_length"},
      {"cl_two_equal", req(host + "Content-Length: 5\r\nContent-Length: 5\r\n"), 400,
       "http1.duplicate_content_length"},
      {"cl_list_different", req(host + "Content-Length: 5, 6\r\n"), 400,
       "http1.bad_content_length"},
      {"cl_list_equal", req(host + "Content-Length: 5, 5\r\n"), 400, "http1.bad_content_length"},
      {"cl_plus", req(host + "Content-Length: +5\r\n"), 400, "http1.bad_content_length"},
      {"cl_minus", req(host + "Content-Length: -1\r\n"), 400, "http1.bad_content_length"},
      {"cl_hex", req(host + "Content-Length: 0x5\r\n"), 400, "http1.bad_content_length"},
      {"cl_suffix", req(host + "Content-Length: 5a\r\n"), 400, "http1.bad_content_length"},
      {"cl_inner_space", req(host + "Content-Length: 5 5\r\n"), 400, "http1.bad_content_length"},
      {"cl_empty", req(host + "Content-Length:\r\n"), 400, "http1.bad_content_length"},
      {"cl_25_digits", req(host + "Content-Length: 1234567890123456789012345\r\n"), 400,
       "http1.bad_content_length"},
      {"cl_2_pow_63", req(host + "Content-Length: 9223372036854775808\r\n"), 400,
       "http1.bad_content_length"},
      {"cl_20_digits", req(host + "Content-Length: 00000000000000000005\r\n"), 400,
       "http1.bad_content_length"},
      // Row 7: HTTP/1.0 with TE.
      {"te_http10", req("Transfer-Encoding: chunked\r\n", "POST /p HTTP/1.0"), 400,
       "http1.te_in_http10"},
      // Row 8: obs-fold.
      {"obs_fold", req(host + "X-A: a\r\n b\r\n"), 400, "http1.obs_fold"},
      {"obs_fold_tab", req(host + "X-A: a\r\n\tb\r\n"), 400, "http1.obs_fold"},
      // Row 9: bare CR, CR/LF/NUL in values, CTL in names.
      {"bare_cr_value", req(host + "X-A: a\rb\r\n"), 400, "http1.bare_cr"},
      {"bare_cr_end", req(host + "X-A: a\r\r\n"), 400, "http1.bare_cr"},
      {"nul_value", req(host + std::string("X-A: a\0b\r\n", 10)), 400, "http1.bad_field_value"},
      {"ctl_value",
       req(host + "X-A: a\x01"
                  "b\r\n"),
       400, "http1.bad_field_value"},
      {"del_value",
       req(host + "X-A: a\x7f"
                  "b\r\n"),
       400, "http1.bad_field_value"},
      {"lf_in_value", req(host + "X-A: a\nb\r\n"), 400, "http1.bare_lf"},
      {"ctl_name",
       req(host + "X\x01"
                  "A: b\r\n"),
       400, "http1.bad_field_name"},
      {"bad_name_char", req(host + "X(A): b\r\n"), 400, "http1.bad_field_name"},
      {"empty_name", req(host + ": b\r\n"), 400, "http1.bad_field_name"},
      {"missing_colon", req(host + "X-A\r\n"), 400, "http1.missing_colon"},
      {"non_ascii_name", req(host + "X-\xc3\xa4: b\r\n"), 400, "http1.bad_field_name"},
      // Row 10: bare LF.
      {"bare_lf_request_line", "GET / HTTP/1.1\nHost: a\n\n", 400, "http1.bare_lf"},
      {"bare_lf_field", "GET / HTTP/1.1\r\nHost: a\n\r\n", 400, "http1.bare_lf"},
      {"bare_lf_end", "GET / HTTP/1.1\r\nHost: a\r\n\n", 400, "http1.bare_lf"},
      {"bare_lf_leading", "\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "http1.bare_lf"},
      {"bare_cr_leading", "\rGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "http1.bare_cr"},
      // Row 11: whitespace line after the request line.
      {"whitespace_line", "GET / HTTP/1.1\r\n \r\nHost: a\r\n\r\n", 400,
       "http1.whitespace_before_first_field"},
      {"whitespace_first_field", "GET / HTTP/1.1\r\n Host: a\r\n\r\n", 400,
       "http1.whitespace_before_first_field"},
      // Row 14: request-target forms.
      {"target_relative", "GET admin HTTP/1.1\r\nHost: a\r\n\r\n", 400, "http1.bad_target"},
      {"target_asterisk_get", "GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400, "http1.bad_target"},
      {"target_asterisk_path", "OPTIONS */x HTTP/1.1\r\nHost: a\r\n\r\n", 400, "http1.bad_target"},
      {"target_authority_form", "CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n", 400,
       "http1.bad_target"},
      {"target_fragment", "GET /a#f HTTP/1.1\r\nHost: a\r\n\r\n", 400, "http1.bad_target"},
      {"target_ctl", "GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n", 400, "http1.bad_target"},
      {"target_non_ascii", "GET /\xc3\xa4 HTTP/1.1\r\nHost: a\r\n\r\n", 400, "http1.bad_target"},
      {"target_tab", "GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n", 400, "http1.bad_target"},
      {"target_ftp", "GET ftp://a/x HTTP/1.1\r\nHost: a\r\n\r\n", 400, "http1.bad_target"},
      {"target_userinfo", "GET http://u@a/x HTTP/1.1\r\nHost: a\r\n\r\n", 400, "http1.bad_target"},
      {"target_empty_authority", "GET http:///x HTTP/1.1\r\nHost: a\r\n\r\n", 400,
       "http1.bad_target"},
      // Row 15: Host.
      {"host_missing", "GET / HTTP/1.1\r\nX-A: b\r\n\r\n", 400, "http1.missing_host"},
      {"host_twice", "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400, "http1.duplicate_host"},
      {"host_twice_http10", "GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n", 400,
       "http1.duplicate_host"},
      {"host_space", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400, "http1.bad_host"},
      {"host_userinfo", "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", 400, "http1.bad_host"},
      {"host_slash", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400, "http1.bad_host"},
      {"host_bad_port", "GET / HTTP/1.1\r\nHost: a:80x\r\n\r\n", 400, "http1.bad_host"},
      {"host_long_port", "GET / HTTP/1.1\r\nHost: a:123456\r\n\r\n", 400, "http1.bad_host"},
      {"host_bad_escape", "GET / HTTP/1.1\r\nHost: a%zz\r\n\r\n", 400, "http1.bad_host"},
      {"host_unclosed_ipv6", "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", 400, "http1.bad_host"},
      // Request line shape and version.
      {"double_space", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "http1.bad_request_line"},
      {"leading_space", " GET / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "http1.bad_method"},
      {"trailing_space", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400, "http1.bad_request_line"},
      {"three_parts", "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", 400, "http1.bad_request_line"},
      {"http09", "GET /\r\n\r\n", 400, "http1.bad_request_line"},
      {"no_version", "GET / \r\nHost: a\r\n\r\n", 400, "http1.bad_request_line"},
      {"bad_method_char", "G@T / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "http1.bad_method"},
      {"tab_separator", "GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", 400, "http1.bad_method"},
      {"lowercase_version", "GET / http/1.1\r\nHost: a\r\n\r\n", 400, "http1.bad_version"},
      {"long_version", "GET / HTTP/1.10\r\nHost: a\r\n\r\n", 400, "http1.bad_version"},
      {"short_version", "GET / HTTP/1\r\nHost: a\r\n\r\n", 400, "http1.bad_version"},
      {"http2_version", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505, "http1.version_not_supported"},
      {"http12_version", "GET / HTTP/1.2\r\nHost: a\r\n\r\n", 505, "http1.version_not_supported"},
      {"http09_version", "GET / HTTP/0.9\r\nHost: a\r\n\r\n", 505, "http1.version_not_supported"},
      // Expect.
      {"expect_other", "GET / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\n\r\n", 417,
       "http1.unsupported_expectation"},
  };
}

class RequestErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(RequestErrorTest, RejectedWithStatusAndReasonInEveryFeedingMode) {
  const ErrorCase& c = GetParam();
  for (size_t step : {c.input.size(), size_t{1}, size_t{2}, size_t{7}}) {
    Outcome o = parseIncremental(c.input, step);
    EXPECT_EQ(o.status, ParseStatus::Error) << "step " << step;
    EXPECT_EQ(o.error_status, c.status) << "step " << step;
    EXPECT_EQ(o.reason, c.reason) << "step " << step;
  }
}

INSTANTIATE_TEST_SUITE_P(Catalogue, RequestErrorTest, ::testing::ValuesIn(errorCases()),
                         [](const auto& p) { return std::string(p.param.name); });

TEST(RequestParser, SimpleGet) {
  std::string in = "GET /pets?limit=1 HTTP/1.1\r\nHost: example.com:9090\r\nX-Case: V \r\n\r\n";
  Outcome o = parseOnce(in);
  ASSERT_EQ(o.status, ParseStatus::Complete) << o.reason;
  EXPECT_EQ(o.consumed, in.size());
  EXPECT_EQ(o.head.method, "GET");
  EXPECT_EQ(o.head.target, "/pets?limit=1");
  EXPECT_EQ(o.head.authority, "example.com:9090");
  EXPECT_EQ(o.head.version_minor, 1);
  EXPECT_EQ(o.head.framing, http::BodyFraming::None);
  EXPECT_TRUE(o.head.keep_alive);
  EXPECT_FALSE(o.head.expect_continue);
  ASSERT_EQ(o.head.headers.size(), 2u);
  auto it = o.head.headers.begin();
  EXPECT_EQ(it->name, "Host");
  ++it;
  EXPECT_EQ(it->name, "X-Case");  // name case preserved
  EXPECT_EQ(it->value, "V");      // OWS trimmed
}

TEST(RequestParser, MethodIsCaseSensitiveAndKept) {
  Outcome o = parseOnce("get / HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_EQ(o.status, ParseStatus::Complete);
  EXPECT_EQ(o.head.method, "get");
}

TEST(RequestParser, ContentLengthFraming) {
  std::string head = req("Host: a\r\nContent-Length: 5\r\n");
  Outcome o = parseOnce(head + "hello");
  ASSERT_EQ(o.status, ParseStatus::Complete);
  EXPECT_EQ(o.consumed, head.size());
  EXPECT_EQ(o.head.framing, http::BodyFraming::ContentLength);
  EXPECT_EQ(o.head.content_length, 5u);
}

TEST(RequestParser, ContentLengthLimits) {
  Outcome zero = parseOnce(req("Host: a\r\nContent-Length: 0\r\n"));
  ASSERT_EQ(zero.status, ParseStatus::Complete);
  EXPECT_EQ(zero.head.framing, http::BodyFraming::ContentLength);
  EXPECT_EQ(zero.head.content_length, 0u);
  Outcome max = parseOnce(req("Host: a\r\nContent-Length: 9223372036854775807\r\n"));
  ASSERT_EQ(max.status, ParseStatus::Complete);
  EXPECT_EQ(max.head.content_length, 9223372036854775807u);
  Outcome padded = parseOnce(req("Host: a\r\nContent-Length:  7\t\r\n"));
  ASSERT_EQ(padded.status, ParseStatus::Complete);
  EXPECT_EQ(padded.head.content_length, 7u);
}

TEST(RequestParser, ChunkedFramingAnyCase) {
  for (const char* te : {"chunked", "Chunked", "CHUNKED", " chunked "}) {
    Outcome o = parseOnce(req(std::string("Host: a\r\nTransfer-Encoding:") + te + "\r\n"));
    ASSERT_EQ(o.status, ParseStatus::Complete) << te;
    EXPECT_EQ(o.head.framing, http::BodyFraming::Chunked);
  }
}

TEST(RequestParser, Http10) {
  Outcome o = parseOnce("GET / HTTP/1.0\r\n\r\n");
  ASSERT_EQ(o.status, ParseStatus::Complete);
  EXPECT_EQ(o.head.version_minor, 0);
  EXPECT_FALSE(o.head.keep_alive);
  EXPECT_EQ(o.head.authority, "");
  Outcome ka = parseOnce("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
  ASSERT_EQ(ka.status, ParseStatus::Complete);
  EXPECT_TRUE(ka.head.keep_alive);
  Outcome expect = parseOnce("POST / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n");
  ASSERT_EQ(expect.status, ParseStatus::Complete);
  EXPECT_FALSE(expect.head.expect_continue);  // RFC 9110 §10.1.1
}

TEST(RequestParser, ConnectionTokens) {
  struct Case {
    const char* fields;
    bool keep_alive;
  } cases[] = {
      {"Connection: close\r\n", false},
      {"Connection: keep-alive, Close\r\n", false},
      {"Connection: Upgrade\r\nConnection: close\r\n", false},
      {"Connection: keep-alive\r\n", true},
      {"Connection: closed\r\n", true},
  };
  for (const auto& c : cases) {
    Outcome o = parseOnce(req(std::string("Host: a\r\n") + c.fields, "GET / HTTP/1.1"));
    ASSERT_EQ(o.status, ParseStatus::Complete) << c.fields;
    EXPECT_EQ(o.head.keep_alive, c.keep_alive) << c.fields;
  }
}

TEST(RequestParser, ExpectContinue) {
  Outcome o = parseOnce(req("Host: a\r\nExpect: 100-Continue\r\nContent-Length: 3\r\n"));
  ASSERT_EQ(o.status, ParseStatus::Complete);
  EXPECT_TRUE(o.head.expect_continue);
}

TEST(RequestParser, AbsoluteFormUsesTargetAuthority) {
  // Row 16: route on the target's authority, never on Host.
  Outcome o = parseOnce("GET http://a/x?y=1 HTTP/1.1\r\nHost: b\r\n\r\n");
  ASSERT_EQ(o.status, ParseStatus::Complete) << o.reason;
  EXPECT_EQ(o.head.target, "/x?y=1");
  EXPECT_EQ(o.head.authority, "a");
  Outcome bare = parseOnce("GET HTTPS://a:8443 HTTP/1.1\r\nHost: b\r\n\r\n");
  ASSERT_EQ(bare.status, ParseStatus::Complete) << bare.reason;
  EXPECT_EQ(bare.head.target, "/");
  EXPECT_EQ(bare.head.authority, "a:8443");
  Outcome query = parseOnce("GET http://a?q HTTP/1.1\r\nHost: b\r\n\r\n");
  ASSERT_EQ(query.status, ParseStatus::Complete);
  EXPECT_EQ(query.head.target, "/?q");
}

TEST(RequestParser, AsteriskFormForOptions) {
  Outcome o = parseOnce("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_EQ(o.status, ParseStatus::Complete);
  EXPECT_EQ(o.head.target, "*");
}

TEST(RequestParser, HostForms) {
  for (const char* host : {"a", "a:80", "[::1]:8080", "127.0.0.1", "xn--b-1ga.example", ""}) {
    Outcome o = parseOnce(std::string("GET / HTTP/1.1\r\nHost: ") + host + "\r\n\r\n");
    ASSERT_EQ(o.status, ParseStatus::Complete) << host << " " << o.reason;
    EXPECT_EQ(o.head.authority, host);
  }
}

TEST(RequestParser, LeadingEmptyLinesAreSkipped) {
  std::string in = "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n";
  Outcome o = parseOnce(in);
  ASSERT_EQ(o.status, ParseStatus::Complete);
  EXPECT_EQ(o.consumed, in.size());
  EXPECT_EQ(o.head.method, "GET");
}

TEST(RequestParser, EmptyFieldValueAllowed) {
  Outcome o = parseOnce("GET / HTTP/1.1\r\nHost: a\r\nX-Empty:\r\nX-Text: caf\xc3\xa9\r\n\r\n");
  ASSERT_EQ(o.status, ParseStatus::Complete) << o.reason;
  EXPECT_EQ(*o.head.headers.get("x-empty"), "");
  EXPECT_EQ(*o.head.headers.get("x-text"), "caf\xc3\xa9");  // obs-text allowed
}

TEST(RequestParser, NeedMoreUntilEmptyLine) {
  for (std::string_view in :
       {"", "GET", "GET / HTTP/1.1", "GET / HTTP/1.1\r", "GET / HTTP/1.1\r\nHost: a\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\n\r", "\r\n\r\n"}) {
    EXPECT_EQ(parseOnce(in).status, ParseStatus::NeedMore) << in;
  }
}

TEST(RequestParser, PipelinedRequests) {
  // Row 17: three requests in one write, each parsed after the previous one's bytes.
  std::string a = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n";
  std::string b = "POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n";
  std::string c = "GET /3 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
  std::string all = a + b + "ok" + c;
  Limits limits;
  RequestParser parser(limits);
  http::RequestHead head;
  std::string_view rest = all;
  ParseResult r = parser.parse(rest, head);
  ASSERT_EQ(r.status, ParseStatus::Complete);
  EXPECT_EQ(r.consumed, a.size());
  EXPECT_EQ(head.target, "/1");
  rest.remove_prefix(r.consumed);
  r = parser.parse(rest, head);
  ASSERT_EQ(r.status, ParseStatus::Complete);
  EXPECT_EQ(head.target, "/2");
  EXPECT_EQ(head.content_length, 2u);
  EXPECT_EQ(head.headers.size(), 2u);  // fields of the first request are gone
  rest.remove_prefix(r.consumed + 2);
  parser.reset();
  r = parser.parse(rest, head);
  ASSERT_EQ(r.status, ParseStatus::Complete);
  EXPECT_EQ(head.target, "/3");
  EXPECT_FALSE(head.keep_alive);
  EXPECT_EQ(r.consumed, rest.size());
}

TEST(RequestParser, UriLimit414EvenBeforeLineEnds) {
  Limits limits;
  std::string ok_target = "/" + std::string(limits.max_uri_length - 1, 'a');
  Outcome ok = parseOnce("GET " + ok_target + " HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_EQ(ok.status, ParseStatus::Complete);
  EXPECT_EQ(ok.head.target.size(), limits.max_uri_length);

  std::string long_line = "GET /" + std::string(limits.max_uri_length, 'a');  // no CRLF yet
  Outcome early = parseOnce(long_line);
  EXPECT_EQ(early.status, ParseStatus::Error);
  EXPECT_EQ(early.error_status, 414);
  EXPECT_EQ(early.reason, "http1.uri_too_long");
  Outcome drip = parseIncremental(long_line, 1);
  EXPECT_EQ(drip.error_status, 414);

  Outcome method = parseOnce(std::string(limits.max_uri_length + 100, 'G'));
  EXPECT_EQ(method.error_status, 414);
}

TEST(RequestParser, HeaderBytesLimit431EvenBeforeHeadEnds) {
  Limits limits;
  std::string big =
      "GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + std::string(limits.max_header_bytes, 'x');
  Outcome o = parseOnce(big);
  EXPECT_EQ(o.status, ParseStatus::Error);
  EXPECT_EQ(o.error_status, 431);
  EXPECT_EQ(o.reason, "http1.header_too_large");
  EXPECT_EQ(parseIncremental(big, 1000).error_status, 431);

  // A head of exactly max_header_bytes is accepted; one byte more is not.
  std::string prefix = "GET / HTTP/1.1\r\nHost: a\r\nX: ";
  std::string exact =
      prefix + std::string(limits.max_header_bytes - prefix.size() - 4, 'v') + "\r\n\r\n";
  ASSERT_EQ(exact.size(), limits.max_header_bytes);
  EXPECT_EQ(parseOnce(exact).status, ParseStatus::Complete);
  std::string over =
      prefix + std::string(limits.max_header_bytes - prefix.size() - 3, 'v') + "\r\n\r\n";
  EXPECT_EQ(parseOnce(over).error_status, 431);

  // An endless stream of empty lines is bounded by the same limit.
  std::string crlfs;
  for (size_t i = 0; i < limits.max_header_bytes; ++i)
    crlfs += "\r\n";
  EXPECT_EQ(parseOnce(crlfs).error_status, 431);
}

TEST(RequestParser, FieldCountLimit431) {
  Limits limits;
  std::string fields = "Host: a\r\n";
  for (size_t i = 1; i < limits.max_header_count; ++i)
    fields += "X-" + std::to_string(i) + ": v\r\n";
  Outcome ok = parseOnce(req(fields, "GET / HTTP/1.1"));
  ASSERT_EQ(ok.status, ParseStatus::Complete);
  EXPECT_EQ(ok.head.headers.size(), limits.max_header_count);
  std::string one_more = "GET / HTTP/1.1\r\n" + fields + "X-Last: v\r\n";  // incomplete head
  Outcome o = parseOnce(one_more);
  EXPECT_EQ(o.error_status, 431);
  EXPECT_EQ(o.reason, "http1.too_many_fields");
}

TEST(RequestParser, SmallerConfiguredLimits) {
  Limits limits;
  limits.max_uri_length = 10;
  limits.max_header_bytes = 64;
  limits.max_header_count = 2;
  EXPECT_EQ(parseOnce("GET /0123456789 HTTP/1.1\r\n", limits).error_status, 414);
  EXPECT_EQ(parseOnce("GET /012345678 HTTP/1.1\r\nHost: a\r\n\r\n", limits).status,
            ParseStatus::Complete);
  EXPECT_EQ(parseOnce("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n", limits).error_status,
            431);
  EXPECT_EQ(
      parseOnce("GET / HTTP/1.1\r\nHost: a\r\nA: " + std::string(64, 'x'), limits).error_status,
      431);
}

TEST(RequestParser, ErrorIsFoundBeforeHeadCompletes) {
  // Bad bytes are reported as they arrive: no need to wait for (or buffer) the rest.
  for (std::string_view in : {"GET / HTTP/1.1\r\nHost: a\r\nX: \x01", "GET / HTTP/1.1\n",
                              "GET / HTTP/1.1\r\nX-A: a\r\n b",
                              "GET / HTTP/1.1\r\nX :", "GET / HTTP/2.0\r\n", "GE(T", "GET /\x80"}) {
    EXPECT_EQ(parseOnce(in).status, ParseStatus::Error) << in;
  }
}

TEST(RequestParser, ParserIsReusableAfterError) {
  Limits limits;
  RequestParser parser(limits);
  http::RequestHead head;
  EXPECT_EQ(parser.parse("GET / HTTP/1.1\n", head).status, ParseStatus::Error);
  EXPECT_EQ(parser.parse("GET / HTTP/1.1\r\nHost: a\r\n\r\n", head).status, ParseStatus::Complete);
}

// Property: feeding any input in pieces of any size gives the same outcome as one shot.
TEST(RequestParser, IncrementalEqualsOneShotOverCorpus) {
  std::vector<std::string> corpus;
  for (const auto& c : errorCases())
    corpus.push_back(c.input);
  corpus.push_back("GET /pets?limit=1 HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n");
  corpus.push_back("\r\nPOST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc");
  corpus.push_back("GET http://a/x HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n");
  corpus.push_back("PUT /y HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  corpus.push_back("OPTIONS * HTTP/1.0\r\n\r\nGET / HTTP/1.1\r\n");
  for (const std::string& in : corpus) {
    Outcome one = parseOnce(in);
    for (size_t step : {size_t{1}, size_t{3}, size_t{16}}) {
      Outcome inc = parseIncremental(in, step);
      EXPECT_EQ(inc.status, one.status) << in;
      EXPECT_EQ(inc.consumed, one.consumed) << in;
      EXPECT_EQ(inc.error_status, one.error_status) << in;
      EXPECT_EQ(inc.reason, one.reason) << in;
      if (one.status == ParseStatus::Complete) {
        EXPECT_EQ(inc.head.method, one.head.method);
        EXPECT_EQ(inc.head.target, one.head.target);
        EXPECT_EQ(inc.head.authority, one.head.authority);
        EXPECT_EQ(inc.head.framing, one.head.framing);
        EXPECT_EQ(inc.head.content_length, one.head.content_length);
        EXPECT_EQ(inc.head.keep_alive, one.head.keep_alive);
        EXPECT_EQ(inc.head.headers.size(), one.head.headers.size());
      }
    }
  }
}

// Untrusted input never crashes: every byte value at every position of a valid head.
TEST(RequestParser, SingleByteMutationsNeverCrash) {
  const std::string base =
      "POST /a?b HTTP/1.1\r\nHost: h:1\r\nContent-Length: 3\r\nConnection: close\r\n\r\n";
  size_t complete = 0;
  for (size_t pos = 0; pos < base.size(); ++pos) {
    for (int b = 0; b < 256; ++b) {
      std::string in = base;
      in[pos] = static_cast<char>(b);
      Outcome o = parseOnce(in);
      if (o.status == ParseStatus::Complete) {
        ++complete;
        EXPECT_LE(o.consumed, in.size());
      } else if (o.status == ParseStatus::Error) {
        EXPECT_NE(o.error_status, 0);
        EXPECT_NE(o.reason, "");
      }
    }
  }
  EXPECT_GT(complete, 0u);
}

}  // namespace
}  // namespace mgw::http1
