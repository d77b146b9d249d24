# eval.cmake -- corpus converters, `squawk eval` and the eval library against hand-written fixtures (tests/data/eval).
sq_add_test(test_eval SOURCES test_eval.c LIBS PkgConfig::JANSSON LABELS integration TIMEOUT 120)
# The test drives the binary, so building it builds squawk too.
add_dependencies(test_eval squawk)
# The eval library in-process (eval/eval.h): counts, threshold sources, printers, bad labels.
sq_add_test(test_eval_engine SOURCES test_eval_engine.c LIBS sq_eval PkgConfig::JANSSON LABELS unit TIMEOUT 300)
add_dependencies(test_eval_engine invest chips regulatory)
# `squawk eval --scores` and tools/evalcmp.py: two runs of the fixtures compared article by article.
sq_add_py_test(test_evalcmp SCRIPT test_evalcmp.py LABELS unit)
# tools/surface.py: the fixtures rewritten (wire slugs, outlets, no-break spaces, HTML references) decide the same.
sq_add_py_test(test_surface SCRIPT test_surface.py LABELS unit)
