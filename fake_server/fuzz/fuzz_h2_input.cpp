// Fuzz target: an HTTP/2 client's bytes after its connection preface into the server's
// h2 session (nghttp2 server session, routing, faults, responses) through the
// ProtocolSession seam, on the default scenario's TLS listener. The corpus holds frames
// only (fake_server/fuzz/make_h2_corpus.py): the preface is sent first here.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "detail/h2_session.h"
#include "session_fuzzer.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace faultline::fake_server;
  static constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  fuzz::SessionFuzzer<detail::H2Session> session("main", true);
  session.feed({reinterpret_cast<const std::uint8_t*>(kPreface.data()), kPreface.size()});
  session.feed({data, size});
  session.finish();
  return 0;
}
