# cmake -DHEADER=<file.pb-c.h> -P c_keywords.cmake
#
# protoc-c names each member of a generated <Service>_Service struct after the RPC in lower
# case, so an RPC whose name is a C keyword (IdentityService.Register -> `register`) yields a
# header that does not compile. The RPC names are fixed by the contract (DESIGN §3), so the
# member is renamed with a trailing underscore (`register_`). Only that member declaration is
# touched: descriptors, method names on the wire and the client stubs stay as generated.
if(NOT HEADER)
  message(FATAL_ERROR "c_keywords.cmake: HEADER is not set")
endif()
file(READ "${HEADER}" text)
string(REGEX REPLACE
  "\\(\\*(auto|break|case|char|const|continue|default|do|double|else|enum|extern|float|for|goto|if|inline|int|long|register|restrict|return|short|signed|sizeof|static|struct|switch|typedef|union|unsigned|void|volatile|while)\\)\\("
  "(*\\1_)(" fixed "${text}")
if(NOT fixed STREQUAL text)
  file(WRITE "${HEADER}" "${fixed}")
endif()
