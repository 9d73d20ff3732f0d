# kolo_embed(<out.c> <symbol> <file>): a C source defining
# `const char <symbol>[]` (NUL-terminated) and `const size_t <symbol>_len`
# with the bytes of <file>, regenerated when the file changes.
function(kolo_embed out symbol file)
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DIN=${file} -DOUT=${out} -DSYMBOL=${symbol}
            -P ${PROJECT_SOURCE_DIR}/cmake/embed_file.cmake
    DEPENDS ${file} ${PROJECT_SOURCE_DIR}/cmake/embed_file.cmake
    COMMENT "embed ${file}"
    VERBATIM)
endfunction()
