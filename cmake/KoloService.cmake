# kolo_service(<name> SOURCES <files...> [LIBS <libs...>])
# One program of the suite: its code as the library kolo_<name>_core (the
# tests link it and run the service in-process; it links libkolo and LIBS,
# publicly) and the program kolo-<name> from main.c beside it, installed to
# bin/.
function(kolo_service name)
  cmake_parse_arguments(S "" "" "SOURCES;LIBS" ${ARGN})
  set(core kolo_${name}_core)
  add_library(${core} STATIC ${S_SOURCES})
  target_include_directories(${core} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
  target_compile_options(${core} PRIVATE ${KOLO_WARNINGS})
  target_link_libraries(${core} PUBLIC kolo ${S_LIBS})

  add_executable(kolo-${name} main.c)
  target_compile_options(kolo-${name} PRIVATE ${KOLO_WARNINGS})
  target_link_libraries(kolo-${name} PRIVATE ${core})
  install(TARGETS kolo-${name} RUNTIME DESTINATION bin)
endfunction()
