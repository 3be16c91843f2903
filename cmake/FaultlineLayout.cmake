# The build tree mirrors the install layout (docs/packaging.md): <build>/bin/ links to the
# programs, <build>/share/faultline/ to the data in the source tree. Programs and tests
# find the server and the drivers relative to their own location (the harness's
# install_layout.h), the same way in a build tree and in an install prefix.
set(FAULTLINE_PROGRAMS faultline-server faultline-fetch faultline-conformance)

set(layout_bin "${PROJECT_BINARY_DIR}/${CMAKE_INSTALL_BINDIR}")
set(layout_data "${PROJECT_BINARY_DIR}/${FAULTLINE_INSTALL_DATADIR}")
file(MAKE_DIRECTORY "${layout_bin}" "${layout_data}")

# A link that dangles until the program is built.
foreach(program IN LISTS FAULTLINE_PROGRAMS)
  if(TARGET ${program})
    get_target_property(dir ${program} BINARY_DIR)
    file(CREATE_LINK "${dir}/${program}" "${layout_bin}/${program}" SYMBOLIC)
  endif()
endforeach()
# drivers/ is laid out by harness/drivers/CMakeLists.txt (links to the sources, and the
# built programs in drivers/bin).
file(CREATE_LINK "${PROJECT_SOURCE_DIR}/harness/launchers" "${layout_data}/launchers" SYMBOLIC)
file(CREATE_LINK "${PROJECT_SOURCE_DIR}/scenarios" "${layout_data}/scenarios" SYMBOLIC)
