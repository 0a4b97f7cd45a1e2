# Renders `ndjit-inspect --dot INPUT` with Graphviz's `dot -Tsvg` and checks that an SVG with
# one cluster per kernel comes out.
execute_process(COMMAND ${TOOL} --dot --passes=default ${INPUT} RESULT_VARIABLE rc
                OUTPUT_VARIABLE dot_text ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "ndjit-inspect --dot failed (${rc}): ${err}")
endif()
string(RANDOM LENGTH 8 suffix)
set(path "${CMAKE_CURRENT_BINARY_DIR}/dot_renders_${suffix}.dot")
file(WRITE ${path} "${dot_text}")
execute_process(COMMAND ${DOT} -Tsvg ${path} RESULT_VARIABLE rc OUTPUT_VARIABLE svg
                ERROR_VARIABLE err)
file(REMOVE ${path})
if(NOT rc EQUAL 0 OR NOT err STREQUAL "")
  message(FATAL_ERROR "dot -Tsvg failed (${rc}): ${err}")
endif()
if(NOT svg MATCHES "<svg" OR NOT svg MATCHES "cluster_4")
  message(FATAL_ERROR "dot did not produce the expected SVG:\n${svg}")
endif()
