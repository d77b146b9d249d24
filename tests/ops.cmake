# ops.cmake -- what an operator meets (issue 17): /metrics parsed by prometheus_client, optional
# article fields, feed's delivery timeout, check vs run, reload, logs, install. One ctest per section.
foreach(section metrics fields feed cache check reload threads novelty novelty_reload logs install compose)
  sq_add_py_test(test_ops_${section} SCRIPT test_ops.py ARGS ${section} LABELS integration)
endforeach()
