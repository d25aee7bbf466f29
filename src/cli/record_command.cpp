// corostack record: sample a live process (or a command it starts) at a rate
// and write a profile.
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <iostream>
#include <optional>
#include <sstream>

#include <fmt/format.h>

#include "base/escape.hpp"
#include "cli/command.hpp"
#include "cli/exit_codes.hpp"
#include "cli/publisher.hpp"
#include "cli/sampling_cli.hpp"
#include "cli/target_options.hpp"
#include "render/profile_writers.hpp"
#include "sample/sampling_session.hpp"
#include "target/access_policy.hpp"
#include "target/caller_identity.hpp"
#include "target/output_file.hpp"

namespace corostack {
namespace {

constexpr const char* kRecordExamples =
    "\nExamples:\n"
    "  corostack record -p 1234 -d 30 -o profile.svg\n"
    "  corostack record -p 1234 --native -f speedscope -o profile.json\n"
    "  corostack record -r 1000 -- python3 app.py\n";

std::string default_output(pid_t pid, const char* ext) {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::localtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%S", &tm);
  return fmt::format("corostack-{}-{}.{}", pid, stamp, ext);
}

// In the publisher helper: the profile from `in` into `path`, never through a
// link or into a file someone else planted (target/output_file.hpp).
int write_output(const std::string& path, int in) {
  auto fd = open_output_file(path, 0666);
  if (!fd) {
    std::cerr << "corostack: " << escape_for_terminal(fd.error().message) << std::endl;
    return kExitFatal;
  }
  char buf[1 << 16];
  for (ssize_t n; (n = ::read(in, buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    for (ssize_t done = 0; n > 0 && done < n;) {
      ssize_t w = ::write(*fd, buf + done, static_cast<size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0)
        n = -1;
      else
        done += w;
    }
    if (n < 0) {
      std::cerr << "corostack: writing " << escape_for_terminal(path) << ": "
                << std::strerror(errno) << std::endl;
      return kExitFatal;
    }
  }
  return ::close(*fd) == 0 ? kExitComplete : kExitFatal;
}

uint64_t unix_now_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

class RecordCommand final : public Command {
 public:
  explicit RecordCommand(CLI::App& app) {
    cmd_ = app.add_subcommand(
        "record", "Sample a live process at a rate and write a profile (flamegraph, ...)");
    cmd_->footer(
        std::string(
            "Samples every thread of the process RATE times a second until DURATION has passed, "
            "the process exits, or Ctrl-C; the profile is written in every case. `-- CMD ARGS` "
            "starts the command, samples it until it exits, and kills it if corostack is "
            "stopped first. Blocking mode (default) stops the running threads during each "
            "Python walk (PTRACE_SEIZE + PTRACE_INTERRUPT, never SIGSTOP; threads blocked in a "
            "system call are never stopped); --nonblocking stops nothing, so a running "
            "thread's stack may be torn (such samples count as errors). Progress goes to "
            "stderr.\n") +
        kExitCodesHelp + std::string(kRecordExamples));
    cmd_->add_option("-p,--pid", pid_, "Process id of a live process");
    cmd_->add_option("-o,--output", output_,
                     "Output file ('-': stdout; default corostack-PID-TIME.EXT)");
    cmd_->add_option("-f,--format", format_name_,
                     "flamegraph (default), folded, speedscope, pprof or chrometrace");
    cmd_->add_option("-d,--duration", duration_s_,
                     "Seconds to record (default: until it exits or Ctrl-C)")
        ->check(CLI::NonNegativeNumber);
    add_sampling_options(*cmd_, sampling_);
    cmd_->add_flag("--threads", threads_, "Thread as the root frame of each stack");
    cmd_->add_flag("--async", async_,
                   "The asyncio task running on the thread's loop as a root frame (3.8+)");
    cmd_->add_flag("--subprocesses", subprocesses_,
                   "Also sample the target's child processes (process as the root frame)");
    cmd_->add_option("command", command_, "After --: a command to start and record")->expected(-1);
  }

  int run() override {
    if ((pid_ == 0) == command_.empty()) {
      std::cerr << "corostack: record: give exactly one of -p PID or -- CMD ARGS\n";
      return kExitUsage;
    }
    auto format = parse_profile_format(format_name_);
    if (!format) {
      std::cerr << "corostack: record: unknown format '" << escape_for_terminal(format_name_)
                << "' (flamegraph, folded, speedscope, pprof, chrometrace)\n";
      return kExitUsage;
    }
    if (auto e = check_sampling_options(sampling_)) {
      std::cerr << "corostack: record: " << *e << '\n';
      return kExitUsage;
    }
    StopSignals stop_signals;
    pid_t child = 0;
    if (!command_.empty()) {
      auto c = spawn(command_);
      if (!c) return report_error(c.error());
      child = *c;
      pid_ = child;
    }
    int rc = record(*format, child);
    if (child) {
      // Our command: never left running behind us.
      int status = 0;
      if (::waitpid(child, &status, WNOHANG) == 0) {
        ::kill(child, SIGTERM);
        for (int i = 0; i < 200 && ::waitpid(child, &status, WNOHANG) == 0; ++i) ::usleep(10'000);
        if (::waitpid(child, &status, WNOHANG) == 0) {
          ::kill(child, SIGKILL);
          ::waitpid(child, &status, 0);
        }
      }
    }
    return rc;
  }

 private:
  // fork + exec; the child dies with us (PR_SET_PDEATHSIG). Returns once the
  // exec succeeded.
  static Result<pid_t> spawn(const std::vector<std::string>& argv) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
      return make_error(ErrorKind::kIo, std::string("pipe: ") + std::strerror(errno));
    pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid < 0) return make_error(ErrorKind::kIo, std::string("fork: ") + std::strerror(errno));
    if (pid == 0) {
      ::close(fds[0]);
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);
      // Signal dispositions are ours (handlers reset by exec; restore masks).
      sigset_t none;
      sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr);
      std::vector<char*> args;
      for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      // The caller's command, with the caller's rights only (caller_identity.hpp).
      if (!drop_all_capabilities_in_child()) ::_exit(127);
      ::execvpe(args[0], args.data(), environment_for_commands());
      int e = errno;
      (void)!::write(fds[1], &e, sizeof e);
      ::_exit(127);
    }
    ::close(fds[1]);
    int e = 0;
    ssize_t n;
    do n = ::read(fds[0], &e, sizeof e);
    while (n < 0 && errno == EINTR);
    ::close(fds[0]);
    if (n == sizeof e) {
      ::waitpid(pid, nullptr, 0);
      return make_error(ErrorKind::kNotFound, "cannot run " + argv[0] + ": " + std::strerror(e));
    }
    return pid;
  }

  int record(ProfileFormat format, pid_t child) {
    sample::Profile profile;
    profile.rate_hz = sampling_.rate;
    sample::SessionOptions so;
    so.sampler = sampler_options(sampling_);
    so.sampler.thread_roots = threads_;
    so.sampler.task_roots = async_;
    so.sampler.process_roots = subprocesses_;
    so.subprocesses = subprocesses_;

    // Refused before anything else is said (target/access_policy.hpp).
    if (auto allowed = check_may_inspect(pid_); !allowed) return report_error(allowed.error());
    std::string path =
        output_.empty() ? default_output(pid_, profile_format_extension(format)) : output_;
    // Nothing may be created in the sandbox: a helper forked before it
    // creates the output from the finished profile streamed to it, so a
    // recording that fails leaves no file (cli/publisher.hpp).
    std::optional<Publisher> publisher;
    if (path != "-") {
      auto p = Publisher::start([path](int in) { return write_output(path, in); }, [] {});
      if (!p) return report_error(p.error());
      publisher.emplace(std::move(*p));
    }
    enter_sandbox_or_warn(child);

    // A command just started needs a moment to load its interpreter.
    std::unique_ptr<sample::SamplingSession> session;
    for (int attempt = 0;; ++attempt) {
      // The first two seconds, insist on Python (libpython may not be
      // mapped yet); then take the command as native code (--native).
      so.sampler.require_python = child && attempt < 100;
      auto s = sample::SamplingSession::start(pid_, so, profile);
      if (s) {
        session = std::move(*s);
        break;
      }
      bool exited = child && ::waitpid(child, nullptr, WNOHANG) != 0;
      if (!child || exited || attempt >= 250 || stop_requested())
        return report_error(exited ? make_error(ErrorKind::kGone,
                                                "the command exited before it "
                                                "could be sampled")
                                   : s.error());
      ::usleep(20'000);
    }

    std::cerr << fmt::format("corostack: recording process {} at {} Hz{} into {}; Ctrl-C to stop\n",
                             pid_, sampling_.rate,
                             duration_s_ > 0 ? fmt::format(" for {} s", duration_s_) : "",
                             path == "-" ? "stdout" : escape_for_terminal(path));
    sample::Pacer pacer(sampling_.rate);
    profile.start_unix_ns = unix_now_ns();
    uint64_t end_ns =
        duration_s_ > 0 ? pacer.start_ns() + static_cast<uint64_t>(duration_s_ * 1e9) : UINT64_MAX;
    Progress progress(pid_);
    const char* why = "interrupted";
    while (true) {
      if (stop_requested()) break;
      if (!pacer.sleep_until_due(end_ns) && stop_requested()) break;
      uint64_t now = sample::Pacer::monotonic_ns();
      if (now >= end_ns) {
        why = "duration reached";
        break;
      }
      if (pacer.start_round()) ++profile.rounds_late;
      auto r = session->round(now - pacer.start_ns());
      ++profile.samples_taken;
      profile.sample_errors += r.errors;
      for (const std::string& m : r.messages)
        std::cerr << "corostack: " << escape_for_terminal(m) << '\n';
      if (r.root_gone) {
        --profile.samples_taken;
        why = "the process exited";
        break;
      }
      if (child && ::waitpid(child, nullptr, WNOHANG) == child) {
        why = "the command exited";
        child = 0;
        break;
      }
      progress.update(profile);
    }
    profile.duration_ns = sample::Pacer::monotonic_ns() - pacer.start_ns();
    progress.finish(profile, why);

    std::string error;
    bool ok;
    if (path == "-") {
      ok = write_profile(profile, format, std::cout, error);
    } else {
      std::ostringstream out;
      ok = write_profile(profile, format, out, error);
      if (!ok) publisher->give_up();
      // The helper says on stderr why it could not write the file.
      if (ok && !publisher->publish(out.str())) return kExitFatal;
    }
    if (!ok) {
      std::cerr << "corostack: writing the profile failed: " << escape_for_terminal(error) << '\n';
      return kExitFatal;
    }
    if (path != "-")
      std::cerr << "corostack: wrote " << escape_for_terminal(path) << " ("
                << profile.samples.size() << " samples)\n";
    return kExitComplete;
  }

  CLI::App* cmd_;
  int pid_ = 0;
  std::string output_;
  std::string format_name_ = "flamegraph";
  double duration_s_ = 0;
  SamplingCliOptions sampling_;
  bool threads_ = false;
  bool async_ = false;
  bool subprocesses_ = false;
  std::vector<std::string> command_;
};

}  // namespace

std::unique_ptr<Command> make_record_command(CLI::App& app) {
  return std::make_unique<RecordCommand>(app);
}

}  // namespace corostack
