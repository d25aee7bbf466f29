# C++20 coroutine test target (targets/coro/coro_chain.cpp), built with every
# compiler we have at -O0 and -O2: frame layouts, clone names and debug info
# differ per compiler and level, and `corostack coro` must handle them all.
# All binaries go to CORO_TARGETS_DIR as coro_chain_<compiler>_<level>; the e2e
# tests (tests/e2e/coro_truth.hpp) skip, loudly, the builds that are missing.
# Included from tests/CMakeLists.txt after targets.cmake (corostack_test_target).
set(CORO_TARGETS_DIR ${CMAKE_BINARY_DIR}/tests/targets)
set(CORO_TARGET_SOURCES
  ${TARGETS_DIR}/coro/coro_chain.cpp ${TARGETS_DIR}/target_common.cpp)
set(CORO_TARGET_DEPENDS ${CORO_TARGET_SOURCES}
  ${TARGETS_DIR}/coro/coro_task.hpp ${TARGETS_DIR}/target_common.hpp
  ${TARGETS_DIR}/frame_macros.hpp)
set(CORO_TARGETS "")

# The project compiler (g++ on Debian 12) through the usual target function.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  foreach(level O0 O2)
    corostack_test_target(coro_chain_gcc_${level} -${level} ${TARGETS_DIR}/coro/coro_chain.cpp)
    target_include_directories(coro_chain_gcc_${level} PRIVATE ${TARGETS_DIR}/coro)
    set_target_properties(coro_chain_gcc_${level} PROPERTIES
      RUNTIME_OUTPUT_DIRECTORY ${CORO_TARGETS_DIR})
    list(APPEND CORO_TARGETS coro_chain_gcc_${level})
  endforeach()
else()
  message(STATUS "coro targets: project compiler is ${CMAKE_CXX_COMPILER_ID}, not GNU: "
                 "coro_chain_gcc_O0/O2 not built")
endif()

# Each clang, invoked directly: one compile-and-link command per binary, no
# sanitizers, libstdc++ (the system's).
set(CORO_CLANG_WARNINGS -Wall -Wextra)
if(COROSTACK_WERROR)
  list(APPEND CORO_CLANG_WARNINGS -Werror)
endif()
foreach(version 14 19 22)
  find_program(CORO_CLANGXX_${version} clang++-${version})
  if(NOT CORO_CLANGXX_${version})
    message(STATUS "coro targets: clang++-${version} not found: "
                   "coro_chain_clang${version}_O0/O2 not built (their tests will skip)")
    continue()
  endif()
  message(STATUS "coro targets: clang++-${version}: ${CORO_CLANGXX_${version}}")
  foreach(level O0 O2)
    set(name coro_chain_clang${version}_${level})
    set(out ${CORO_TARGETS_DIR}/${name})
    add_custom_command(
      OUTPUT ${out}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${CORO_TARGETS_DIR}
      COMMAND ${CORO_CLANGXX_${version}} -std=c++20 -g -${level} -pthread
              ${CORO_CLANG_WARNINGS} -I${TARGETS_DIR} -I${TARGETS_DIR}/coro
              ${CORO_TARGET_SOURCES} -o ${out}
      DEPENDS ${CORO_TARGET_DEPENDS}
      COMMENT "Building ${name} with clang++-${version} -${level}"
      VERBATIM)
    add_custom_target(${name} DEPENDS ${out})
    list(APPEND CORO_TARGETS ${name})
  endforeach()
endforeach()
