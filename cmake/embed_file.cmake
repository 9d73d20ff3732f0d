# cmake -DIN=<file> -DOUT=<out.c> -DSYMBOL=<name> -P embed_file.cmake
file(READ ${IN} hex HEX)
file(SIZE ${IN} size)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
file(WRITE ${OUT} "#include <stddef.h>\nconst char ${SYMBOL}[] = {${bytes} 0x00};\nconst size_t ${SYMBOL}_len = ${size};\n")
