#include "sample/sampling_session.hpp"

#include <dirent.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "base/clock.hpp"
#include "target/live_process.hpp"
#include "target/proc_fs.hpp"

namespace corostack::sample {
namespace {

constexpr size_t kMaxDescendants = 4096;
constexpr int kMaxAttachAttempts = 50;  // a new child may take a while to exec Python
// Descendants are looked for every this many rounds (and on the first).
constexpr uint64_t kRescanRounds = 20;

std::vector<pid_t> children_of(pid_t pid) {
  std::vector<pid_t> out;
  std::string dir = "/proc/" + std::to_string(pid) + "/task";
  auto tids = list_tasks(pid);
  if (!tids) return out;
  bool any_file = false;
  for (pid_t tid : *tids) {
    std::ifstream f(dir + "/" + std::to_string(tid) + "/children");
    if (!f) continue;
    any_file = true;
    pid_t c;
    while (f >> c) out.push_back(c);
  }
  if (any_file) return out;
  // Kernels without CONFIG_PROC_CHILDREN: every process's parent.
  DIR* d = ::opendir("/proc");
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    char* end = nullptr;
    long p = std::strtol(e->d_name, &end, 10);
    if (!end || *end || p <= 0) continue;
    std::ifstream st("/proc/" + std::string(e->d_name) + "/stat");
    std::string text((std::istreambuf_iterator<char>(st)), std::istreambuf_iterator<char>());
    size_t close = text.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(text.substr(close + 1));
    std::string state;
    long ppid = 0;
    rest >> state >> ppid;
    if (ppid == pid) out.push_back(static_cast<pid_t>(p));
  }
  ::closedir(d);
  return out;
}

}  // namespace

Pacer::Pacer(double rate_hz)
    : interval_(rate_hz > 0 ? static_cast<uint64_t>(std::llround(1e9 / rate_hz)) : 1'000'000'000),
      start_(monotonic_ns()),
      due_(start_) {}

uint64_t Pacer::monotonic_ns() {
  return clock_ns(CLOCK_MONOTONIC);
}

bool Pacer::sleep_until_due(uint64_t not_after) const {
  uint64_t until = std::min(due_, not_after);
  timespec ts{static_cast<time_t>(until / 1'000'000'000u),
              static_cast<long>(until % 1'000'000'000u)};
  int rc = ::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);
  return rc != EINTR;
}

bool Pacer::start_round() {
  uint64_t now = monotonic_ns();
  bool late = now > due_ + interval_;
  due_ = (late ? now : due_) + interval_;
  return late;
}

Result<std::unique_ptr<SamplingSession>> SamplingSession::start(pid_t root,
                                                                const SessionOptions& options,
                                                                Profile& profile) {
  auto s = Sampler::attach(root, options.sampler);
  if (!s) return s.error();
  std::unique_ptr<SamplingSession> session(new SamplingSession(root, options, profile));
  session->samplers_.emplace(root, std::move(*s));
  profile.pid = root;
  if (auto cmd = read_text_file("/proc/" + std::to_string(root) + "/cmdline", 1 << 16)) {
    std::string c = *cmd;
    while (!c.empty() && c.back() == '\0') c.pop_back();
    for (char& ch : c)
      if (ch == '\0') ch = ' ';
    profile.command = c;
  }
  if (profile.command.empty())
    if (auto st = read_proc_stat(root)) profile.command = st->comm;
  profile.rate_hz = profile.rate_hz > 0 ? profile.rate_hz : 100;
  profile.wall_time = options.sampler.idle;
  return session;
}

std::set<pid_t> descendants_of(pid_t pid) {
  std::set<pid_t> out;
  std::vector<pid_t> todo{pid};
  while (!todo.empty() && out.size() < kMaxDescendants) {
    pid_t p = todo.back();
    todo.pop_back();
    for (pid_t c : children_of(p))
      if (c != pid && out.insert(c).second) todo.push_back(c);
  }
  return out;
}

void SamplingSession::rescan(SessionRound& r) {
  std::set<pid_t> now = descendants_of(root_);
  for (pid_t p : now) {
    if (samplers_.contains(p)) continue;
    int& attempts = failed_[p];
    if (attempts >= kMaxAttachAttempts) continue;
    SamplerOptions o = opt_.sampler;
    o.require_python = false;
    auto s = Sampler::attach(p, o);
    if (!s) {
      if (++attempts == kMaxAttachAttempts)
        r.messages.push_back("not sampling process " + std::to_string(p) + ": " +
                             s.error().message);
      continue;
    }
    failed_.erase(p);
    samplers_.emplace(p, std::move(*s));
    r.messages.push_back("sampling process " + std::to_string(p) + " too");
  }
  for (auto it = failed_.begin(); it != failed_.end();)
    it = now.contains(it->first) ? std::next(it) : failed_.erase(it);
}

SessionRound SamplingSession::round(uint64_t time_ns) {
  SessionRound r;
  if (opt_.subprocesses && rounds_++ % kRescanRounds == 0) rescan(r);
  for (auto it = samplers_.begin(); it != samplers_.end();) {
    auto st = it->second->sample(profile_, time_ns);
    if (!st) {
      if (st.error().kind == ErrorKind::kGone) {
        if (it->first == root_) {
          root_gone_ = true;
        } else {
          // Found again by the next rescan if it still runs (e.g. it exec'd).
          r.messages.push_back("stopped sampling: " + st.error().message);
          failed_.erase(it->first);
        }
        it = samplers_.erase(it);
        continue;
      }
      ++r.errors;
    } else {
      r.samples += st->samples_added;
      r.errors += st->errors;
      r.pause_ns += st->pause_ns;
    }
    ++r.processes;
    ++it;
  }
  // Without --subprocesses the recording ends with the root; with it, when
  // the root and every descendant being sampled are gone.
  r.root_gone = root_gone_ && (!opt_.subprocesses || samplers_.empty());
  return r;
}

}  // namespace corostack::sample
