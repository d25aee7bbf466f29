# `make package`: a Debian package built by CPack from the install rules.
# Library dependencies come from dpkg-shlibdeps; the binary is stripped.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME corostack)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "corostack developers <corostack@example.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "see what every thread and coroutine of a process or core is doing")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "corostack looks inside a running process or a core dump from outside and\n prints what every thread, native frame, Python frame, asyncio task and C++\n coroutine is doing: dump, gcore, tasks, coro, record, top, trace and doctor.")
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# Only the tool: tests, benches and fuzzers install nothing.
set(CPACK_INSTALL_CMAKE_PROJECTS "${CMAKE_BINARY_DIR};${PROJECT_NAME};ALL;/")
include(CPack)
