// nghttpd (nghttp2's server) as an independent HTTPS/h2 peer for driver tests: a
// self-signed certificate made with the openssl CLI, a document root with known files,
// --echo-upload for POST/PUT, bound to 127.0.0.1 on a port the kernel picks.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

namespace faultline::harness::testing {

class NghttpdPeer {
 public:
  /** Starts nghttpd; throws std::runtime_error with what went wrong. */
  NghttpdPeer();
  ~NghttpdPeer();
  NghttpdPeer(const NghttpdPeer&) = delete;
  NghttpdPeer& operator=(const NghttpdPeer&) = delete;

  /** "https://127.0.0.1:PORT". */
  [[nodiscard]] const std::string& origin() const noexcept { return origin_; }
  /** The certificate to trust (self-signed). */
  [[nodiscard]] std::filesystem::path ca() const { return dir_ / "cert.pem"; }
  /** The content of /hello.txt. */
  [[nodiscard]] static std::string hello_body();
  /** The content of /1m.bin (1 MiB, deterministic). */
  [[nodiscard]] static std::string megabyte_body();
  /** /huge.bin is a 4 GiB sparse file: a transfer that cannot end while a test runs. */
  [[nodiscard]] std::string url(const std::string& path) const { return origin_ + path; }
  [[nodiscard]] std::string stderr_text() const;

 private:
  struct Child;
  std::filesystem::path dir_;
  std::string origin_;
  std::unique_ptr<Child> child_;
};

/** The port a process listens on (TCP, IPv4 or IPv6), found through /proc; 0 if none. */
[[nodiscard]] int listening_port(int pid);

}  // namespace faultline::harness::testing
