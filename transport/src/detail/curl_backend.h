// The HTTP/1.1 fallback on libcurl's multi interface, driven from the transport's own
// Asio loop through CURLMOPT_SOCKETFUNCTION and CURLMOPT_TIMERFUNCTION.
#pragma once

#include <memory>

#include "detail/http11_backend.h"
#include "faultline/transport/options.h"
#include "faultline/transport/stats.h"

namespace boost::asio {
class io_context;
}

namespace faultline::transport::detail {

class Hooks;

/** Creates the backend. `stats` (the engine's counters) must outlive it; `hooks` are the
    test-only hook points (null in production). */
[[nodiscard]] std::unique_ptr<Http11Backend> make_curl_backend(boost::asio::io_context& io,
                                                               const Options& options, Stats& stats,
                                                               Hooks* hooks = nullptr);

/** libcurl's global init, once per process (thread safe). */
void curl_global_init_once();

}  // namespace faultline::transport::detail
