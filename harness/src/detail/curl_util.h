// Small shared pieces of the libcurl users (admin client, curl driver).
#pragma once

#include <curl/curl.h>

#include <memory>

namespace faultline::harness::detail {

/** curl_global_init exactly once per process. */
void curl_global_once();

struct EasyDeleter {
  void operator()(CURL* easy) const noexcept { curl_easy_cleanup(easy); }
};
using EasyHandle = std::unique_ptr<CURL, EasyDeleter>;

struct SlistDeleter {
  void operator()(curl_slist* list) const noexcept { curl_slist_free_all(list); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

/** Appends a string to a list owned by `list` (a failed append keeps the old list). */
void slist_append(Slist& list, const char* text);

}  // namespace faultline::harness::detail
