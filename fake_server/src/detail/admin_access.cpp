#include "detail/admin_access.h"

#include <openssl/crypto.h>

#include <boost/asio/ip/address.hpp>

#include "detail/text.h"
#include "faultline/common/sha256.h"

namespace faultline::fake_server::detail {

namespace {

/** The host of a Host value ("127.0.0.1:8080" -> "127.0.0.1", "[::1]:80" -> "::1");
    nullopt when malformed. */
std::optional<std::string_view> host_of(std::string_view authority) {
  if (authority.empty()) {
    return std::nullopt;
  }
  if (authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return std::nullopt;
    }
    const std::string_view rest = authority.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') {
      return std::nullopt;
    }
    return authority.substr(1, close - 1);
  }
  const std::size_t colon = authority.find(':');
  if (colon != std::string_view::npos && authority.find(':', colon + 1) != std::string_view::npos) {
    return std::nullopt;  // an IPv6 address needs brackets
  }
  return authority.substr(0, colon);
}

bool is_ip_literal(std::string_view host) {
  boost::system::error_code ec;
  (void)boost::asio::ip::make_address(std::string(host), ec);
  return !ec;
}

bool is_unspecified(std::string_view address) {
  boost::system::error_code ec;
  const auto parsed = boost::asio::ip::make_address(std::string(address), ec);
  return !ec && parsed.is_unspecified();
}

/** A Host the admin API answers to: a loopback name or address, or the bound address.
    Bound to an unspecified address (0.0.0.0, ::), any IP literal; never another name:
    a name is what a DNS-rebinding page would send. */
bool host_allowed(const AdminAccessPolicy& policy, std::string_view host) {
  if (iequals(host, "localhost") || is_loopback_address(host)) {
    return true;
  }
  if (host == policy.bound_address) {
    return true;
  }
  return is_unspecified(policy.bound_address) && is_ip_literal(host);
}

AdminReply refuse(int status, std::string_view message) {
  return admin_error(status, message);
}

/** The media type of a Content-Type value, without parameters. */
std::string_view media_type(std::string_view content_type) {
  return trim(content_type.substr(0, content_type.find(';')));
}

}  // namespace

bool is_loopback_address(std::string_view address) {
  boost::system::error_code ec;
  const auto parsed = boost::asio::ip::make_address(std::string(address), ec);
  if (ec) {
    return false;
  }
  if (parsed.is_v6() && parsed.to_v6().is_v4_mapped()) {
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, parsed.to_v6())
        .is_loopback();
  }
  return parsed.is_loopback();
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  const std::string da = common::sha256_hex(a);
  const std::string db = common::sha256_hex(b);
  return CRYPTO_memcmp(da.data(), db.data(), da.size()) == 0;
}

std::optional<AdminReply> check_admin_access(const AdminAccessPolicy& policy,
                                             const AdminRequestFacts& request) {
  // Host: a browser tricked by DNS rebinding sends the attacker's name here.
  if (!request.host) {
    return refuse(400, "a Host header is required");
  }
  const auto host = host_of(trim(*request.host));
  if (!host) {
    return refuse(400, "malformed Host header");
  }
  if (!host_allowed(policy, *host)) {
    return refuse(403, "Host \"" + std::string(*host) +
                           "\" is not allowed: use a loopback name or the admin address");
  }
  // A browser page of another origin: browsers send Origin with every cross-origin
  // POST/PUT and Sec-Fetch-Site with every request; tools send neither.
  if (request.origin && trim(*request.origin) != "http://" + std::string(trim(*request.host))) {
    return refuse(403, "cross-origin requests are refused (Origin " +
                           std::string(trim(*request.origin)) + ")");
  }
  if (request.sec_fetch_site) {
    const std::string_view site = trim(*request.sec_fetch_site);
    if (!iequals(site, "same-origin") && !iequals(site, "none")) {
      return refuse(403,
                    "cross-site requests are refused (Sec-Fetch-Site " + std::string(site) + ")");
    }
  }
  if (!policy.token.empty()) {
    constexpr std::string_view kScheme = "bearer ";
    const std::string_view value = request.authorization ? trim(*request.authorization) : "";
    const bool bearer = value.size() > kScheme.size() && iequals(value.substr(0, 7), kScheme);
    if (!bearer || !constant_time_equal(trim(value.substr(kScheme.size())), policy.token)) {
      return refuse(401, "a valid \"Authorization: Bearer TOKEN\" is required");
    }
  }
  // A body must say it is JSON: text/plain and form bodies are what a page can send
  // without a CORS preflight.
  if (request.body_bytes > 0 &&
      (!request.content_type || !iequals(media_type(*request.content_type), "application/json"))) {
    return refuse(415, "a request body must be sent as Content-Type: application/json");
  }
  return std::nullopt;
}

}  // namespace faultline::fake_server::detail
