# `dump --native --locals` test target (targets/native_locals.cpp), built with
# every compiler we have at -O0 and -O2: where arguments and locals live (stack
# slots, callee-saved registers, entry values, constants, location lists) and
# which ones end up <optimized out> differ per compiler and level. Binaries go
# to LOCALS_TARGETS_DIR as native_locals_<compiler>_<level>; tests skip, loudly,
# the builds that are missing. Included from tests/CMakeLists.txt after
# targets.cmake (corostack_test_target).
set(LOCALS_TARGETS_DIR ${CMAKE_BINARY_DIR}/tests/targets)
set(LOCALS_TARGET_SOURCES ${TARGETS_DIR}/native_locals.cpp ${TARGETS_DIR}/target_common.cpp)
set(LOCALS_TARGET_DEPENDS ${LOCALS_TARGET_SOURCES}
  ${TARGETS_DIR}/target_common.hpp ${TARGETS_DIR}/frame_macros.hpp)
set(LOCALS_TARGETS "")

# The project compiler (g++ on Debian 12) through the usual target function
# (C++20 comes from the project's CMAKE_CXX_STANDARD).
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  foreach(level O0 O2)
    corostack_test_target(native_locals_gcc_${level} -${level} ${TARGETS_DIR}/native_locals.cpp)
    set_target_properties(native_locals_gcc_${level} PROPERTIES
      RUNTIME_OUTPUT_DIRECTORY ${LOCALS_TARGETS_DIR})
    list(APPEND LOCALS_TARGETS native_locals_gcc_${level})
  endforeach()
else()
  message(STATUS "locals targets: project compiler is ${CMAKE_CXX_COMPILER_ID}, not GNU: "
                 "native_locals_gcc_O0/O2 not built")
endif()

# Each clang, invoked directly: one compile-and-link command per binary, no
# sanitizers, libstdc++ (the system's, so gdb's libstdc++ pretty printers
# apply). CORO_CLANGXX_<version> is the cache variable coro_targets.cmake uses:
# find_program does not search again when it is already set.
set(LOCALS_CLANG_WARNINGS -Wall -Wextra)
if(COROSTACK_WERROR)
  list(APPEND LOCALS_CLANG_WARNINGS -Werror)
endif()
foreach(version 14 19 22)
  find_program(CORO_CLANGXX_${version} clang++-${version})
  if(NOT CORO_CLANGXX_${version})
    message(STATUS "locals targets: clang++-${version} not found: "
                   "native_locals_clang${version}_O0/O2 not built (their tests will skip)")
    continue()
  endif()
  foreach(level O0 O2)
    set(name native_locals_clang${version}_${level})
    set(out ${LOCALS_TARGETS_DIR}/${name})
    add_custom_command(
      OUTPUT ${out}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${LOCALS_TARGETS_DIR}
      COMMAND ${CORO_CLANGXX_${version}} -std=c++20 -g -${level} -pthread
              ${LOCALS_CLANG_WARNINGS} -I${TARGETS_DIR} ${LOCALS_TARGET_SOURCES} -o ${out}
      DEPENDS ${LOCALS_TARGET_DEPENDS}
      COMMENT "Building ${name} with clang++-${version} -${level}"
      VERBATIM)
    add_custom_target(${name} DEPENDS ${out})
    list(APPEND LOCALS_TARGETS ${name})
  endforeach()
endforeach()
