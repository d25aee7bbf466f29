#include "native/debug_cache.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "target/caller_identity.hpp"
#include "target/elf_build_id.hpp"

namespace corostack {
namespace {

int g_request_fd = -1;

constexpr const char* kTrustedRoot = "/usr/lib/debug/";
constexpr size_t kMaxSourceBytes = size_t{1} << 31;  // 2 GiB of debug file

bool is_hex_id(const std::string& s) {
  return s.size() >= 8 && s.size() <= 128 && std::all_of(s.begin(), s.end(), [](char c) {
           return std::isxdigit(c) && !std::isupper(c);
         });
}

std::string marker_path(const std::string& dir, const std::string& id) {
  return dir + "/" + id + ".uncompressed";
}

struct ElfCloser {
  Elf* elf;
  ~ElfCloser() {
    if (elf) elf_end(elf);
  }
};

struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
};

// Writes `in` to `out_fd` with every compressed section inflated.
Status write_inflated(Elf* in, int out_fd) {
  Elf* out = elf_begin(out_fd, ELF_C_WRITE, nullptr);
  if (!out) return make_error(ErrorKind::kIo, std::string("elf_begin: ") + elf_errmsg(-1));
  ElfCloser out_closer{out};
  GElf_Ehdr ehdr;
  if (!gelf_getehdr(in, &ehdr) || !gelf_newehdr(out, gelf_getclass(in)))
    return make_error(ErrorKind::kIo, "cannot copy the ELF header");
  size_t phnum = 0;
  if (elf_getphdrnum(in, &phnum) != 0) phnum = 0;
  if (phnum > 0) {
    if (!gelf_newphdr(out, phnum)) return make_error(ErrorKind::kIo, "cannot copy phdrs");
    for (size_t i = 0; i < phnum; ++i) {
      GElf_Phdr ph;
      if (!gelf_getphdr(in, static_cast<int>(i), &ph) ||
          !gelf_update_phdr(out, static_cast<int>(i), &ph))
        return make_error(ErrorKind::kIo, "cannot copy phdrs");
    }
  }
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(in, scn)) != nullptr) {
    GElf_Shdr shdr;
    if (!gelf_getshdr(scn, &shdr)) return make_error(ErrorKind::kIo, "bad section header");
    if ((shdr.sh_flags & SHF_COMPRESSED) && elf_compress(scn, 0, 0) < 0)
      return make_error(ErrorKind::kIo, std::string("cannot inflate: ") + elf_errmsg(-1));
    if (!gelf_getshdr(scn, &shdr)) return make_error(ErrorKind::kIo, "bad section header");
    Elf_Scn* copy = elf_newscn(out);
    if (!copy) return make_error(ErrorKind::kIo, "elf_newscn");
    Elf_Data* data = nullptr;
    while ((data = elf_getdata(scn, data)) != nullptr) {
      Elf_Data* d = elf_newdata(copy);
      if (!d) return make_error(ErrorKind::kIo, "elf_newdata");
      *d = *data;  // the buffer stays `in`'s, alive until elf_update below
    }
    if (!gelf_update_shdr(copy, &shdr)) return make_error(ErrorKind::kIo, "shdr");
  }
  if (!gelf_update_ehdr(out, &ehdr)) return make_error(ErrorKind::kIo, "ehdr");
  if (elf_update(out, ELF_C_WRITE) < 0)
    return make_error(ErrorKind::kIo, std::string("elf_update: ") + elf_errmsg(-1));
  return ok_status();
}

// mkdir -p, new directories private to the user.
bool make_directories(const std::string& dir) {
  for (size_t slash = 1; slash != std::string::npos;) {
    slash = dir.find('/', slash + 1);
    std::string part = dir.substr(0, slash);
    if (::mkdir(part.c_str(), 0700) != 0 && errno != EEXIST) return false;
  }
  struct stat st {};
  return ::lstat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == ::geteuid();
}

void evict(const std::string& dir, uint64_t limit) {
  struct Entry {
    std::string path;
    uint64_t size;
    struct timespec mtime;
  };
  std::vector<Entry> entries;
  uint64_t total = 0;
  DIR* d = opendir(dir.c_str());
  if (!d) return;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name.size() < 7 || name.compare(name.size() - 6, 6, ".debug") != 0) continue;
    struct stat st {};
    std::string path = dir + "/" + name;
    if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    entries.push_back({path, static_cast<uint64_t>(st.st_size), st.st_mtim});
    total += static_cast<uint64_t>(st.st_size);
    if (entries.size() > 100000) break;
  }
  closedir(d);
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.mtime.tv_sec != b.mtime.tv_sec ? a.mtime.tv_sec < b.mtime.tv_sec
                                            : a.mtime.tv_nsec < b.mtime.tv_nsec;
  });
  for (const Entry& e : entries) {
    if (total <= limit) break;
    if (::unlink(e.path.c_str()) == 0) total -= e.size;
  }
}

}  // namespace

uint64_t debug_cache_limit_bytes() {
  const char* v = trusted_getenv("COROSTACK_DEBUG_CACHE_MIB");
  uint64_t mib = 512;
  if (v && *v) {
    char* end = nullptr;
    unsigned long long n = std::strtoull(v, &end, 10);
    if (end && *end == 0 && n < (1ull << 30)) mib = n;
  }
  return mib << 20;
}

std::optional<std::string> debug_cache_dir() {
  if (debug_cache_limit_bytes() == 0) return std::nullopt;
  std::string base;
  if (const char* x = trusted_getenv("XDG_CACHE_HOME"); x && x[0] == '/') {
    base = x;
  } else if (const char* h = trusted_getenv("HOME"); h && h[0] == '/') {
    base = std::string(h) + "/.cache";
  } else {
    return std::nullopt;
  }
  return base + "/corostack/debug";
}

int open_cached_debuginfo(const std::string& build_id, std::string* path) {
  auto dir = debug_cache_dir();
  if (!dir || !is_hex_id(build_id)) return -1;
  std::string p = *dir + "/" + build_id + ".debug";
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return -1;
  struct stat st {};
  // Ours alone: a file someone else could have written is not believed.
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != ::geteuid() ||
      (st.st_mode & 022)) {
    ::close(fd);
    return -1;
  }
  *path = p;
  return fd;
}

void set_debug_cache_request_fd(int fd) {
  g_request_fd = fd;
}

void request_debug_cache(const std::string& build_id, const std::string& path) {
  if (g_request_fd < 0 || !is_hex_id(build_id) || path.rfind(kTrustedRoot, 0) != 0 ||
      path.find('\n') != std::string::npos || path.size() > PATH_MAX)
    return;
  auto dir = debug_cache_dir();
  if (!dir || ::access(marker_path(*dir, build_id).c_str(), F_OK) == 0) return;
  std::string line = build_id + " " + path + "\n";
  // A short write (pipe full: many requests) only loses a cache entry.
  ssize_t n = ::write(g_request_fd, line.data(), line.size());
  (void)n;
}

Status cache_debug_file(const std::string& dir, const std::string& build_id,
                        const std::string& source_path) {
  if (!is_hex_id(build_id)) return make_error(ErrorKind::kUsage, "bad build-id");
  char real[PATH_MAX];
  if (!::realpath(source_path.c_str(), real) || std::string(real).rfind(kTrustedRoot, 0) != 0)
    return make_error(ErrorKind::kPermission, "not under " + std::string(kTrustedRoot));
  int fd = ::open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return make_error(ErrorKind::kNotFound, "cannot open " + std::string(real));
  FdCloser fd_closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & 022) ||
      static_cast<uint64_t>(st.st_size) > kMaxSourceBytes)
    return make_error(ErrorKind::kPermission, "not a root-owned, read-only regular file");
  if (build_id_from_file(real) != build_id)
    return make_error(ErrorKind::kUnreadable, "build-id differs");
  elf_version(EV_CURRENT);
  Elf* in = elf_begin(fd, ELF_C_READ_MMAP_PRIVATE, nullptr);
  if (!in) return make_error(ErrorKind::kUnreadable, "not an ELF file");
  ElfCloser in_closer{in};

  if (!make_directories(dir))
    return make_error(ErrorKind::kPermission, "cannot create the cache directory " + dir);
  bool compressed = false;
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(in, scn)) != nullptr) {
    GElf_Shdr shdr;
    if (gelf_getshdr(scn, &shdr) && (shdr.sh_flags & SHF_COMPRESSED)) compressed = true;
  }
  if (!compressed) {
    // Nothing to gain: remember that, so the analysis stops asking.
    int m = ::open(marker_path(dir, build_id).c_str(),
                   O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (m >= 0) ::close(m);
    return ok_status();
  }
  std::string final_path = dir + "/" + build_id + ".debug";
  std::string tmp = final_path + ".tmp." + std::to_string(::getpid());
  int out = ::open(tmp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (out < 0) return make_error(ErrorKind::kPermission, "cannot create " + tmp);
  Status written = write_inflated(in, out);
  ::close(out);
  if (!written || ::rename(tmp.c_str(), final_path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return written ? make_error(ErrorKind::kPermission, "cannot rename " + tmp) : written;
  }
  evict(dir, debug_cache_limit_bytes());
  return ok_status();
}

}  // namespace corostack
