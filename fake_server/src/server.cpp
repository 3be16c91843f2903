#include "faultline/fake_server/server.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <thread>

#include "detail/admin_server.h"
#include "detail/io_loop.h"
#include "detail/listener.h"
#include "detail/log.h"
#include "detail/server_context.h"
#include "detail/tls_context.h"
#include "faultline/certs/certs.h"

namespace faultline::fake_server {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using detail::LogTag;

namespace {

std::string origin(bool tls, const asio::ip::address& address, std::uint16_t port) {
  std::string host = address.to_string();
  if (address.is_v6()) {
    host = "[" + host + "]";
  }
  return std::string(tls ? "https://" : "http://") + host + ":" + std::to_string(port);
}

/** A fresh private directory under the system temp dir (mode 0700). */
std::filesystem::path make_private_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "faultline-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw ServerError(errc::io_failed, "cannot create a temporary directory in " +
                                           std::filesystem::temp_directory_path().string());
  }
  return pattern;
}

}  // namespace

struct Server::Impl {
  explicit Impl(Options opts)
      : options(std::move(opts)),
        context(std::make_unique<detail::ServerContext>(options.scenario)),
        io(static_cast<int>(std::max(1u, options.threads))) {}

  ~Impl() {
    listeners.clear();
    admin.reset();
    if (!temp_dir.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(temp_dir, ignored);
    }
  }

  certs::Bundle load_bundle() {
    try {
      if (options.cert_files) {
        return certs::load_files(options.cert_files->cert, options.cert_files->key,
                                 options.cert_files->ca);
      }
      return certs::generate();
    } catch (const certs::CertError& e) {
      throw ServerError(errc::tls_failed, e.what());
    }
  }

  void write_certificates(const certs::Bundle& bundle) {
    std::filesystem::path dir;
    if (options.cert_dir) {
      dir = *options.cert_dir;
      std::error_code ec;
      std::filesystem::create_directories(dir, ec);
      if (ec) {
        throw ServerError(errc::io_failed,
                          "--cert-dir " + dir.string() + ": cannot create: " + ec.message());
      }
    } else {
      dir = temp_dir = make_private_dir();
    }
    try {
      certs::write_pem(dir / "ca.pem", bundle.ca_cert_pem, false);
      certs::write_pem(dir / "cert.pem", bundle.cert_chain_pem, false);
      certs::write_pem(dir / "key.pem", bundle.key_pem, true);
    } catch (const certs::CertError& e) {
      throw ServerError(errc::io_failed, e.what());
    }
    ready.ca = (dir / "ca.pem").string();
  }

  void bind() {
    const scenarios::Scenario& scenario = options.scenario;
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(options.listen_host, ec);
    if (ec) {
      throw ServerError(errc::invalid_argument,
                        "--listen: not an IP address: " + options.listen_host);
    }
    const certs::Bundle bundle = load_bundle();
    write_certificates(bundle);

    for (std::size_t i = 0; i < scenario.listeners.size(); ++i) {
      const scenarios::Listener& spec = scenario.listeners[i];
      auto state = std::make_unique<detail::ListenerState>();
      state->name = spec.name;
      state->tls = spec.tls;
      state->alpn.store(spec.alpn);
      state->handshake_delay_ms.store(spec.handshake_delay_ms);
      auto& ref = *state;
      context->listeners.push_back(std::move(state));
      std::unique_ptr<asio::ssl::context> tls_context;
      if (spec.tls) {
        tls_context = detail::make_tls_context(bundle, ref);
      }
      const std::uint16_t port = i == 0 ? options.listen_port : 0;
      listeners.push_back(std::make_unique<detail::Listener>(
          io, *context, ref, tcp::endpoint(address, port), tls_context.get()));
      tls.push_back(std::move(tls_context));
      ref.origin = origin(spec.tls, address, listeners.back()->port());
      context->origins.emplace(ref.name, ref.origin);
      ready.listeners.emplace_back(ref.name, ref.origin);
      if (spec.tls && ready.https.empty()) {
        ready.https = ref.origin;
      }
      if (!spec.tls && ready.http.empty()) {
        ready.http = ref.origin;
      }
    }
    for (const auto& route : scenario.routes) {
      if (route.respond.hold) {
        context->gates.declare(*route.respond.hold);
      }
    }
    context->gates.configure(scenario.gates);
    const auto admin_address = asio::ip::make_address(options.admin_host, ec);
    if (ec) {
      throw ServerError(errc::invalid_argument,
                        "--admin: not an IP address: " + options.admin_host);
    }
    // Anyone who reaches the admin API can reconfigure the server: beyond loopback only
    // with a token.
    if (!detail::is_loopback_address(options.admin_host) && options.admin_token.empty()) {
      throw ServerError(errc::invalid_argument,
                        "--admin " + options.admin_host +
                            " is not a loopback address: give --admin-token (or "
                            "FAULTLINE_ADMIN_TOKEN) to expose the admin API");
    }
    context->caps = {options.max_connections, options.max_held_streams};
    detail::AdminServerOptions admin_options;
    admin_options.access = {options.admin_token, options.admin_host};
    admin_options.idle_timeout = options.admin_idle_timeout;
    admin_options.max_connections = options.admin_max_connections;
    admin = std::make_unique<detail::AdminServer>(*context, options.admin_host, options.admin_port,
                                                  std::move(admin_options));
    ready.admin = origin(false, admin_address, admin->port());
    ready.pid = static_cast<long>(::getpid());
    ready.scenario = scenario.name;
  }

  /** Installed before anything is announced, so that a signal right after the ready
      line stops the server gracefully. */
  void catch_signals() {
    if (!options.stop_on_signals) {
      return;
    }
    signals.emplace(io, SIGINT, SIGTERM);
    signals->async_wait([this](const boost::system::error_code& ec, int signal) {
      if (ec) {
        return;
      }
      FAULTLINE_LOG(info, (LogTag{"server"}), "signal " << signal << ": stopping");
      stop();
    });
  }

  void run() {
    admin->start();
    for (auto& listener : listeners) {
      listener->start();
    }
    FAULTLINE_LOG(info, (LogTag{"server"}),
                  "serving scenario " << options.scenario.name << " on " << ready.listeners.size()
                                      << " listener(s)");
    std::vector<std::thread> extra;
    for (unsigned i = 1; i < std::max(1u, options.threads); ++i) {
      extra.emplace_back([this] { detail::run_io_loop(io, "server"); });
    }
    detail::run_io_loop(io, "server");
    for (auto& thread : extra) {
      thread.join();
    }
    admin->stop();
    FAULTLINE_LOG(info, (LogTag{"server"}), "stopped");
  }

  void stop() {
    if (stopping.exchange(true)) {
      return;
    }
    asio::post(io, [this] {
      if (signals) {
        signals->cancel();
      }
      for (auto& listener : listeners) {
        listener->stop();
      }
      context->live.stop_all();
      grace_deadline = std::chrono::steady_clock::now() + detail::kStopGrace;
      wait_for_connections();
    });
  }

  /** Polls until every connection said goodbye or the grace period ended. */
  void wait_for_connections() {
    if (context->live.size() == 0 || std::chrono::steady_clock::now() >= grace_deadline) {
      io.stop();
      return;
    }
    grace_timer.expires_after(detail::kStopPollInterval);
    grace_timer.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) {
        wait_for_connections();
      }
    });
  }

  Options options;
  std::unique_ptr<detail::ServerContext> context;
  asio::io_context io;
  std::vector<std::unique_ptr<asio::ssl::context>> tls;
  std::vector<std::unique_ptr<detail::Listener>> listeners;
  std::unique_ptr<detail::AdminServer> admin;
  std::optional<asio::signal_set> signals;
  asio::steady_timer grace_timer{io};
  std::chrono::steady_clock::time_point grace_deadline;
  std::atomic<bool> stopping{false};
  ReadyInfo ready;
  std::filesystem::path temp_dir;
};

Server::Server(Options options) : impl_(std::make_unique<Impl>(std::move(options))) {
  impl_->catch_signals();
  impl_->bind();
}

Server::~Server() = default;

const ReadyInfo& Server::ready() const noexcept {
  return impl_->ready;
}

void Server::run() {
  impl_->run();
}

void Server::stop() {
  impl_->stop();
}

}  // namespace faultline::fake_server
