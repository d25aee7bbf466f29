# Consumer validation: the profile writers' output read by real tools
# (docs/architecture.md, render layer). A test-only program writes hand-built
# profiles (hostile names included) in every format; then
#   consumers_pprof      go tool pprof -raw (Debian golang-go): totals, names, labels
#   consumers_speedscope ajv + the JSON schema shipped in npm's speedscope
#   consumers_svg        xmllint --noout (Debian libxml2-utils)
#   consumers_browser    headless chromium (Debian) via puppeteer-core (npm): the
#                        flamegraph's zoom, search and tooltip, speedscope's app
# A missing tool is reported loudly and the test is SKIPPED (exit 77).
# Paths are relative to tests/ because tests/CMakeLists.txt include()s this.
add_executable(write_sample_profiles consumers/write_sample_profiles.cpp)
target_link_libraries(write_sample_profiles PRIVATE corostack_lib nlohmann_json::nlohmann_json)

set(CONSUMER_DIR ${CMAKE_CURRENT_BINARY_DIR}/consumer_profiles)
add_test(NAME consumers_write_profiles
         COMMAND write_sample_profiles ${CONSUMER_DIR})
set_tests_properties(consumers_write_profiles PROPERTIES
  LABELS consumers FIXTURES_SETUP consumer_profiles)

add_test(NAME consumers_pprof
         COMMAND python3 ${CMAKE_CURRENT_SOURCE_DIR}/consumers/check_pprof.py ${CONSUMER_DIR})
add_test(NAME consumers_speedscope
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/consumers/check_speedscope.sh ${CONSUMER_DIR}
                 ${PROJECT_SOURCE_DIR}/scripts/install-npm-tools ${CMAKE_BINARY_DIR}/npm)
add_test(NAME consumers_svg
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/consumers/check_svg.sh ${CONSUMER_DIR})
add_test(NAME consumers_browser
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/consumers/check_browser.sh ${CONSUMER_DIR}
                 ${PROJECT_SOURCE_DIR}/scripts/install-npm-tools ${CMAKE_BINARY_DIR}/npm)
set_tests_properties(consumers_pprof consumers_speedscope consumers_svg consumers_browser PROPERTIES
  LABELS consumers FIXTURES_REQUIRED consumer_profiles SKIP_RETURN_CODE 77 TIMEOUT 300)
