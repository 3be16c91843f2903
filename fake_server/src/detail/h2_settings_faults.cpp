#include "detail/h2_settings_faults.h"

#include <algorithm>

namespace faultline::fake_server::detail {

std::vector<nghttp2_settings_entry> H2SettingsFaults::initial_settings(
    std::vector<nghttp2_settings_entry> entries) {
  std::optional<std::uint32_t> limit;
  std::erase_if(entries, [&](const nghttp2_settings_entry& e) {
    if (e.settings_id != NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS) {
      return false;
    }
    limit = e.value;
    return true;
  });
  patches_.push_back(limit);
  return entries;
}

void H2SettingsFaults::send(const scenarios::SettingsAction& action) {
  std::vector<nghttp2_settings_entry> entries;
  if (action.initial_window_size) {
    entries.push_back({NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, *action.initial_window_size});
  }
  if (action.max_frame_size) {
    entries.push_back({NGHTTP2_SETTINGS_MAX_FRAME_SIZE, *action.max_frame_size});
  }
  if (action.header_table_size) {
    entries.push_back({NGHTTP2_SETTINGS_HEADER_TABLE_SIZE, *action.header_table_size});
  }
  if (action.max_header_list_size) {
    entries.push_back({NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, *action.max_header_list_size});
  }
  if (nghttp2_submit_settings(state_.session(), NGHTTP2_FLAG_NONE, entries.data(),
                              entries.size()) == 0) {
    patches_.push_back(action.max_concurrent_streams);
  }
}

void H2SettingsFaults::on_ack() {
  if (unacked_.empty()) {
    return;
  }
  if (unacked_.front()) {
    acked_ = unacked_.front();
  }
  unacked_.pop_front();
}

std::optional<std::uint32_t> H2SettingsFaults::limit() const {
  std::optional<std::uint32_t> limit = acked_;
  for (const auto& pending : unacked_) {
    if (!pending) {
      continue;
    }
    if (!limit) {
      return std::nullopt;  // the old value was "no limit"
    }
    limit = std::max(*limit, *pending);
  }
  // A limit announced but not yet acknowledged is not in force against unlimited.
  return limit;
}

std::uint32_t H2SettingsFaults::on_settings_out(std::vector<std::uint8_t>& out, std::size_t at,
                                                std::uint32_t length) {
  std::optional<std::uint32_t> patch;
  if (!patches_.empty()) {
    patch = patches_.front();
    patches_.pop_front();
  }
  unacked_.push_back(patch);
  if (!patch) {
    return length;
  }
  return append_setting(out, at, {setting_id::kMaxConcurrentStreams, *patch});
}

}  // namespace faultline::fake_server::detail
