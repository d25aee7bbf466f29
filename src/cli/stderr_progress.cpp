#include "cli/stderr_progress.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include <iostream>

namespace corostack {
namespace {

constexpr auto kQuietFor = std::chrono::seconds(1);  // short work shows nothing
constexpr auto kEvery = std::chrono::milliseconds(100);

std::string bytes_text(uint64_t b) {
  if (b >= (uint64_t{1} << 30))
    return fmt::format("{:.1f} GiB", static_cast<double>(b) / (1 << 30));
  return fmt::format("{:.0f} MiB", static_cast<double>(b) / (1 << 20));
}

}  // namespace

StderrProgress::StderrProgress(bool force)
    : enabled_(force || ::isatty(2) == 1), start_(std::chrono::steady_clock::now()) {}

StderrProgress::~StderrProgress() {
  clear();
}

ProgressFn StderrProgress::fn() {
  return
      [this](std::string_view what, uint64_t done, uint64_t total) { report(what, done, total); };
}

std::string StderrProgress::text(std::string_view what, uint64_t done, uint64_t total) {
  if (what == "watching")
    return fmt::format("corostack: watching: {:.1f} s of {:.1f} s", done / 1000.0, total / 1000.0);
  std::string out = fmt::format("corostack: {}: {}", what, bytes_text(done));
  if (total > 0)
    out +=
        fmt::format(" of {} ({}%)", bytes_text(total), std::min<uint64_t>(100, done * 100 / total));
  return out;
}

void StderrProgress::report(std::string_view what, uint64_t done, uint64_t total) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (now - start_ < kQuietFor || (drawn_ && now - last_ < kEvery)) return;
  last_ = now;
  drawn_ = true;
  std::cerr << '\r' << text(what, done, total) << "\x1b[K" << std::flush;
}

void StderrProgress::clear() {
  if (!drawn_) return;
  std::cerr << "\r\x1b[K" << std::flush;
  drawn_ = false;
}

}  // namespace corostack
