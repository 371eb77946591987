// Upstream response head parser: status lines, framing per RFC 9112 §6.3, upstream faults (§9).
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
  int error_status = -1;
  std::string reason;
  http::ResponseHead head;
};

Outcome parse(std::string_view in, std::string_view method = "GET", size_t step = 0,
              const Limits& limits = {}) {
  ResponseParser parser(limits);
  Outcome out;
  if (step == 0)
    step = in.size();
  for (size_t n = std::min(step, in.size());; n = std::min(n + step, in.size())) {
    ParseResult r = parser.parse(in.substr(0, n), method, out.head);
    out.status = r.status;
    out.consumed = r.consumed;
    out.error_status = r.error_status;
    out.reason = r.reason;
    if (r.status != ParseStatus::NeedMore || n == in.size())
      break;
  }
  return out;
}

TEST(ResponseParser, ContentLengthResponse) {
  std::string head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\n";
  Outcome o = parse(head + "hello");
  ASSERT_EQ(o.status, ParseStatus::Complete) << o.reason;
  EXPECT_EQ(o.consumed, head.size());
  EXPECT_EQ(o.head.status, 200);
  EXPECT_EQ(o.head.reason, "OK");
  EXPECT_EQ(o.head.version_minor, 1);
  EXPECT_EQ(o.head.framing, http::BodyFraming::ContentLength);
  EXPECT_EQ(o.head.content_length, 5u);
  EXPECT_TRUE(o.head.keep_alive);
  EXPECT_EQ(o.head.headers.size(), 2u);
  EXPECT_EQ(*o.head.headers.get("content-type"), "text/plain");
}

TEST(ResponseParser, ReasonPhraseForms) {
  Outcome multi = parse("HTTP/1.1 404 Not  Found here\r\nContent-Length: 0\r\n\r\n");
  ASSERT_EQ(multi.status, ParseStatus::Complete);
  EXPECT_EQ(multi.head.reason, "Not  Found here");
  Outcome empty = parse("HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n");
  ASSERT_EQ(empty.status, ParseStatus::Complete);
  EXPECT_EQ(empty.head.reason, "");
  // Documented leniency: no SP after the status code.
  Outcome bare = parse("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n");
  ASSERT_EQ(bare.status, ParseStatus::Complete);
  EXPECT_EQ(bare.head.status, 200);
  Outcome obs = parse("HTTP/1.1 200 \xc3\x96K\r\nContent-Length: 0\r\n\r\n");
  ASSERT_EQ(obs.status, ParseStatus::Complete);
}

TEST(ResponseParser, ChunkedResponse) {
  Outcome o = parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n");
  ASSERT_EQ(o.status, ParseStatus::Complete);
  EXPECT_EQ(o.head.framing, http::BodyFraming::Chunked);
  EXPECT_TRUE(o.head.keep_alive);
}

TEST(ResponseParser, NeitherLengthMeansUntilClose) {
  Outcome o = parse("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n");
  ASSERT_EQ(o.status, ParseStatus::Complete);
  EXPECT_EQ(o.head.framing, http::BodyFraming::UntilClose);
  EXPECT_FALSE(o.head.keep_alive);
}

TEST(ResponseParser, NoBodyStatusesAndHead) {
  struct Case {
    std::string in;
    const char* method;
  } cases[] = {
      {"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", "HEAD"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "HEAD"},
      {"HTTP/1.1 204 No Content\r\n\r\n", "GET"},
      {"HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n", "DELETE"},
      {"HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", "GET"},
      {"HTTP/1.1 100 Continue\r\n\r\n", "POST"},
      {"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n", "GET"},
  };
  for (const auto& c : cases) {
    Outcome o = parse(c.in, c.method);
    ASSERT_EQ(o.status, ParseStatus::Complete) << c.in;
    EXPECT_EQ(o.head.framing, http::BodyFraming::None) << c.in;
    EXPECT_EQ(o.consumed, c.in.size());
    EXPECT_TRUE(o.head.keep_alive) << c.in;  // no body: the connection stays usable
  }
}

TEST(ResponseParser, InterimThenFinalInOneBuffer) {
  std::string interim = "HTTP/1.1 100 Continue\r\n\r\n";
  std::string final_head = "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n";
  std::string all = interim + final_head + "ok";
  Limits limits;
  ResponseParser parser(limits);
  http::ResponseHead head;
  ParseResult r = parser.parse(all, "POST", head);
  ASSERT_EQ(r.status, ParseStatus::Complete);
  EXPECT_EQ(head.status, 100);
  EXPECT_EQ(r.consumed, interim.size());
  parser.reset();
  r = parser.parse(std::string_view(all).substr(r.consumed), "POST", head);
  ASSERT_EQ(r.status, ParseStatus::Complete);
  EXPECT_EQ(head.status, 201);
  EXPECT_EQ(head.content_length, 2u);
  EXPECT_EQ(r.consumed, final_head.size());
}

TEST(ResponseParser, KeepAliveRules) {
  EXPECT_FALSE(
      parse("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").head.keep_alive);
  EXPECT_FALSE(parse("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").head.keep_alive);
  Outcome ka = parse("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(ka.head.version_minor, 0);
  EXPECT_TRUE(ka.head.keep_alive);
}

struct BadCase {
  std::string in;
  const char* reason;
  const char* method = "GET";
};

std::vector<BadCase> badCases() {
  return {
      // Malformed status lines.
      {"HTTP/1.1 20 OK\r\n\r\n", "upstream.bad_status_line"},
      {"HTTP/1.1 2000 OK\r\n\r\n", "upstream.bad_status_line"},
      {"HTTP/1.1  200 OK\r\n\r\n", "upstream.bad_status_line"},
      {"HTTP/1.1 200OK\r\n\r\n", "upstream.bad_status_line"},
      {"HTTP/1.1 099 Low\r\n\r\n", "upstream.bad_status_line"},
      {"HTTP/1.1 600 High\r\n\r\n", "upstream.bad_status_line"},
      {"HTTP/1.1 2x0 OK\r\n\r\n", "upstream.bad_status_line"},
      {"HTTP/1.1\r\n\r\n", "upstream.bad_status_line"},
      {"ICY 200 OK\r\n\r\n", "upstream.bad_status_line"},
      {"\r\nHTTP/1.1 200 OK\r\n\r\n", "upstream.bad_status_line"},
      {"HTTP/1.1 200 O\x01K\r\n\r\n", "upstream.bad_status_line"},
      {"http/1.1 200 OK\r\n\r\n", "upstream.bad_version"},
      {"HTTP/2.0 200 OK\r\n\r\n", "upstream.bad_version"},
      {"HTTP/1.2 200 OK\r\n\r\n", "upstream.bad_version"},
      {"HTTP/1.1 200 OK\n\n", "upstream.bare_lf"},
      {"HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n", "upstream.bare_cr"},
      // Fields.
      {"HTTP/1.1 200 OK\r\nA: b\r\n c\r\n\r\n", "upstream.obs_fold"},
      {"HTTP/1.1 200 OK\r\n A: b\r\n\r\n", "upstream.obs_fold"},
      {"HTTP/1.1 200 OK\r\nA : b\r\n\r\n", "upstream.space_before_colon"},
      {"HTTP/1.1 200 OK\r\nA\r\n\r\n", "upstream.bad_field_name"},
      {std::string("HTTP/1.1 200 OK\r\nA: \0\r\n\r\n", 25), "upstream.bad_field_value"},
      // Framing (§9 "malformed status line / CL+TE / bad chunking").
      {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
       "upstream.cl_and_te"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
       "upstream.cl_and_te"},
      {"HTTP/1.1 204 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
       "upstream.cl_and_te"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
       "upstream.unsupported_transfer_coding"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
       "upstream.unsupported_transfer_coding"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
       "upstream.unsupported_transfer_coding"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
       "upstream.unsupported_transfer_coding"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: xchunked\r\n\r\n",
       "upstream.unsupported_transfer_coding"},
      {"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "upstream.te_in_http10"},
      {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n",
       "upstream.duplicate_content_length"},
      {"HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n", "upstream.bad_content_length"},
      {"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "upstream.bad_content_length"},
      {"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
       "upstream.bad_content_length"},
      {"HTTP/1.1 304 OK\r\nContent-Length: x\r\n\r\n", "upstream.bad_content_length", "HEAD"},
  };
}

TEST(ResponseParser, UpstreamFaultsAreErrorsInEveryFeedingMode) {
  for (const BadCase& c : badCases()) {
    for (size_t step : {size_t{0}, size_t{1}, size_t{5}}) {
      Outcome o = parse(c.in, c.method, step);
      EXPECT_EQ(o.status, ParseStatus::Error) << c.in << " step " << step;
      EXPECT_EQ(o.reason, c.reason) << c.in << " step " << step;
      EXPECT_EQ(o.error_status, 0);
    }
  }
}

TEST(ResponseParser, Limits) {
  Limits limits;
  limits.max_header_bytes = 128;
  limits.max_header_count = 3;
  Outcome big = parse("HTTP/1.1 200 OK\r\nX: " + std::string(200, 'a'), "GET", 0, limits);
  EXPECT_EQ(big.reason, "upstream.head_too_large");
  Outcome many = parse("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", "GET", 0, limits);
  EXPECT_EQ(many.reason, "upstream.too_many_fields");
}

TEST(ResponseParser, IncrementalEqualsOneShot) {
  std::vector<std::string> corpus = {
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
      "HTTP/1.0 404 Nope\r\nServer: x\r\n\r\n",
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n",
  };
  for (const BadCase& c : badCases())
    corpus.push_back(c.in);
  for (const std::string& in : corpus) {
    Outcome one = parse(in);
    for (size_t step : {size_t{1}, size_t{2}, size_t{9}}) {
      Outcome inc = parse(in, "GET", step);
      EXPECT_EQ(inc.status, one.status) << in;
      EXPECT_EQ(inc.consumed, one.consumed) << in;
      EXPECT_EQ(inc.reason, one.reason) << in;
      EXPECT_EQ(inc.head.status, one.head.status) << in;
      EXPECT_EQ(inc.head.framing, one.head.framing) << in;
    }
  }
}

TEST(ResponseParser, SingleByteMutationsNeverCrash) {
  const std::string base = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc";
  for (size_t pos = 0; pos < base.size(); ++pos) {
    for (int b = 0; b < 256; ++b) {
      std::string in = base;
      in[pos] = static_cast<char>(b);
      Outcome o = parse(in, "GET");
      if (o.status == ParseStatus::Error) {
        EXPECT_EQ(std::string_view(o.reason).substr(0, 9), "upstream.");
      }
      EXPECT_LE(o.consumed, in.size());
    }
  }
}

}  // namespace
}  // namespace mgw::http1
