// corostack trace: strace for the engineer on call, with the Python line
// behind every call (--py). The strace letters mean what they mean in strace.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <iostream>
#include <memory>

#include "base/clock.hpp"
#include "base/escape.hpp"
#include "cli/command.hpp"
#include "cli/exit_codes.hpp"
#include "cli/sampling_cli.hpp"
#include "cli/target_options.hpp"
#include "cli/trace_expressions.hpp"
#include "target/access_policy.hpp"
#include "target/output_file.hpp"
#include "trace/bpf_source.hpp"
#include "trace/call_counts.hpp"
#include "trace/json_trace_writer.hpp"
#if __has_include("trace/proc_fd_names.hpp")
#include "trace/proc_fd_names.hpp"
#define HAVE_PROC_FD_NAMES 1
#endif
#include "trace/native_stacks.hpp"
#include "trace/ptrace_tracer.hpp"
#include "trace/python_stacks.hpp"
#include "trace/sink_fan_out.hpp"
#include "trace/strace_writer.hpp"

namespace corostack {
namespace {

constexpr const char* kTraceFooter =
    "Traces every system call of a process, every thread of it and the threads it starts (as "
    "`strace -f -p`), or of a command it starts (`-- CMD ARGS`, followed into its children). "
    "Lines are strace's, on stderr unless -o: `[pid N] write(3</x>, \"tick\\n\", 5) = 5 "
    "<0.000021>`. --py puts the calling thread's Python stack under each call, as it was at "
    "the call's entry: with ptrace read while the thread is stopped there; in the kernel "
    "(eBPF), walked by the kernel program without stopping anything (at most 16 frames; "
    "calls made before corostack has found the interpreter, such as a started command's "
    "first ones, have none).\n"
    "Stops at -d, Ctrl-C, SIGTERM, hang-up or when the target exits; every thread of the "
    "target then runs on, untraced (a command corostack started is killed with the signal "
    "that stopped it, as strace does). Attaching (and detaching) interrupts a call a thread "
    "is blocked in once, as with strace: epoll_wait, poll and the like return EINTR once, "
    "restartable calls restart.\n";

class TraceCommand final : public Command {
 public:
  explicit TraceCommand(CLI::App& app) {
    cmd_ = app.add_subcommand(
        "trace", "Trace system calls like strace, with the Python line behind each call");
    cmd_->footer(
        std::string(kTraceFooter) + kExitCodesHelp +
        " With -- CMD: the command's own exit status.\n"
        "\nExamples:\n"
        "  corostack trace -p 1234 -e trace=%network -yy   # a service's traffic, fds named\n"
        "  corostack trace -p 1234 -c -w                   # counts and latency per call\n"
        "  corostack trace --py -e trace=write -- python3 app.py  # which Python line writes\n");
    cmd_->add_option("-p,--pid", pid_, "Process id of a live process (all its threads)");
    cmd_->add_flag("-f", follow_forks_, "Also follow forked children (implied by -- CMD)");
    cmd_->add_option("-e", expressions_,
                     "trace=SET (names, %file %network %process %signal %ipc %desc %memory "
                     "%creds %clock, !SET), signal=SET, status=SET")
        ->allow_extra_args(false);
    cmd_->add_flag("-c", summary_only_, "Count calls, errors and time; print a table at the end");
    cmd_->add_flag("-C", summary_too_, "Like -c, and print the calls too");
    cmd_->add_flag("-w", wall_, "With -c: time is wall-clock latency, not system CPU time");
    cmd_->add_flag("-T", durations_, "Time spent in each call");
    cmd_->add_flag("-t", timestamps_, "Time of day (-tt microseconds, -ttt seconds since epoch)");
    cmd_->add_flag("-r", relative_, "Time since the previous call");
    cmd_->add_flag("-y", fd_detail_, "Paths of fds (-yy: socket endpoints, devices)");
    cmd_->add_option("-s", string_limit_, "Bytes of strings and buffers shown (default 32)")
        ->check(CLI::NonNegativeNumber);
    cmd_->add_flag("-x", hex_, "Non-ASCII bytes as \\xNN (-xx: every byte)");
    cmd_->add_option("-o", output_, "Write the trace to FILE instead of stderr");
    cmd_->add_flag("-z", successful_only_, "Only calls that succeeded (status=successful)");
    cmd_->add_flag("-Z", failed_only_, "Only calls that failed (status=failed)");
    cmd_->add_option("-d,--duration", duration_s_, "Stop after SECONDS")
        ->check(CLI::NonNegativeNumber);
    py_ = cmd_->add_option("--py", py_depth_,
                           "The calling thread's Python stack under each call (innermost N "
                           "frames, default 5); with -c, a table per Python line too")
              ->expected(0, 1);
    cmd_->add_flag("--native", native_,
                   "The calling thread's native stack under each call (strace -k): module, "
                   "symbol+offset, [offset in the module]");
    cmd_->add_flag("--json", json_, "One JSON object per call, signal and exit");
    cmd_->add_option("--backend", backend_, "auto (default), bpf or ptrace")
        ->check(CLI::IsMember({"auto", "bpf", "ptrace"}));
    cmd_->add_option("command", command_, "After --: a command to start and trace")->expected(-1);
  }

  int run() override {
    if ((pid_ == 0) == command_.empty()) {
      std::cerr << "corostack: trace: give exactly one of -p PID or -- CMD ARGS\n";
      return kExitUsage;
    }
    std::string error;
    auto expr = parse_trace_expressions(expressions_, error);
    if (!expr) {
      std::cerr << "corostack: trace: " << escape_for_terminal(error) << '\n';
      return kExitUsage;
    }
    if (successful_only_ && failed_only_) {
      std::cerr << "corostack: trace: -z and -Z together show nothing\n";
      return kExitUsage;
    }
    if (successful_only_) expr->status = trace::kStatusSuccessful;
    if (failed_only_) expr->status = trace::kStatusFailed;
    if (py_->count() > 0 && py_depth_ <= 0) py_depth_ = 5;
    if (py_->count() == 0) py_depth_ = 0;
    if (native_ && summary_only_)
      std::cerr << "corostack: trace: --native has no effect with -c (as strace's -k)\n";
    if (summary_only_) native_ = false;
    // Refused before anything else is said about it (target/access_policy.hpp).
    if (pid_ != 0)
      if (auto allowed = check_may_inspect(pid_); !allowed) return report_error(allowed.error());
    std::string why_not_bpf = in_kernel_unavailable();
    // A command's first calls come before its interpreter exists, so the
    // kernel cannot walk their frames; ptrace stops each one and can.
    if (backend_ == "auto" && why_not_bpf.empty() && py_depth_ > 0 && !command_.empty())
      why_not_bpf =
          "--py on a command: the in-kernel backend learns of its interpreter only "
          "once it runs (--backend bpf to accept that)";
    if (backend_ == "bpf" && !why_not_bpf.empty()) {
      std::cerr << "corostack: trace: --backend bpf: " << why_not_bpf << '\n';
      return kExitUsage;
    }
    bool use_bpf = backend_ == "bpf" || (backend_ == "auto" && why_not_bpf.empty());
    bool follow = follow_forks_ || !command_.empty();
    StopSignals stop_signals;

    std::FILE* out = stderr;
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(nullptr, &std::fclose);
    if (!output_.empty()) {
      // Never through a link or into a file someone else planted (output_file.hpp).
      auto fd = open_output_file(output_, 0666);
      if (fd) file.reset(::fdopen(*fd, "w"));
      if (!fd || !file) {
        std::cerr << "corostack: "
                  << escape_for_terminal(fd ? "cannot write " + output_ + ": " +
                                                  std::strerror(errno)
                                            : fd.error().message)
                  << '\n';
        if (fd) ::close(*fd);
        return kExitFatal;
      }
      out = file.get();
    } else if (json_) {
      out = stdout;
    }

    trace::LineOptions lo;
    lo.decode.string_limit = static_cast<size_t>(string_limit_);
    lo.decode.hex = hex_;
    lo.decode.fd_detail = fd_detail_;
    lo.timestamps = timestamps_;
    lo.relative = relative_;
    lo.durations = durations_;
    lo.pid_column = !output_.empty() && follow;
    lo.status = expr->status;
    lo.signals = expr->signals;
    lo.python_depth = py_depth_;
    lo.native = native_;

#ifdef HAVE_PROC_FD_NAMES
    trace::ProcFdNames fds;
#else
    struct : trace::FdNames {
      std::string describe(pid_t, int, int) const override { return ""; }
    } fds;
#endif
    bool counting = summary_only_ || summary_too_;
    std::unique_ptr<trace::TraceSink> writer;
    if (!summary_only_) {
      if (json_)
        writer = std::make_unique<trace::JsonTraceWriter>(out, lo, fds);
      else
        writer = std::make_unique<trace::StraceWriter>(out, lo, fds, output_.empty());
    }
    std::unique_ptr<trace::CallCounts> counts;
    if (counting) counts = std::make_unique<trace::CallCounts>(out, wall_, py_depth_ > 0);
    std::vector<trace::TraceSink*> sinks;
    if (writer) sinks.push_back(writer.get());
    if (counts) sinks.push_back(counts.get());
    trace::SinkFanOut sink(sinks);

    std::unique_ptr<trace::PythonStacks> python;
    if (py_depth_ > 0)
      python = std::make_unique<trace::PythonStacks>(static_cast<size_t>(py_depth_));
    std::unique_ptr<trace::NativeStacks> native;
    if (native_) native = std::make_unique<trace::NativeStacks>(kNativeFrames);
    trace::PtraceOptions po;
    po.follow_forks = follow;
    po.python = python.get();
    po.native = native.get();
    po.cpu_time = counting && !wall_;
    po.announce_followed = output_.empty();
    if (!expr->all_calls) {
      auto set = expr->calls;
      po.traced = [set](int64_t nr) { return set.contains(nr); };
    }
    uint64_t deadline = duration_s_ > 0 ? clock_ns() + static_cast<uint64_t>(duration_s_ * 1e9) : 0;
    trace::TraceEnd end;
    std::optional<int> status;
    if (use_bpf) {
      sink.note("tracing in the kernel (eBPF); --backend ptrace for signals and --native");
      if (py_depth_ > static_cast<int>(trace::kBpfMaxPyFrames))
        sink.note("--py: the in-kernel backend takes at most " +
                  std::to_string(trace::kBpfMaxPyFrames) + " frames per call");
      trace::BpfSourceOptions bo;
      bo.follow_forks = follow;
      bo.traced = po.traced;
      // -c --py needs each call's stack: records cross, counted here.
      bo.count_only = summary_only_ && py_depth_ == 0 ? counts.get() : nullptr;
      bo.python_depth = static_cast<size_t>(py_depth_);
      // Paths are shown whole whatever -s says: copy up to a page.
      bo.copy_limit = trace::kBpfMaxCopyBytes;
      auto source = trace::BpfSource::open(pid_, command_, bo, sink);
      if (!source) return report_error(source.error());
      // Loaded and attached: what the kernel copies out of the tracees is
      // read inside the sandbox, with map access only (target/sandbox.hpp).
      SandboxOptions sandbox;
      sandbox.signal_any_process = true;
      sandbox.bpf_maps = true;
      enter_sandbox_or_warn(sandbox);
      end = (*source)->run(deadline, [] { return stop_requested(); });
      (*source)->finish(kill_signal_for(end));
      status = (*source)->command_status();
    } else {
      if (backend_ == "auto") sink.note("tracing with ptrace: " + why_not_bpf);
      auto tracer = command_.empty() ? trace::PtraceTracer::attach(pid_, po, sink)
                                     : trace::PtraceTracer::start(command_, po, sink);
      if (!tracer) return report_error(tracer.error());
      // Attached or started: what the tracees do is read inside the sandbox
      // (target/sandbox.hpp).
      SandboxOptions sandbox;
      sandbox.signal_any_process = true;
      enter_sandbox_or_warn(sandbox);
      end = (*tracer)->run(deadline, [] { return stop_requested(); });
      (*tracer)->detach_all(kill_signal_for(end));
      status = (*tracer)->command_status();
    }
    sink.finish();
    if (end != trace::TraceEnd::kAllExited && command_.empty())
      sink.note("Process " + std::to_string(pid_) + " detached");
    if (!command_.empty()) {
      if (status && WIFEXITED(*status)) return WEXITSTATUS(*status);
      if (status && WIFSIGNALED(*status)) return 128 + WTERMSIG(*status);
    }
    return kExitComplete;
  }

 private:
  // Why the in-kernel backend cannot do this trace, empty when it can.
  std::string in_kernel_unavailable() const {
    if (native_) return "--native unwinds each call's native stack, which needs ptrace";
    if (summary_too_) return "-C counts and prints, which the in-kernel backend does not do yet";
    if (fd_detail_ > 0)
      return "-y reads what each fd is while the call is stopped, which needs ptrace";
    if (summary_only_ && !wall_)
      return "-c without -w counts system CPU time, which only ptrace measures";
    std::string why;
    if (!trace::bpf_supported(&why)) return why;
    return "";
  }

  // A started command dies with the signal that stopped us, as under strace.
  int kill_signal_for(trace::TraceEnd end) const {
    if (end == trace::TraceEnd::kAllExited || command_.empty()) return 0;
    return stop_signal() ? stop_signal() : SIGTERM;
  }

  CLI::App* cmd_;
  CLI::Option* py_ = nullptr;
  int pid_ = 0;
  bool follow_forks_ = false;
  std::vector<std::string> expressions_;
  bool summary_only_ = false, summary_too_ = false, wall_ = false, durations_ = false;
  int timestamps_ = 0;
  bool relative_ = false;
  int fd_detail_ = 0;
  int string_limit_ = 32;
  int hex_ = 0;
  std::string output_;
  bool successful_only_ = false, failed_only_ = false;
  double duration_s_ = 0;
  int py_depth_ = 0;
  bool native_ = false;
  // strace -k prints whole stacks; this only bounds a corrupt or looping one.
  static constexpr size_t kNativeFrames = 256;
  bool json_ = false;
  std::string backend_ = "auto";
  std::vector<std::string> command_;
};

}  // namespace

std::unique_ptr<Command> make_trace_command(CLI::App& app) {
  return std::make_unique<TraceCommand>(app);
}

}  // namespace corostack
