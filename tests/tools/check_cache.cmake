# `ndjit-inspect cache` on a cache a program filled: PROGRAM (the demo) runs twice against a fresh
# DIR (the second run loads what the first compiled); stats, list and clear read and empty it.
file(REMOVE_RECURSE ${DIR})
function(run_program out_var)
  execute_process(COMMAND ${CMAKE_COMMAND} -E env NDJIT_CACHE=1 NDJIT_CACHE_DIR=${DIR} ${PROGRAM}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${PROGRAM} failed (${rc}):\n${out}\n${err}")
  endif()
  set(${out_var} "${out}" PARENT_SCOPE)
endfunction()
function(inspect expected_regex)
  execute_process(COMMAND ${TOOL} cache ${ARGN} --cache_dir=${DIR}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0 OR NOT out MATCHES "${expected_regex}")
    message(FATAL_ERROR "ndjit-inspect cache ${ARGN}: exit ${rc}, output does not match "
                        "'${expected_regex}':\n${out}\n${err}")
  endif()
endfunction()

run_program(first)
if(NOT first MATCHES "([1-9][0-9]*) compiled \\([0-9.]+ ms\\) and 0 loaded from the disk cache")
  message(FATAL_ERROR "the first run should compile and load nothing:\n${first}")
endif()
set(compiled ${CMAKE_MATCH_1})
run_program(second)
if(NOT second MATCHES " 0 compiled \\([0-9.]+ ms\\) and ${compiled} loaded from the disk cache")
  message(FATAL_ERROR "the second run should load the ${compiled} kernels the first compiled:\n${second}")
endif()
inspect("cache directory: ${DIR}\ncpu +${compiled} entries +[0-9]+ bytes  0 unusable\ncuda +0 entries" stats)
inspect("cpu +[0-9]+  [0-9-]+ [0-9:]+  [0-9a-f]+\\.ndjk  kernel [a-z_0-9]+; instructions [0-9]+; compile_ms [0-9.]+; sites [^\n]*demo\\.cc:[0-9]+:[0-9]+" list)
inspect("removed ${compiled} files from ${DIR}" clear)
inspect("cpu +0 entries" stats)
