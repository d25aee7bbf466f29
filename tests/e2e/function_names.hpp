#pragma once
// Function names as corostack and gdb print them, reduced so that they compare:
// corostack gives "reader_level1(int)", gdb "reader_level1" (arguments apart),
// and libc functions go by several aliases (read, __libc_read, __GI___libc_read).
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace e2e {

// Drops the argument list, qualifiers after it and GCC clone suffixes:
// "ns::f(int) const" -> "ns::f", "(anonymous namespace)::g()" ->
// "(anonymous namespace)::g", "h(int) [clone .constprop.0]" -> "h".
std::string strip_arguments(std::string_view function);

// Reduces glibc's internal aliases to the public name:
// "__GI___libc_read" -> "read", "___pthread_mutex_lock" -> "pthread_mutex_lock",
// "__libc_start_main_impl" -> "start_main" (as "__libc_start_main").
std::string normalize_alias(std::string_view name);

// Succeeds when chain occurs in frames as a contiguous run, in order; sets *at
// to where it starts. The failure message lists both.
testing::AssertionResult contains_chain(const std::vector<std::string>& frames,
                                        const std::vector<std::string>& chain,
                                        size_t* at = nullptr);

// "a, b, c" for failure messages.
std::string join(const std::vector<std::string>& names);

}  // namespace e2e
