// Test target: native frames with known arguments and locals, for
// `dump --native --locals`.
//
//   native_locals <ready_fd> <truth_path>
//
// Each worker thread calls a chain of our own functions with known arguments
// and locals, then blocks in a system call. Besides the usual truth (see
// target_common.hpp), main writes <truth_path>.locals (via .tmp and rename,
// before "ready"), one line per variable:
//
//   local <tid> <function> <arg|var> <name> <expected>
//
// where <expected> is the rest of the line: the value as gdb 13 prints it in
// `info args` / `info locals` (and `bt full` with `set print frame-arguments
// all`), libstdc++'s pretty printers loaded. Every expected value is built at
// run time from the variable itself, so addresses are the real ones.
//
// Threads (innermost first):
//   ibis:   ibis_wait <- ibis_perch <- ibis_thread       scalars, enum, const char* (the last
//                                                        two in the outer ibis_perch); read()
//   heron:  heron_fill <- heron_thread                   struct, nested struct, int[4],
//                                                        pointer, reference; read()
//   crane:  crane_hold <- crane_thread                   std::string (SSO and long),
//                                                        string_view, vector, vector<bool>,
//                                                        unique_ptr, shared_ptr, optional,
//                                                        list, map, set, unordered_map, deque,
//                                                        variant, tuple, atomic,
//                                                        a scoped enum in a namespace, an
//                                                        enum value no enumerator names; read()
//   osprey: osprey_lock <- osprey_thread                 futex in pthread_mutex_lock;
//                                                        at -O2 osprey_lock is a sibling
//                                                        call (jmp pthread_mutex_lock), so
//                                                        its frame exists only as
//                                                        tail-call information and the
//                                                        truth's chain leaves it out.
//   kite:   kite_grab <- kite_lock <- kite_thread         futex in pthread_mutex_lock; at
//                                                        -O2 kite_lock tail-calls kite_grab
//                                                        (a frame gdb rebuilds for g++)
//   wren:   wren_wait <- wren_thread                     a struct of two pieces at -O2, one
//                                                        optimized out; read()
//   main:   main_wait <- main                            read()
//
// Values stay alive across the blocking call: scalars are used after it (so
// at -O2 they live in callee-saved registers, stack slots, constants or entry
// values); objects have their address taken (KEEP) before and after it, so
// they live in memory. For the frames of our functions the .locals lines list
// every argument and local gdb shows (main's frame aside: only main_wait's
// ready_fd).
//
// What gdb 13 (Debian 12) shows, checked against g++ 12 and clang++ 14/19/22:
//   - -O0: every line, exactly.
//   - `info args` prints "count = 5"; a bt frame line prints the same value as
//     "count=count@entry=5" when gdb also knows the entry value (-O2), and
//     non-scalar arguments as "..." unless `set print frame-arguments all`.
//   - -O2, all compilers: ibis_wait's half is <optimized out> (recomputed
//     from ratio after the call, and DWARF cannot say ratio / 2); the
//     osprey_lock frame is absent (see osprey below).
//   - -O2, all compilers: wren_wait's span is `{lo = 5, hi = <optimized out>}`
//     for g++; for clang, whose pieces stop after `lo`, gdb 13 calls the
//     undescribed `hi` a `<synthetic pointer>` (corostack: <optimized out>).
//   - clang++-14 -O2: ibis_perch's height is <optimized out>; ibis_wait's
//     enabled prints a wrong number (the location is "DW_OP_breg7 RSP+16,
//     DW_OP_convert ..." with no deref: the slot's address, truncated); the
//     shared_ptr line is preceded by gdb's "warning: RTTI symbol not found
//     for class 'std::_Sp_counted_ptr_inplace<...>'" (also at -O0).
//   - clang++-19 -O2: ibis_wait's ratio and scale print "<error reading
//     variable: That operation is not available on integers of more than 8
//     bytes.>" (a spilled XMM register described as DW_OP_deref_size 0x10).
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <variant>
#include <vector>

#include "frame_macros.hpp"
#include "target_common.hpp"

using target_common::about_to_block;

// The object's address escapes to the compiler: it must be in memory, with
// its current value, here (and, because anything may have read or written it,
// at every later opaque call).
#define KEEP(x) asm volatile("" ::"r"(&(x)) : "memory")

enum Color { COLOR_RED, COLOR_GREEN, COLOR_BLUE };

struct Inner {
  int a;
  int b;
};

struct Nest {
  int x;
  const char* name;
  Inner inner;
};

// Sinks for values used after the blocking call, so they stay alive across it.
volatile long g_sink;
volatile double g_sink_double;

// Never set. External linkage on purpose: were it internal, clang would prove
// it always false, make the read loops infinite and drop the code after them,
// and with it every use that keeps a value alive across the blocking call.
std::atomic<bool> g_stop{false};

namespace {

int g_idle_pipe[2];  // nobody ever writes: read() on [0] blocks forever

std::mutex g_locals_mutex;
std::vector<std::string> g_locals;  // the .locals lines, every thread's

long read_idle() {
  long total = 0;
  char byte;
  while (!g_stop.load()) total += read(g_idle_pipe[0], &byte, 1);
  return total;
}

void name_self(const char* name) {
  pthread_setname_np(pthread_self(), name);
}

// ---- gdb's formats ------------------------------------------------------

std::string hex(const void* p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%lx", reinterpret_cast<unsigned long>(p));
  return buf;
}

// A char* / const char*: address and string (our strings need no escapes).
std::string cstr(const char* s) {
  return hex(s) + " \"" + s + "\"";
}

std::string chr(char c) {
  return std::to_string(static_cast<int>(c)) + " '" + c + "'";
}

std::string boolean(bool b) {
  return b ? "true" : "false";
}

// Our doubles and floats are exact binary fractions with short decimal forms,
// which gdb prints in %g style.
std::string real(double d) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%g", d);
  return buf;
}

std::string color(Color c) {
  switch (c) {
    case COLOR_RED:
      return "COLOR_RED";
    case COLOR_GREEN:
      return "COLOR_GREEN";
    case COLOR_BLUE:
      return "COLOR_BLUE";
  }
  return std::to_string(static_cast<int>(c));
}

std::string inner(const Inner& i) {
  return "{a = " + std::to_string(i.a) + ", b = " + std::to_string(i.b) + "}";
}

std::string nest(const Nest& n) {
  return "{x = " + std::to_string(n.x) + ", name = " + cstr(n.name) +
         ", inner = " + inner(n.inner) + "}";
}

// A reference: gdb prints the referent's address, then its value (except for
// a class with a pretty printer, e.g. const std::string&: just the value).
std::string ref(const void* p, const std::string& value) {
  return "@" + hex(p) + ": " + value;
}

std::string quoted(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

std::string int_list(const int* v, size_t n) {
  std::string out = "{";
  for (size_t i = 0; i < n; ++i) out += (i ? ", " : "") + std::to_string(v[i]);
  return out + "}";
}

std::string vector_of_int(const std::vector<int>& v) {
  return "std::vector of length " + std::to_string(v.size()) + ", capacity " +
         std::to_string(v.capacity()) + " = " + int_list(v.data(), v.size());
}

std::string optional_int(const std::optional<int>& o) {
  if (!o) return "std::optional<int> [no contained value]";
  return "std::optional<int> = {[contained value] = " + std::to_string(*o) + "}";
}

// Collects one thread's lines; commit() adds them to the shared list.
class Locals {
 public:
  explicit Locals(const char* function) : tid_(gettid()), function_(function) {}
  Locals& arg(const char* name, const std::string& value) { return add("arg", name, value); }
  Locals& var(const char* name, const std::string& value) { return add("var", name, value); }
  void commit() {
    std::lock_guard lock(g_locals_mutex);
    g_locals.insert(g_locals.end(), lines_.begin(), lines_.end());
  }

 private:
  Locals& add(const char* kind, const char* name, const std::string& value) {
    lines_.push_back("local " + std::to_string(tid_) + " " + function_ + " " + kind + " " + name +
                     " " + value);
    return *this;
  }
  pid_t tid_;
  std::string function_;
  std::vector<std::string> lines_;
};

void write_locals(const std::string& truth_path) {
  std::string path = truth_path + ".locals";
  std::string tmp = path + ".tmp";
  {
    std::lock_guard lock(g_locals_mutex);
    std::ofstream out(tmp);
    for (const std::string& line : g_locals) out << line << "\n";
    if (!out.flush()) target_common::die("cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    target_common::die("rename " + tmp + ": " + std::strerror(errno));
}

}  // namespace

// Each blocking function hands its values to out-of-line *_record()
// functions, which write the truth lines, the last one also calling
// about_to_block(): the string building stays out of the blocking function,
// whose code (and so its debug info at -O2) is then about the variables alone.
// No call passes arguments on the stack: while clang pushes them, it ends the
// ranges of its RSP-based locations and, at -O2, does not always restart them.

// ---- ibis: scalars --------------------------------------------------------

TARGET_FRAME void ibis_record_args(int count, long total, unsigned flags, int delta, char letter,
                                   bool enabled, double ratio, float scale) {
  Locals("ibis_wait")
      .arg("count", std::to_string(count))
      .arg("total", std::to_string(total))
      .arg("flags", std::to_string(flags))
      .arg("delta", std::to_string(delta))
      .arg("letter", chr(letter))
      .arg("enabled", boolean(enabled))
      .arg("ratio", real(ratio))
      .arg("scale", real(scale))
      .commit();
}

TARGET_FRAME void ibis_record_locals(int negative, long product, char grade, bool done, double half,
                                     Color hue) {
  Locals("ibis_wait")
      .var("negative", std::to_string(negative))
      .var("product", std::to_string(product))
      .var("grade", chr(grade))
      .var("done", boolean(done))
      .var("half", real(half))
      .var("hue", ::color(hue))
      .commit();
  about_to_block({gettid(), {"ibis_wait", "ibis_perch", "ibis_thread"}, {SYS_read}});
}

// Opaque uses after the blocking call: ibis_wait must keep each value as it
// is (not folded into a partial sum) across read(), but may keep it wherever
// it likes: callee-saved register, stack slot, constant.
TARGET_FRAME long ibis_use_args(int count, long total, unsigned flags, int delta, char letter,
                                bool enabled, double ratio, float scale) {
  g_sink_double = ratio + scale;
  return count + total + flags + delta + letter + enabled;
}

TARGET_FRAME long ibis_use_locals(int negative, long product, char grade, bool done, double half,
                                  Color hue) {
  g_sink_double = half;
  return negative + product + grade + done + hue;
}

TARGET_FRAME long ibis_wait(int count, long total, unsigned flags, int delta, char letter,
                            bool enabled, double ratio, float scale) {
  int negative = -42;
  long product = total * 3;
  char grade = 'b';
  bool done = false;
  double half = ratio / 2;
  Color hue = COLOR_BLUE;
  ibis_record_args(count, total, flags, delta, letter, enabled, ratio, scale);
  ibis_record_locals(negative, product, grade, done, half, hue);
  g_sink = read_idle();
  AFTER_CALL();
  return ibis_use_args(count, total, flags, delta, letter, enabled, ratio, scale) +
         ibis_use_locals(negative, product, grade, done, half, hue);
}

TARGET_FRAME void ibis_perch_record(int depth, Color color, const char* label, long height) {
  Locals("ibis_perch")
      .arg("depth", std::to_string(depth))
      .arg("color", ::color(color))
      .arg("label", cstr(label))
      .var("height", std::to_string(height))
      .commit();
}

TARGET_FRAME long ibis_perch_use(int depth, Color color, const char* label) {
  return depth + color + label[0];
}

// An outer frame: its arguments, used after the call, live in callee-saved
// registers (or stack slots) that unwinding ibis_wait recovers; height lives
// in memory (KEEP), found through the frame base that unwinding recovers.
TARGET_FRAME long ibis_perch(int depth, Color color, const char* label) {
  long height = depth * 1000L + 7;
  KEEP(height);
  ibis_perch_record(depth, color, label, height);
  g_sink = ibis_wait(5, 1234567890123L, 4000000000u, -7, 'a', true, 3.5, 2.25f);
  AFTER_CALL();
  KEEP(height);
  return height + ibis_perch_use(depth, color, label);
}

TARGET_FRAME void* ibis_thread(void*) {
  name_self("ibis");
  g_sink = ibis_perch(3, COLOR_GREEN, "ibis-label");
  AFTER_CALL();
  return nullptr;
}

// ---- heron: structs, array, pointer, reference ------------------------------

TARGET_FRAME void heron_record(const Nest& nest, Nest* out, int seed, const int* cells,
                               const Nest& copy, Nest* target) {
  Locals("heron_fill")
      .arg("nest", ref(&nest, ::nest(nest)))
      .arg("out", hex(out))
      .arg("seed", std::to_string(seed))
      .var("cells", int_list(cells, 4))
      .var("copy", ::nest(copy))
      .var("target", hex(target))
      .commit();
  about_to_block({gettid(), {"heron_fill", "heron_thread"}, {SYS_read}});
}

TARGET_FRAME int heron_fill(const Nest& nest, Nest* out, int seed) {
  int cells[4] = {seed, seed * 2, seed * 3, -seed};
  Nest copy = nest;
  copy.x += 100;
  copy.inner.b = seed;
  Nest* target = &copy;  // a pointer into this frame
  KEEP(cells);
  KEEP(copy);
  heron_record(nest, out, seed, cells, copy, target);
  g_sink = read_idle();
  AFTER_CALL();
  KEEP(cells);
  KEEP(copy);
  out->x += cells[1] + target->x + nest.inner.a + seed;
  return out->x;
}

TARGET_FRAME void heron_thread_record(const Nest& nest, const Nest& spare) {
  Locals("heron_thread").var("nest", ::nest(nest)).var("spare", ::nest(spare)).commit();
}

TARGET_FRAME void* heron_thread(void*) {
  name_self("heron");
  Nest nest{7, "heron-nest", {8, 9}};
  Nest spare{1, "heron-spare", {2, 3}};
  KEEP(nest);
  KEEP(spare);
  heron_thread_record(nest, spare);
  g_sink = heron_fill(nest, &spare, 11);
  AFTER_CALL();
  KEEP(nest);
  KEEP(spare);
  g_sink = nest.x + spare.x;
  return nullptr;
}

// ---- crane: the standard library ---------------------------------------------

TARGET_FRAME void crane_record_strings(std::string_view view, const std::string& owner,
                                       const std::string& short_text, const std::string& long_text,
                                       const std::vector<int>& numbers) {
  Locals("crane_hold")
      .arg("view", quoted(view))
      // A reference to a pretty-printed class: no "@address: ", just the value.
      .arg("owner", quoted(owner))
      .var("short_text", quoted(short_text))
      .var("long_text", quoted(long_text))
      .var("numbers", vector_of_int(numbers))
      .commit();
}

namespace aviary {
enum class Wing { kLeft, kRight };
}  // namespace aviary

// Color's enumerators (0, 1, 2) share no bit, so gdb takes it for a flag enum
// and prints a value none of them names as the flags it holds:
// "(COLOR_GREEN | COLOR_BLUE | unknown: 0x4)" for 7.
std::string color_flags(Color c) {
  unsigned left = static_cast<unsigned>(c);
  std::string out;
  for (auto [value, name] :
       {std::pair<unsigned, const char*>{COLOR_GREEN, "COLOR_GREEN"}, {COLOR_BLUE, "COLOR_BLUE"}}) {
    if (!(left & value)) continue;
    out += out.empty() ? "(" : " | ";
    out += name;
    left &= ~value;
  }
  char rest[32];
  std::snprintf(rest, sizeof rest, "%sunknown: 0x%x)", out.empty() ? "(" : " | ", left);
  return left ? out + rest : out + ")";
}

TARGET_FRAME void crane_record_more(const std::vector<bool>& flags, aviary::Wing wing, Color odd) {
  std::string bits;
  for (size_t i = 0; i < flags.size(); ++i)
    bits += std::string(i ? ", " : "") + (flags[i] ? "true" : "false");
  Locals("crane_hold")
      .var("flags", "std::vector<bool> of length " + std::to_string(flags.size()) + ", capacity " +
                        std::to_string(flags.capacity()) + " = {" + bits + "}")
      // gdb qualifies a scoped enumerator by its enum.
      .var("wing", wing == aviary::Wing::kLeft ? "aviary::Wing::kLeft" : "aviary::Wing::kRight")
      .var("odd", color_flags(odd))
      .commit();
}

TARGET_FRAME void crane_record_pointers(const std::unique_ptr<int>& boxed,
                                        const std::unique_ptr<Inner>& boxed_pair,
                                        const std::shared_ptr<int>& shared,
                                        const std::optional<int>& maybe,
                                        const std::optional<int>& nothing) {
  Locals("crane_hold")
      .var("boxed", "std::unique_ptr<int> = {get() = " + hex(boxed.get()) + "}")
      .var("boxed_pair", "std::unique_ptr<Inner> = {get() = " + hex(boxed_pair.get()) + "}")
      .var("shared", "std::shared_ptr<int> (use count " + std::to_string(shared.use_count()) +
                         ", weak count 0) = {get() = " + hex(shared.get()) + "}")
      .var("maybe", optional_int(maybe))
      .var("nothing", optional_int(nothing))
      .commit();
  about_to_block({gettid(), {"crane_hold", "crane_thread"}, {SYS_read}});
}

// The node-based containers as libstdc++'s printers show them, children in
// the containers' own iteration order.
TARGET_FRAME void crane_record_containers(
    const std::list<int>& perches, const std::list<int>& no_perches,
    const std::map<int, std::string>& names, const std::map<int, int>& no_names,
    const std::set<int>& rings, const std::unordered_map<int, int>& counts,
    const std::deque<int>& queue, const std::variant<int, std::string>& tag_text,
    const std::variant<int, std::string>& tag_number, const std::tuple<int, std::string>& band,
    const std::atomic<int>& sightings, const std::atomic<bool>& migrating) {
  std::string list_text = "std::__cxx11::list = {";
  int i = 0;
  for (int v : perches)
    list_text += (i ? ", [" : "[") + std::to_string(i) + "] = " + std::to_string(v), ++i;
  std::string map_text = "std::map with " + std::to_string(names.size()) + " elements = {";
  i = 0;
  for (const auto& [k, v] : names)
    map_text += (i++ ? ", [" : "[") + std::to_string(k) + "] = " + quoted(v);
  std::string set_text = "std::set with " + std::to_string(rings.size()) + " elements = {";
  i = 0;
  for (int v : rings)
    set_text += (i ? ", [" : "[") + std::to_string(i) + "] = " + std::to_string(v), ++i;
  std::string counts_text =
      "std::unordered_map with " + std::to_string(counts.size()) + " elements = {";
  i = 0;
  for (const auto& [k, v] : counts)
    counts_text += (i++ ? ", [" : "[") + std::to_string(k) + "] = " + std::to_string(v);
  std::string queue_text = "std::deque with " + std::to_string(queue.size()) + " elements = {";
  i = 0;
  for (int v : queue) queue_text += (i++ ? ", " : "") + std::to_string(v);
  Locals("crane_hold")
      .var("perches", list_text + "}")
      .var("no_perches", no_perches.empty() ? "empty std::__cxx11::list" : "?")
      .var("names", map_text + "}")
      .var("no_names", "std::map with " + std::to_string(no_names.size()) + " elements")
      .var("rings", set_text + "}")
      .var("counts", counts_text + "}")
      .var("queue", queue_text + "}")
      .var("tag_text", "std::variant<int, std::string> [index 1] = {" +
                           quoted(std::get<std::string>(tag_text)) + "}")
      .var("tag_number", "std::variant<int, std::string> [index 0] = {" +
                             std::to_string(std::get<int>(tag_number)) + "}")
      // libstdc++'s tuple printer numbers its elements from 1.
      .var("band", "std::tuple containing = {[1] = " + std::to_string(std::get<0>(band)) +
                       ", [2] = " + quoted(std::get<1>(band)) + "}")
      .var("sightings", "std::atomic<int> = { " + std::to_string(sightings.load()) + " }")
      .var("migrating", std::string("std::atomic<bool> = { ") + boolean(migrating.load()) + " }")
      .commit();
}

TARGET_FRAME size_t crane_hold(std::string_view view, const std::string& owner) {
  std::string short_text = "crane";
  std::string long_text = "crane-long-text-beyond-the-sso-buffer";
  std::vector<int> numbers{1, 2, 3};
  std::unique_ptr<int> boxed = std::make_unique<int>(77);
  std::unique_ptr<Inner> boxed_pair = std::make_unique<Inner>(Inner{4, 5});
  std::shared_ptr<int> shared = std::make_shared<int>(88);
  std::optional<int> maybe = 5;
  std::optional<int> nothing;
  std::vector<bool> flags{true, false, true};
  std::list<int> perches{7, 8, 9};
  std::list<int> no_perches;
  std::map<int, std::string> names{{2, "two"}, {1, "one-with-a-longer-name"}, {3, "three"}};
  std::map<int, int> no_names;
  std::set<int> rings{30, 10, 20, 40, 50};
  std::unordered_map<int, int> counts{{1, 10}, {2, 20}, {3, 30}};
  // More than one 128-element buffer, so the walk crosses nodes.
  std::deque<int> queue;
  for (int k = 0; k < 150; ++k) queue.push_back(k);
  queue.push_front(-1);
  std::variant<int, std::string> tag_text = std::string("perch");
  std::variant<int, std::string> tag_number = 42;
  std::tuple<int, std::string> band{3, "ibis-band"};
  std::atomic<int> sightings{5};
  std::atomic<bool> migrating{true};
  aviary::Wing wing = aviary::Wing::kRight;
  Color odd = static_cast<Color>(7);
  KEEP(flags);
  KEEP(wing);
  KEEP(odd);
  KEEP(view);
  KEEP(short_text);
  KEEP(long_text);
  KEEP(numbers);
  KEEP(boxed);
  KEEP(boxed_pair);
  KEEP(shared);
  KEEP(maybe);
  KEEP(nothing);
  KEEP(perches);
  KEEP(no_perches);
  KEEP(names);
  KEEP(no_names);
  KEEP(rings);
  KEEP(counts);
  KEEP(queue);
  KEEP(tag_text);
  KEEP(tag_number);
  KEEP(band);
  KEEP(sightings);
  KEEP(migrating);
  crane_record_strings(view, owner, short_text, long_text, numbers);
  crane_record_containers(perches, no_perches, names, no_names, rings, counts, queue, tag_text,
                          tag_number, band, sightings, migrating);
  crane_record_more(flags, wing, odd);
  crane_record_pointers(boxed, boxed_pair, shared, maybe, nothing);
  g_sink = read_idle();
  AFTER_CALL();
  KEEP(flags);
  KEEP(wing);
  KEEP(odd);
  KEEP(view);
  KEEP(short_text);
  KEEP(long_text);
  KEEP(numbers);
  KEEP(boxed);
  KEEP(boxed_pair);
  KEEP(shared);
  KEEP(maybe);
  KEEP(nothing);
  KEEP(perches);
  KEEP(no_perches);
  KEEP(names);
  KEEP(no_names);
  KEEP(rings);
  KEEP(counts);
  KEEP(queue);
  KEEP(tag_text);
  KEEP(tag_number);
  KEEP(band);
  KEEP(sightings);
  KEEP(migrating);
  return view.size() + owner.size() + short_text.size() + long_text.size() + numbers.size() +
         *boxed + boxed_pair->b + *shared + maybe.value_or(0) + nothing.value_or(0);
}

TARGET_FRAME void crane_thread_record(const std::string& owner) {
  Locals("crane_thread").var("owner", quoted(owner)).commit();
}

TARGET_FRAME void* crane_thread(void*) {
  name_self("crane");
  std::string owner = "crane-owner";
  KEEP(owner);
  crane_thread_record(owner);
  g_sink = static_cast<long>(crane_hold(std::string_view("crane-view"), owner));
  AFTER_CALL();
  KEEP(owner);
  g_sink = static_cast<long>(owner.size());
  return nullptr;
}

// ---- osprey: a tail call into pthread_mutex_lock ------------------------------

// At -O2 (g++ 12, clang++ 14/19/22 alike) the body is a sibling call,
// `jmp pthread_mutex_lock`: no frame of its own while the thread waits, only
// DWARF call-site information (DW_TAG_call_site with DW_AT_call_tail_call).
// gdb 13 does not rebuild the frame here: it looks the callee up as
// "pthread_mutex_lock(pthread_mutex_t*)" and finds no such function. (It does
// rebuild a g++ tail call into a C++ function of ours, never a clang one:
// clang's tail-call sites carry DW_AT_call_pc, which gdb 13 does not read.)
// (TARGET_FRAME forbids inlining and cloning, not the sibling call: AFTER_CALL
// is what would forbid that, and it is left out on purpose.)
TARGET_FRAME void osprey_lock(pthread_mutex_t* m) {
  pthread_mutex_lock(m);
}

#ifdef __OPTIMIZE__
constexpr bool kOspreyLockHasFrame = false;  // the jmp above
#else
constexpr bool kOspreyLockHasFrame = true;
#endif

TARGET_FRAME void osprey_record(void* arg, pthread_mutex_t* m) {
  // The osprey_lock line holds at -O0; at -O2 it describes the tail-call
  // frame, which only an unwinder that rebuilds such frames can show.
  Locals("osprey_lock").arg("m", hex(m)).commit();
  Locals("osprey_thread").arg("arg", hex(arg)).var("m", hex(m)).commit();
  // The chain lists the frames a stack unwind finds: osprey_lock only when
  // it has a frame of its own.
  std::vector<std::string> chain{"osprey_thread"};
  if (kOspreyLockHasFrame) chain.insert(chain.begin(), "osprey_lock");
  // main holds m: the thread sleeps in futex inside pthread_mutex_lock.
  about_to_block({gettid(), chain, {SYS_futex}});
}

TARGET_FRAME void* osprey_thread(void* arg) {
  name_self("osprey");
  auto* m = static_cast<pthread_mutex_t*>(arg);
  osprey_record(arg, m);
  osprey_lock(m);
  AFTER_CALL();
  pthread_mutex_unlock(m);
  return nullptr;
}

// ---- kite: a tail call into a function of ours ---------------------------------

// kite_lock's body is a sibling call at -O2 (`jmp kite_grab`), like
// osprey_lock's, but into a C++ function of ours, which gdb 13 can rebuild
// from g++'s call-site DWARF: a tail-call frame both gdb and corostack show.
TARGET_FRAME void kite_grab(pthread_mutex_t* m) {
  pthread_mutex_lock(m);
  AFTER_CALL();  // a real call: kite_grab keeps its frame
  pthread_mutex_unlock(m);
}

TARGET_FRAME void kite_lock(pthread_mutex_t* m) {
  kite_grab(m);
}

TARGET_FRAME void kite_record(pthread_mutex_t* m) {
  std::vector<std::string> chain{"kite_grab", "kite_thread"};
  if (kOspreyLockHasFrame) chain.insert(chain.begin() + 1, "kite_lock");
  Locals("kite_grab").arg("m", hex(m)).commit();
  about_to_block({gettid(), chain, {SYS_futex}});
}

TARGET_FRAME void* kite_thread(void* arg) {
  name_self("kite");
  auto* m = static_cast<pthread_mutex_t*>(arg);
  kite_record(m);
  kite_lock(m);
  AFTER_CALL();
  return nullptr;
}

// ---- wren: a struct split into pieces, one of them optimized out -------------

// At -O2 the compilers keep `span` as two pieces (scalar replacement of
// aggregates): `lo` in a callee-saved register, used after the blocking call,
// and `hi`, dead by then, in no location at all. gdb prints the member it has
// and `<optimized out>` for the other; at -O0 the whole struct is in memory.
struct Span {
  long lo;
  long hi;
};

TARGET_FRAME long wren_far(long base) {
  g_sink = base;
  return base * 7 + 1;
}

TARGET_FRAME void wren_record(long base, long lo, long hi) {
  Locals("wren_wait")
      .arg("base", std::to_string(base))
      .var("span", "{lo = " + std::to_string(lo) + ", hi = " + std::to_string(hi) + "}")
      .commit();
  about_to_block({gettid(), {"wren_wait", "wren_thread"}, {SYS_read}});
}

TARGET_FRAME long wren_wait(long base) {
  Span span{base, wren_far(base)};
  wren_record(base, span.lo, span.hi);
  g_sink = read_idle();
  AFTER_CALL();
  return span.lo + 1;
}

TARGET_FRAME void* wren_thread(void*) {
  name_self("wren");
  g_sink = wren_wait(5);
  AFTER_CALL();
  return nullptr;
}

// ---- main ---------------------------------------------------------------------

TARGET_FRAME int main_wait(int ready_fd) {
  target_common::signal_ready(ready_fd);
  g_sink = read_idle();
  AFTER_CALL();
  return ready_fd;
}

namespace {

// Starts one thread and waits until it is about to block, so the threads
// start in order.
void start(void* (*fn)(void*), void* arg, size_t started_before) {
  pthread_t t;
  if (pthread_create(&t, nullptr, fn, arg) != 0) target_common::die("pthread_create failed");
  pthread_detach(t);
  target_common::wait_for_threads(started_before + 1);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) target_common::die("usage: native_locals <ready_fd> <truth_path>");
  int ready_fd = std::atoi(argv[1]);
  std::string truth_path = argv[2];
  if (pipe(g_idle_pipe) != 0) target_common::die("pipe failed");

  // On the heap, not a global: gdb would print a pointer to a global as
  // "0x... <symbol>".
  auto* osprey_mutex = new pthread_mutex_t;
  pthread_mutex_init(osprey_mutex, nullptr);
  pthread_mutex_lock(osprey_mutex);  // held forever: osprey waits on it

  size_t n = 0;
  start(ibis_thread, nullptr, n++);
  start(heron_thread, nullptr, n++);
  start(crane_thread, nullptr, n++);
  start(osprey_thread, osprey_mutex, n++);
  start(kite_thread, osprey_mutex, n++);
  start(wren_thread, nullptr, n++);

  std::vector<target_common::ThreadTruth> threads = target_common::wait_for_threads(n);
  target_common::wait_until_blocked(threads);
  threads.insert(threads.begin(), {gettid(), {"main_wait", "main"}, {}});
  Locals("main_wait").arg("ready_fd", std::to_string(ready_fd)).commit();
  write_locals(truth_path);
  target_common::write_truth(truth_path, threads);

  int r = main_wait(ready_fd);
  AFTER_CALL();
  return r == 12345 ? 1 : 0;
}
