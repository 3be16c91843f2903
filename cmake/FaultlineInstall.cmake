# cmake --install: the programs, the libraries with their public headers, the data the
# programs find relative to themselves, and the CMake package (find_package(Faultline)).
# Layout and names: docs/packaging.md.
include(CMakePackageConfigHelpers)

install(TARGETS ${FAULTLINE_EXPORTED_TARGETS}
  EXPORT FaultlineTargets
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

# Public headers: each module's include/ tree, and the test-only defects header that
# faultline::conformance exposes. (conformance/drivers/ is private to the suite: its
# library is exported only because faultline::conformance links it.)
foreach(dir certs scenarios transport harness conformance transport/testing)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${dir}/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
endforeach()

# Data: the bundled drivers (the scripts, with the npm dependencies ./faultline installed;
# the built programs, launchers and jars of drivers/bin and drivers/lib, not the Go and
# Java sources they come from), the launchers, the built-in scenarios and their schema.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/harness/drivers/
  DESTINATION ${FAULTLINE_INSTALL_DATADIR}/drivers
  USE_SOURCE_PERMISSIONS
  PATTERN CMakeLists.txt EXCLUDE
  PATTERN __pycache__ EXCLUDE
  REGEX "/(go|java|java-common|okhttp)$" EXCLUDE)
install(DIRECTORY ${FAULTLINE_DRIVERS_BIN_DIR} ${FAULTLINE_DRIVERS_LIB_DIR}
  DESTINATION ${FAULTLINE_INSTALL_DATADIR}/drivers
  USE_SOURCE_PERMISSIONS)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/harness/launchers/
  DESTINATION ${FAULTLINE_INSTALL_DATADIR}/launchers
  USE_SOURCE_PERMISSIONS
  PATTERN CMakeLists.txt EXCLUDE
  PATTERN node_modules EXCLUDE
  PATTERN __pycache__ EXCLUDE
  PATTERN "*.egg-info" EXCLUDE
  PATTERN build EXCLUDE)
file(GLOB scenario_files CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/scenarios/*.json)
install(FILES ${scenario_files} DESTINATION ${FAULTLINE_INSTALL_DATADIR}/scenarios)
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR})

# The CMake package.
install(EXPORT FaultlineTargets
  NAMESPACE faultline::
  DESTINATION ${FAULTLINE_INSTALL_CMAKEDIR})
configure_package_config_file(cmake/FaultlineConfig.cmake.in
  ${PROJECT_BINARY_DIR}/FaultlineConfig.cmake
  INSTALL_DESTINATION ${FAULTLINE_INSTALL_CMAKEDIR}
  PATH_VARS FAULTLINE_INSTALL_DATADIR CMAKE_INSTALL_BINDIR)
# 0.x: a minor version may break the API.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/FaultlineConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES
  ${PROJECT_BINARY_DIR}/FaultlineConfig.cmake
  ${PROJECT_BINARY_DIR}/FaultlineConfigVersion.cmake
  ${PROJECT_SOURCE_DIR}/cmake/FaultlineConformance.cmake
  ${PROJECT_SOURCE_DIR}/cmake/FaultlineConformanceDiscover.cmake
  DESTINATION ${FAULTLINE_INSTALL_CMAKEDIR})
