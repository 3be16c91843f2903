// faultline-bench-transport's failure-path modes against faultline-server: --mode abort
// (abort -> rejection of queued requests) and --mode reset (a queue served after every
// session is reset, against a fresh client).
#pragma once

#include "bench_config.h"

namespace faultline::harness {
class ServerProcess;
}

namespace faultline::bench {

/** --mode abort: prints p50/p99/max of abort -> on_complete; 0 when every abort ended so. */
int run_abort(const Config& config, const harness::ServerProcess& server);

/** --mode reset: prints both walls; 0 when every request of both was served. */
int run_reset(const Config& config, const harness::ServerProcess& server);

}  // namespace faultline::bench
