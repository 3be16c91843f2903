# cmake -DOUTPUT=file.cpp -DINPUTS="a.json;b.json" -P embed_scenarios.cmake
# Writes a C++ file holding every scenario file as a raw string literal, so the
# binaries carry the built-in scenarios and need no files at run time.
set(delimiter "fl_scenario")
set(entries "")
foreach(input IN LISTS INPUTS)
  get_filename_component(name "${input}" NAME_WE)
  file(READ "${input}" text)
  string(FIND "${text}" ")${delimiter}\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${input} contains the raw string delimiter )${delimiter}\"")
  endif()
  string(APPEND entries "    BuiltinFile{\"${name}\", R\"${delimiter}(${text})${delimiter}\"},\n")
endforeach()
if(entries STREQUAL "")
  message(FATAL_ERROR "no scenario files to embed")
endif()
set(content "// Generated from scenarios/*.json by scenarios/cmake/embed_scenarios.cmake. Do not edit.
#include \"detail/builtin_files.h\"

#include <array>

namespace faultline::scenarios::detail {
namespace {

constexpr std::array kFiles = {
${entries}};

}  // namespace

std::span<const BuiltinFile> builtin_files() noexcept { return kFiles; }

}  // namespace faultline::scenarios::detail
")
# Rewrite only on change, so an unrelated build does not recompile it.
if(EXISTS "${OUTPUT}")
  file(READ "${OUTPUT}" old)
  if(old STREQUAL content)
    return()
  endif()
endif()
file(WRITE "${OUTPUT}" "${content}")
