# service.cmake -- squawk run end to end: config, feed, sub, metrics, reload, shutdown offsets.
find_program(DEBIAN_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(DEBIAN_PYTHON)
  add_test(NAME test_run COMMAND ${DEBIAN_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/test_run.py)
  set_tests_properties(test_run PROPERTIES LABELS integration TIMEOUT 400
    ENVIRONMENT "SQUAWK_BIN=${CMAKE_BINARY_DIR}/squawk;SQ_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
endif()
if(DEBIAN_PYTHON)
  add_test(NAME test_rules COMMAND ${DEBIAN_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/test_rules.py)
  set_tests_properties(test_rules PROPERTIES LABELS unit TIMEOUT 300
    ENVIRONMENT "SQUAWK_BIN=${CMAKE_BINARY_DIR}/squawk;SQ_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
endif()
if(DEBIAN_PYTHON)
  add_test(NAME test_samples COMMAND ${DEBIAN_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/test_samples.py)
  set_tests_properties(test_samples PROPERTIES LABELS unit TIMEOUT 300
    ENVIRONMENT "SQUAWK_BIN=${CMAKE_BINARY_DIR}/squawk;SQ_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
endif()
if(DEBIAN_PYTHON)
  add_test(NAME test_learned COMMAND ${DEBIAN_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/test_learned.py)
  set_tests_properties(test_learned PROPERTIES LABELS integration TIMEOUT 400
    ENVIRONMENT "SQUAWK_BIN=${CMAKE_BINARY_DIR}/squawk")
endif()
if(DEBIAN_PYTHON)
  add_test(NAME test_rescore COMMAND ${DEBIAN_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/test_rescore.py)
  set_tests_properties(test_rescore PROPERTIES LABELS integration TIMEOUT 300
    ENVIRONMENT "SQUAWK_BIN=${CMAKE_BINARY_DIR}/squawk;SQ_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
endif()
# issue 21: kill -9 and restart, /healthz before assignment; the small defects (ports, CURVE keys, DLQ)
foreach(t test_restart test_defects)
  if(DEBIAN_PYTHON)
    add_test(NAME ${t} COMMAND ${DEBIAN_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/${t}.py)
    set_tests_properties(${t} PROPERTIES LABELS integration TIMEOUT 300
      ENVIRONMENT "SQUAWK_BIN=${CMAKE_BINARY_DIR}/squawk;SQ_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
  endif()
endforeach()
# issue 21: SIGHUP builds the new engine off the loop (service/reload.c)
if(DEBIAN_PYTHON)
  add_test(NAME test_reload COMMAND ${DEBIAN_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/test_reload.py)
  set_tests_properties(test_reload PROPERTIES LABELS integration TIMEOUT 900
    ENVIRONMENT "SQUAWK_BIN=${CMAKE_BINARY_DIR}/squawk;SQ_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
endif()
# issue 21: the alert journal -- kill -9 x3 with no desk connected, recovery from the journal, through squawk proxy
if(DEBIAN_PYTHON)
  add_test(NAME test_journal COMMAND ${DEBIAN_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/test_journal.py)
  set_tests_properties(test_journal PROPERTIES LABELS integration TIMEOUT 400
    ENVIRONMENT "SQUAWK_BIN=${CMAKE_BINARY_DIR}/squawk;SQ_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
endif()
