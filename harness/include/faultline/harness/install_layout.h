// Where Faultline keeps its programs and data, found at run time relative to the running
// executable, so that no build or source path is compiled into anything that is installed.
//
// An install prefix holds bin/ (faultline-server, faultline-fetch, faultline-conformance)
// and share/faultline/ (drivers/, scenarios/, launchers/). The build tree mirrors that
// layout: <build>/bin/ and <build>/share/faultline/ hold links to the built programs and
// to the source tree's data (cmake/FaultlineInstall.cmake).
#pragma once

#include <filesystem>

namespace faultline::harness {

/** The directory of the running executable (/proc/self/exe); empty when unknown. */
[[nodiscard]] std::filesystem::path executable_directory();

/** The prefix the running executable belongs to: the nearest of its directory and that
    directory's ancestors (kLayoutSearchDepth levels) that holds share/faultline/ - an
    install prefix or a build tree. Empty when none does, e.g. for a test binary of a
    project that uses an installed Faultline: such a program passes paths explicitly
    (the CMake package exports them, see docs/packaging.md). */
[[nodiscard]] std::filesystem::path installation_prefix();

/** FAULTLINE_DATA_DIR from the environment, else <installation_prefix()>/share/faultline,
    else empty. Holds drivers/<name>/, scenarios/ and launchers/. */
[[nodiscard]] std::filesystem::path default_data_directory();

}  // namespace faultline::harness
