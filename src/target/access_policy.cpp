#include "target/access_policy.hpp"

#include <sys/stat.h>

#include <cstdlib>

#include "target/caller_identity.hpp"
#include "target/proc_fs.hpp"

namespace corostack {
namespace {

// The numbers after "Name:\t" on its line, or false if the line is missing or short.
template <typename T>
bool parse_id_line(const std::string& text, const char* name, T (&out)[4]) {
  std::string key = std::string("\n") + name + ":";
  size_t p = text.find(key);
  if (p == std::string::npos) return false;
  const char* s = text.c_str() + p + key.size();
  for (T& v : out) {
    char* end = nullptr;
    unsigned long long n = std::strtoull(s, &end, 10);
    if (end == s || n > 0xffffffffULL) return false;
    v = static_cast<T>(n);
    s = end;
  }
  return true;
}

// "uid 0", or "effective uid 0" when only some of the four differ from the caller's.
std::string ids_text(const char* what, const unsigned (&ids)[4], unsigned caller) {
  static const char* kNames[] = {"real", "effective", "saved", "filesystem"};
  bool all_same = ids[1] == ids[0] && ids[2] == ids[0] && ids[3] == ids[0];
  for (int i = 0; i < 4; ++i)
    if (ids[i] != caller)
      return (all_same ? std::string() : std::string(kNames[i]) + " ") + what + " " +
             std::to_string(ids[i]);
  return std::string(what) + " " + std::to_string(ids[0]);
}

}  // namespace

Result<ProcessCredentials> parse_status_credentials(const std::string& status_text) {
  ProcessCredentials c;
  std::string text = "\n" + status_text;
  if (!parse_id_line(text, "Uid", c.uids) || !parse_id_line(text, "Gid", c.gids))
    return make_error(ErrorKind::kCorrupt, "no Uid/Gid lines in /proc status");
  size_t p = text.find("\nCapPrm:");
  if (p == std::string::npos)
    return make_error(ErrorKind::kCorrupt, "no CapPrm line in /proc status");
  c.permitted_capabilities = std::strtoull(text.c_str() + p + 8, nullptr, 16);
  return c;
}

Result<ProcessCredentials> read_process_credentials(pid_t pid) {
  std::string base = "/proc/" + std::to_string(pid);
  auto status = read_text_file(base + "/status", 1 << 16);
  if (!status) return status.error();
  auto c = parse_status_credentials(*status);
  if (!c) return c;
  struct stat st {};
  if (::stat((base + "/mem").c_str(), &st) != 0)
    return make_error(errno_kind(errno), "cannot stat " + base + "/mem");
  c->dump_owner = st.st_uid;
  return c;
}

std::optional<std::string> inspection_refusal(const ProcessCredentials& t, uid_t caller_uid,
                                              gid_t caller_gid) {
  if (caller_uid == 0) return std::nullopt;
  for (uid_t u : t.uids)
    if (u != caller_uid)
      return "it runs as " + ids_text("uid", t.uids, caller_uid) + " and you are uid " +
             std::to_string(caller_uid) +
             " (a privileged corostack inspects only your own processes)";
  for (gid_t g : t.gids)
    if (g != caller_gid)
      return "it runs as " + ids_text("gid", t.gids, caller_gid) + " and your group is gid " +
             std::to_string(caller_gid) + " (it changed group, e.g. a setgid program)";
  if (t.dump_owner != caller_uid)
    return "it is not dumpable (it changed credentials or called prctl(PR_SET_DUMPABLE, 0)); "
           "only root may inspect it";
  if (t.permitted_capabilities != 0)
    return "it holds capabilities you do not have (CapPrm " + [&] {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%016llx",
                    static_cast<unsigned long long>(t.permitted_capabilities));
      return std::string(buf);
    }() + "); only root may inspect it";
  return std::nullopt;
}

Status check_may_inspect(pid_t pid) {
  const CallerIdentity& me = caller_identity();
  if (!me.secure) return ok_status();
  auto c = read_process_credentials(pid);
  if (!c) {
    if (c.error().kind == ErrorKind::kNotFound) return c.error();
    return make_error(ErrorKind::kPermission, "refusing to inspect pid " + std::to_string(pid) +
                                                  ": its credentials cannot be read (" +
                                                  c.error().message + ")");
  }
  if (auto why = inspection_refusal(*c, me.uid, me.gid))
    return make_error(ErrorKind::kPermission,
                      "refusing to inspect pid " + std::to_string(pid) + ": " + *why);
  return ok_status();
}

}  // namespace corostack
