#include "faultline/fake_server/errc.h"

namespace faultline::fake_server {

namespace {

class Category final : public std::error_category {
 public:
  [[nodiscard]] const char* name() const noexcept override { return "faultline.fake_server"; }
  [[nodiscard]] std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::invalid_argument:
        return "invalid argument";
      case errc::scenario_invalid:
        return "invalid scenario";
      case errc::bind_failed:
        return "cannot bind a listening socket";
      case errc::tls_failed:
        return "TLS set-up failed";
      case errc::io_failed:
        return "file system operation failed";
    }
    return "unknown fake_server error";
  }
};

}  // namespace

const std::error_category& fake_server_category() noexcept {
  static const Category category;
  return category;
}

std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), fake_server_category()};
}

std::string_view to_string(errc e) noexcept {
  switch (e) {
    case errc::invalid_argument:
      return "invalid_argument";
    case errc::scenario_invalid:
      return "scenario_invalid";
    case errc::bind_failed:
      return "bind_failed";
    case errc::tls_failed:
      return "tls_failed";
    case errc::io_failed:
      return "io_failed";
  }
  return "unknown";
}

}  // namespace faultline::fake_server
