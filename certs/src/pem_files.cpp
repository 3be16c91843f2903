// load_files() and write_pem(): the user's own PEM files in, generated PEM out.
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "detail/ossl.h"
#include "faultline/certs/certs.h"

namespace faultline::certs {
namespace {

using namespace detail;

constexpr mode_t kPrivateKeyMode = 0600;
constexpr mode_t kPublicMode = 0644;
constexpr std::size_t kReadChunk = 16 * 1024;
/** PEM files are small; anything bigger is not what the user meant to pass. */
constexpr std::size_t kMaxPemFileBytes = 16u << 20;

std::string name_of(const std::filesystem::path& file) {
  return file.string();
}

[[noreturn]] void throw_file(const std::filesystem::path& file, const std::string& problem) {
  throw CertError(name_of(file) + ": " + problem);
}

std::string errno_text(int err) {
  return std::strerror(err);
}

/** Closes a descriptor on scope exit. */
class Fd {
 public:
  explicit Fd(int fd) noexcept : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  [[nodiscard]] int get() const noexcept { return fd_; }
  /** Closes now, returning close()'s errno (0 on success). */
  int close() noexcept {
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc == 0 ? 0 : errno;
  }

 private:
  int fd_;
};

std::string read_whole_file(const std::filesystem::path& file) {
  Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    throw_file(file, "cannot open: " + errno_text(errno));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    throw_file(file, "cannot stat: " + errno_text(errno));
  }
  if (!S_ISREG(st.st_mode)) {
    throw_file(file, "not a regular file");
  }
  std::string text;
  char buf[kReadChunk];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      throw_file(file, "cannot read: " + errno_text(errno));
    }
    if (n == 0) {
      break;
    }
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > kMaxPemFileBytes) {
      throw_file(file, "too large for a PEM file");
    }
  }
  return text;
}

/** Every certificate in a PEM file, in order; at least one or CertError. */
std::vector<X509Ptr> parse_certs(const std::filesystem::path& file, const std::string& text) {
  BioPtr bio = memory_bio(text);
  std::vector<X509Ptr> certs;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    certs.emplace_back(cert);
  }
  // The loop ends with "no start line" once the input is exhausted; anything else
  // (a damaged certificate) is a real error.
  const unsigned long last = ERR_peek_last_error();
  const bool clean_end =
      ERR_GET_LIB(last) == ERR_LIB_PEM && ERR_GET_REASON(last) == PEM_R_NO_START_LINE;
  if (!clean_end && last != 0) {
    throw_file(file, "not a valid PEM certificate (" + last_error_reason() + ")");
  }
  if (certs.empty()) {
    ERR_clear_error();
    throw_file(file, "no PEM certificate found");
  }
  ERR_clear_error();
  return certs;
}

/** Refuses any passphrase prompt: encrypted keys are reported, not asked for. */
int no_passphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*u*/) {
  return -1;
}

PkeyPtr parse_key(const std::filesystem::path& file, const std::string& text) {
  BioPtr bio = memory_bio(text);
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr));
  if (!key) {
    if (text.find("PRIVATE KEY-----") == std::string::npos) {
      ERR_clear_error();
      throw_file(file, "no PEM private key found");
    }
    throw_file(file, "not an unencrypted PEM private key (" + last_error_reason() + ")");
  }
  ERR_clear_error();
  return key;
}

std::string pem_of(const std::vector<X509Ptr>& certs) {
  std::string pem;
  for (const X509Ptr& cert : certs) {
    pem += cert_pem(cert.get());
  }
  return pem;
}

}  // namespace

Bundle load_files(const std::filesystem::path& cert_file, const std::filesystem::path& key_file,
                  const std::optional<std::filesystem::path>& ca_file) {
  const std::vector<X509Ptr> chain = parse_certs(cert_file, read_whole_file(cert_file));
  const PkeyPtr key = parse_key(key_file, read_whole_file(key_file));
  if (X509_check_private_key(chain.front().get(), key.get()) != 1) {
    ERR_clear_error();
    throw_file(key_file, "does not match " + name_of(cert_file));
  }
  Bundle bundle;
  bundle.cert_chain_pem = pem_of(chain);
  bundle.key_pem = key_pem(key.get());
  if (ca_file) {
    bundle.ca_cert_pem = pem_of(parse_certs(*ca_file, read_whole_file(*ca_file)));
  } else {
    // Self-signed input: clients trust the certificate itself.
    bundle.ca_cert_pem = cert_pem(chain.front().get());
  }
  return bundle;
}

void write_pem(const std::filesystem::path& file, std::string_view pem, bool private_key) {
  const mode_t mode = private_key ? kPrivateKeyMode : kPublicMode;
  Fd fd(::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode));
  if (fd.get() < 0) {
    throw_file(file, "cannot create: " + errno_text(errno));
  }
  // The file may have existed with a wider mode, and umask narrows new files: set the
  // exact mode before a single byte of the key is written.
  if (::fchmod(fd.get(), mode) != 0) {
    throw_file(file, "cannot set mode: " + errno_text(errno));
  }
  while (!pem.empty()) {
    const ssize_t n = ::write(fd.get(), pem.data(), pem.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      throw_file(file, "cannot write: " + errno_text(errno));
    }
    pem.remove_prefix(static_cast<std::size_t>(n));
  }
  if (const int err = fd.close(); err != 0) {
    throw_file(file, "cannot write: " + errno_text(err));
  }
}

}  // namespace faultline::certs
