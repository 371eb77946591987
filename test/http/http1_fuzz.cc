// libFuzzer entry point for the HTTP/1.1 codec and the request-target checks (attack catalogue
// §12, target 1). Built only with clang and -DMGW_FUZZ=ON:
//   cmake -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DMGW_FUZZ=ON && ./build-fuzz/bin/http1_fuzz
// Each input is fed one-shot and in two pieces; the outcomes must agree (a differential check of
// the incremental scan against itself).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "mgw/http/http1_codec.h"
#include "mgw/http/path.h"

namespace {

using mgw::http1::ParseStatus;

void decodeBody(const mgw::http::RequestHead& head, std::string_view body) {
  mgw::http1::BodyDecoder decoder;
  decoder.start(head.framing, head.content_length, mgw::http1::Limits{});
  while (!body.empty()) {
    auto step = decoder.decode(body);
    if (step.consumed > body.size() || step.data.size() > body.size())
      std::abort();
    if (step.error || step.done || step.consumed == 0)
      break;
    body.remove_prefix(step.consumed);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  mgw::http1::Limits limits;

  mgw::http1::RequestParser one_shot(limits);
  mgw::http::RequestHead head;
  auto whole = one_shot.parse(in, head);

  mgw::http1::RequestParser split(limits);
  mgw::http::RequestHead head2;
  auto first = split.parse(in.substr(0, size / 2), head2);
  auto second = first.status == ParseStatus::NeedMore ? split.parse(in, head2) : first;
  if (first.status == ParseStatus::NeedMore && second.status != whole.status)
    std::abort();

  if (whole.status == ParseStatus::Complete) {
    if (whole.consumed > size)
      std::abort();
    (void)mgw::http::parseRequestTarget(head.target, head.method);
    decodeBody(head, in.substr(whole.consumed));
  }

  mgw::http1::ResponseParser response(limits);
  mgw::http::ResponseHead rhead;
  (void)response.parse(in, "GET", rhead);

  mgw::http::RequestHead chunked;
  chunked.framing = mgw::http::BodyFraming::Chunked;
  decodeBody(chunked, in);
  (void)mgw::http::parseRequestTarget(in, "GET");
  return 0;
}
