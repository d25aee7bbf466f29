#include "native/dwfl_session.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <span>

#include "native/debug_cache.hpp"
#include "target/elf_build_id.hpp"
#include "target/elf_image.hpp"

namespace corostack {
namespace {

char* g_debuginfo_path = nullptr;  // NULL: libdwfl's default (.debug, /usr/lib/debug, build-id)

// libdwfl's own search, with the cache of inflated debug files
// (native/debug_cache.hpp) in front: a hit skips inflating compressed DWARF;
// a miss in a trusted place asks the cache writer to keep a copy.
int find_debuginfo(Dwfl_Module* mod, void** userdata, const char* modname, Dwarf_Addr base,
                   const char* file_name, const char* debuglink_file, GElf_Word debuglink_crc,
                   char** debuginfo_file_name) {
  const unsigned char* bits = nullptr;
  GElf_Addr vaddr = 0;
  int len = dwfl_module_build_id(mod, &bits, &vaddr);
  std::string id;
  if (len > 0 && len <= 64) {
    id = to_hex(std::as_bytes(std::span(bits, static_cast<size_t>(len))));
    std::string cached;
    int fd = open_cached_debuginfo(id, &cached);
    if (fd >= 0) {
      *debuginfo_file_name = strdup(cached.c_str());
      return fd;
    }
  }
  int fd = dwfl_standard_find_debuginfo(mod, userdata, modname, base, file_name, debuglink_file,
                                        debuglink_crc, debuginfo_file_name);
  if (fd >= 0 && !id.empty() && *debuginfo_file_name) request_debug_cache(id, *debuginfo_file_name);
  return fd;
}

const Dwfl_Callbacks kCallbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = find_debuginfo,
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = &g_debuginfo_path,
};

// The vDSO is an ELF image only in memory. Copying it into a memfd lets
// libdwfl read its symbols and CFI like any file's: frames in
// clock_gettime & co. get names, and unwinding uses its CFI.
constexpr uint64_t kAtSysinfoEhdr = 33;
constexpr size_t kMaxVdsoBytes = 1 << 20;

void report_vdso(const Target& target, Dwfl* dwfl, std::vector<std::string>& warnings) {
  uint64_t base = 0;
  for (const AuxvEntry& e : target.auxv())
    if (e.type == kAtSysinfoEhdr) base = e.value;
  if (!base) return;
  const MemoryMap* m = find_map(target.maps(), RemoteAddr(base));
  if (!m) return;
  std::vector<std::byte> image(std::min<uint64_t>(m->end - RemoteAddr(base), kMaxVdsoBytes));
  auto r = target.read(RemoteAddr(base), image);
  if (r.bytes < 64 || !has_elf_magic(image)) return;
  int fd = ::memfd_create("corostack-vdso", MFD_CLOEXEC);
  if (fd < 0) return;
  if (::write(fd, image.data(), r.bytes) != static_cast<ssize_t>(r.bytes) ||
      ::lseek(fd, 0, SEEK_SET) != 0) {
    ::close(fd);
    return;
  }
  // On success libdwfl owns fd.
  if (!dwfl_report_elf(dwfl, "[vdso]", "[vdso]", fd, base, false)) {
    warnings.push_back(std::string("[vdso]: ") + dwfl_errmsg(-1));
    ::close(fd);
  }
}

}  // namespace

std::vector<ModuleLoad> module_loads(const std::vector<MemoryMap>& maps) {
  std::map<std::string, ModuleLoad> by_path;
  std::vector<std::string> order;
  for (const MemoryMap& m : maps) {
    if (!m.is_file_backed()) continue;
    auto it = by_path.find(m.path);
    if (it == by_path.end()) {
      // Only an offset-0 mapping tells us where the ELF image starts.
      if (m.file_offset != 0) continue;
      by_path.emplace(m.path, ModuleLoad{m, m.end});
      order.push_back(m.path);
    } else if (m.start >= it->second.first.start) {
      it->second.end = std::max(it->second.end, m.end);
    }
  }
  std::vector<ModuleLoad> out;
  for (const auto& p : order) out.push_back(by_path[p]);
  return out;
}

Result<std::unique_ptr<DwflSession>> DwflSession::create(const Target& target) {
  std::unique_ptr<DwflSession> s(new DwflSession());
  s->dwfl_ = dwfl_begin(&kCallbacks);
  if (!s->dwfl_) return make_error(ErrorKind::kIo, std::string("dwfl_begin: ") + dwfl_errmsg(-1));
  dwfl_report_begin(s->dwfl_);
  for (const ModuleLoad& mod : module_loads(target.maps())) {
    const std::string& path = mod.first.path;
    // Locale archives, caches and data files are mapped too; only ELF images
    // are modules. The header is in memory (live) or in the core's first page.
    // An unreadable header is left to libdwfl, which reads the file itself.
    std::byte magic[4] = {};
    if (target.read(mod.first.start, magic).bytes == sizeof magic && !has_elf_magic(magic))
      continue;
    std::string host = target.mapping_host_path(mod.first);
    if (::access(host.c_str(), R_OK) != 0) {
      s->warnings_.push_back(path + ": cannot open; frames in it will lack symbols");
      continue;
    }
    // add_p_vaddr=false: `base` is where the first PT_LOAD landed, so libdwfl
    // derives the load bias for both ET_DYN and ET_EXEC images.
    Dwfl_Module* m =
        dwfl_report_elf(s->dwfl_, path.c_str(), host.c_str(), -1, mod.first.start.value(), false);
    if (!m) s->warnings_.push_back(path + ": " + dwfl_errmsg(-1));
  }
  report_vdso(target, s->dwfl_, s->warnings_);
  if (dwfl_report_end(s->dwfl_, nullptr, nullptr) != 0)
    return make_error(ErrorKind::kIo, std::string("dwfl_report_end: ") + dwfl_errmsg(-1));
  return s;
}

DwflSession::~DwflSession() {
  if (dwfl_) dwfl_end(dwfl_);
  unwind_state_.reset();
}

}  // namespace corostack
