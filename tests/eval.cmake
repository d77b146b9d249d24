# eval.cmake -- corpus converters and `squawk eval` against hand-written fixtures (tests/data/eval).
sq_add_test(test_eval SOURCES test_eval.c LIBS PkgConfig::JANSSON LABELS integration TIMEOUT 120)
# The test drives the binary, so building it builds squawk too.
add_dependencies(test_eval squawk)
