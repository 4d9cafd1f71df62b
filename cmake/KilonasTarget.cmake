# kilonas_library(<name> SOURCES ... [DEPS ...]) creates kilonas_<name> with the alias kilonas::<name>.
# Every library is compiled with the same warning set; include paths are rooted at the repository so
# headers are included as "core/graph.h". A switch that misses an enumerator (a new op kind, call
# shape or kernel-constants layout) and a dropped core::Status / core::Result are errors: they are
# where a new op or kernel would otherwise be silently half-wired.
function(kilonas_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
                                           -Wno-missing-field-initializers
                                           -Werror=switch -Werror=unused-result)
endfunction()

function(kilonas_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(kilonas_${name} ${ARG_SOURCES})
  add_library(kilonas::${name} ALIAS kilonas_${name})
  target_include_directories(kilonas_${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(kilonas_${name} PUBLIC ${ARG_DEPS})
  kilonas_warnings(kilonas_${name})
endfunction()
