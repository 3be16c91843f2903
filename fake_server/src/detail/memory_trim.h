// Memory back to the system once the last connection is gone.
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include "detail/server_context.h"

namespace faultline::fake_server::detail {

/** Called when the last live connection closed: trims (trim_free_memory) once what is
    queued on `executor` ran - the closed connection's own handlers, which let go of it -
    and, when a trim ran less than kTrimInterval ago, once more after kTrimInterval if
    no connection is live then. So the memory connections held returns within about
    kTrimInterval of the last close, however closely closes follow each other. */
void trim_after_last_close(const boost::asio::any_io_executor& executor,
                           const LiveConnections& live);

}  // namespace faultline::fake_server::detail
