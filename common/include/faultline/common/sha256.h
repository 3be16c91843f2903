// SHA-256 through OpenSSL EVP: streaming, and of a whole buffer (lower-case hex).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

struct evp_md_ctx_st;

namespace faultline::common {

/** Incremental SHA-256. Not copyable; one digest per object. */
class Sha256 {
 public:
  Sha256();
  Sha256(Sha256&&) noexcept = default;
  Sha256& operator=(Sha256&&) noexcept = default;
  ~Sha256();

  void update(std::span<const std::uint8_t> bytes);
  void update(std::string_view bytes);
  /** Lower-case hex of the digest; call once, at the end. */
  [[nodiscard]] std::string hex_digest();

 private:
  struct Free {
    void operator()(evp_md_ctx_st* ctx) const noexcept;
  };
  std::unique_ptr<evp_md_ctx_st, Free> ctx_;
};

/** SHA-256 of a whole buffer, lower-case hex. */
[[nodiscard]] std::string sha256_hex(std::string_view bytes);

}  // namespace faultline::common
