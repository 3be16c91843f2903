#include "detail/tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>
#include <stdexcept>
#include <string>

namespace faultline::transport::detail {

namespace ssl = boost::asio::ssl;

std::unique_ptr<ssl::context> make_client_tls_context(const TlsOptions& options) {
  auto context = std::make_unique<ssl::context>(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
  context->set_options(ssl::context::default_workarounds | ssl::context::no_compression);
  boost::system::error_code ec;
  if (!options.ca_file.empty()) {
    context->load_verify_file(options.ca_file, ec);
    if (ec) {
      throw std::invalid_argument(options.ca_file + ": cannot load CA file: " + ec.message());
    }
  }
  if (!options.ca_pem.empty()) {
    context->add_certificate_authority(boost::asio::buffer(options.ca_pem), ec);
    if (ec) {
      throw std::invalid_argument("tls.ca_pem: cannot load CA certificates: " + ec.message());
    }
  }
  if (options.ca_file.empty() && options.ca_pem.empty()) {
    context->set_default_verify_paths(ec);
    if (ec) {
      throw std::invalid_argument("cannot load the system CA store: " + ec.message());
    }
  }
  context->set_verify_mode(options.verify_peer ? ssl::verify_peer : ssl::verify_none);
  return context;
}

}  // namespace faultline::transport::detail
