# Coroutine sample programs for coro_table_test, one per available compiler
# and optimisation level: the coroutine table must cope with what each of
# g++ 12 and clang 14/19/22 emits at -O0 and -O2 (see
# /work/shared/reference/cpp-coro-anchors.md §b). A missing compiler just
# means no sample; the test skips it.
set(CORO_SAMPLE_SOURCE ${CMAKE_CURRENT_LIST_DIR}/coro_samples/sample.cpp)
set(CORO_SAMPLES_DIR ${CMAKE_CURRENT_BINARY_DIR}/coro_samples)
file(MAKE_DIRECTORY ${CORO_SAMPLES_DIR})

set(_coro_sample_outputs)
foreach(_cc_tag gcc:g++-12 clang14:clang++-14 clang19:clang++-19 clang22:clang++-22)
  string(REPLACE ":" ";" _cc_pair ${_cc_tag})
  list(GET _cc_pair 0 _tag)
  list(GET _cc_pair 1 _cc_name)
  find_program(CORO_SAMPLE_CXX_${_tag} NAMES ${_cc_name})
  if(NOT CORO_SAMPLE_CXX_${_tag})
    continue()
  endif()
  foreach(_opt O0 O2)
    set(_out ${CORO_SAMPLES_DIR}/sample-${_tag}-${_opt})
    add_custom_command(
      OUTPUT ${_out}
      COMMAND ${CORO_SAMPLE_CXX_${_tag}} -std=c++20 -g -${_opt} ${CORO_SAMPLE_SOURCE} -o ${_out}
      DEPENDS ${CORO_SAMPLE_SOURCE}
      COMMENT "Building coroutine sample ${_tag} -${_opt}"
      VERBATIM)
    list(APPEND _coro_sample_outputs ${_out})
  endforeach()
endforeach()
add_custom_target(coro_samples ALL DEPENDS ${_coro_sample_outputs})
add_dependencies(corostack_unit_tests coro_samples)
target_compile_definitions(corostack_unit_tests PRIVATE
  COROSTACK_CORO_SAMPLES_DIR="${CORO_SAMPLES_DIR}"
  COROSTACK_CORO_SAMPLE_SOURCE="${CORO_SAMPLE_SOURCE}")
