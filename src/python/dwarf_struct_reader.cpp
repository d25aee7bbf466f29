#include "python/dwarf_struct_reader.hpp"

#include <dwarf.h>
#include <elfutils/libdwelf.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>

namespace corostack::python {
namespace {

bool is_aggregate(int tag) {
  return tag == DW_TAG_structure_type || tag == DW_TAG_union_type;
}

bool is_declaration(Dwarf_Die* die) {
  bool flag = false;
  Dwarf_Attribute attr;
  return dwarf_attr(die, DW_AT_declaration, &attr) != nullptr &&
         dwarf_formflag(&attr, &flag) == 0 && flag;
}

// The type of `die` with typedefs and qualifiers peeled off.
bool peeled_type(Dwarf_Die* die, Dwarf_Die* out) {
  Dwarf_Attribute attr;
  Dwarf_Die type;
  if (dwarf_attr_integrate(die, DW_AT_type, &attr) == nullptr) return false;
  if (dwarf_formref_die(&attr, &type) == nullptr) return false;
  return dwarf_peel_type(&type, out) == 0;
}

std::optional<int64_t> udata(Dwarf_Die* die, unsigned name) {
  Dwarf_Attribute attr;
  Dwarf_Word v;
  if (dwarf_attr(die, name, &attr) == nullptr || dwarf_formudata(&attr, &v) != 0) {
    return std::nullopt;
  }
  return static_cast<int64_t>(v);
}

// Bit offset of a member from the start of its parent. DWARF 4+ writes
// DW_AT_data_bit_offset; DWARF 2/3 bitfields count DW_AT_bit_offset from the
// most significant bit of a storage unit of DW_AT_byte_size (little-endian here).
std::optional<int64_t> member_bit_offset(Dwarf_Die* member) {
  if (auto bits = udata(member, DW_AT_data_bit_offset)) return *bits;
  int64_t bits = 0;
  if (dwarf_hasattr(member, DW_AT_data_member_location)) {
    auto bytes = udata(member, DW_AT_data_member_location);
    if (!bytes) return std::nullopt;  // a location expression: not emitted for C structs
    bits = *bytes * 8;
  }
  if (auto msb = udata(member, DW_AT_bit_offset)) {
    auto unit = udata(member, DW_AT_byte_size);
    auto width = udata(member, DW_AT_bit_size);
    if (!unit || !width) return std::nullopt;
    bits += *unit * 8 - *msb - *width;
  }
  return bits;
}

std::optional<int64_t> member_byte_size(Dwarf_Die* member) {
  Dwarf_Die type;
  if (!peeled_type(member, &type)) return std::nullopt;
  if (dwarf_tag(&type) == DW_TAG_array_type) {
    Dwarf_Die element;
    if (!peeled_type(&type, &element)) return std::nullopt;
    type = element;
  }
  Dwarf_Word size;
  if (dwarf_aggregate_size(&type, &size) != 0) return std::nullopt;
  return static_cast<int64_t>(size);
}

// Finds `name` among the members of `agg`, descending into unnamed
// struct/union members. On success `bits` is the member's offset from the
// start of `agg` and `out` its DIE.
bool find_member(Dwarf_Die* agg, std::string_view name, int depth, int64_t* bits, Dwarf_Die* out) {
  if (depth > 8) return false;  // nested anonymous members are shallow in practice
  Dwarf_Die child;
  if (dwarf_child(agg, &child) != 0) return false;
  do {
    if (dwarf_tag(&child) != DW_TAG_member) continue;
    auto offset = member_bit_offset(&child);
    if (!offset) continue;
    const char* member_name = dwarf_diename(&child);
    if (member_name != nullptr) {
      if (name == member_name) {
        *bits = *offset;
        *out = child;
        return true;
      }
      continue;
    }
    Dwarf_Die inner;
    int64_t inner_bits = 0;
    if (peeled_type(&child, &inner) && is_aggregate(dwarf_tag(&inner)) &&
        find_member(&inner, name, depth + 1, &inner_bits, out)) {
      *bits = *offset + inner_bits;
      return true;
    }
  } while (dwarf_siblingof(&child, &child) == 0);
  return false;
}

}  // namespace

DwarfStructReader::DwarfStructReader(std::string path, int fd, Dwarf* dbg)
    : path_(std::move(path)), fd_(fd), dbg_(dbg) {}

DwarfStructReader::~DwarfStructReader() {
  dwarf_end(dbg_);
  close(fd_);
}

Result<std::unique_ptr<DwarfStructReader>> DwarfStructReader::open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return make_error(errno == ENOENT ? ErrorKind::kNotFound : ErrorKind::kIo,
                      path + ": " + std::strerror(errno));
  }
  Dwarf* dbg = dwarf_begin(fd, DWARF_C_READ);
  if (dbg == nullptr) {
    close(fd);
    return make_error(ErrorKind::kNotFound, path + ": no DWARF: " + dwarf_errmsg(-1));
  }
  return std::unique_ptr<DwarfStructReader>(new DwarfStructReader(path, fd, dbg));
}

void DwarfStructReader::find_types(std::span<const std::string> names) {
  // wanted: a name we still need -> the requested name it resolves.
  // A typedef to an incomplete struct adds the struct's tag as an alias.
  std::map<std::string, std::string, std::less<>> wanted;
  for (const auto& n : names) {
    if (!found_.contains(n)) wanted.emplace(n, n);
  }
  std::set<std::string, std::less<>> pending(names.begin(), names.end());
  for (const auto& [n, die] : found_) pending.erase(n);

  auto resolve = [&](const std::string& requested, Dwarf_Die die) {
    if (!pending.erase(requested)) return;
    found_.emplace(requested, die);
  };

  Dwarf_CU* cu = nullptr;
  Dwarf_Die cudie;
  while (!pending.empty() &&
         dwarf_get_units(dbg_, cu, &cu, nullptr, nullptr, &cudie, nullptr) == 0) {
    Dwarf_Die die;
    if (dwarf_child(&cudie, &die) != 0) continue;
    do {
      int tag = dwarf_tag(&die);
      if (tag != DW_TAG_typedef && !is_aggregate(tag)) continue;
      const char* name = dwarf_diename(&die);
      if (name == nullptr) continue;
      auto it = wanted.find(std::string_view(name));
      if (it == wanted.end() || !pending.contains(it->second)) continue;
      const std::string requested = it->second;
      if (is_aggregate(tag)) {
        if (!is_declaration(&die)) resolve(requested, die);
        continue;
      }
      Dwarf_Die target;
      if (!peeled_type(&die, &target)) continue;
      if (!is_aggregate(dwarf_tag(&target))) {
        resolve(requested, target);  // e.g. `digit`, a base type
      } else if (!is_declaration(&target)) {
        resolve(requested, target);
      } else if (const char* tag_name = dwarf_diename(&target)) {
        wanted.emplace(tag_name, requested);  // defined in another unit
      }
    } while (!pending.empty() && dwarf_siblingof(&die, &die) == 0);
  }
}

std::optional<int64_t> DwarfStructReader::type_size(const std::string& name) const {
  auto it = found_.find(name);
  if (it == found_.end()) return std::nullopt;
  Dwarf_Die die = it->second;
  Dwarf_Word size;
  if (dwarf_aggregate_size(&die, &size) != 0) return std::nullopt;
  return static_cast<int64_t>(size);
}

std::optional<MemberLoc> DwarfStructReader::member(const std::string& type,
                                                   std::string_view path) const {
  auto it = found_.find(type);
  if (it == found_.end() || path.empty()) return std::nullopt;
  Dwarf_Die agg = it->second;
  int64_t bits = 0;
  Dwarf_Die member;
  while (true) {
    size_t dot = path.find('.');
    std::string_view step = path.substr(0, dot);
    if (!is_aggregate(dwarf_tag(&agg))) return std::nullopt;
    int64_t step_bits = 0;
    if (!find_member(&agg, step, 0, &step_bits, &member)) return std::nullopt;
    bits += step_bits;
    if (dot == std::string_view::npos) break;
    path.remove_prefix(dot + 1);
    if (!peeled_type(&member, &agg)) return std::nullopt;
  }
  MemberLoc loc;
  loc.bit_offset = bits;
  if (auto width = udata(&member, DW_AT_bit_size)) {
    loc.bit_size = *width;
    loc.byte_size = udata(&member, DW_AT_byte_size).value_or(0);
  } else {
    auto size = member_byte_size(&member);
    if (!size) return std::nullopt;
    loc.byte_size = *size;
  }
  return loc;
}

std::string DwarfStructReader::build_id_hex() const {
  const void* bytes = nullptr;
  ssize_t n = dwelf_elf_gnu_build_id(dwarf_getelf(dbg_), &bytes);
  std::string hex;
  for (ssize_t i = 0; i < n; ++i) {
    static constexpr char kDigits[] = "0123456789abcdef";
    unsigned b = static_cast<const unsigned char*>(bytes)[i];
    hex += kDigits[b >> 4];
    hex += kDigits[b & 15];
  }
  return hex;
}

}  // namespace corostack::python
