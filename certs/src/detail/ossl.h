// OpenSSL handles as unique_ptr, and the error queue as text. Internal to certs.
#pragma once

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <string_view>

namespace faultline::certs::detail {

template <auto Free>
struct Deleter {
  template <typename T>
  void operator()(T* p) const noexcept {
    Free(p);
  }
};

using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free>>;
using BignumPtr = std::unique_ptr<BIGNUM, Deleter<BN_free>>;
using Asn1IntegerPtr = std::unique_ptr<ASN1_INTEGER, Deleter<ASN1_INTEGER_free>>;
using ExtensionPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION_free>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, Deleter<GENERAL_NAMES_free>>;
using GeneralNamePtr = std::unique_ptr<GENERAL_NAME, Deleter<GENERAL_NAME_free>>;

/** Drains OpenSSL's error queue into one line ("unknown error" when empty). */
[[nodiscard]] std::string drain_errors();

/** The reason text of the most recent OpenSSL error ("unknown error" when none); clears
    the queue. Short enough for one-line messages about a user's file. */
[[nodiscard]] std::string last_error_reason();

/** Throws CertError "<what>: <OpenSSL errors>" after draining the error queue. */
[[noreturn]] void throw_openssl(std::string_view what);

/** A read-only memory BIO over text (valid while the text lives). */
[[nodiscard]] BioPtr memory_bio(std::string_view text);

/** The contents of a memory BIO as a string. */
[[nodiscard]] std::string bio_text(BIO* bio);

/** PEM text of one certificate. */
[[nodiscard]] std::string cert_pem(X509* cert);

/** PEM text of a private key, PKCS#8 ("BEGIN PRIVATE KEY"), unencrypted. */
[[nodiscard]] std::string key_pem(EVP_PKEY* key);

}  // namespace faultline::certs::detail
