// Certificates for the fake server: an ECDSA P-256 CA and a leaf generated in
// memory at start, or the user's own files, all as PEM text.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace faultline::certs {

/** A problem with certificate input or generation. what() is one line naming the
    file (when there is one) and the problem, e.g. "key.pem: does not match cert.pem". */
class CertError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/** What a server needs for TLS, and what its clients need to trust it. */
struct Bundle {
  std::string
      ca_cert_pem;  ///< the CA clients should trust (the leaf itself when self-signed input)
  std::string cert_chain_pem;  ///< leaf certificate (then intermediates), PEM
  std::string key_pem;         ///< the leaf's private key, PEM (PKCS#8)
};

/** What to put in a generated leaf. */
struct Options {
  std::string common_name = "localhost";
  std::vector<std::string> dns_names{"localhost"};
  std::vector<std::string> ip_addresses{"127.0.0.1", "::1"};
  std::chrono::hours validity{24 * 30};
};

/** Generates a fresh CA (ECDSA P-256, CA:TRUE) and a leaf signed by it
    (ECDSA P-256, serverAuth, SANs from options). Throws CertError on OpenSSL failure. */
[[nodiscard]] Bundle generate(const Options& options = {});

/** Loads the user's own files. The key must match the certificate; without a CA file
    the certificate itself is what clients trust. Throws CertError naming the file. */
[[nodiscard]] Bundle load_files(const std::filesystem::path& cert_file,
                                const std::filesystem::path& key_file,
                                const std::optional<std::filesystem::path>& ca_file = {});

/** Writes PEM text; private keys are created with mode 0600, others 0644.
    Throws CertError naming the file. */
void write_pem(const std::filesystem::path& file, std::string_view pem, bool private_key);

}  // namespace faultline::certs
