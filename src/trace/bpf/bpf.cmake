# corostack trace's eBPF backend (src/trace/bpf/, src/trace/bpf_tracer.cpp).
# Builds syscall_trace.bpf.c with clang for the BPF target, turns the object
# into a skeleton header with bpftool, and links libbpf. Without libbpf,
# bpftool or clang >= 14 the library still builds, with the backend compiled
# out (BpfTracer::open then says "built without eBPF support").
# Included from src/CMakeLists.txt after corostack_lib is defined.

option(COROSTACK_BPF "Build the eBPF trace backend when libbpf, bpftool and clang are found" ON)

set(COROSTACK_HAVE_BPF OFF)
if(COROSTACK_BPF)
  pkg_check_modules(LIBBPF QUIET IMPORTED_TARGET libbpf)
  # clang-14 is what the project pins; any clang >= 14 emits the BTF and
  # CO-RE relocations libbpf 1.1 needs.
  find_program(COROSTACK_BPF_CLANG NAMES clang-14 clang-15 clang-16 clang-17 clang-18 clang-19 clang)
  find_program(COROSTACK_BPFTOOL NAMES bpftool PATHS /usr/sbin /sbin)
  set(_bpf_clang_ok OFF)
  if(COROSTACK_BPF_CLANG)
    execute_process(COMMAND ${COROSTACK_BPF_CLANG} --version OUTPUT_VARIABLE _bpf_clang_version
                    ERROR_QUIET)
    if(_bpf_clang_version MATCHES "clang version ([0-9]+)" AND CMAKE_MATCH_1 GREATER_EQUAL 14)
      set(_bpf_clang_ok ON)
    endif()
  endif()
  if(LIBBPF_FOUND AND COROSTACK_BPFTOOL AND _bpf_clang_ok)
    set(COROSTACK_HAVE_BPF ON)
  else()
    message(STATUS "corostack: eBPF trace backend disabled (libbpf: ${LIBBPF_FOUND}, "
                   "bpftool: ${COROSTACK_BPFTOOL}, clang >= 14: ${_bpf_clang_ok})")
  endif()
endif()

if(COROSTACK_HAVE_BPF)
  set(_bpf_src ${CMAKE_CURRENT_SOURCE_DIR}/trace/bpf/syscall_trace.bpf.c)
  set(_bpf_out ${CMAKE_CURRENT_BINARY_DIR}/trace_bpf)
  set(_bpf_obj ${_bpf_out}/syscall_trace.bpf.o)
  set(_bpf_skel ${_bpf_out}/syscall_trace.skel.h)
  file(MAKE_DIRECTORY ${_bpf_out})
  # <linux/bpf.h> includes <asm/types.h>, which Debian keeps under the
  # multiarch directory; -target bpf does not search it by itself.
  set(_bpf_includes -I${CMAKE_CURRENT_SOURCE_DIR}/trace/bpf)
  if(CMAKE_LIBRARY_ARCHITECTURE)
    list(APPEND _bpf_includes -idirafter /usr/include/${CMAKE_LIBRARY_ARCHITECTURE})
  endif()
  foreach(_dir ${LIBBPF_INCLUDE_DIRS})
    list(APPEND _bpf_includes -idirafter ${_dir})
  endforeach()
  add_custom_command(
    OUTPUT ${_bpf_obj}
    COMMAND ${COROSTACK_BPF_CLANG} -O2 -g -target bpf -D__TARGET_ARCH_x86 -Wall -Werror
            ${_bpf_includes} -c ${_bpf_src} -o ${_bpf_obj}
    DEPENDS ${_bpf_src} ${CMAKE_CURRENT_SOURCE_DIR}/trace/bpf/syscall_trace.h
    COMMENT "Compiling eBPF program syscall_trace.bpf.c"
    VERBATIM)
  # bpftool writes the skeleton to stdout; write to a temporary and rename so
  # an interrupted build never leaves a truncated header behind.
  add_custom_command(
    OUTPUT ${_bpf_skel}
    COMMAND sh -c "\"$1\" gen skeleton \"$2\" name syscall_trace_bpf > \"$3.tmp\" && mv \"$3.tmp\" \"$3\""
            sh ${COROSTACK_BPFTOOL} ${_bpf_obj} ${_bpf_skel}
    DEPENDS ${_bpf_obj}
    COMMENT "Generating eBPF skeleton syscall_trace.skel.h"
    VERBATIM)
  target_sources(corostack_lib PRIVATE ${_bpf_skel})
  # SYSTEM: the generated header is not ours to keep warning-free.
  target_include_directories(corostack_lib SYSTEM PRIVATE ${_bpf_out})
  target_compile_definitions(corostack_lib PUBLIC COROSTACK_HAVE_BPF=1)
  target_link_libraries(corostack_lib PRIVATE PkgConfig::LIBBPF)
endif()
