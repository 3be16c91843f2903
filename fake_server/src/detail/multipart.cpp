#include "detail/multipart.h"

#include <algorithm>
#include <cctype>

#include "detail/server_limits.h"
#include "detail/text.h"

namespace faultline::fake_server::detail {

namespace {

/** Finds parameter `key` in "type; a=b; key="v"" (value unquoted); nullopt if absent. */
std::optional<std::string> header_param(std::string_view value, std::string_view key) {
  std::size_t i = value.find(';');
  while (i != std::string_view::npos) {
    ++i;  // past ';'
    const std::size_t eq = value.find('=', i);
    if (eq == std::string_view::npos) {
      return std::nullopt;
    }
    const std::string name = to_lower(trim(value.substr(i, eq - i)));
    i = eq + 1;
    while (i < value.size() && (value[i] == ' ' || value[i] == '\t')) {
      ++i;
    }
    std::string param;
    if (i < value.size() && value[i] == '"') {
      for (++i; i < value.size() && value[i] != '"'; ++i) {
        if (value[i] == '\\' && i + 1 < value.size()) {
          ++i;
        }
        param += value[i];
      }
      i = value.find(';', i);
    } else {
      const std::size_t semi = value.find(';', i);
      param = std::string(trim(value.substr(i, semi == std::string_view::npos ? semi : semi - i)));
      i = semi;
    }
    if (name == key) {
      return param;
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> multipart_boundary(std::string_view content_type) {
  const std::string type = to_lower(trim(content_type.substr(0, content_type.find(';'))));
  if (type != "multipart/form-data") {
    return std::nullopt;
  }
  auto boundary = header_param(content_type, "boundary");
  if (!boundary || boundary->empty() || boundary->size() > 70) {
    return std::nullopt;
  }
  return boundary;
}

MultipartParser::MultipartParser(std::string boundary) : delimiter_("\r\n--" + boundary) {
  // The first delimiter has no CRLF in front of it; pretend it had one.
  pending_ = "\r\n";
}

void MultipartParser::feed(std::string_view bytes) {
  if (state_ == State::done || state_ == State::failed) {
    return;
  }
  pending_.append(bytes);
  process();
}

void MultipartParser::finish() {
  if (state_ == State::body) {
    // Body ended without a closing delimiter: report what arrived.
    if (part_sha_) {
      part_sha_->update(pending_);
      parts_.back().bytes += pending_.size();
      parts_.back().sha256 = part_sha_->hex_digest();
      part_sha_.reset();
    }
    pending_.clear();
    fail("body ended inside a part");
  } else if (state_ != State::done && state_ != State::failed) {
    fail("body ended before the closing delimiter");
  }
}

void MultipartParser::fail(std::string message) {
  if (error_.empty()) {
    error_ = std::move(message);
  }
  state_ = State::failed;
  pending_.clear();
}

// Looks for the delimiter in pending_. In the body, bytes before it belong to the
// current part; in the preamble they are dropped. Returns true when found (pending_
// then starts right after it).
bool MultipartParser::scan_for_delimiter(bool in_body) {
  const std::size_t at = pending_.find(delimiter_);
  const std::size_t keep = delimiter_.size() - 1;
  std::size_t take = 0;
  if (at != std::string::npos) {
    take = at;
  } else if (pending_.size() > keep) {
    take = pending_.size() - keep;  // the tail may be the start of a delimiter
  }
  if (in_body && take > 0) {
    part_sha_->update(std::string_view(pending_).substr(0, take));
    parts_.back().bytes += take;
  }
  if (at == std::string::npos) {
    pending_.erase(0, take);
    return false;
  }
  pending_.erase(0, at + delimiter_.size());
  if (in_body) {
    parts_.back().sha256 = part_sha_->hex_digest();
    part_sha_.reset();
  }
  return true;
}

void MultipartParser::process() {
  for (;;) {
    switch (state_) {
      case State::preamble:
      case State::body:
        if (!scan_for_delimiter(state_ == State::body)) {
          return;
        }
        state_ = State::after_delim;
        break;
      case State::after_delim: {
        if (pending_.size() < 2) {
          return;
        }
        if (pending_.compare(0, 2, "--") == 0) {
          state_ = State::done;
          pending_.clear();
          return;
        }
        // Transport padding (spaces/tabs) may follow the boundary before CRLF.
        const std::size_t crlf = pending_.find("\r\n");
        if (crlf == std::string::npos) {
          if (pending_.size() > kMaxMultipartPadding) {
            fail("garbage after a delimiter");
          }
          return;
        }
        if (!trim(std::string_view(pending_).substr(0, crlf)).empty()) {
          fail("garbage after a delimiter");
          return;
        }
        pending_.erase(0, crlf + 2);
        state_ = State::headers;
        break;
      }
      case State::headers: {
        const std::size_t end = pending_.find("\r\n\r\n");
        // A part without headers starts its body right away.
        const bool empty_block = pending_.compare(0, 2, "\r\n") == 0;
        if (end == std::string::npos && !empty_block) {
          if (pending_.size() > kMaxMultipartHeaderBytes) {
            fail("part headers too large");
          }
          return;
        }
        const std::size_t block_end = empty_block ? 0 : end;
        parse_part_headers(std::string_view(pending_).substr(0, block_end));
        pending_.erase(0, empty_block ? 2 : end + 4);
        part_sha_.emplace();
        // The body scan needs the CRLF that precedes the next delimiter: it is part of
        // delimiter_, so the body starts here.
        state_ = State::body;
        break;
      }
      case State::done:
      case State::failed:
        return;
    }
  }
}

void MultipartParser::parse_part_headers(std::string_view block) {
  PartDigest part;
  while (!block.empty()) {
    const std::size_t eol = block.find("\r\n");
    const std::string_view line = block.substr(0, eol);
    block = eol == std::string_view::npos ? std::string_view{} : block.substr(eol + 2);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      continue;
    }
    const std::string name = to_lower(trim(line.substr(0, colon)));
    const std::string_view value = trim(line.substr(colon + 1));
    if (name == "content-disposition") {
      part.name = header_param(value, "name").value_or("");
      part.filename = header_param(value, "filename").value_or("");
    } else if (name == "content-type") {
      part.content_type = std::string(value);
    }
  }
  parts_.push_back(std::move(part));
}

}  // namespace faultline::fake_server::detail
