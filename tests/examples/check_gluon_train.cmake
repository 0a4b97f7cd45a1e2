cmake_minimum_required(VERSION 3.25)
# Runs the tutorial's training loop (examples/gluon_train.cc) and checks what the issue asks of
# it: 7 delayed losses near ln(10) = 2.30, no kernels compiled after the first step, and a smaller
# fraction of reads that had to wait for the engine with the one-iteration delay than without
# (counts from the profiler, not times; 30 ms of other host work per step give the engine time
# to finish a step before its loss is read late, a real program's data loading and logging).
# -DPROGRAM=...
execute_process(COMMAND ${PROGRAM} --host-work-ms 30
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${PROGRAM} failed (${rc}):\n${out}\n${err}")
endif()
string(REGEX MATCHALL "\n[0-9]+\\.[0-9]+" losses "${out}")
list(LENGTH losses n)
if(NOT n EQUAL 7)
  message(FATAL_ERROR "expected 7 delayed losses, got ${n}:\n${out}")
endif()
foreach(l IN LISTS losses)
  string(STRIP "${l}" l)
  if(l LESS 2.1 OR l GREATER 2.5)
    message(FATAL_ERROR "loss ${l} is not near ln(10):\n${out}")
  endif()
endforeach()
if(NOT out MATCHES "kernels compiled or loaded: [1-9][0-9]* in the first step \\([0-9]+ from the disk cache\\), 0 in the later ones")
  message(FATAL_ERROR "later steps compiled kernels:\n${out}")
endif()
if(NOT out MATCHES "late: 7 calls, ([0-9]+) waited")
  message(FATAL_ERROR "no delayed-read line:\n${out}")
endif()
set(delayed ${CMAKE_MATCH_1})
if(NOT out MATCHES "at once: +8 calls, ([0-9]+) waited")
  message(FATAL_ERROR "no immediate-read line:\n${out}")
endif()
set(immediate ${CMAKE_MATCH_1})
# Fractions: 7 delayed reads against 8 immediate ones.
math(EXPR delayed_scaled "${delayed} * 8")
math(EXPR immediate_scaled "${immediate} * 7")
if(NOT delayed_scaled LESS immediate_scaled)
  message(FATAL_ERROR "the delayed reads waited ${delayed} times in 7, the immediate ones ${immediate} in 8:\n${out}")
endif()
message(STATUS "${out}")
