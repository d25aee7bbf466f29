#include "function_names.hpp"

#include <algorithm>

namespace e2e {
namespace {

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

void trim_right(std::string& s) {
  while (!s.empty() && s.back() == ' ') s.pop_back();
}

}  // namespace

std::string strip_arguments(std::string_view function) {
  std::string name(function);
  for (size_t clone; (clone = name.find(" [clone ")) != std::string::npos;) name.erase(clone);
  trim_right(name);
  // Qualifiers that may follow the argument list.
  for (bool again = true; again;) {
    again = false;
    for (std::string_view q : {" const", " volatile", " &&", " &", " noexcept"}) {
      if (name.size() > q.size() && name.ends_with(q)) {
        name.erase(name.size() - q.size());
        again = true;
      }
    }
  }
  if (name.empty() || name.back() != ')') return name;
  // Find the '(' matching the final ')'.
  int depth = 0;
  for (size_t i = name.size(); i-- > 0;) {
    if (name[i] == ')') ++depth;
    if (name[i] == '(' && --depth == 0) {
      if (i == 0) return name;  // all parentheses, e.g. "(anonymous namespace)"
      name.erase(i);
      trim_right(name);
      return name;
    }
  }
  return name;
}

std::string normalize_alias(std::string_view name) {
  std::string_view rest = name;
  for (bool again = true; again;) {
    again = false;
    while (starts_with(rest, "_")) rest.remove_prefix(1), again = true;
    for (std::string_view prefix : {"GI_", "libc_"}) {
      if (starts_with(rest, prefix) && rest.size() > prefix.size()) {
        rest.remove_prefix(prefix.size());
        again = true;
      }
    }
  }
  // glibc exports some functions as versioned aliases of an "_impl" one
  // (__libc_start_main -> __libc_start_main_impl); debug info names the latter.
  if (rest.size() > 5 && rest.ends_with("_impl")) rest.remove_suffix(5);
  return rest.empty() ? std::string(name) : std::string(rest);
}

testing::AssertionResult contains_chain(const std::vector<std::string>& frames,
                                        const std::vector<std::string>& chain, size_t* at) {
  auto it = std::search(frames.begin(), frames.end(), chain.begin(), chain.end());
  if (it != frames.end() && !chain.empty()) {
    if (at) *at = static_cast<size_t>(it - frames.begin());
    return testing::AssertionSuccess();
  }
  return testing::AssertionFailure()
         << "expected the run [" << join(chain) << "] in frames [" << join(frames) << "]";
}

std::string join(const std::vector<std::string>& names) {
  std::string text;
  for (const std::string& n : names) text += (text.empty() ? "" : ", ") + n;
  return text;
}

}  // namespace e2e
