// Body decoder: Content-Length, chunked (RFC 9112 §7.1) split at every byte, trailers, limits.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "mgw/http/http1_codec.h"

namespace mgw::http1 {
namespace {

struct Decoded {
  std::string body;
  size_t consumed = 0;
  bool done = false;
  bool error = false;
  std::string reason;
};

// Decodes `in` delivered in the given pieces, the way a connection would: bytes the decoder did
// not consume stay buffered and are offered again with the next piece.
Decoded decodePieces(http::BodyFraming framing, uint64_t length,
                     const std::vector<std::string_view>& pieces, const Limits& limits = {}) {
  BodyDecoder decoder;
  decoder.start(framing, length, limits);
  Decoded out;
  std::string buffered;
  for (std::string_view piece : pieces) {
    buffered.append(piece);
    while (!buffered.empty()) {
      BodyDecoder::Step s = decoder.decode(buffered);
      if (!s.data.empty()) {
        // Zero-copy: the payload is a view into the input.
        EXPECT_GE(s.data.data(), buffered.data());
        EXPECT_LE(s.data.data() + s.data.size(), buffered.data() + buffered.size());
      }
      out.body.append(s.data);
      out.consumed += s.consumed;
      buffered.erase(0, s.consumed);
      if (s.error) {
        out.error = true;
        out.reason = s.reason;
        return out;
      }
      if (s.done) {
        out.done = true;
        return out;
      }
      if (s.consumed == 0)
        break;
    }
  }
  return out;
}

Decoded decode(http::BodyFraming framing, uint64_t length, std::string_view in,
               const Limits& limits = {}) {
  return decodePieces(framing, length, {in}, limits);
}

Decoded chunked(std::string_view in, const Limits& limits = {}) {
  return decode(http::BodyFraming::Chunked, 0, in, limits);
}

TEST(BodyDecoder, NoneIsDoneAtOnce) {
  Decoded d = decode(http::BodyFraming::None, 0, "GET / HTTP/1.1\r\n");
  EXPECT_TRUE(d.done);
  EXPECT_EQ(d.consumed, 0u);
}

TEST(BodyDecoder, ContentLengthPassesExactlyN) {
  Decoded d = decode(http::BodyFraming::ContentLength, 5, "helloGET /next");
  EXPECT_TRUE(d.done);
  EXPECT_EQ(d.body, "hello");
  EXPECT_EQ(d.consumed, 5u);
  Decoded zero = decode(http::BodyFraming::ContentLength, 0, "GET");
  EXPECT_TRUE(zero.done);
  EXPECT_EQ(zero.consumed, 0u);
  Decoded split = decodePieces(http::BodyFraming::ContentLength, 6, {"ab", "", "cd", "efgh"});
  EXPECT_TRUE(split.done);
  EXPECT_EQ(split.body, "abcdef");
  Decoded partial = decodePieces(http::BodyFraming::ContentLength, 10, {"abc"});
  EXPECT_FALSE(partial.done);
  EXPECT_EQ(partial.body, "abc");
}

TEST(BodyDecoder, BodyBytesCounted) {
  BodyDecoder decoder;
  decoder.start(http::BodyFraming::Chunked, 0, Limits{});
  std::string in = "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
  std::string_view rest = in;
  while (!decoder.done()) {
    auto s = decoder.decode(rest);
    ASSERT_FALSE(s.error);
    rest.remove_prefix(s.consumed);
  }
  EXPECT_EQ(decoder.bodyBytes(), 5u);
  EXPECT_EQ(decoder.framing(), http::BodyFraming::Chunked);
}

TEST(BodyDecoder, UntilCloseNeedsFinish) {
  BodyDecoder decoder;
  decoder.start(http::BodyFraming::UntilClose, 0, Limits{});
  auto s = decoder.decode("some bytes");
  EXPECT_EQ(s.data, "some bytes");
  EXPECT_EQ(s.consumed, 10u);
  EXPECT_FALSE(s.done);
  EXPECT_FALSE(decoder.done());
  decoder.finishUntilClose();
  EXPECT_TRUE(decoder.done());
  EXPECT_TRUE(decoder.decode("").done);
}

TEST(BodyDecoder, FinishUntilCloseIgnoredForOtherFramings) {
  BodyDecoder decoder;
  decoder.start(http::BodyFraming::ContentLength, 4, Limits{});
  decoder.finishUntilClose();
  EXPECT_FALSE(decoder.done());  // a truncated Content-Length body stays incomplete
}

TEST(BodyDecoder, NotStartedIsAnError) {
  BodyDecoder decoder;
  auto s = decoder.decode("abc");
  EXPECT_TRUE(s.error);
  EXPECT_STREQ(s.reason, "http1.decoder_not_started");
}

const std::string kChunked =
    "5\r\nhello\r\n6;name=value;q=\"a \\\" b\"\r\n world\r\n1 ; ext\r\n!\r\n"
    "0\r\nX-Trailer: t\r\n\r\n";

TEST(BodyDecoder, ChunkedBasic) {
  Decoded d = chunked(kChunked + "GET /next HTTP/1.1");
  EXPECT_FALSE(d.error) << d.reason;
  EXPECT_TRUE(d.done);
  EXPECT_EQ(d.body, "hello world!");
  EXPECT_EQ(d.consumed, kChunked.size());  // the next pipelined message is left alone
}

TEST(BodyDecoder, ChunkedSplitAtEveryPosition) {
  for (size_t i = 0; i <= kChunked.size(); ++i) {
    std::string_view all = kChunked;
    Decoded d = decodePieces(http::BodyFraming::Chunked, 0, {all.substr(0, i), all.substr(i)});
    EXPECT_TRUE(d.done) << i;
    EXPECT_EQ(d.body, "hello world!") << i;
    EXPECT_EQ(d.consumed, kChunked.size()) << i;
    for (size_t j = i; j <= kChunked.size(); j += 7) {
      Decoded three = decodePieces(http::BodyFraming::Chunked, 0,
                                   {all.substr(0, i), all.substr(i, j - i), all.substr(j)});
      EXPECT_TRUE(three.done) << i << "," << j;
      EXPECT_EQ(three.body, "hello world!") << i << "," << j;
    }
  }
}

TEST(BodyDecoder, ChunkedByteByByte) {
  std::vector<std::string_view> bytes;
  for (size_t i = 0; i < kChunked.size(); ++i)
    bytes.push_back(std::string_view(kChunked).substr(i, 1));
  Decoded d = decodePieces(http::BodyFraming::Chunked, 0, bytes);
  EXPECT_TRUE(d.done);
  EXPECT_EQ(d.body, "hello world!");
}

TEST(BodyDecoder, ChunkSizeForms) {
  EXPECT_EQ(chunked("A\r\n0123456789\r\n0\r\n\r\n").body, "0123456789");
  EXPECT_EQ(chunked("a\r\n0123456789\r\n0\r\n\r\n").body, "0123456789");
  EXPECT_EQ(chunked("0005\r\nhello\r\n000\r\n\r\n").body, "hello");
  // 16 hex digits, below 2^63: accepted (the data simply has not arrived).
  Decoded big = chunked("7fffffffffffffff\r\nabc");
  EXPECT_FALSE(big.error);
  EXPECT_EQ(big.body, "abc");
}

struct BadChunk {
  const char* name;
  std::string in;
  const char* reason;
};

std::vector<BadChunk> badChunks() {
  return {
      {"non_hex", "g\r\nabc\r\n", "http1.bad_chunk_size"},
      {"empty_size", "\r\nabc\r\n", "http1.bad_chunk_size"},
      {"minus", "-1\r\n", "http1.bad_chunk_size"},
      {"plus", "+5\r\nhello\r\n", "http1.bad_chunk_size"},
      {"hex_prefix", "0x5\r\nhello\r\n", "http1.bad_chunk_size"},
      {"leading_space", " 5\r\nhello\r\n", "http1.bad_chunk_size"},
      {"trailing_space", "5 \r\nhello\r\n", "http1.bad_chunk_size"},
      {"empty_ext", "5;\r\nhello\r\n", "http1.bad_chunk_ext"},
      {"ext_bad_value", "5;a=\r\nhello\r\n", "http1.bad_chunk_ext"},
      {"ext_unterminated_quote", "5;a=\"x\r\nhello\r\n", "http1.bad_chunk_ext"},
      {"ext_ctl", "5;a\x01\r\nhello\r\n", "http1.bad_chunk_ext"},
      {"seventeen_digits", "00000000000000005\r\nhello\r\n", "http1.chunk_size_overflow"},
      {"two_pow_63", "8000000000000000\r\n", "http1.chunk_size_overflow"},
      {"two_pow_64", "10000000000000000\r\n", "http1.chunk_size_overflow"},
      {"missing_crlf_after_data", "5\r\nhelloX\r\n0\r\n\r\n", "http1.bad_chunk_terminator"},
      {"lf_only_after_data", "5\r\nhello\n0\r\n\r\n", "http1.bad_chunk_terminator"},
      {"data_longer_than_size", "3\r\nhello\r\n0\r\n\r\n", "http1.bad_chunk_terminator"},
      {"bare_lf_size_line", "5\nhello\r\n0\r\n\r\n", "http1.bare_lf"},
      {"bare_cr_size_line", "5\r;x\r\nhello\r\n", "http1.bare_cr"},
      {"bare_lf_last_chunk", "0\n\r\n", "http1.bare_lf"},
      {"bare_lf_trailer_end", "0\r\n\n", "http1.bare_lf"},
      {"trailer_obs_fold", "0\r\nA: b\r\n c\r\n\r\n", "http1.bad_trailer"},
      {"trailer_space_colon", "0\r\nA : b\r\n\r\n", "http1.bad_trailer"},
      {"trailer_no_colon", "0\r\nnot a field\r\n\r\n", "http1.bad_trailer"},
      {"trailer_nul", std::string("0\r\nA: \0\r\n\r\n", 11), "http1.bad_trailer"},
      {"ext_8k", "5;" + std::string(8192, 'a') + "\r\nhello\r\n", "http1.chunk_ext_too_long"},
      {"ext_8k_incomplete", "5;" + std::string(8192, 'a'), "http1.chunk_ext_too_long"},
      {"ext_many",
       "5" +
           [] {
             std::string s;
             for (int i = 0; i < 2000; ++i)
               s += ";a=b";
             return s;
           }() +
           "\r\nhello\r\n",
       "http1.chunk_ext_too_long"},
      {"trailers_too_large",
       "0\r\n" +
           [] {
             std::string s;
             for (int i = 0; i < 1000; ++i)
               s += "X-T: 0123456789\r\n";
             return s;
           }() +
           "\r\n",
       "http1.trailers_too_large"},
      {"one_huge_trailer", "0\r\nX: " + std::string(10000, 'v'), "http1.trailers_too_large"},
  };
}

class BadChunkTest : public ::testing::TestWithParam<BadChunk> {};

TEST_P(BadChunkTest, RejectedOneShotAndByteByByte) {
  const BadChunk& c = GetParam();
  Decoded one = chunked(c.in);
  EXPECT_TRUE(one.error);
  EXPECT_EQ(one.reason, c.reason);
  std::vector<std::string_view> bytes;
  for (size_t i = 0; i < c.in.size(); ++i)
    bytes.push_back(std::string_view(c.in).substr(i, 1));
  Decoded drip = decodePieces(http::BodyFraming::Chunked, 0, bytes);
  EXPECT_TRUE(drip.error);
  EXPECT_EQ(drip.reason, c.reason);
}

INSTANTIATE_TEST_SUITE_P(Catalogue, BadChunkTest, ::testing::ValuesIn(badChunks()),
                         [](const auto& p) { return std::string(p.param.name); });

TEST(BodyDecoder, ChunkExtensionAtTheLimitIsAccepted) {
  Limits limits;
  std::string ext = ";" + std::string(limits.max_chunk_ext_bytes - 1, 'e');
  Decoded ok = chunked("5" + ext + "\r\nhello\r\n0\r\n\r\n", limits);
  EXPECT_FALSE(ok.error) << ok.reason;
  EXPECT_EQ(ok.body, "hello");
  Decoded over = chunked("5" + ext + "e\r\nhello\r\n0\r\n\r\n", limits);
  EXPECT_EQ(over.reason, "http1.chunk_ext_too_long");
}

TEST(BodyDecoder, CarryBufferStaysBounded) {
  // A drip-fed 1 MiB extension is refused after max_chunk_ext_bytes plus a few bytes.
  Limits limits;
  BodyDecoder decoder;
  decoder.start(http::BodyFraming::Chunked, 0, limits);
  std::string piece(100, 'a');
  size_t fed = 0;
  decoder.decode("5;");
  bool failed = false;
  while (fed < (1u << 20)) {
    auto s = decoder.decode(piece);
    fed += piece.size();
    if (s.error) {
      failed = true;
      EXPECT_STREQ(s.reason, "http1.chunk_ext_too_long");
      break;
    }
    EXPECT_EQ(s.consumed, piece.size());
  }
  EXPECT_TRUE(failed);
  EXPECT_LE(fed, limits.max_chunk_ext_bytes + 200);
}

TEST(BodyDecoder, TrailersAreDroppedNeverApplied) {
  // Row 13: framing fields in trailers change nothing; the decoder reports only the body.
  const std::string body =
      "3\r\nabc\r\n0\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\nHost: evil\r\n\r\n";
  Decoded d = chunked(body + "NEXT");
  EXPECT_FALSE(d.error);
  EXPECT_TRUE(d.done);
  EXPECT_EQ(d.body, "abc");
  EXPECT_EQ(d.consumed, body.size());
  Decoded bare = chunked("0\r\n\r\n");
  EXPECT_TRUE(bare.done);
  EXPECT_EQ(bare.consumed, 5u);
}

TEST(BodyDecoder, ErrorIsSticky) {
  BodyDecoder decoder;
  decoder.start(http::BodyFraming::Chunked, 0, Limits{});
  auto first = decoder.decode("zz\r\n");
  ASSERT_TRUE(first.error);
  auto again = decoder.decode("5\r\nhello\r\n");
  EXPECT_TRUE(again.error);
  EXPECT_STREQ(again.reason, first.reason);
  EXPECT_EQ(again.consumed, 0u);
  decoder.start(http::BodyFraming::ContentLength, 1, Limits{});  // restart clears it
  EXPECT_EQ(decoder.decode("x").data, "x");
}

TEST(BodyDecoder, SingleByteMutationsNeverCrash) {
  for (size_t pos = 0; pos < kChunked.size(); ++pos) {
    for (int b = 0; b < 256; ++b) {
      std::string in = kChunked;
      in[pos] = static_cast<char>(b);
      Decoded d = chunked(in);
      EXPECT_LE(d.consumed, in.size());
      EXPECT_LE(d.body.size(), in.size());
    }
  }
}

TEST(ChunkHeader, LowercaseHex) {
  std::string out;
  appendChunkHeader(out, 0);
  appendChunkHeader(out, 255);
  appendChunkHeader(out, 4096);
  appendChunkHeader(out, 0xABCDEF);
  EXPECT_EQ(out, "0\r\nff\r\n1000\r\nabcdef\r\n");
  std::string max;
  appendChunkHeader(max, static_cast<size_t>(-1));
  EXPECT_EQ(max, "ffffffffffffffff\r\n");
}

TEST(ChunkHeader, RoundTripsThroughDecoder) {
  std::string body(70000, 'q');
  std::string wire;
  appendChunkHeader(wire, 65536);
  wire.append(body, 0, 65536);
  wire += "\r\n";
  appendChunkHeader(wire, body.size() - 65536);
  wire.append(body, 65536);
  wire += "\r\n0\r\n\r\n";
  Decoded d = chunked(wire);
  EXPECT_TRUE(d.done);
  EXPECT_EQ(d.body, body);
}

}  // namespace
}  // namespace mgw::http1
