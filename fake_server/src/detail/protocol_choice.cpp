#include "detail/protocol_choice.h"

#include <openssl/bio.h>
#include <openssl/ssl.h>

#include <algorithm>

#include "detail/server_limits.h"
#include "detail/stats.h"

namespace faultline::fake_server::detail {

std::optional<bool> starts_with_h2_preface(std::string_view first_bytes) {
  constexpr std::string_view kPreface{"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", kH2PrefaceBytes};
  const std::size_t n = std::min(first_bytes.size(), kPreface.size());
  const bool prefix = first_bytes.substr(0, n) == kPreface.substr(0, n);
  if (prefix && n < kPreface.size()) {
    return std::nullopt;  // not enough yet
  }
  return prefix;
}

TlsChoice tls_choice(ssl_st* ssl, scenarios::AlpnPolicy policy) {
  const unsigned char* alpn = nullptr;
  unsigned int alpn_length = 0;
  SSL_get0_alpn_selected(ssl, &alpn, &alpn_length);
  TlsChoice choice;
  choice.alpn.assign(reinterpret_cast<const char*>(alpn), alpn_length);
  choice.h2 =
      choice.alpn == "h2" || (choice.alpn.empty() && policy == scenarios::AlpnPolicy::h2_only);
  choice.version = SSL_get_version(ssl);
  return choice;
}

void record_tls_socket_bytes(ssl_st* ssl, ConnectionStats& stats) {
  stats.set_bytes(BIO_number_read(SSL_get_rbio(ssl)), BIO_number_written(SSL_get_wbio(ssl)));
}

}  // namespace faultline::fake_server::detail
