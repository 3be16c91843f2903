# cmake -DTEST_EXECUTABLE=... -DTESTS_FILE=... -DWORKING_DIRECTORY=... -DTIMEOUT=...
#       -DLABELS=a|b -DSERVER=... -DDATA_DIR=... -P FaultlineConformanceDiscover.cmake
# Run after each build by faultline_add_conformance_tests (FaultlineConformance.cmake):
# lists the tests of TEST_EXECUTABLE and writes TESTS_FILE, the add_test() calls ctest
# reads. A conformance test (suite Conformance/<Group>, test <ID_WITH_UNDERSCORES>/<x>,
# its GetParam() the driver's name) is named Conformance/<Group>.<ID>/<driver>.
execute_process(
  COMMAND "${TEST_EXECUTABLE}" --gtest_list_tests
  WORKING_DIRECTORY "${WORKING_DIRECTORY}"
  OUTPUT_VARIABLE listing
  ERROR_VARIABLE errors
  RESULT_VARIABLE rc
  TIMEOUT 60)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${TEST_EXECUTABLE} --gtest_list_tests failed (${rc}):\n${listing}\n${errors}")
endif()

string(REPLACE "|" ";" labels "${LABELS}")
set(environment "")
if(SERVER)
  list(APPEND environment "FAULTLINE_SERVER=${SERVER}")
endif()
if(DATA_DIR)
  list(APPEND environment "FAULTLINE_DATA_DIR=${DATA_DIR}")
endif()

# Brackets would keep CMake from splitting the listing at ';' (a parameter printed as a
# list): they become placeholders and come back in the names.
string(REPLACE "[" "<faultline-lb>" listing "${listing}")
string(REPLACE "]" "<faultline-rb>" listing "${listing}")
string(REPLACE ";" "<faultline-sc>" listing "${listing}")
string(REPLACE "\n" ";" lines "${listing}")

set(out "# Written by FaultlineConformanceDiscover.cmake from ${TEST_EXECUTABLE} --gtest_list_tests\n")
set(suite "")
set(count 0)
foreach(line IN LISTS lines)
  if(line STREQUAL "")
    continue()
  endif()
  if(NOT line MATCHES "^  ")
    # "Suite.  # TypeParam = ..." : the suite, without its dot and comment.
    string(REGEX REPLACE "\\.( *#.*)?$" "" suite "${line}")
    continue()
  endif()
  string(REGEX REPLACE "^  ([^ ]+).*$" "\\1" test "${line}")
  set(param "")
  if(line MATCHES "# GetParam\\(\\) = (.+)$")
    set(param "${CMAKE_MATCH_1}")
  endif()
  if(test MATCHES "^DISABLED_" OR suite MATCHES "^DISABLED_")
    continue()
  endif()
  set(gtest_name "${suite}.${test}")
  set(name "${gtest_name}")
  if(suite MATCHES "^Conformance/" AND test MATCHES "^([A-Z0-9_]+)/" AND NOT param STREQUAL "")
    string(REPLACE "_" "-" id "${CMAKE_MATCH_1}")
    set(name "${suite}.${id}/${param}")
  endif()
  foreach(var name gtest_name)
    string(REPLACE "<faultline-lb>" "[" ${var} "${${var}}")
    string(REPLACE "<faultline-rb>" "]" ${var} "${${var}}")
    string(REPLACE "<faultline-sc>" "\\;" ${var} "${${var}}")
  endforeach()
  string(APPEND out
    "add_test([==[${name}]==] [==[${TEST_EXECUTABLE}]==] [==[--gtest_filter=${gtest_name}]==])\n"
    "set_tests_properties([==[${name}]==] PROPERTIES\n"
    "  WORKING_DIRECTORY [==[${WORKING_DIRECTORY}]==]\n"
    "  TIMEOUT ${TIMEOUT}\n"
    "  SKIP_REGULAR_EXPRESSION [==[\\[  SKIPPED \\]]==]\n"
    "  LABELS [==[${labels}]==]\n"
    "  ENVIRONMENT [==[${environment}]==])\n")
  math(EXPR count "${count} + 1")
endforeach()
if(count EQUAL 0)
  message(FATAL_ERROR "${TEST_EXECUTABLE} lists no tests")
endif()
file(WRITE "${TESTS_FILE}" "${out}")
