#include "detail/tls_context.h"

#include <openssl/ssl.h>

#include "detail/alpn.h"
#include "faultline/fake_server/errc.h"

namespace faultline::fake_server::detail {

namespace {

namespace ssl = boost::asio::ssl;

int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                unsigned int inlen, void* arg) {
  const auto& listener = *static_cast<const ListenerState*>(arg);
  const AlpnDecision decision =
      decide_alpn(listener.alpn.load(), std::string_view(reinterpret_cast<const char*>(in), inlen));
  switch (decision.answer) {
    case AlpnAnswer::select:
      *out = reinterpret_cast<const unsigned char*>(decision.protocol.data());
      *outlen = static_cast<unsigned char>(decision.protocol.size());
      return SSL_TLSEXT_ERR_OK;
    case AlpnAnswer::no_protocol:
      return SSL_TLSEXT_ERR_NOACK;
    case AlpnAnswer::reject:
      return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  return SSL_TLSEXT_ERR_NOACK;
}

}  // namespace

std::unique_ptr<ssl::context> make_tls_context(const certs::Bundle& bundle,
                                               const ListenerState& listener) {
  auto context = std::make_unique<ssl::context>(ssl::context::tls_server);
  boost::system::error_code ec;
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                           ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                           ssl::context::no_tlsv1_1 | ssl::context::single_dh_use,
                       ec);
  SSL_CTX* native = context->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(native, TLS1_3_VERSION);
  if (!ec) {
    context->use_certificate_chain(
        boost::asio::buffer(bundle.cert_chain_pem.data(), bundle.cert_chain_pem.size()), ec);
  }
  if (ec) {
    throw ServerError(errc::tls_failed, "cannot use the certificate: " + ec.message());
  }
  context->use_private_key(boost::asio::buffer(bundle.key_pem.data(), bundle.key_pem.size()),
                           ssl::context::pem, ec);
  if (ec) {
    throw ServerError(errc::tls_failed, "cannot use the private key: " + ec.message());
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    throw ServerError(errc::tls_failed, "the private key does not match the certificate");
  }
  SSL_CTX_set_alpn_select_cb(native, select_alpn,
                             const_cast<void*>(static_cast<const void*>(&listener)));
  return context;
}

}  // namespace faultline::fake_server::detail
