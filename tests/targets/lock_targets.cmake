# doctor's lock-state target (targets/lock_deadlock.cpp) built with each clang
# at -O0 and -O2 as well (g++ builds come from targets.cmake): where the
# locking frames and their inlining land differs per compiler. Binaries go to
# CORO_TARGETS_DIR as lock_deadlock_clang<version>_<level>; the e2e test skips,
# loudly, the builds that are missing. Included after coro_targets.cmake.
set(LOCK_TARGET_SOURCES ${TARGETS_DIR}/lock_deadlock.cpp ${TARGETS_DIR}/target_common.cpp)
set(LOCK_TARGETS "")
foreach(version 14 19)
  if(NOT CORO_CLANGXX_${version})
    continue()
  endif()
  foreach(level O0 O2)
    set(name lock_deadlock_clang${version}_${level})
    set(out ${CORO_TARGETS_DIR}/${name})
    add_custom_command(
      OUTPUT ${out}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${CORO_TARGETS_DIR}
      COMMAND ${CORO_CLANGXX_${version}} -std=c++20 -g -${level} -pthread
              ${CORO_CLANG_WARNINGS} -I${TARGETS_DIR} ${LOCK_TARGET_SOURCES} -o ${out}
      DEPENDS ${LOCK_TARGET_SOURCES} ${TARGETS_DIR}/target_common.hpp ${TARGETS_DIR}/frame_macros.hpp
      COMMENT "Building ${name} with clang++-${version} -${level}"
      VERBATIM)
    add_custom_target(${name} DEPENDS ${out})
    list(APPEND LOCK_TARGETS ${name})
  endforeach()
endforeach()
