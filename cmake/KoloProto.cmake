# kolo_proto_library(<target> ROOT <dir> FILES <relative .proto paths...>)
# Generates protobuf-c sources for FILES (relative to ROOT) at build time
# into ${CMAKE_BINARY_DIR}/gen and builds them into a static library whose
# users get the generated root on their include path. Each header also
# names its services' server-streaming RPCs (cmake/proto_streams.cmake).
function(kolo_proto_library target)
  cmake_parse_arguments(P "" "ROOT" "FILES;DEPENDS" ${ARGN})
  set(gen_root ${CMAKE_BINARY_DIR}/gen)
  set(sources)
  foreach(rel ${P_FILES})
    string(REGEX REPLACE "\\.proto$" "" stem ${rel})
    set(c ${gen_root}/${stem}.pb-c.c)
    set(h ${gen_root}/${stem}.pb-c.h)
    add_custom_command(
      OUTPUT ${c} ${h}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${gen_root}
      COMMAND ${PROTOC_C} --proto_path=${P_ROOT} --proto_path=${PROJECT_SOURCE_DIR}/proto
              --c_out=${gen_root} ${rel}
      COMMAND ${CMAKE_COMMAND} -DPROTO=${P_ROOT}/${rel} -DHEADER=${h}
              -P ${PROJECT_SOURCE_DIR}/cmake/proto_streams.cmake
      DEPENDS ${P_ROOT}/${rel} ${PROJECT_SOURCE_DIR}/cmake/proto_streams.cmake
      COMMENT "protoc-c ${rel}"
      VERBATIM)
    list(APPEND sources ${c})
  endforeach()
  add_library(${target} STATIC ${sources})
  target_include_directories(${target} PUBLIC ${gen_root})
  target_link_libraries(${target} PUBLIC PkgConfig::PROTOBUFC ${P_DEPENDS})
  set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE ON)
endfunction()
