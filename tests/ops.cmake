# ops.cmake -- what an operator meets (issue 17): /metrics parsed by prometheus_client, optional
# article fields, feed's delivery timeout, check vs run, reload, logs, install. One ctest per section.
find_program(DEBIAN_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(DEBIAN_PYTHON)
  foreach(section metrics fields feed cache check reload threads novelty novelty_reload logs install compose)
    add_test(NAME test_ops_${section}
             COMMAND ${DEBIAN_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/test_ops.py ${section})
    set_tests_properties(test_ops_${section} PROPERTIES LABELS integration TIMEOUT 300
      ENVIRONMENT "SQUAWK_BIN=${CMAKE_BINARY_DIR}/squawk;SQ_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
  endforeach()
endif()
