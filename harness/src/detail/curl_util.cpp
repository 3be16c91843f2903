#include "detail/curl_util.h"

#include <mutex>

namespace faultline::harness::detail {

void curl_global_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

void slist_append(Slist& list, const char* text) {
  if (curl_slist* grown = curl_slist_append(list.get(), text)) {
    (void)list.release();
    list.reset(grown);
  }
}

}  // namespace faultline::harness::detail
