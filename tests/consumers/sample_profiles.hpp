#pragma once
// Hand-built profiles for the profile writer tests (tests/unit) and the
// consumer checks (tests/consumers): no sampler, no target. Header-only so
// both test executables can use it.
#include <cstdint>
#include <string>
#include <vector>

#include "sample/profile.hpp"

namespace corostack::test_profiles {

using sample::Profile;
using sample::ProfileFrame;
using sample::ProfileFrameKind;

// Names a target could hand us to break out of each format.
inline const std::string kScriptName = "</svg><script>alert(1)</script>";
inline const std::string kCdataName = "end]]>cdata";
inline const std::string kQuoteAmpName = "say \"hi\" & 'bye' <b>";
inline const std::string kAnsiName = "\x1b]0;pwned\x07";
inline const std::string kInvalidUtf8Name = "bad\xff\xfe\xc0\x80utf8";
inline const std::string kSemicolonName = "semi;colon\nnew\rline";
inline std::string huge_name() {
  return std::string(1 << 20, 'H');
}

// Two threads (one with a hostile name), two asyncio tasks (one hostile),
// Python, native, kernel, idle, task and thread frames, every hostile name
// above; 100 Hz; stacks with known counts (see expected_counts).
inline Profile make_hostile_profile() {
  Profile p;
  p.pid = 4242;
  p.command = "python3 app.py " + kScriptName + " " + kAnsiName;
  p.start_unix_ns = 1'700'000'000'000'000'000ull;
  p.rate_hz = 100;
  p.wall_time = true;
  uint32_t main_thread = p.intern_thread({4242, 4242, "MainThread"});
  uint32_t worker = p.intern_thread({4242, 4243, kAnsiName + kInvalidUtf8Name});
  uint32_t task_a = p.intern_task("fetch-1");
  uint32_t task_b = p.intern_task(kScriptName);

  auto py = [&](const std::string& name, const std::string& file, int line) {
    return p.intern_frame({ProfileFrameKind::kPython, name, file, line, ""});
  };
  uint32_t f_main = py("<module>", "/app/app.py", 10);
  uint32_t f_run = py("run", "/usr/lib/python3.11/asyncio/runners.py", 118);
  uint32_t f_script = py(kScriptName, "/app/x" + kCdataName + ".py", 3);
  uint32_t f_cdata = py(kCdataName, "/app/app.py", 20);
  uint32_t f_quote = py(kQuoteAmpName, "/app/q&a.py", 7);
  uint32_t f_ansi = py(kAnsiName, "/app/app.py", 30);
  uint32_t f_bad = py(kInvalidUtf8Name, "/app/b\xff.py", 40);
  uint32_t f_semi = py(kSemicolonName, "/app/app.py", 50);
  uint32_t f_huge = py(huge_name(), "/app/huge.py", 60);
  uint32_t f_native = p.intern_frame(
      {ProfileFrameKind::kNative, "std::vector<int>::push_back", "", 0, "/usr/lib/libfoo.so"});
  uint32_t f_kernel = p.intern_frame({ProfileFrameKind::kKernel, "syscall:epoll_wait", "", 0, ""});
  uint32_t f_idle = p.intern_frame({ProfileFrameKind::kIdle, "<idle>", "", 0, ""});
  uint32_t f_task = p.intern_frame({ProfileFrameKind::kTask, kScriptName, "", 0, ""});
  // C1 CSI and U+FFFF: valid UTF-8, but not XML characters.
  uint32_t f_thread =
      p.intern_frame({ProfileFrameKind::kThread,
                      "thread 4243 (" + kAnsiName + "\xc2\x9b\xef\xbf\xbf)", "", 0, ""});

  struct Plan {
    std::vector<uint32_t> stack;
    uint32_t thread;
    int32_t task;
    int count;
  };
  const std::vector<Plan> plans = {
      {{f_main, f_run, f_script}, main_thread, static_cast<int32_t>(task_b), 7},
      {{f_main, f_run, f_script, f_cdata}, main_thread, static_cast<int32_t>(task_b), 5},
      {{f_main, f_run, f_quote}, main_thread, static_cast<int32_t>(task_a), 4},
      {{f_main, f_run, f_quote, f_native}, main_thread, static_cast<int32_t>(task_a), 3},
      {{f_main, f_run, f_kernel}, main_thread, -1, 6},
      {{f_main, f_idle}, main_thread, -1, 2},
      {{f_thread, f_ansi, f_bad}, worker, -1, 9},
      {{f_thread, f_ansi, f_semi}, worker, -1, 8},
      {{f_thread, f_huge}, worker, -1, 3},
      {{f_task, f_cdata}, worker, static_cast<int32_t>(task_b), 2},
      {{}, worker, -1, 1},  // a sample with no frames at all
  };
  // Round-robin over the plans: each round samples one plan per thread, so
  // stacks change between samples (spans open and close in the trace).
  uint64_t t = 0;
  std::vector<int> left;
  for (const Plan& plan : plans) left.push_back(plan.count);
  bool any = true;
  while (any) {
    any = false;
    for (size_t i = 0; i < plans.size(); ++i) {
      if (left[i] == 0) continue;
      any = true;
      --left[i];
      sample::Sample s;
      s.time_ns = t;
      s.stack = p.intern_stack(plans[i].stack);
      s.thread = plans[i].thread;
      s.task = plans[i].task;
      s.idle = plans[i].stack.size() == 2 && plans[i].stack[1] == f_idle;
      p.add(s);
      t += p.interval_ns();
    }
  }
  p.duration_ns = t;
  p.samples_taken = p.samples.size();
  return p;
}

// A profile of `samples` samples over `stacks` distinct stacks of 10-30
// Python/native frames, 8 threads: the writers' speed test.
inline Profile make_large_profile(size_t samples, size_t stacks) {
  Profile p;
  p.pid = 100;
  p.command = "python3 big.py";
  p.rate_hz = 1000;
  std::vector<uint32_t> threads;
  for (int t = 0; t < 8; ++t)
    threads.push_back(p.intern_thread({100, 100 + t, "worker-" + std::to_string(t)}));
  std::vector<uint32_t> frames;
  for (int f = 0; f < 2000; ++f) {
    frames.push_back(
        p.intern_frame({f % 5 == 4 ? ProfileFrameKind::kNative : ProfileFrameKind::kPython,
                        "module.Class.function_" + std::to_string(f),
                        "/srv/app/pkg/module_" + std::to_string(f % 97) + ".py", f % 400 + 1,
                        f % 5 == 4 ? "/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0" : ""}));
  }
  uint64_t x = 88172645463325252ull;  // xorshift: deterministic
  auto rnd = [&]() {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  std::vector<uint32_t> stack_ids;
  for (size_t s = 0; s < stacks; ++s) {
    std::vector<uint32_t> st;
    size_t depth = 10 + rnd() % 21;
    for (size_t d = 0; d < depth; ++d) st.push_back(frames[(d < 5 ? d : rnd()) % frames.size()]);
    st.push_back(frames[s % frames.size()]);
    stack_ids.push_back(p.intern_stack(st));
  }
  for (size_t i = 0; i < samples; ++i) {
    sample::Sample s;
    s.time_ns = (i / threads.size()) * p.interval_ns();
    s.thread = threads[i % threads.size()];
    s.stack = stack_ids[rnd() % stack_ids.size()];
    p.add(s);
  }
  p.duration_ns = (samples / threads.size() + 1) * p.interval_ns();
  return p;
}

}  // namespace corostack::test_profiles
