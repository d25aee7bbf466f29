#pragma once
// A module's globals read from outside: interp->modules (sys.modules) ->
// the module by name -> its md_dict. Shared by the thread-name reader
// (threading) and the asyncio walker (asyncio.tasks).
#include <optional>
#include <string_view>

#include "base/remote_addr.hpp"
#include "python/remote_object.hpp"

namespace corostack::python {

// The globals dict of the imported module `name`, or nullopt when it is not
// imported or anything on the way cannot be read or has the wrong type.
std::optional<RemoteAddr> module_globals(const RemoteObjects& ro, RemoteAddr interp,
                                         std::string_view name);

// The imported module object `name` (sys.modules[name]), or nullopt.
std::optional<RemoteAddr> find_module(const RemoteObjects& ro, RemoteAddr interp,
                                      std::string_view name);

// A non-negative int that fits 64 bits (3 digits of 30 bits at most).
std::optional<uint64_t> uint64_of(const RemoteObjects& ro, RemoteAddr obj);

bool has_type(const RemoteObjects& ro, RemoteAddr obj, std::string_view name);

}  // namespace corostack::python
