# cmake -DPROTO=<file.proto> -DHEADER=<file.pb-c.h> -P proto_streams.cmake
#
# protoc-c's method descriptors do not say whether an RPC streams, so the fact is read from
# the .proto itself and written into the generated header: for each service a macro
#   <PACKAGE>__<SERVICE>__SERVER_STREAMING  ((const char *const[]){ "Watch", NULL })
# naming its server-streaming RPCs (NULL alone when none), for rpc_service.server_streaming
# (shared/rpc checks a method table against it). Service tables serve no client or
# bidirectional streaming and no Kolo .proto declares one; the one bidirectional RPC,
# gRPC's ServerReflectionInfo, is served by shared/rpc itself (rpc_reflection.c).
if(NOT PROTO OR NOT HEADER)
  message(FATAL_ERROR "proto_streams.cmake: PROTO and HEADER must be set")
endif()
file(READ "${PROTO}" text)
# Comments first, so a commented-out rpc does not count.
string(REGEX REPLACE "//[^\n]*" "" text "${text}")
string(REGEX REPLACE "\n" " " text "${text}")
string(REGEX MATCH "package[ \t]+([A-Za-z0-9_.]+)[ \t]*;" _ "${text}")
set(package "${CMAKE_MATCH_1}")
string(REPLACE "." "__" prefix "${package}")
string(TOUPPER "${prefix}" prefix)
# A CMake list splits on semicolons: the rest needs none.
string(REPLACE ";" " " text "${text}")

set(block "")
string(REGEX MATCHALL "service[ \t]+[A-Za-z0-9_]+[ \t]*{[^}]*}" services "${text}")
foreach(svc ${services})
  string(REGEX MATCH "service[ \t]+([A-Za-z0-9_]+)" _ "${svc}")
  set(name "${CMAKE_MATCH_1}")
  string(REGEX REPLACE "([a-z0-9])([A-Z])" "\\1_\\2" cname "${name}")
  string(TOUPPER "${cname}" cname)
  set(server "")
  string(REGEX MATCHALL "rpc[ \t]+[A-Za-z0-9_]+[ \t]*\\([^)]*\\)[ \t]*returns[ \t]*\\([^)]*\\)"
         rpcs "${svc}")
  foreach(rpc ${rpcs})
    string(REGEX MATCH "rpc[ \t]+([A-Za-z0-9_]+)[ \t]*\\(([^)]*)\\)[ \t]*returns[ \t]*\\(([^)]*)\\)"
           _ "${rpc}")
    set(method "${CMAKE_MATCH_1}")
    set(in "${CMAKE_MATCH_2}")
    set(out "${CMAKE_MATCH_3}")
    if(out MATCHES "^[ \t]*stream[ \t]" AND NOT in MATCHES "^[ \t]*stream[ \t]")
      string(APPEND server "\"${method}\", ")
    endif()
  endforeach()
  string(APPEND block
    "#define ${prefix}__${cname}__SERVER_STREAMING ((const char *const[]){ ${server}NULL })\n")
endforeach()
if(block STREQUAL "")
  return()
endif()

file(READ "${HEADER}" header)
if(header MATCHES "__SERVER_STREAMING ")
  return() # already added
endif()
set(marker "PROTOBUF_C__END_DECLS")
string(FIND "${header}" "${marker}" at REVERSE)
if(at LESS 0)
  message(FATAL_ERROR "proto_streams.cmake: no ${marker} in ${HEADER}")
endif()
string(SUBSTRING "${header}" 0 ${at} head)
string(SUBSTRING "${header}" ${at} -1 tail)
file(WRITE "${HEADER}"
  "${head}/* --- streaming RPCs (cmake/proto_streams.cmake, from the .proto) --- */\n\n${block}\n${tail}")
