#include "detail/ossl.h"

#include <openssl/err.h>
#include <openssl/pem.h>

#include "faultline/certs/certs.h"

namespace faultline::certs::detail {

std::string drain_errors() {
  std::string text;
  while (const unsigned long code = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    if (!text.empty()) {
      text += "; ";
    }
    text += buf;
  }
  return text.empty() ? "unknown error" : text;
}

std::string last_error_reason() {
  const unsigned long code = ERR_peek_last_error();
  const char* reason = code != 0 ? ERR_reason_error_string(code) : nullptr;
  ERR_clear_error();
  return reason != nullptr ? reason : "unknown error";
}

void throw_openssl(std::string_view what) {
  throw CertError(std::string(what) + ": " + drain_errors());
}

BioPtr memory_bio(std::string_view text) {
  BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  if (!bio) {
    throw_openssl("BIO_new_mem_buf");
  }
  return bio;
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return size > 0 ? std::string(data, static_cast<std::size_t>(size)) : std::string();
}

std::string cert_pem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) {
    throw_openssl("PEM_write_bio_X509");
  }
  return bio_text(bio.get());
}

std::string key_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  // PKCS#8 explicitly, whatever the key type's traditional format would be.
  if (!bio ||
      PEM_write_bio_PKCS8PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    throw_openssl("PEM_write_bio_PKCS8PrivateKey");
  }
  return bio_text(bio.get());
}

}  // namespace faultline::certs::detail
