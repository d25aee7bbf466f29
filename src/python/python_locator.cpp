#include "python/python_locator.hpp"

#include "python/asyncio_debug.hpp"
#include "python/debug_offsets.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string_view>

#include "base/checked.hpp"
#include "base/hex.hpp"
#include "base/paths.hpp"
#include "python/python_elf_file.hpp"
#include "python/python_versions.hpp"

namespace corostack::python {
namespace {

// "<major>.<minor>" at the start of `s`, followed by nothing, a build flag
// suffix (m, d, u, t) or ".so"; sets major/minor.
bool parse_name_version(std::string_view s, int* major, int* minor) {
  if (s.size() < 3 || s[0] < '2' || s[0] > '9' || s[1] != '.') return false;
  size_t pos = 2;
  int v = 0;
  while (pos < s.size() && pos < 5 && s[pos] >= '0' && s[pos] <= '9') v = v * 10 + (s[pos++] - '0');
  if (pos == 2) return false;
  *major = s[0] - '0';
  *minor = v;
  return true;
}

// libpython3.11.so.1.0, libpython3.6m.so, python3.11, python3, python.
bool match_python_name(std::string_view base, int* major, int* minor) {
  *major = *minor = -1;
  if (base.rfind("libpython", 0) == 0) {
    std::string_view rest = base.substr(9);
    return rest.find(".so") != std::string_view::npos && parse_name_version(rest, major, minor);
  }
  if (base.rfind("python", 0) != 0) return false;
  std::string_view rest = base.substr(6);
  if (rest.empty()) return true;
  if (rest == "2" || rest == "3") {
    *major = rest[0] - '0';
    return true;
  }
  if (!parse_name_version(rest, major, minor)) return false;
  // Only build-flag suffixes after the version (python3.11d, python3.13t).
  size_t pos = rest.find_first_not_of("0123456789.", 0);
  return pos == std::string_view::npos ||
         rest.substr(pos).find_first_not_of("mdut") == std::string_view::npos;
}

// python3.14t, libpython3.14t.so.1.0: the "t" build flag of a free-threaded build.
bool free_threaded_name(std::string_view base) {
  size_t start = base.rfind("python", 0) == 0 ? 6 : base.rfind("libpython", 0) == 0 ? 9 : 0;
  if (start == 0) return false;
  size_t pos = base.find_first_not_of("0123456789.", start);
  return pos != std::string_view::npos && pos > start && base[pos] == 't';
}

const MemoryMap* offset_zero_map(const std::vector<MemoryMap>& maps, const std::string& path) {
  for (const MemoryMap& m : maps)
    if (m.path == path && m.file_offset == 0) return &m;
  return nullptr;
}

// The module's writable mappings plus the anonymous mapping right after one
// of them (the part of .bss beyond the file), capped in total by the scans.
std::vector<ScanRange> data_ranges(const std::vector<MemoryMap>& maps, const std::string& path) {
  std::vector<ScanRange> out;
  for (size_t i = 0; i < maps.size(); ++i) {
    const MemoryMap& m = maps[i];
    if (m.path != path || !m.writable || !m.readable) continue;
    out.push_back({m.start, m.size()});
    if (i + 1 < maps.size()) {
      const MemoryMap& next = maps[i + 1];
      if (next.path.empty() && next.start == m.end && next.readable && next.writable)
        out.push_back({next.start, next.size()});
    }
  }
  return out;
}

struct RuntimeCandidate {
  RemoteAddr addr;
  std::string source;
  bool holds_interp = false;  // 3.6: the word holds the first interpreter itself
};

class ModuleLocator {
 public:
  ModuleLocator(const Target& target, const PythonModuleCandidate& module,
                const LocateOptions& options)
      : target_(target), module_(module), options_(options) {}

  // nullopt: no sign of CPython in this module (only for the main-executable
  // fallback); otherwise the runtime or why not.
  std::optional<Result<PythonRuntime>> run();

 private:
  void note(std::string text) { out_.notes.push_back(module_.path + ": " + std::move(text)); }
  void load_elf();
  bool detect_version();
  bool try_candidate(const RuntimeCandidate& c);
  void choose_layout();
  Result<PythonRuntime> not_found(const std::string& why);

  const Target& target_;
  const PythonModuleCandidate& module_;
  const LocateOptions& options_;
  PythonRuntime out_;
  std::unique_ptr<PythonElfFile> elf_;
  std::optional<uint64_t> bias_;
  std::map<std::string, ElfSymbolHit> syms_;
  std::vector<RuntimeCandidate> candidates_;
  std::vector<ScanRange> ranges_;
};

void ModuleLocator::load_elf() {
  const MemoryMap* m0 = offset_zero_map(target_.maps(), module_.path);
  if (!m0) {
    note("no offset-0 mapping (load address unknown)");
    return;
  }
  auto elf = PythonElfFile::open(target_.mapping_host_path(*m0));
  if (!elf) {
    note("cannot read the ELF file: " + elf.error().message);
    return;
  }
  elf_ = std::move(*elf);
  if (auto first = elf_->first_load_vaddr()) bias_ = m0->start.value() - *first;
  if (!bias_) note("ELF file has no PT_LOAD");
}

bool ModuleLocator::detect_version() {
  auto set = [&](VersionTriple v, const char* source) {
    out_.major = v.major;
    out_.minor = v.minor;
    out_.micro = v.micro;
    out_.version_source = source;
    return true;
  };
  if (auto it = syms_.find("Py_Version"); it != syms_.end() && bias_) {
    uint64_t addr = it->second.value + *bias_;
    auto v = target_.read_value<uint64_t>(RemoteAddr(addr));
    uint64_t file_value = 0;
    if (!v && elf_->read_vaddr(it->second.value, std::as_writable_bytes(std::span(&file_value, 1))))
      v = file_value;
    if (v && split_version_hex(*v).major >= 3)
      return set(split_version_hex(*v), "Py_Version symbol");
    note("Py_Version unreadable or implausible");
  }
  for (const RuntimeCandidate& c : candidates_) {
    if (c.holds_interp) continue;
    if (auto v = debug_offsets_version_at(target_, c.addr))
      return set(split_version_hex(*v), "_Py_DebugOffsets");
  }
  if (options_.use_version_strings) {
    if (auto v = scan_for_version_string(target_, ranges_, options_.limits))
      return set(*v, "version string (sys.version buffer)");
    if (elf_ && module_.name_major > 0) {
      if (auto ro = elf_->section(".rodata")) {
        if (auto v = find_version_in_bytes(elf_->section_bytes(*ro), module_.name_major,
                                           module_.name_minor))
          return set(*v, "version string (.rodata)");
      }
    }
  }
  if (module_.name_minor >= 0) return set({module_.name_major, module_.name_minor, 0}, "file name");
  return false;
}

// 3.13+: the target's own _Py_DebugOffsets at a runtime candidate says
// whether it is a free-threaded build (which has its own table) and gives the
// offsets the candidate is then validated with. A version newer than any
// table is read with the newest table of its kind under its own offsets.
void ModuleLocator::choose_layout() {
  std::optional<DebugOffsetsHeader> header;
  RemoteAddr at;
  if (out_.major == 3 && out_.minor >= 13) {
    for (const RuntimeCandidate& c : candidates_) {
      if (c.holds_interp) continue;
      if (auto h = read_debug_offsets_header(target_, c.addr)) {
        header = *h;
        at = c.addr;
        break;
      }
    }
  }
  out_.free_threaded = header ? header->free_threaded : module_.free_threaded_name;
  out_.layout = layout_for(out_.major, out_.minor, out_.free_threaded);
  if (!out_.layout && out_.major == 3 && header) {
    const PythonLayout* newest = newest_layout(out_.free_threaded);
    if (newest && out_.minor > newest->minor) {
      out_.layout = newest;
      out_.untested_version = true;
      note("untested Python 3." + std::to_string(out_.minor) + ": read with the 3." +
           std::to_string(newest->minor) + " table and the target's own offsets");
    }
  }
  if (!out_.layout || !header) return;
  auto applied = apply_debug_offsets(target_, at, *out_.layout);
  if (!applied) {
    note("layout table kept: " + applied.error().message);
    return;
  }
  out_.debug_offsets_layout = applied->layout;
  out_.layout = out_.debug_offsets_layout.get();
  out_.layout_differences = applied->differences;
}

bool ModuleLocator::try_candidate(const RuntimeCandidate& c) {
  const PythonLayout& layout = *out_.layout;
  RemoteAddr slot = c.addr;
  if (!c.holds_interp) {
    if (!layout.runtime_interpreters_head.present()) {
      note(c.source + ": this version has no _PyRuntime.interpreters.head");
      return false;
    }
    auto a = checked_add(c.addr.value(), layout.runtime_interpreters_head.offset);
    if (!a) return false;
    slot = RemoteAddr(*a);
  }
  auto interp = target_.read_value<uint64_t>(slot);
  if (!interp) {
    note(c.source + ": interpreter head at " + hex_address(slot.value()) + " unreadable");
    return false;
  }
  InterpreterCheck check = check_interpreter(target_, layout, RemoteAddr(*interp), options_.limits);
  if (!check.valid) {
    note(c.source + ": interpreter " + hex_address(*interp) + " invalid: " + check.reason);
    return false;
  }
  out_.runtime = c.addr;
  out_.runtime_source = c.source;
  out_.interp_head = RemoteAddr(*interp);
  out_.thread_back_references = check.back_references;
  return true;
}

Result<PythonRuntime> ModuleLocator::not_found(const std::string& why) {
  std::string message = "CPython in " + module_.path + ": " + why;
  for (const std::string& n : out_.notes) message += "; " + n;
  return make_error(ErrorKind::kNotFound, message);
}

std::optional<Result<PythonRuntime>> ModuleLocator::run() {
  out_.module = module_.path;
  ranges_ = data_ranges(target_.maps(), module_.path);
  load_elf();
  if (elf_ && bias_ && options_.use_symbols) {
    // 3.7+ export _PyRuntime (and 3.11+ Py_Version): a hash lookup finds
    // them. Only without it are both tables searched, locals included
    // (2.7 and 3.6 keep interp_head static).
    syms_ = elf_->find_dynamic_symbols({"_PyRuntime", "Py_Version", "PyCoro_Type"});
    if (!syms_.contains("_PyRuntime"))
      syms_ = elf_->find_symbols(
          {"_PyRuntime", "Py_Version", "interp_head", "_PyThreadState_Current", "collecting"});
  }
  if (bias_) {
    if (auto it = syms_.find("PyCoro_Type"); it != syms_.end())
      out_.coroutine_type = RemoteAddr(it->second.value + *bias_);
    if (auto it = syms_.find("_PyRuntime"); it != syms_.end())
      candidates_.push_back({RemoteAddr(it->second.value + *bias_), it->second.table, false});
    if (options_.use_sections) {
      if (auto s = elf_->section(".PyRuntime"); s && s->sh_addr != 0) {
        RemoteAddr addr(s->sh_addr + *bias_);
        if (candidates_.empty() || candidates_[0].addr != addr)
          candidates_.push_back({addr, ".PyRuntime section", false});
      }
    }
    if (auto it = syms_.find("interp_head"); it != syms_.end())
      candidates_.push_back(
          {RemoteAddr(it->second.value + *bias_), it->second.table + " interp_head", true});
  }
  bool evidence = !syms_.empty() || !candidates_.empty();
  if (!module_.named_python && !evidence) return std::nullopt;

  // 3.13+ without symbols: the cookie at the start of _PyRuntime.
  std::optional<DebugOffsetsHit> cookie;
  if (candidates_.empty() && options_.use_debug_offsets_scan &&
      (module_.name_major < 0 || module_.name_major > 3 ||
       (module_.name_major == 3 && (module_.name_minor < 0 || module_.name_minor >= 13)))) {
    cookie = scan_for_debug_offsets(target_, ranges_, options_.limits);
    if (cookie) candidates_.push_back({cookie->addr, "_Py_DebugOffsets scan", false});
  }

  if (!detect_version()) {
    if (!module_.named_python) return std::nullopt;
    return not_found("version not found");
  }
  if (module_.name_minor >= 0 &&
      (module_.name_major != out_.major || module_.name_minor != out_.minor))
    note("file name says " + std::to_string(module_.name_major) + "." +
         std::to_string(module_.name_minor) + ", " + out_.version_source + " says " +
         std::to_string(out_.major) + "." + std::to_string(out_.minor));
  out_.layout = layout_for(out_.major, out_.minor);
  if (!out_.layout && out_.major < 3) {
    return make_error(ErrorKind::kUnsupported,
                      "Python " + std::to_string(out_.major) + "." + std::to_string(out_.minor) +
                          " (" + module_.path +
                          ") is not supported: corostack reads CPython 2.7 and 3.6+");
  }
  choose_layout();
  if (!out_.layout) {
    // Reported, not walked: without a table the interpreter cannot be checked.
    if (!candidates_.empty() && !candidates_[0].holds_interp) {
      out_.runtime = candidates_[0].addr;
      out_.runtime_source = candidates_[0].source;
    }
    note("no layout table for " + std::to_string(out_.major) + "." + std::to_string(out_.minor));
    return Result<PythonRuntime>(std::move(out_));
  }
  // 2.7 and 3.6 name the GIL holder in a global; later versions in _PyRuntime.
  if (auto it = syms_.find("_PyThreadState_Current");
      it != syms_.end() && bias_ && !out_.layout->runtime_tstate_current.present() &&
      !out_.layout->interp_ceval_gil.present())
    out_.tstate_current = RemoteAddr(it->second.value + *bias_);
  if (auto it = syms_.find("collecting"); it != syms_.end() && bias_ &&
                                          !out_.layout->interp_gc_collecting.present() &&
                                          !out_.layout->runtime_gc_collecting.present())
    out_.gc_collecting_flag = RemoteAddr(it->second.value + *bias_);

  for (const RuntimeCandidate& c : candidates_)
    if (try_candidate(c)) return Result<PythonRuntime>(std::move(out_));

  // 2.7/3.6 without interp_head: the thread holding the GIL leads to the interpreter.
  if (auto it = syms_.find("_PyThreadState_Current"); it != syms_.end() && bias_) {
    auto tstate = target_.read_value<uint64_t>(RemoteAddr(it->second.value + *bias_));
    std::optional<uint64_t> interp;
    if (tstate && plausible_pointer(*tstate) && out_.layout->tstate_interp.present()) {
      auto v =
          target_.read_value<uint64_t>(RemoteAddr(*tstate) + out_.layout->tstate_interp.offset);
      if (v) interp = *v;
    }
    if (interp) {
      if (auto word = find_word(target_, ranges_, *interp, options_.limits))
        if (try_candidate({*word, "_PyThreadState_Current", true}))
          return Result<PythonRuntime>(std::move(out_));
    } else {
      note("_PyThreadState_Current: no thread holds the GIL");
    }
  }

  if (!cookie && options_.use_debug_offsets_scan && out_.layout->runtime_debug_offsets.present()) {
    cookie = scan_for_debug_offsets(target_, ranges_, options_.limits);
    if (cookie && try_candidate({cookie->addr, "_Py_DebugOffsets scan", false}))
      return Result<PythonRuntime>(std::move(out_));
  }

  if (options_.use_bss_scan) {
    for (int min_refs : {2, 1}) {
      auto hit = scan_for_runtime(target_, target_.maps(), *out_.layout, ranges_, min_refs,
                                  options_.limits);
      if (!hit) continue;
      out_.runtime = hit->runtime;
      out_.runtime_source = "bss scan";
      out_.interp_head = hit->interp;
      out_.thread_back_references = hit->back_references;
      if (min_refs == 1) note("bss scan: only one thread state points back");
      return Result<PythonRuntime>(std::move(out_));
    }
    note("bss scan found no interpreter");
  }
  return not_found("no valid interpreter state found");
}

}  // namespace

namespace {

// 3.13+: the interpreter describes its own layout; prefer it to our table.
void apply_target_offsets(const Target& target, PythonRuntime& rt) {
  if (!rt.layout || !rt.layout->runtime_debug_offsets.present() || rt.runtime.is_null() ||
      rt.debug_offsets_layout)
    return;
  auto applied = apply_debug_offsets(
      target, rt.runtime + static_cast<uint64_t>(rt.layout->runtime_debug_offsets.offset),
      *rt.layout);
  if (!applied) {
    rt.notes.push_back("layout table kept: " + applied.error().message);
    return;
  }
  rt.debug_offsets_layout = applied->layout;
  rt.layout = rt.debug_offsets_layout.get();
  rt.layout_differences = applied->differences;
}

}  // namespace

std::vector<PythonModuleCandidate> find_python_modules(const std::vector<MemoryMap>& maps,
                                                       const std::string& exe_path) {
  std::vector<PythonModuleCandidate> libs, exes;
  std::set<std::string> seen;
  for (const MemoryMap& m : maps) {
    if (!m.is_file_backed() || seen.count(m.path)) continue;
    int major, minor;
    if (!match_python_name(path_basename(m.path), &major, &minor)) continue;
    seen.insert(m.path);
    bool lib = path_basename(m.path).rfind("libpython", 0) == 0;
    (lib ? libs : exes)
        .push_back({m.path, major, minor, true, free_threaded_name(path_basename(m.path))});
  }
  libs.insert(libs.end(), exes.begin(), exes.end());
  if (!exe_path.empty() && !seen.count(exe_path)) {
    for (const MemoryMap& m : maps) {
      if (m.path == exe_path) {
        libs.push_back({exe_path, -1, -1, false});
        break;
      }
    }
  }
  return libs;
}

Result<PythonRuntime> locate_python(const Target& target, const LocateOptions& options) {
  std::vector<PythonModuleCandidate> modules =
      find_python_modules(target.maps(), target.exe_path());
  std::optional<Error> first_error;
  std::optional<Error> unsupported;
  for (const PythonModuleCandidate& module : modules) {
    ModuleLocator locator(target, module, options);
    std::optional<Result<PythonRuntime>> r = locator.run();
    if (!r) continue;
    if (r->ok()) {
      apply_target_offsets(target, **r);
      if (options.asyncio_offsets && (*r)->layout && (*r)->layout->task_node.present())
        (*r)->asyncio_debug = find_asyncio_debug(target, (*r)->module);
      return std::move(*r);
    }
    if (r->error().kind == ErrorKind::kUnsupported && !unsupported) unsupported = r->error();
    if (!first_error) first_error = r->error();
  }
  if (unsupported) return *unsupported;
  if (first_error) return *first_error;
  return make_error(ErrorKind::kNotFound, "not a Python process");
}

}  // namespace corostack::python
