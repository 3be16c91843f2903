// generate(): a fresh ECDSA P-256 CA and a leaf signed by it, all in memory.
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <chrono>
#include <string>

#include "detail/ossl.h"
#include "faultline/certs/certs.h"

namespace faultline::certs {
namespace {

using namespace detail;

/** Random serials this wide are positive and unique in practice (RFC 5280: <= 20 octets). */
constexpr int kSerialBits = 159;
/** notBefore lies this far in the past, so clocks slightly behind still accept the chain. */
constexpr long kBackdateSeconds = 3600;
constexpr const char* kCaCommonName = "Faultline test CA";
constexpr const char* kOrganization = "Faultline";

PkeyPtr new_p256_key() {
  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) {
    throw_openssl("generating a P-256 key");
  }
  return key;
}

void set_random_serial(X509* cert) {
  BignumPtr bn(BN_new());
  if (!bn || BN_rand(bn.get(), kSerialBits, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1) {
    throw_openssl("generating a serial number");
  }
  Asn1IntegerPtr serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
  if (!serial || X509_set_serialNumber(cert, serial.get()) != 1) {
    throw_openssl("setting the serial number");
  }
}

void set_name(X509_NAME* name, const std::string& common_name) {
  const auto add = [name](const char* field, const std::string& value) {
    if (X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1,
                                   0) != 1) {
      throw_openssl(std::string("setting the certificate name field ") + field);
    }
  };
  add("O", kOrganization);
  add("CN", common_name);
}

/** A v3 certificate with subject, validity, serial and public key set; not yet signed. */
X509Ptr new_cert(EVP_PKEY* key, const std::string& common_name, std::chrono::hours validity) {
  X509Ptr cert(X509_new());
  if (!cert) {
    throw_openssl("X509_new");
  }
  const long valid_seconds =
      static_cast<long>(std::chrono::duration_cast<std::chrono::seconds>(validity).count());
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1 ||
      X509_gmtime_adj(X509_getm_notBefore(cert.get()), -kBackdateSeconds) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), valid_seconds) == nullptr ||
      X509_set_pubkey(cert.get(), key) != 1) {
    throw_openssl("building a certificate");
  }
  set_random_serial(cert.get());
  set_name(X509_get_subject_name(cert.get()), common_name);
  return cert;
}

/** Adds an extension from its OpenSSL config text, e.g. ("basicConstraints", "critical,CA:TRUE").
 */
void add_extension(X509* cert, X509* issuer, const char* name, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  ExtensionPtr ext(X509V3_EXT_conf(nullptr, &ctx, name, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
    throw_openssl(std::string("adding extension ") + name + "=" + value);
  }
}

/** Appends one subjectAltName entry; takes ownership of value (null: allocation failed). */
void push_general_name(GENERAL_NAMES* names, int type, ASN1_STRING* value) {
  std::unique_ptr<ASN1_STRING, Deleter<ASN1_STRING_free>> owned(value);
  GeneralNamePtr name(GENERAL_NAME_new());
  if (!owned || !name) {
    throw_openssl("building a subjectAltName entry");
  }
  GENERAL_NAME_set0_value(name.get(), type, owned.release());
  if (sk_GENERAL_NAME_push(names, name.get()) == 0) {
    throw_openssl("adding a subjectAltName entry");
  }
  name.release();  // now owned by the stack
}

/** subjectAltName built entry by entry, so no name needs escaping for a config string. */
void add_subject_alt_names(X509* cert, const Options& options) {
  GeneralNamesPtr names(sk_GENERAL_NAME_new_null());
  if (!names) {
    throw_openssl("sk_GENERAL_NAME_new_null");
  }
  for (const std::string& dns : options.dns_names) {
    if (dns.empty()) {
      throw CertError("certificate options: empty DNS name");
    }
    ASN1_IA5STRING* text = ASN1_IA5STRING_new();
    if (text != nullptr && ASN1_STRING_set(text, dns.data(), static_cast<int>(dns.size())) != 1) {
      ASN1_IA5STRING_free(text);
      text = nullptr;
    }
    push_general_name(names.get(), GEN_DNS, text);
  }
  for (const std::string& ip : options.ip_addresses) {
    ASN1_OCTET_STRING* address = a2i_IPADDRESS(ip.c_str());
    if (address == nullptr) {
      ERR_clear_error();
      throw CertError("certificate options: not an IP address: \"" + ip + "\"");
    }
    push_general_name(names.get(), GEN_IPADD, address);
  }
  if (sk_GENERAL_NAME_num(names.get()) == 0) {
    throw CertError("certificate options: no DNS name and no IP address for the leaf");
  }
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) != 1) {
    throw_openssl("adding subjectAltName");
  }
}

void sign(X509* cert, EVP_PKEY* issuer_key) {
  if (X509_sign(cert, issuer_key, EVP_sha256()) <= 0) {
    throw_openssl("signing a certificate");
  }
}

}  // namespace

Bundle generate(const Options& options) {
  if (options.validity.count() <= 0) {
    throw CertError("certificate options: validity must be positive");
  }
  // The CA: self-signed, may sign certificates and CRLs, nothing else.
  PkeyPtr ca_key = new_p256_key();
  X509Ptr ca = new_cert(ca_key.get(), kCaCommonName, options.validity);
  if (X509_set_issuer_name(ca.get(), X509_get_subject_name(ca.get())) != 1) {
    throw_openssl("setting the CA issuer");
  }
  add_extension(ca.get(), ca.get(), "basicConstraints", "critical,CA:TRUE");
  add_extension(ca.get(), ca.get(), "keyUsage", "critical,keyCertSign,cRLSign");
  add_extension(ca.get(), ca.get(), "subjectKeyIdentifier", "hash");
  sign(ca.get(), ca_key.get());

  // The leaf: a TLS server certificate for the names in options, issued by the CA.
  PkeyPtr leaf_key = new_p256_key();
  X509Ptr leaf = new_cert(leaf_key.get(), options.common_name, options.validity);
  if (X509_set_issuer_name(leaf.get(), X509_get_subject_name(ca.get())) != 1) {
    throw_openssl("setting the leaf issuer");
  }
  add_extension(leaf.get(), ca.get(), "basicConstraints", "critical,CA:FALSE");
  add_extension(leaf.get(), ca.get(), "keyUsage", "critical,digitalSignature");
  add_extension(leaf.get(), ca.get(), "extendedKeyUsage", "serverAuth");
  add_extension(leaf.get(), ca.get(), "subjectKeyIdentifier", "hash");
  add_extension(leaf.get(), ca.get(), "authorityKeyIdentifier", "keyid:always");
  add_subject_alt_names(leaf.get(), options);
  sign(leaf.get(), ca_key.get());

  return Bundle{cert_pem(ca.get()), cert_pem(leaf.get()), key_pem(leaf_key.get())};
}

}  // namespace faultline::certs
