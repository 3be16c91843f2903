// The HTTP/1.1 protocol engine: Beast's request parser fed from memory, responses
// written by hand (Content-Length or chunked with trailers), keep-alive and
// pipelining. No sockets here (session.h).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "gates.h"
#include "router.h"
#include "server_context.h"
#include "session.h"

namespace faultline::fake_server::detail {

/** One HTTP/1.1 connection's protocol state. Runs on its connection's strand. */
class H1Session final : public ProtocolSession {
 public:
  explicit H1Session(SessionEnv env);
  ~H1Session() override;
  H1Session(const H1Session&) = delete;
  H1Session& operator=(const H1Session&) = delete;

  void start() override;
  void on_input(std::span<const std::uint8_t> bytes) override;
  void produce_output(std::vector<std::uint8_t>& out, std::size_t max) override;
  [[nodiscard]] bool should_close() const override;
  void on_peer_closed() override;
  void shutdown() override;
  void on_closed(std::string_view reason) override;

  // Parser events (from the Beast parser in h1_session.cpp).
  void on_request_line(std::string_view method, std::string_view target, int version);
  void on_field(std::string_view name, std::string_view value);
  void on_header_done();
  void on_body(std::string_view bytes);

 private:
  class Parser;

  /** Where the current exchange is. */
  enum class State {
    reading,     ///< parsing a request (or waiting for one)
    waiting,     ///< request complete; held at a gate or delayed
    responding,  ///< head sent, body pieces going out
    closing,     ///< nothing more: close once the output is flushed
  };

  void process_input();
  void on_message_done();
  void after_hold();
  void start_response();
  void finish_exchange();
  void fail_request(int status, std::string_view message);
  void append(std::string_view bytes) { out_.append(bytes); }

  SessionEnv env_;
  ScenarioView scenario_;

  std::unique_ptr<Parser> parser_;
  std::string input_;  ///< received, not yet parsed
  std::string out_;    ///< response bytes not yet handed to the connection
  State state_ = State::reading;
  bool peer_closed_ = false;
  bool stopping_ = false;

  // The current exchange.
  RequestHead head_;
  int version_ = 11;
  std::string request_id_;
  std::string content_type_;
  bool expect_continue_ = false;
  bool keep_alive_ = true;
  bool head_only_ = false;
  bool chunked_ = false;
  bool body_paused_ = false;  ///< a pause timer is armed
  RouteMatch match_;
  std::unique_ptr<EchoRecorder> echo_;
  ResponsePlan plan_;
  std::optional<GateRegistry::Ticket> ticket_;
  std::uint64_t exchange_ = 0;  ///< bumped per exchange, so stale timers do nothing
};

}  // namespace faultline::fake_server::detail
