#include "python/set_reader.hpp"

#include <algorithm>
#include <cstring>
#include <optional>
#include <string_view>
#include <vector>

namespace corostack::python {

SetWalk for_each_set_key(const RemoteObjects& ro, RemoteAddr set, uint64_t max_slots,
                         const SetKeyVisitor& visit) {
  SetWalk w;
  const PythonLayout& l = ro.layout();
  // Entries are read as whole words: the table must describe 8-byte fields
  // on word boundaries inside a small entry.
  auto word_field = [&](const FieldLoc& f) {
    return f.present() && f.size == 8 && f.offset % 8 == 0 && f.offset + 8 <= l.setentry.size;
  };
  if (!l.set_used.present() || !l.set_mask.present() || !l.set_table.present() ||
      l.setentry.size <= 0 || l.setentry.size % 8 != 0 || l.setentry.size > 64 ||
      !word_field(l.setentry_key) || !word_field(l.setentry_hash))
    return w;
  auto used = ro.word(set, static_cast<uint64_t>(l.set_used.offset));
  auto mask = ro.word(set, static_cast<uint64_t>(l.set_mask.offset));
  auto table = ro.word(set, static_cast<uint64_t>(l.set_table.offset));
  if (!used || !mask || !table) return w;
  w.used = static_cast<int64_t>(*used);
  if (w.used < 0) return w;
  uint64_t slots = *mask + 1;
  if (w.used > 0 && (slots == 0 || (slots & *mask) != 0 || *table == 0)) return w;
  w.valid = true;
  if (w.used == 0) return w;

  const uint64_t entry_size = static_cast<uint64_t>(l.setentry.size);
  const uint64_t entry_words = entry_size / 8;
  const uint64_t key_word = static_cast<uint64_t>(l.setentry_key.offset) / 8;
  const uint64_t hash_word = static_cast<uint64_t>(l.setentry_hash.offset) / 8;
  const uint64_t want = static_cast<uint64_t>(w.used);
  // 2.7 keeps a deleted key's hash and puts the shared `dummy` object in
  // its place (Objects/setobject.c: PyString_FromString("<dummy key>")),
  // which only its address tells apart from a str of the same text; the
  // first one found is taken for it (a set holding that very text loses it).
  const bool py2 = l.string_sval.present();
  std::optional<uint64_t> dummy;
  auto is_py2_dummy = [&](uint64_t key) {
    if (dummy) return key == *dummy;
    static constexpr std::string_view kDummy = "<dummy key>";
    if (!ro.is_py2_byte_string(RemoteAddr(key))) return false;
    uint64_t len = 0;
    auto text = ro.bytes_contents(RemoteAddr(key), kDummy.size() + 1, &len);
    if (!text || len != kDummy.size() ||
        std::memcmp(text->data(), kDummy.data(), kDummy.size()) != 0)
      return false;
    dummy = key;
    return true;
  };
  uint64_t batch = 256;  // entries per read; 1 after a read fails (a table cut short)
  std::vector<std::byte> buf;
  for (uint64_t base = 0; base < slots && w.visited < want; base += batch) {
    if (base >= max_slots) {
      w.cut = true;
      return w;
    }
    uint64_t count = std::min({batch, slots - base, max_slots - base});
    auto boff = checked_mul(base, entry_size);
    if (!boff) {
      w.cut = true;
      return w;
    }
    buf.resize(count * entry_size);
    bool ok = ro.read_bytes(RemoteAddr(*table), *boff, buf);
    if (!ok && count > 1) {
      batch = 1;
      count = 1;
      buf.resize(entry_size);
      ok = ro.read_bytes(RemoteAddr(*table), *boff, buf);
    }
    if (!ok) {
      w.cut = true;
      return w;
    }
    auto word_at = [&](uint64_t index) {
      uint64_t v;
      std::memcpy(&v, buf.data() + index * 8, 8);
      return v;
    };
    for (uint64_t j = 0; j < count && w.visited < want; ++j) {
      uint64_t key = word_at(j * entry_words + key_word);
      auto hash = static_cast<int64_t>(word_at(j * entry_words + hash_word));
      if (key == 0 || hash == -1) continue;  // empty, or the dummy of a deleted key
      if (py2 && is_py2_dummy(key)) continue;
      ++w.visited;
      if (!visit(RemoteAddr(key))) {
        w.cut = true;
        return w;
      }
    }
  }
  return w;
}

}  // namespace corostack::python
