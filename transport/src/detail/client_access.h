// The one back door into Client: used by faultline_transport_testing to build a Client
// with test-only defects. Not part of the public headers.
#pragma once

#include "detail/defects.h"
#include "faultline/transport/client.h"

namespace faultline::transport::detail {

struct ClientAccess {
  [[nodiscard]] static Client make(Options options, DefectSet defects);
};

}  // namespace faultline::transport::detail
