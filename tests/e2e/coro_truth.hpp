#pragma once
// The truth tests/targets/coro/coro_chain.cpp writes about its coroutine
// frames, and the builds of that target (one per compiler and level).
//
// The file starts with the standard lines (truth.hpp: pid, exe, thread), then:
//
//   source /abs/path/tests/targets/coro/coro_chain.cpp
//   compiler Debian Clang 22.1.8 (1~deb12u1)       (__VERSION__)
//   optimized 1                                     (__OPTIMIZE__ defined)
//   noop 0x55...                                    std::noop_coroutine().address()
//   frame <addr> <function> <state> <line> file=<basename> decl=<line>
//         promise=<addr> promise_type=<name> promise_align=<n> promise_size=<n>
//         cont=<addr|none> id=<n> tid=<tid> label=<rest of the line>
//   chain <addr> <addr> ...                         leaf first, up to the outermost
//   parked <addr> ...                               the park queue, oldest first
//
// (a frame is one line.) Addresses are 0x-prefixed hex. <function> is the
// target's stable name: leaf, middle, top, Server::handle, lambda,
// counter_generator, aligned_coro, finished_coro, blocking_top, blocking_leaf.
// <state> is suspended, not_started, done or running, and <line> is,
// respectively, the co_await/co_yield line, the declaration line, the
// co_return line, or the line of the blocking read(2). cont is the promise's
// `continuation` member (0x0 when null, the noop address for middle #31, none
// for the generator, whose promise has no such member). tid is the thread
// running the frame, 0 unless running. There is one chain per frame that no
// other frame's continuation points to.
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "target_process.hpp"
#include "temp_dir.hpp"
#include "truth.hpp"

namespace e2e {

struct CoroFrameTruth {
  uint64_t addr = 0;  // handle.address()
  std::string function;
  std::string state;  // "suspended", "not_started", "done" or "running"
  int line = 0;
  std::string file;  // basename
  int decl_line = 0;
  uint64_t promise_addr = 0;  // &handle.promise()
  std::string
      promise_type;  // "task::promise_type", "atask::promise_type", "generator::promise_type"
  size_t promise_align = 0;
  size_t promise_size = 0;
  std::optional<uint64_t> continuation;  // nullopt: the promise has no continuation member
  int id = 0;                            // promise.id
  pid_t tid = 0;                         // running on this thread; 0 unless running
  std::string label;                     // promise.label
};

struct CoroTruth {
  Truth process;  // pid, exe, threads
  std::string source;
  std::string compiler;
  bool optimized = false;
  uint64_t noop = 0;
  std::vector<CoroFrameTruth> frames;
  std::vector<std::vector<uint64_t>> chains;  // leaf first
  std::vector<uint64_t> parked;

  const CoroFrameTruth* frame(uint64_t addr) const;
  const CoroFrameTruth* frame_by_id(int id) const;
  // The chain that starts at (or, with anywhere, holds) addr; null if none.
  const std::vector<uint64_t>* chain_of(uint64_t addr, bool anywhere = true) const;
};

// Throw std::runtime_error on malformed input.
CoroTruth parse_coro_truth(const std::string& text);
CoroTruth read_coro_truth(const std::filesystem::path& path);

struct CoroBuild {
  std::string name;      // "gcc_O0", "clang22_O2": used in test names
  std::string compiler;  // "gcc", "clang14", "clang19", "clang22"
  bool optimized = false;
  std::filesystem::path exe;  // CORO_TARGETS_DIR/coro_chain_<name>
  bool exists = false;        // false when that compiler was missing at configure time
};

// Every build coro_targets.cmake may make, in a fixed order, built or not.
std::vector<CoroBuild> coro_builds();

inline void PrintTo(const CoroBuild& b, std::ostream* os) {
  *os << b.name << " " << b.exe.string() << (b.exists ? "" : " (missing)");
}

// Starts build.exe with its truth in dir/truth, waits until it is ready and
// every thread sleeps, reads the truth and checks its pid.
testing::AssertionResult start_coro_target(const CoroBuild& build, const TempDir& dir,
                                           std::unique_ptr<TargetProcess>* target,
                                           CoroTruth* truth);

}  // namespace e2e
