#include "faultline/transport/multipart.h"

#include <random>
#include <stdexcept>

#include "detail/text.h"

namespace faultline::transport {
namespace {

constexpr std::size_t kMaxBoundary = 70;  // RFC 2046 section 5.1.1

bool valid_boundary(std::string_view b) {
  if (b.empty() || b.size() > kMaxBoundary || b.back() == ' ') {
    return false;
  }
  for (char c : b) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::string_view("'()+_,-./:=? ").find(c) != std::string_view::npos;
    if (!ok) {
      return false;
    }
  }
  return true;
}

std::string random_boundary() {
  static constexpr char kAlphabet[] =
      "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  std::random_device device;
  std::uniform_int_distribution<std::size_t> pick(0, sizeof(kAlphabet) - 2);
  std::string out = "faultline-";
  for (int i = 0; i < 32; ++i) {
    out.push_back(kAlphabet[pick(device)]);
  }
  return out;
}

/** A quoted-string for a disposition parameter; rejects line breaks. */
std::string quoted(std::string_view what, std::string_view s) {
  if (!detail::is_field_value(s)) {
    throw std::invalid_argument("multipart: " + std::string(what) + " contains CR, LF or NUL");
  }
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
    }
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

}  // namespace

MultipartBuilder::MultipartBuilder() : boundary_(random_boundary()) {}

MultipartBuilder::MultipartBuilder(std::string boundary) : boundary_(std::move(boundary)) {
  if (!valid_boundary(boundary_)) {
    throw std::invalid_argument("multipart: invalid boundary \"" + boundary_ + "\"");
  }
}

MultipartBuilder& MultipartBuilder::add_field(std::string_view name, std::string_view value) {
  add_part("form-data; name=" + quoted("name", name), {}, value);
  return *this;
}

MultipartBuilder& MultipartBuilder::add_file(std::string_view name, std::string_view filename,
                                             std::string_view content,
                                             std::string_view content_type) {
  if (!detail::is_field_value(content_type)) {
    throw std::invalid_argument("multipart: content type contains CR, LF or NUL");
  }
  add_part("form-data; name=" + quoted("name", name) + "; filename=" + quoted("filename", filename),
           content_type, content);
  return *this;
}

void MultipartBuilder::add_part(std::string_view disposition, std::string_view content_type,
                                std::string_view content) {
  parts_ += "--";
  parts_ += boundary_;
  parts_ += "\r\ncontent-disposition: ";
  parts_ += disposition;
  parts_ += "\r\n";
  if (!content_type.empty()) {
    parts_ += "content-type: ";
    parts_ += content_type;
    parts_ += "\r\n";
  }
  parts_ += "\r\n";
  parts_ += content;
  parts_ += "\r\n";
}

std::string MultipartBuilder::content_type() const {
  return "multipart/form-data; boundary=" + boundary_;
}

std::string MultipartBuilder::build() const {
  return parts_ + "--" + boundary_ + "--\r\n";
}

void MultipartBuilder::apply_to(Request& request) const {
  std::erase_if(request.headers,
                [](const Header& h) { return detail::iequals(h.first, "content-type"); });
  request.headers.emplace_back("content-type", content_type());
  request.body = Body::bytes(build());
}

}  // namespace faultline::transport
