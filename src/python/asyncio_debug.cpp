#include "python/asyncio_debug.hpp"

#include <cstring>

#include "base/paths.hpp"
#include "python/python_elf_file.hpp"

namespace corostack::python {
namespace {

std::optional<RemoteAddr> section_in(const Target& target, const std::string& path) {
  const MemoryMap* m0 = nullptr;
  for (const MemoryMap& m : target.maps())
    if (m.path == path && m.file_offset == 0) m0 = &m;
  if (!m0) return std::nullopt;
  auto elf = PythonElfFile::open(target.mapping_host_path(*m0));
  if (!elf) return std::nullopt;
  auto first = (*elf)->first_load_vaddr();
  auto s = (*elf)->section(".AsyncioDebug");
  if (!first || !s || s->sh_addr == 0 || s->sh_size < kAsyncioDebugSize) return std::nullopt;
  uint64_t bias = m0->start.value() - *first;
  return RemoteAddr(s->sh_addr + bias);
}

// Positions in Py_AsyncioModuleDebugOffsets (each a uint64_t): the task
// object {size, task_name, task_awaited_by, task_is_task,
// task_awaited_by_is_set, task_coro, task_node}, the interpreter state
// {size, asyncio_tasks_head}, the thread state {size, asyncio_running_loop,
// asyncio_running_task, asyncio_tasks_head}.
struct Member {
  FieldLoc PythonLayout::*field;
  const char* name;
  uint32_t position;
  uint32_t size_position;
};
constexpr Member kMembers[] = {
    {&PythonLayout::task_name, "task_name", 8, 0},
    {&PythonLayout::future_awaited_by, "task_awaited_by", 16, 0},
    {&PythonLayout::future_awaited_by_is_set, "task_awaited_by_is_set", 32, 0},
    {&PythonLayout::task_coro, "task_coro", 40, 0},
    {&PythonLayout::task_node, "task_node", 48, 0},
    {&PythonLayout::interp_asyncio_tasks_head, "interp asyncio_tasks_head", 64, 56},
    {&PythonLayout::tstate_asyncio_running_loop, "asyncio_running_loop", 80, 72},
    {&PythonLayout::tstate_asyncio_running_task, "asyncio_running_task", 88, 72},
    {&PythonLayout::tstate_asyncio_tasks_head, "thread asyncio_tasks_head", 96, 72},
};
constexpr uint64_t kMaxAsyncioDebugSize = 1 << 20;

}  // namespace

std::optional<RemoteAddr> find_asyncio_debug(const Target& target,
                                             const std::string& python_module) {
  if (auto a = section_in(target, python_module)) return a;
  std::string last;
  for (const MemoryMap& m : target.maps()) {
    std::string_view base = path_basename(m.path);
    if (m.path == last || !base.starts_with("_asyncio") || base.find(".so") == base.npos) continue;
    last = m.path;
    if (auto a = section_in(target, m.path)) return a;
  }
  return std::nullopt;
}

Result<PythonLayout> apply_asyncio_debug(const MemoryReader& mem, RemoteAddr addr,
                                         const PythonLayout& base) {
  std::byte raw[kAsyncioDebugSize];
  if (!mem.read(addr, raw).complete(sizeof raw))
    return make_error(ErrorKind::kUnreadable, "AsyncioDebug section unreadable");
  auto word = [&](uint32_t pos) {
    uint64_t v;
    std::memcpy(&v, raw + pos, 8);
    return v;
  };
  PythonLayout out = base;
  for (const Member& m : kMembers) {
    uint64_t offset = word(m.position), size = word(m.size_position);
    FieldLoc& f = out.*(m.field);
    uint64_t width = f.size > 0 ? static_cast<uint64_t>(f.size) : 8;
    if (size > kMaxAsyncioDebugSize || offset > kMaxAsyncioDebugSize || offset + width > size)
      return make_error(ErrorKind::kCorrupt,
                        std::string("AsyncioDebug: ") + m.name + " outside its struct");
    f.offset = static_cast<int32_t>(offset);
    if (f.size == 0) f.size = 8;
  }
  // fut_awaited_by_is_set and fut_is_task are chars.
  out.future_awaited_by_is_set.size = 1;
  return out;
}

}  // namespace corostack::python
