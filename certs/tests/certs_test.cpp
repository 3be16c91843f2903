// Tests for faultline::certs: generated chains, the user's own files, PEM output.
#include "faultline/certs/certs.h"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

namespace faultline::certs {
namespace {

namespace fs = std::filesystem;

using X509Ptr = std::unique_ptr<X509, decltype(&X509_free)>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using StorePtr = std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)>;

X509Ptr parse_cert(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), int(pem.size())),
                                                &BIO_free);
  return {PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), &X509_free};
}

PkeyPtr parse_key(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), int(pem.size())),
                                                &BIO_free);
  return {PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr), &EVP_PKEY_free};
}

/** Verifies leaf against ca as a TLS server certificate; returns the verify error text. */
std::string verify_chain(X509* ca, X509* leaf, const char* host = nullptr,
                         const char* ip = nullptr) {
  StorePtr store(X509_STORE_new(), &X509_STORE_free);
  X509_STORE_add_cert(store.get(), ca);
  StoreCtxPtr ctx(X509_STORE_CTX_new(), &X509_STORE_CTX_free);
  X509_STORE_CTX_init(ctx.get(), store.get(), leaf, nullptr);
  X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_SERVER);
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  if (host != nullptr) {
    X509_VERIFY_PARAM_set1_host(param, host, 0);
  }
  if (ip != nullptr) {
    X509_VERIFY_PARAM_set1_ip_asc(param, ip);
  }
  if (X509_verify_cert(ctx.get()) == 1) {
    return "ok";
  }
  return X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()));
}

/** A fresh directory removed at the end of the test. */
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::path(::testing::TempDir()) / "faultline-certs-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) {
      throw std::runtime_error("mkdtemp failed");
    }
    path_ = tmpl;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  [[nodiscard]] fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

void write_text(const fs::path& file, const std::string& text) {
  std::ofstream(file, std::ios::binary) << text;
}

mode_t mode_of(const fs::path& file) {
  struct stat st {};
  EXPECT_EQ(::stat(file.c_str(), &st), 0) << file;
  return st.st_mode & 07777;
}

/** Runs a command and returns its exit status and combined output. */
std::pair<int, std::string> run(const std::string& command) {
  std::string output;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) {
    return {-1, "popen failed"};
  }
  char buf[512];
  while (std::fgets(buf, sizeof buf, pipe) != nullptr) {
    output += buf;
  }
  const int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

/** Expects a CertError whose message names `file`; returns the message. */
template <typename Fn>
std::string expect_cert_error(Fn&& fn, const fs::path& file) {
  try {
    fn();
  } catch (const CertError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find(file.string()), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << "one line: " << message;
    std::cout << "  CertError: " << message << '\n';
    return message;
  }
  ADD_FAILURE() << "no CertError for " << file;
  return {};
}

TEST(CertsGenerate, ChainVerifiesAgainstCaForEveryName) {
  const Bundle bundle = generate();
  const X509Ptr ca = parse_cert(bundle.ca_cert_pem);
  const X509Ptr leaf = parse_cert(bundle.cert_chain_pem);
  ASSERT_TRUE(ca && leaf);
  EXPECT_EQ(verify_chain(ca.get(), leaf.get()), "ok");
  EXPECT_EQ(verify_chain(ca.get(), leaf.get(), "localhost"), "ok");
  EXPECT_EQ(verify_chain(ca.get(), leaf.get(), nullptr, "127.0.0.1"), "ok");
  EXPECT_EQ(verify_chain(ca.get(), leaf.get(), nullptr, "::1"), "ok");
  // A name not in the certificate must not verify: the check above is not vacuous.
  EXPECT_NE(verify_chain(ca.get(), leaf.get(), "example.com"), "ok");
}

TEST(CertsGenerate, LeafDoesNotVerifyAgainstAnotherCa) {
  const Bundle first = generate();
  const Bundle second = generate();
  const X509Ptr other_ca = parse_cert(second.ca_cert_pem);
  const X509Ptr leaf = parse_cert(first.cert_chain_pem);
  EXPECT_NE(verify_chain(other_ca.get(), leaf.get()), "ok");
}

TEST(CertsGenerate, SubjectAltNamesFromOptions) {
  Options options;
  options.common_name = "faultline.test";
  options.dns_names = {"localhost", "faultline.test"};
  options.ip_addresses = {"127.0.0.1", "::1", "10.1.2.3"};
  const X509Ptr leaf = parse_cert(generate(options).cert_chain_pem);
  ASSERT_TRUE(leaf);
  EXPECT_EQ(X509_check_host(leaf.get(), "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_host(leaf.get(), "faultline.test", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(leaf.get(), "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(leaf.get(), "::1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(leaf.get(), "10.1.2.3", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(leaf.get(), "10.1.2.4", 0), 0);
  EXPECT_EQ(X509_check_host(leaf.get(), "other.test", 0, 0, nullptr), 0);
}

TEST(CertsGenerate, ExtensionsOfCaAndLeaf) {
  const Bundle bundle = generate();
  const X509Ptr ca = parse_cert(bundle.ca_cert_pem);
  const X509Ptr leaf = parse_cert(bundle.cert_chain_pem);
  // CA: CA:TRUE (critical), keyCertSign + cRLSign, a subject key identifier.
  EXPECT_NE(X509_get_extension_flags(ca.get()) & EXFLAG_CA, 0u);
  const int ca_bc = X509_get_ext_by_NID(ca.get(), NID_basic_constraints, -1);
  ASSERT_GE(ca_bc, 0);
  EXPECT_EQ(X509_EXTENSION_get_critical(X509_get_ext(ca.get(), ca_bc)), 1);
  EXPECT_EQ(X509_get_key_usage(ca.get()), static_cast<uint32_t>(KU_KEY_CERT_SIGN | KU_CRL_SIGN));
  ASSERT_NE(X509_get0_subject_key_id(ca.get()), nullptr);
  // Leaf: CA:FALSE, serverAuth, its authority key id is the CA's subject key id.
  EXPECT_EQ(X509_get_extension_flags(leaf.get()) & EXFLAG_CA, 0u);
  EXPECT_GE(X509_get_ext_by_NID(leaf.get(), NID_basic_constraints, -1), 0);
  EXPECT_NE(X509_get_extended_key_usage(leaf.get()) & XKU_SSL_SERVER, 0u);
  const ASN1_OCTET_STRING* aki = X509_get0_authority_key_id(leaf.get());
  ASSERT_NE(aki, nullptr);
  EXPECT_EQ(ASN1_OCTET_STRING_cmp(aki, X509_get0_subject_key_id(ca.get())), 0);
  // Both are ECDSA P-256.
  for (X509* cert : {ca.get(), leaf.get()}) {
    EVP_PKEY* key = X509_get0_pubkey(cert);
    ASSERT_NE(key, nullptr);
    EXPECT_TRUE(EVP_PKEY_is_a(key, "EC"));
    char group[64] = {};
    ASSERT_EQ(EVP_PKEY_get_group_name(key, group, sizeof group, nullptr), 1);
    EXPECT_STREQ(group, "prime256v1");
  }
}

TEST(CertsGenerate, ValidityStartsAnHourAgo) {
  Options options;
  options.validity = std::chrono::hours(48);
  const X509Ptr leaf = parse_cert(generate(options).cert_chain_pem);
  int days = 0;
  int seconds = 0;
  // notBefore - now is about -3600 s (a minute of slack for a slow machine).
  ASSERT_EQ(ASN1_TIME_diff(&days, &seconds, nullptr, X509_get0_notBefore(leaf.get())), 1);
  const long before = days * 86400L + seconds;
  EXPECT_LE(before, -3600 + 60);
  EXPECT_GE(before, -3600 - 60);
  ASSERT_EQ(ASN1_TIME_diff(&days, &seconds, nullptr, X509_get0_notAfter(leaf.get())), 1);
  const long after = days * 86400L + seconds;
  EXPECT_NEAR(after, 48 * 3600L, 60);
}

TEST(CertsGenerate, KeyIsPkcs8AndMatchesLeaf) {
  const Bundle bundle = generate();
  EXPECT_EQ(bundle.key_pem.rfind("-----BEGIN PRIVATE KEY-----", 0), 0u) << bundle.key_pem;
  const X509Ptr leaf = parse_cert(bundle.cert_chain_pem);
  const PkeyPtr key = parse_key(bundle.key_pem);
  ASSERT_TRUE(leaf && key);
  EXPECT_EQ(X509_check_private_key(leaf.get(), key.get()), 1);
}

TEST(CertsGenerate, EachCallGivesFreshKeysAndSerials) {
  const Bundle first = generate();
  const Bundle second = generate();
  EXPECT_NE(first.key_pem, second.key_pem);
  EXPECT_NE(first.ca_cert_pem, second.ca_cert_pem);
  const X509Ptr a = parse_cert(first.cert_chain_pem);
  const X509Ptr b = parse_cert(second.cert_chain_pem);
  EXPECT_NE(ASN1_INTEGER_cmp(X509_get0_serialNumber(a.get()), X509_get0_serialNumber(b.get())), 0);
  // Serials are positive (RFC 5280 4.1.2.2).
  BIGNUM* serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(a.get()), nullptr);
  EXPECT_FALSE(BN_is_negative(serial));
  EXPECT_FALSE(BN_is_zero(serial));
  BN_free(serial);
}

TEST(CertsGenerate, BadOptionsAreCertErrors) {
  Options bad_ip;
  bad_ip.ip_addresses = {"not-an-ip"};
  EXPECT_THROW((void)generate(bad_ip), CertError);
  Options empty_dns;
  empty_dns.dns_names = {""};
  EXPECT_THROW((void)generate(empty_dns), CertError);
  Options no_names;
  no_names.dns_names.clear();
  no_names.ip_addresses.clear();
  EXPECT_THROW((void)generate(no_names), CertError);
  Options no_validity;
  no_validity.validity = std::chrono::hours(0);
  EXPECT_THROW((void)generate(no_validity), CertError);
}

TEST(CertsOpensslCli, VerifiesGeneratedChain) {
  // An independent verifier: the openssl command line, not our own code.
  const TempDir dir;
  const Bundle bundle = generate();
  write_pem(dir / "ca.pem", bundle.ca_cert_pem, false);
  write_pem(dir / "leaf.pem", bundle.cert_chain_pem, false);
  const std::string cli = FAULTLINE_OPENSSL_CLI;
  ASSERT_FALSE(cli.empty()) << "openssl CLI not found at configure time";
  const auto [status, output] =
      run("'" + cli + "' verify -purpose sslserver -CAfile '" + (dir / "ca.pem").string() + "' '" +
          (dir / "leaf.pem").string() + "'");
  EXPECT_EQ(status, 0) << output;
  EXPECT_NE(output.find("leaf.pem: OK"), std::string::npos) << output;
  // And a leaf from another CA fails the same command.
  write_pem(dir / "other-ca.pem", generate().ca_cert_pem, false);
  const auto [bad_status, bad_output] =
      run("'" + cli + "' verify -CAfile '" + (dir / "other-ca.pem").string() + "' '" +
          (dir / "leaf.pem").string() + "'");
  EXPECT_NE(bad_status, 0) << bad_output;
}

TEST(CertsFiles, WriteThenLoadRoundTrips) {
  const TempDir dir;
  const Bundle bundle = generate();
  write_pem(dir / "cert.pem", bundle.cert_chain_pem, false);
  write_pem(dir / "key.pem", bundle.key_pem, true);
  write_pem(dir / "ca.pem", bundle.ca_cert_pem, false);
  const Bundle loaded = load_files(dir / "cert.pem", dir / "key.pem", dir / "ca.pem");
  EXPECT_EQ(loaded.cert_chain_pem, bundle.cert_chain_pem);
  EXPECT_EQ(loaded.key_pem, bundle.key_pem);
  EXPECT_EQ(loaded.ca_cert_pem, bundle.ca_cert_pem);
}

TEST(CertsFiles, WithoutCaFileTheCertificateIsTrusted) {
  const TempDir dir;
  const Bundle bundle = generate();
  write_pem(dir / "cert.pem", bundle.cert_chain_pem + bundle.ca_cert_pem, false);
  write_pem(dir / "key.pem", bundle.key_pem, true);
  const Bundle loaded = load_files(dir / "cert.pem", dir / "key.pem");
  // The chain keeps both certificates in order; the trusted one is the leaf.
  EXPECT_EQ(loaded.cert_chain_pem, bundle.cert_chain_pem + bundle.ca_cert_pem);
  EXPECT_EQ(loaded.ca_cert_pem, bundle.cert_chain_pem);
}

TEST(CertsFiles, PrivateKeyModeIs0600AndOthers0644) {
  const TempDir dir;
  const Bundle bundle = generate();
  write_pem(dir / "key.pem", bundle.key_pem, true);
  write_pem(dir / "cert.pem", bundle.cert_chain_pem, false);
  EXPECT_EQ(mode_of(dir / "key.pem"), 0600u);
  EXPECT_EQ(mode_of(dir / "cert.pem"), 0644u);
  // An existing world-readable file is narrowed before the key goes in.
  write_text(dir / "old.pem", "old");
  fs::permissions(dir / "old.pem", fs::perms(0666));
  write_pem(dir / "old.pem", bundle.key_pem, true);
  EXPECT_EQ(mode_of(dir / "old.pem"), 0600u);
}

TEST(CertsFiles, WriteErrorNamesTheFile) {
  const TempDir dir;
  const fs::path file = dir / "missing-dir" / "key.pem";
  expect_cert_error([&] { write_pem(file, "x", true); }, file);
}

TEST(CertsFiles, MismatchedKeyNamesKeyFile) {
  const TempDir dir;
  const Bundle first = generate();
  const Bundle second = generate();
  write_pem(dir / "cert.pem", first.cert_chain_pem, false);
  write_pem(dir / "other-key.pem", second.key_pem, true);
  const std::string message = expect_cert_error(
      [&] { (void)load_files(dir / "cert.pem", dir / "other-key.pem"); }, dir / "other-key.pem");
  EXPECT_NE(message.find("does not match"), std::string::npos) << message;
}

TEST(CertsFiles, MissingFilesAreNamed) {
  const TempDir dir;
  const Bundle bundle = generate();
  write_pem(dir / "cert.pem", bundle.cert_chain_pem, false);
  write_pem(dir / "key.pem", bundle.key_pem, true);
  expect_cert_error([&] { (void)load_files(dir / "nope.pem", dir / "key.pem"); }, dir / "nope.pem");
  expect_cert_error([&] { (void)load_files(dir / "cert.pem", dir / "nokey.pem"); },
                    dir / "nokey.pem");
  expect_cert_error([&] { (void)load_files(dir / "cert.pem", dir / "key.pem", dir / "noca.pem"); },
                    dir / "noca.pem");
  // A directory is not readable as a file.
  fs::create_directory(dir / "adir");
  expect_cert_error([&] { (void)load_files(dir / "adir", dir / "key.pem"); }, dir / "adir");
}

TEST(CertsFiles, GarbageFilesAreNamed) {
  const TempDir dir;
  const Bundle bundle = generate();
  write_pem(dir / "cert.pem", bundle.cert_chain_pem, false);
  write_pem(dir / "key.pem", bundle.key_pem, true);
  write_text(dir / "garbage.pem", "this is not PEM\n");
  write_text(dir / "empty.pem", "");
  // A certificate whose base64 body is damaged.
  std::string damaged = bundle.cert_chain_pem;
  damaged[damaged.size() / 2] = '!';
  write_text(dir / "damaged.pem", damaged);

  expect_cert_error([&] { (void)load_files(dir / "garbage.pem", dir / "key.pem"); },
                    dir / "garbage.pem");
  expect_cert_error([&] { (void)load_files(dir / "empty.pem", dir / "key.pem"); },
                    dir / "empty.pem");
  expect_cert_error([&] { (void)load_files(dir / "damaged.pem", dir / "key.pem"); },
                    dir / "damaged.pem");
  expect_cert_error([&] { (void)load_files(dir / "cert.pem", dir / "garbage.pem"); },
                    dir / "garbage.pem");
  // A certificate where the key should be is not a key.
  expect_cert_error([&] { (void)load_files(dir / "cert.pem", dir / "cert.pem"); },
                    dir / "cert.pem");
  expect_cert_error(
      [&] { (void)load_files(dir / "cert.pem", dir / "key.pem", dir / "garbage.pem"); },
      dir / "garbage.pem");
}

TEST(CertsFiles, EncryptedKeyIsRefusedWithoutPrompt) {
  const TempDir dir;
  const Bundle bundle = generate();
  const PkeyPtr key = parse_key(bundle.key_pem);
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  char pass[] = "secret";
  ASSERT_EQ(PEM_write_bio_PKCS8PrivateKey(bio.get(), key.get(), EVP_aes_128_cbc(), pass, 6, nullptr,
                                          nullptr),
            1);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  write_text(dir / "enc.pem", std::string(data, static_cast<std::size_t>(size)));
  write_pem(dir / "cert.pem", bundle.cert_chain_pem, false);
  expect_cert_error([&] { (void)load_files(dir / "cert.pem", dir / "enc.pem"); }, dir / "enc.pem");
}

}  // namespace
}  // namespace faultline::certs
