# faultline_add_conformance_tests(TARGET <gtest executable> [LABELS label...]
#                                 [TIMEOUT seconds] [SERVER path] [DATA_DIR dir])
#
# Registers every test of TARGET with ctest, after each build of TARGET (it runs
# TARGET --gtest_list_tests). The tests that faultline::conformance::register_conformance_tests
# (faultline/conformance/gtest.h) made are named by the catalogue: the check ID and the
# driver's own name, Conformance/<Group>.<ID>/<driver> (Conformance/Pool.POOL-REUSE/h2), so
# that `ctest -R POOL-REUSE` selects a check; every other test keeps its GoogleTest name.
# Call it instead of gtest_discover_tests for TARGET, not beside it.
#
#   LABELS    ctest labels of every test (default: conformance)
#   TIMEOUT   per test, in seconds (default 300)
#   SERVER    the faultline-server the checks start (FAULTLINE_SERVER in each test's
#             environment); default: the faultline::faultline-server target's file
#   DATA_DIR  FAULTLINE_DATA_DIR in each test's environment (the bundled drivers);
#             default: Faultline_DATA_DIR when find_package(Faultline) set it
function(faultline_add_conformance_tests)
  cmake_parse_arguments(ARG "" "TARGET;TIMEOUT;SERVER;DATA_DIR" "LABELS" ${ARGN})
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "faultline_add_conformance_tests: unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT ARG_TARGET OR NOT TARGET ${ARG_TARGET})
    message(FATAL_ERROR "faultline_add_conformance_tests: TARGET must name an executable target (got '${ARG_TARGET}')")
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  if(NOT DEFINED ARG_LABELS)
    set(ARG_LABELS conformance)
  endif()
  if(NOT ARG_SERVER)
    if(TARGET faultline::faultline-server)
      set(ARG_SERVER "$<TARGET_FILE:faultline::faultline-server>")
    elseif(TARGET faultline-server)
      set(ARG_SERVER "$<TARGET_FILE:faultline-server>")
    endif()
  endif()
  if(NOT ARG_DATA_DIR AND DEFINED Faultline_DATA_DIR)
    set(ARG_DATA_DIR "${Faultline_DATA_DIR}")
  endif()
  # A list cannot cross a custom command's argument: '|' separates the labels there.
  string(REPLACE ";" "|" labels "${ARG_LABELS}")
  set(tests_file "${CMAKE_CURRENT_BINARY_DIR}/${ARG_TARGET}_conformance_tests.cmake")
  set(include_file "${CMAKE_CURRENT_BINARY_DIR}/${ARG_TARGET}_conformance_include.cmake")
  add_custom_command(TARGET ${ARG_TARGET} POST_BUILD
    BYPRODUCTS "${tests_file}"
    COMMAND "${CMAKE_COMMAND}"
      "-DTEST_EXECUTABLE=$<TARGET_FILE:${ARG_TARGET}>"
      "-DTESTS_FILE=${tests_file}"
      "-DWORKING_DIRECTORY=${CMAKE_CURRENT_BINARY_DIR}"
      "-DTIMEOUT=${ARG_TIMEOUT}"
      "-DLABELS=${labels}"
      "-DSERVER=${ARG_SERVER}"
      "-DDATA_DIR=${ARG_DATA_DIR}"
      -P "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/FaultlineConformanceDiscover.cmake"
    COMMENT "Listing the conformance tests of ${ARG_TARGET}"
    VERBATIM)
  # ctest reads the list the last build wrote; before the first build, one failing test
  # says so.
  file(WRITE "${include_file}"
    "if(EXISTS \"${tests_file}\")\n"
    "  include(\"${tests_file}\")\n"
    "else()\n"
    "  add_test(${ARG_TARGET}_NOT_BUILT ${ARG_TARGET}_NOT_BUILT)\n"
    "endif()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${include_file}")
endfunction()
