# The targets Faultline exports (find_package(Faultline)): the programs, and the libraries
# as build-tree target:export name -> faultline::<export name>. The first five libraries
# are the public ones; the rest are what those link and must therefore be exported too.
set(FAULTLINE_EXPORTED_LIBRARIES
  faultline_certs:certs
  faultline_scenarios:scenarios
  faultline_transport:transport
  faultline_harness:harness
  faultline_conformance_checks:conformance
  faultline_transport_core:transport_core
  faultline_transport_h2_protocol:transport_h2_protocol
  faultline_transport_testing:transport_testing
  faultline_conformance_transport_driver:conformance_transport_driver
  faultline_asio:asio
  faultline_options:options)
# The catalogue in a GoogleTest binary of one's own (faultline/conformance/gtest.h).
if(TARGET faultline_conformance_gtest)
  list(APPEND FAULTLINE_EXPORTED_LIBRARIES faultline_conformance_gtest:conformance_gtest)
endif()

set(FAULTLINE_EXPORTED_TARGETS ${FAULTLINE_PROGRAMS})
foreach(entry IN LISTS FAULTLINE_EXPORTED_LIBRARIES)
  string(REPLACE ":" ";" entry "${entry}")
  list(GET entry 0 target)
  list(GET entry 1 name)
  if(NOT TARGET ${target})
    message(FATAL_ERROR "FaultlineExports.cmake: exported target ${target} does not exist")
  endif()
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${name})
  # The same name in the build tree, for projects that add Faultline as a subdirectory.
  if(NOT TARGET faultline::${name})
    add_library(faultline::${name} ALIAS ${target})
  endif()
  list(APPEND FAULTLINE_EXPORTED_TARGETS ${target})
endforeach()

