// One HTTP/1.1 attempt on libcurl as the fallback backend keeps it, and how its end
// (a CURLcode, the head it judged, a failed body source) becomes an Outcome. No Asio.
#pragma once

#include <curl/curl.h>

#include <cstdint>
#include <memory>

#include "detail/exchange.h"
#include "detail/h1_response_head.h"
#include "detail/outcome.h"

namespace faultline::transport::detail {

struct EasyDeleter {
  void operator()(CURL* easy) const noexcept { curl_easy_cleanup(easy); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const noexcept { curl_slist_free_all(list); }
};
struct MultiDeleter {
  void operator()(CURLM* multi) const noexcept { curl_multi_cleanup(multi); }
};

class CurlBackend;

/** One HTTP/1.1 attempt. */
struct Transfer {
  CurlBackend* backend = nullptr;
  std::shared_ptr<Exchange> exchange;
  std::uint32_t attempt = 0;
  std::unique_ptr<CURL, EasyDeleter> easy;
  std::unique_ptr<curl_slist, SlistDeleter> headers;
  H1ResponseHead head;  ///< the response's header lines, judged
  /** A head beyond the limit fails as header_too_large (false only for a test defect). */
  bool typed_too_large = true;
  bool cancelled = false;
  bool body_failed = false;
  bool paused = false;  ///< the write callback paused the transfer (receive backpressure)
  char error[CURL_ERROR_SIZE] = {};
};

/** The attempt's outcome once libcurl ended it with `code`. */
[[nodiscard]] Outcome outcome_of(CURLcode code, const Transfer& transfer);

}  // namespace faultline::transport::detail
