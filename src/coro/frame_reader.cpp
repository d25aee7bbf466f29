#include "coro/frame_reader.hpp"

#include <fmt/format.h>

#include <cstring>

#include "base/escape.hpp"

namespace corostack::coro {
namespace {

std::optional<uint64_t> read_u(const MemoryReader& mem, uint64_t addr, size_t size) {
  uint64_t v = 0;
  if (size == 0 || size > 8) return std::nullopt;
  auto r = mem.read(RemoteAddr(addr), std::span<std::byte>(reinterpret_cast<std::byte*>(&v), size));
  if (r.bytes != size) return std::nullopt;
  return v;
}

std::optional<uint32_t> read_index(const MemoryReader& mem, uint64_t frame, const BitField& f) {
  auto raw = read_u(mem, frame + f.offset, f.byte_size);
  if (!raw) return std::nullopt;
  uint64_t v = *raw;
  if (f.bit_size) {
    // DWARF is target input too: a shift by 64 or more is undefined.
    if (f.bit_offset >= 64) return std::nullopt;
    v >>= f.bit_offset;
    if (f.bit_size < 64) v &= (uint64_t{1} << f.bit_size) - 1;
  }
  return static_cast<uint32_t>(v);
}

// The index a frame has at its initial suspend: clang counts suspend points
// from 0, GCC numbers them 2, 4, ... (odd values mark destruction).
uint32_t initial_index(const CoroutineInfo& info) {
  return info.compiler == CoroCompiler::kGcc ? 2 : 0;
}

std::string quoted(const std::string& bytes, bool truncated) {
  return "\"" + escape_for_terminal(bytes, bytes.size() + 1) + "\"" + (truncated ? "…" : "");
}

std::string render_value(const MemoryReader& mem, uint64_t at, const PromiseMember& m,
                         size_t max_string) {
  auto word = [&](uint64_t a) { return read_u(mem, a, 8); };
  auto text = [&](uint64_t data, uint64_t len) -> std::string {
    size_t n = static_cast<size_t>(std::min<uint64_t>(len, max_string));
    std::string s(n, '\0');
    if (n &&
        mem.read(RemoteAddr(data), std::span<std::byte>(reinterpret_cast<std::byte*>(s.data()), n))
                .bytes != n)
      return "<unreadable>";
    return quoted(s, len > n);
  };
  switch (m.kind) {
    case MemberKind::kString: {  // libstdc++: {char* data, size_t length, ...}
      auto data = word(at), len = word(at + 8);
      if (!data || !len) return "<unreadable>";
      return text(*data, *len);
    }
    case MemberKind::kStringView: {  // {size_t length, const char* data}
      auto len = word(at), data = word(at + 8);
      if (!data || !len) return "<unreadable>";
      return text(*data, *len);
    }
    default:
      break;
  }
  auto raw = read_u(mem, at, m.size);
  if (!raw) return "<unreadable>";
  switch (m.kind) {
    case MemberKind::kBool:
      return *raw ? "true" : "false";
    case MemberKind::kPointer:
      return fmt::format("{:#x}", *raw);
    case MemberKind::kFloat:
      if (m.size == 8) {
        double d;
        std::memcpy(&d, &*raw, 8);
        return fmt::format("{}", d);
      }
      if (m.size == 4) {
        float f;
        std::memcpy(&f, &*raw, 4);
        return fmt::format("{}", f);
      }
      return "<float>";
    case MemberKind::kSigned:
    case MemberKind::kChar: {
      int shift = 64 - 8 * static_cast<int>(m.size);
      auto v = static_cast<int64_t>(*raw << shift) >> shift;
      return std::to_string(v);
    }
    default:
      return std::to_string(*raw);
  }
}

}  // namespace

std::optional<CoroFrame> read_frame(const MemoryReader& mem, const FrameCandidate& candidate,
                                    const CoroCatalog& catalog, const FrameReadOptions& options) {
  const CoroutineInfo& info = *candidate.info;
  const uint64_t frame = candidate.frame.value();
  auto resume = read_u(mem, frame, 8);
  auto destroy = read_u(mem, frame + 8, 8);
  if (!resume || !destroy) return std::nullopt;
  if (*destroy != info.destroy && *destroy != info.cleanup) return std::nullopt;
  if (*resume != 0 && *resume != info.resume) return std::nullopt;
  if (info.self_handle_offset) {
    auto self = read_u(mem, frame + *info.self_handle_offset, 8);
    if (!self || *self != frame) return std::nullopt;
  }
  CoroFrame f;
  f.address = candidate.frame;
  f.info = &info;
  if (info.index) {
    f.index = read_index(mem, frame, *info.index);
    if (!f.index) return std::nullopt;
    if (info.compiler == CoroCompiler::kGcc && (*f.index & 1)) return std::nullopt;
    if (info.max_index && *f.index > *info.max_index) return std::nullopt;
  }
  if (*resume == 0) {
    f.state = FrameState::kDone;
  } else if (f.index && *f.index == initial_index(info)) {
    f.state = FrameState::kNotStarted;
  }
  f.promise = RemoteAddr(frame + info.promise_offset);
  if (info.continuation_offset) {
    f.continuation = read_u(mem, f.promise.value() + *info.continuation_offset, 8);
    if (!f.continuation) return std::nullopt;
    if (*f.continuation == 0) {
      f.continuation_kind = ContinuationKind::kNull;
    } else if (auto fn = read_u(mem, *f.continuation, 8); fn && catalog.is_noop_function(*fn)) {
      f.continuation_kind = ContinuationKind::kNoop;
    } else {
      f.continuation_kind = ContinuationKind::kUnknown;  // kFrame once linked
    }
  }
  if (options.promise_values) {
    for (const PromiseMember& m : info.promise_members)
      f.promise_values.push_back(
          {m.name, render_value(mem, f.promise.value() + m.offset, m, options.max_string_bytes)});
  }
  return f;
}

}  // namespace corostack::coro
