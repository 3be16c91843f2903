// The HTTP/1.1 protocol engine: Beast's request parser fed from memory, responses
// written by hand (Content-Length or chunked with trailers), keep-alive and
// pipelining. No sockets here (session.h).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "detail/connection_faults.h"
#include "detail/gates.h"
#include "detail/router.h"
#include "detail/server_context.h"
#include "detail/session.h"
#include "detail/tenant.h"

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
  void apply_admin(const AdminAction& action) override;
  [[nodiscard]] SessionPhase phase() const override;
  [[nodiscard]] bool wants_input() const override;

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
  /** The route answers early (respond.early): the response goes out now, the body stays
      unread and the connection closes after the response. */
  void answer_early();
  void answer();
  void after_hold();
  void start_response();
  void finish_exchange();
  void fail_request(int status, std::string_view message);
  void append(std::string_view bytes) { out_.append(bytes); }
  // Faults, with their HTTP/1.1 meaning (docs/scenarios.md, "HTTP/1.1 meaning").
  void act(const scenarios::Action& action, bool on_request);
  void fault_close(scenarios::CloseMode mode, const std::string& reason);
  /** Body bytes the current response may still send before a fault's cut. */
  [[nodiscard]] std::optional<std::uint64_t> cut_budget() const;

  SessionEnv env_;
  ScenarioView scenario_;

  std::unique_ptr<Parser> parser_;
  std::string input_;                      ///< received, not yet parsed
  std::string out_;                        ///< response bytes not yet handed to the connection
  std::uint32_t max_pipelined_bytes_ = 0;  ///< limits.max_pipelined_bytes (0: no bound)
  State state_ = State::reading;
  bool peer_closed_ = false;
  bool stopping_ = false;

  // The current exchange.
  RequestHead head_;
  int version_ = 11;
  std::string request_id_;
  std::string content_type_;
  std::string ns_header_, scenario_header_;  ///< x-faultline-namespace, x-faultline-scenario
  Tenant tenant_;                            ///< what it chose (docs/admin-api.md, "Namespaces")
  std::optional<TenantError> tenant_error_;
  bool expect_continue_ = false;
  bool early_ = false;  ///< the route answers on the head (respond.early)
  bool keep_alive_ = true;
  bool head_only_ = false;
  bool chunked_ = false;
  bool body_paused_ = false;  ///< a pause timer is armed
  RouteMatch match_;
  std::unique_ptr<EchoRecorder> echo_;
  ResponsePlan plan_;
  std::optional<GateRegistry::Ticket> ticket_;
  std::uint64_t exchange_ = 0;  ///< bumped per exchange, so stale timers do nothing

  std::unique_ptr<ConnectionFaults> faults_;  ///< set on the first start()
  std::uint64_t requests_opened_ = 0;
  std::vector<const scenarios::Action*> next_request_;  ///< stream-bound, for the next request
  std::vector<std::shared_ptr<const AdminAction>> admin_keep_;
  const scenarios::Action* cut_ = nullptr;  ///< this exchange's cut (rst_stream / close)
  std::uint64_t cut_sent_ = 0;              ///< body bytes sent towards the cut
  bool goaway_ = false;                     ///< close after the response in progress / next
  bool dead_ = false;                       ///< a fault is closing the connection
};

}  // namespace faultline::fake_server::detail
