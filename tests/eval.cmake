# eval.cmake -- corpus converters, `squawk eval` and the eval library against hand-written fixtures (tests/data/eval).
sq_add_test(test_eval SOURCES test_eval.c LIBS PkgConfig::JANSSON LABELS integration TIMEOUT 120)
# The test drives the binary, so building it builds squawk too.
add_dependencies(test_eval squawk)
# The eval library in-process (eval/eval.h): counts, threshold sources, printers, bad labels.
sq_add_test(test_eval_engine SOURCES test_eval_engine.c LIBS sq_eval PkgConfig::JANSSON LABELS unit TIMEOUT 300)
add_dependencies(test_eval_engine invest chips regulatory)
# `squawk eval --scores` and tools/evalcmp.py: two runs of the fixtures compared article by article.
find_program(EVAL_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(EVAL_PYTHON)
  add_test(NAME test_evalcmp COMMAND ${EVAL_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/test_evalcmp.py)
  set_tests_properties(test_evalcmp PROPERTIES LABELS unit TIMEOUT 300
    ENVIRONMENT "SQUAWK_BIN=${CMAKE_BINARY_DIR}/squawk;SQ_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
endif()
