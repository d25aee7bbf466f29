// /proc text: maps, stat (both parsers), task syscall. Every parser sees the
// whole input; the corpus holds real samples of each file. (/proc/PID/status
// has no parser of its own: its few fields are found with std::string::find.)
#include <string>
#include <string_view>

#include "fuzz_entry.hpp"
#include "target/core_process_info.hpp"
#include "target/memory_map.hpp"
#include "target/proc_fs.hpp"
#include "target/proc_syscall.hpp"

using namespace corostack;

FUZZ_ENTRY(fuzz_proc_parsers) {
  std::string text(reinterpret_cast<const char*>(data), size);

  size_t skipped = 0;
  auto maps = parse_proc_maps(text, &skipped);
  for (const MemoryMap& m : maps) {
    FUZZ_CHECK(m.start.value() <= m.end.value());
    const MemoryMap* found = find_map(maps, m.start);
    if (found) FUZZ_CHECK(found->contains(m.start));
  }
  if (auto st = parse_proc_stat(text)) (void)is_kernel_thread(*st);
  if (auto st = parse_dump_stat(text)) FUZZ_CHECK(st->comm.size() <= text.size());
  if (auto sc = parse_proc_syscall(text)) FUZZ_CHECK(sc->nr >= -1);
  return 0;
}
