// Memory management: mmap and friends print addresses in hex and return one.
#include "trace/decode_registry.hpp"
#include "trace/xlat_mm.hpp"

namespace corostack::trace {
namespace {

std::string prot(const Ctx& c, int i) {
  return format_flags(c.arg(i) & 0xffffffff, kProtFlags, "PROT_NONE");
}
std::string map_flags(const Ctx& c, int i) {
  return format_mmap_flags(c.arg(i) & 0xffffffff);
}
std::string advice(const Ctx& c, int i) {
  return format_enum(c.arg(i) & 0xffffffff, kMadviseAdvice, "MADV_???");
}
std::string mremap_flags(const Ctx& c, int i) {
  return format_flags(c.arg(i) & 0xffffffff, kMremapFlags);
}
std::string offset(const Ctx& c, int i) {
  return hex(c.arg(i));
}

}  // namespace

std::span<const Decoder> mm_decoders() {
  using namespace arg;
  constexpr auto kHex = RetKind::kHex;
  static const Decoder kDecoders[] = {
      {.name = "mmap", .args = {ptr, ulong, prot, map_flags, int_, offset}, .ret = kHex},
      {.name = "munmap", .args = {ptr, ulong}},
      {.name = "mprotect", .args = {ptr, ulong, prot}},
      {.name = "madvise", .args = {ptr, ulong, advice}},
      {.name = "brk", .args = {ptr}, .ret = kHex},
      {.name = "mremap", .args = {ptr, ulong, ulong, mremap_flags, ptr}, .ret = kHex},
      {.name = "msync", .args = {ptr, ulong, hex}},
      {.name = "mlock", .args = {ptr, ulong}},
      {.name = "munlock", .args = {ptr, ulong}},
  };
  return kDecoders;
}

}  // namespace corostack::trace
