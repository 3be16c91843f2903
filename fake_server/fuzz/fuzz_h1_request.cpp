// Fuzz target: bytes from an HTTP/1.1 client into the server's request path (Beast's
// parser, routing, echo, faults, responses) through the ProtocolSession seam, on the
// default scenario's cleartext listener.
#include <cstddef>
#include <cstdint>

#include "detail/h1_session.h"
#include "session_fuzzer.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace faultline::fake_server;
  fuzz::SessionFuzzer<detail::H1Session> session("plain", false);
  session.feed({data, size});
  session.finish();
  return 0;
}
