#include "detail/memory_trim.h"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>

#include "detail/server_limits.h"
#include "detail/stats.h"

namespace faultline::fake_server::detail {

void trim_after_last_close(const boost::asio::any_io_executor& executor,
                           const LiveConnections& live) {
  boost::asio::post(executor, [executor, &live] {
    if (live.size() != 0 || trim_free_memory()) {
      return;
    }
    auto timer = std::make_shared<boost::asio::steady_timer>(executor, kTrimInterval);
    timer->async_wait([timer, &live](const boost::system::error_code& ec) {
      if (!ec && live.size() == 0) {
        trim_free_memory();
      }
    });
  });
}

}  // namespace faultline::fake_server::detail
