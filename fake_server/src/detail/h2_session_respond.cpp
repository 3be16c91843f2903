// H2Session's response side: a stream's answer planned, held at a gate or delayed, then
// its head, body (nghttp2's data source) and trailers submitted.
#include <algorithm>
#include <array>
#include <charconv>

#include "detail/h2_interim.h"
#include "detail/h2_session_bridge.h"
#include "detail/h2_session_stream.h"
#include "detail/log.h"
#include "detail/server_limits.h"

namespace faultline::fake_server::detail {

namespace {

nghttp2_nv make_nv(std::string_view name, std::string_view value) {
  return nghttp2_nv{const_cast<std::uint8_t*>(reinterpret_cast<const std::uint8_t*>(name.data())),
                    const_cast<std::uint8_t*>(reinterpret_cast<const std::uint8_t*>(value.data())),
                    name.size(), value.size(), NGHTTP2_NV_FLAG_NONE};
}

}  // namespace

void H2Session::answer(Stream& stream) {
  env_.stats->on_request();
  if (stream.tenant.ns) {
    stream.tenant.ns->count_request();
  }
  plan_response_into(stream.plan, stream.match, stream.head, stream.echo.get(),
                     env_.context.origins);
  stream.echo.reset();
  stream.head_only = stream.head.method == "HEAD";
  if (stream.plan.hold && !env_.context.may_hold(held_, *env_.stats)) {
    reject(stream, 503, "too many held streams (limits.max_held_streams or --max-held-streams)");
    return;
  }
  if (stream.plan.hold) {
    const std::int32_t id = stream.id;
    ++held_;
    FAULTLINE_LOG(debug, (LogTag{"h2", env_.stats->id(), id}),
                  "held at gate " << *stream.plan.hold);
    auto resume = env_.host.make_waker([this, id] {
      if (Stream* held = find(id)) {
        held->ticket.reset();
        --held_;
        after_hold(id);
      }
    });
    stream.ticket = hold_at_gate(env_.context, stream.tenant, *stream.match.scenario,
                                 *stream.plan.hold, std::move(resume));
    return;
  }
  after_hold(stream.id);
}

void H2Session::after_hold(std::int32_t stream_id) {
  Stream* stream = find(stream_id);
  if (stream == nullptr) {
    return;
  }
  if (stream->plan.delay.count() > 0) {
    env_.host.run_after(stream->plan.delay, [this, stream_id] {
      if (Stream* delayed = find(stream_id)) {
        submit_response(*delayed);
      }
    });
    return;
  }
  submit_response(*stream);
}

void H2Session::submit_response(Stream& stream) {
  if (faults_->abandoned(stream.id)) {
    return;  // above a GOAWAY's last-stream-id: nothing more goes out on it
  }
  const ResponsePlan& plan = stream.plan;
  for (const auto& interim : plan.informational) {
    submit_interim(session_.get(), stream.id, interim.status, interim.headers);
  }
  std::array<char, 8> status{};
  const auto status_end = std::to_chars(status.data(), status.data() + status.size(), plan.status);
  std::array<char, 24> length{};
  std::string_view length_text;
  const std::optional<std::uint64_t> size =
      plan.body ? plan.body->size() : std::optional<std::uint64_t>(0);
  if (size) {
    const auto end = std::to_chars(length.data(), length.data() + length.size(), *size);
    length_text =
        std::string_view(length.data(), static_cast<std::size_t>(end.ptr - length.data()));
  }

  std::vector<nghttp2_nv>& nva = nva_;  // reused: nghttp2 copies the fields on submit
  nva.clear();
  nva.push_back(make_nv(
      ":status",
      std::string_view(status.data(), static_cast<std::size_t>(status_end.ptr - status.data()))));
  for (const auto& [name, value] : plan.headers) {
    nva.push_back(make_nv(name, value));
  }
  std::vector<std::string>& declared = declared_lengths_;  // alive until the submit below
  declared.clear();
  if (plan.content_length) {
    for (const auto value : plan.content_length->values) {
      declared.push_back(std::to_string(value));
    }
    for (const auto& value : declared) {
      nva.push_back(make_nv("content-length", value));
    }
  } else if (!length_text.empty()) {
    nva.push_back(make_nv("content-length", length_text));
  }
  if (!stream.request_id.empty()) {
    nva.push_back(make_nv(kRequestIdHeader, stream.request_id));
  }

  const bool has_body =
      (!stream.head_only && ((plan.body && !plan.body->done()) || !plan.trailers.empty())) ||
      faults_->needs_body(stream.id);
  nghttp2_data_provider provider{};
  provider.read_callback = h2_read_body;
  const int rv = nghttp2_submit_response(session_.get(), stream.id, nva.data(), nva.size(),
                                         has_body ? &provider : nullptr);
  if (rv == 0 && plan.header_block) {
    faults_->arm_header_block(stream.id, *plan.header_block, plan.informational.size());
  }
  if (rv != 0) {
    FAULTLINE_LOG(debug, (LogTag{"h2", env_.stats->id(), stream.id}),
                  "nghttp2_submit_response: " << nghttp2_strerror(rv));
    return;
  }
  env_.host.signal_write();
}

void H2Session::submit_trailers(Stream& stream, std::uint32_t* data_flags) {
  if (stream.plan.trailers.empty()) {
    return;
  }
  std::vector<nghttp2_nv>& nva = nva_;
  nva.clear();
  for (const auto& [name, value] : stream.plan.trailers) {
    nva.push_back(make_nv(name, value));
  }
  const int rv = nghttp2_submit_trailer(session_.get(), stream.id, nva.data(), nva.size());
  if (rv == 0) {
    *data_flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
  }
}

ssize_t H2Session::on_read_body(std::int32_t stream_id, std::uint8_t* buf, std::size_t length,
                                std::uint32_t* data_flags) {
  Stream* stream = find(stream_id);
  if (stream != nullptr) {
    const std::optional<std::uint64_t> size =
        stream->plan.body ? stream->plan.body->size() : std::optional<std::uint64_t>(0);
    if (const auto budget = faults_->body_budget(stream_id, size)) {
      if (*budget == 0) {
        return NGHTTP2_ERR_DEFERRED;  // cut here by a fault: nothing more on this stream
      }
      length = static_cast<std::size_t>(std::min<std::uint64_t>(length, *budget));
    }
  }
  if (stream == nullptr || !stream->plan.body) {
    *data_flags |= NGHTTP2_DATA_FLAG_EOF;
    if (stream != nullptr) {
      submit_trailers(*stream, data_flags);
    }
    return 0;
  }
  BodySource& body = *stream->plan.body;
  if (const auto delay = body.take_delay(); delay.count() > 0) {
    env_.host.run_after(delay, [this, stream_id] { resume(stream_id); });
    return NGHTTP2_ERR_DEFERRED;
  }
  const std::size_t n = body.read({buf, length});
  faults_->on_body_sent(stream_id, n);
  if (body.done()) {
    *data_flags |= NGHTTP2_DATA_FLAG_EOF;
    submit_trailers(*stream, data_flags);
  } else if (n == 0) {
    // Nothing now and no pause owed: try again on the next turn rather than spin.
    env_.host.run_after(std::chrono::milliseconds(0), [this, stream_id] { resume(stream_id); });
    return NGHTTP2_ERR_DEFERRED;
  }
  return static_cast<ssize_t>(n);
}

void H2Session::resume(std::int32_t stream_id) {
  if (find(stream_id) == nullptr) {
    return;
  }
  if (nghttp2_session_resume_data(session_.get(), stream_id) == 0) {
    env_.host.signal_write();
  }
}

}  // namespace faultline::fake_server::detail
