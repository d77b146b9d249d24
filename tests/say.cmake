# say.cmake -- squawk say: text, queue and voice units; the command end to end over real ZeroMQ sockets.
sq_add_test(test_say_text SOURCES test_say_text.c LIBS sq_say LABELS unit)
sq_add_test(test_say_queue SOURCES test_say_queue.c LIBS sq_say LABELS unit)
sq_add_test(test_say_voice SOURCES test_say_voice.c LIBS sq_say LABELS unit)
# End to end: a pyzmq XPUB publisher, the squawk binary, sox for the WAVs. One ctest entry per scenario.
find_program(DEBIAN_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(DEBIAN_PYTHON)
  foreach(s samples rate urgent flood stale copies device topic latency)
    add_test(NAME test_say_${s} COMMAND ${DEBIAN_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/test_say.py ${s})
    math(EXPR T_TIMEOUT "120 * ${SQUAWK_TEST_TIME_SCALE}")
    set_tests_properties(test_say_${s} PROPERTIES LABELS integration TIMEOUT ${T_TIMEOUT}
      ENVIRONMENT "SQUAWK_BIN=${CMAKE_BINARY_DIR}/squawk;SQ_SOURCE_DIR=${CMAKE_SOURCE_DIR};SQUAWK_TEST_TIME_SCALE=${SQUAWK_TEST_TIME_SCALE}")
  endforeach()
endif()
