// C++20 coroutine pieces that see target bytes. The first byte picks one:
//  0: read_frame, the validator of a candidate frame, over hostile memory
//     with a CoroutineInfo whose layout (index bit-field, self handle,
//     continuation, promise members of every kind) also comes from the input;
//     the frames it accepts then go through link_frames and assign_lines.
//  1: find_index_stores over random machine code.
//  2: parse_clone_name / is_noop_coroutine_symbol (and demangling of the
//     ramp) over random symbol names.
//  3: link_frames over frames whose continuations point at each other
//     (cycles, self-loops, duplicates).
// A CoroCatalog can only be built from real modules (DWARF through libdw):
// an empty one stands in, so the noop-function check never matches.
#include <string>
#include <string_view>
#include <vector>

#include "coro/coro_catalog.hpp"
#include "coro/coro_chains.hpp"
#include "coro/coro_frame.hpp"
#include "coro/coro_symbols.hpp"
#include "coro/frame_reader.hpp"
#include "coro/frame_scanner.hpp"
#include "coro/suspend_points.hpp"
#include "fuzz_entry.hpp"
#include "native/demangle.hpp"
#include "target/fake_target.hpp"

using namespace corostack;
using namespace corostack::coro;

namespace {

constexpr uint64_t kBase = 0x20000000;

CoroutineInfo info_from(fuzz::Input& in) {
  CoroutineInfo info;
  info.name = "fuzzed(int)";
  uint8_t bits = in.u8();
  info.compiler = (bits & 1) ? CoroCompiler::kGcc : CoroCompiler::kClang;
  info.resume = in.u64();
  info.destroy = in.u64();
  info.cleanup = (bits & 2) ? in.u64() : 0;
  info.resume_size = in.u64(2);
  info.frame_size = in.u64(2);
  info.promise_offset = in.u64(1);
  info.promise_size = in.u64(1);
  info.promise_align = uint64_t{1} << (in.u8() % 5);
  if (bits & 4) {
    BitField f;
    f.offset = in.u64(1);
    f.byte_size = in.u8() % 10;
    f.bit_offset = in.u8() % 80;
    f.bit_size = in.u8() % 80;
    info.index = f;
  }
  if (bits & 8) info.self_handle_offset = in.u64(1);
  if (bits & 16) info.continuation_offset = in.u64(1);
  if (bits & 32) info.max_index = static_cast<uint32_t>(in.u64(1));
  size_t members = (bits & 64) ? in.u8() % 8 : 0;
  for (size_t i = 0; i < members; ++i) {
    PromiseMember m;
    m.name = "m" + std::to_string(i);
    m.offset = in.u64(1);
    m.size = in.u8() % 40;
    m.kind = static_cast<MemberKind>(in.u8() % 8);
    info.promise_members.push_back(m);
  }
  size_t points = in.u8() % 4;
  for (size_t i = 0; i < points; ++i) {
    SuspendPoint p;
    p.index = in.u8();
    p.file = "f.cpp";
    p.line = in.u8();
    info.suspend_points.push_back(p);
  }
  info.precision = static_cast<LinePrecision>(in.u8() % 3);
  info.decl_file = "decl.cpp";
  info.decl_line = 7;
  return info;
}

void fuzz_read_frame(fuzz::Input& in) {
  CoroutineInfo info = info_from(in);
  uint64_t at = in.u64(1);
  size_t n = 0;
  const uint8_t* image = in.rest(n);
  FakeTarget mem;
  if (n > 0) {
    const auto* b = reinterpret_cast<const std::byte*>(image);
    mem.add_region(RemoteAddr(kBase), std::vector<std::byte>(b, b + n));
  }
  CoroCatalog catalog;  // empty: see the file comment
  FrameReadOptions opt;
  opt.promise_values = true;
  opt.max_string_bytes = 64;
  CoroState state;
  for (uint64_t off : {at, uint64_t{0}}) {
    FrameCandidate c{RemoteAddr(kBase + off), &info};
    auto f = read_frame(mem, c, catalog, opt);
    if (!f) continue;
    FUZZ_CHECK(f->info == &info);
    for (const auto& v : f->promise_values) FUZZ_CHECK(v.value.size() < 4096);
    state.frames.push_back(std::move(*f));
  }
  link_frames(state);
  assign_lines(state);
}

void fuzz_index_stores(fuzz::Input& in) {
  uint64_t index_offset = in.u64(2);
  uint32_t index_size = in.u8() % 4;
  size_t n = 0;
  const uint8_t* code = in.rest(n);
  auto stores = find_index_stores(std::span(code, n), index_offset, index_size);
  for (const auto& s : stores) FUZZ_CHECK(s.offset < n);
}

void fuzz_symbols(fuzz::Input& in) {
  size_t n = 0;
  const uint8_t* p = in.rest(n);
  std::string name(reinterpret_cast<const char*>(p), n);
  (void)is_noop_coroutine_symbol(name);
  if (auto c = parse_clone_name(name)) {
    FUZZ_CHECK(c->ramp.size() <= name.size());
    // Symbol tables are NUL-terminated: a ramp name never holds a NUL.
    if (c->ramp.find('\0') == std::string::npos) (void)demangle(c->ramp.c_str());
  }
}

void fuzz_links(fuzz::Input& in) {
  static const CoroutineInfo info = [] {
    CoroutineInfo i;
    i.name = "linked()";
    i.decl_file = "l.cpp";
    return i;
  }();
  CoroState state;
  size_t n = in.u8() % 64;
  for (size_t i = 0; i < n && in.left() > 0; ++i) {
    CoroFrame f;
    f.info = &info;
    f.address = RemoteAddr(kBase + 16 * (in.u8() % 32));
    f.state = static_cast<FrameState>(in.u8() % 4);
    uint8_t c = in.u8();
    if (c & 1) f.continuation = (c & 2) ? kBase + 16 * (in.u8() % 32) : in.u64();
    if (c & 4) f.index = in.u8();
    state.frames.push_back(std::move(f));
  }
  link_frames(state);
  assign_lines(state);
  for (const auto& f : state.frames)
    if (f.parent) FUZZ_CHECK(*f.parent < state.frames.size());
  for (const auto& chain : state.chains) {
    FUZZ_CHECK(chain.size() <= state.frames.size());
    for (size_t i : chain) FUZZ_CHECK(i < state.frames.size());
  }
}

}  // namespace

FUZZ_ENTRY(fuzz_coro) {
  fuzz::Input in(data, size);
  switch (in.u8() % 4) {
    case 0:
      fuzz_read_frame(in);
      break;
    case 1:
      fuzz_index_stores(in);
      break;
    case 2:
      fuzz_symbols(in);
      break;
    default:
      fuzz_links(in);
      break;
  }
  return 0;
}
