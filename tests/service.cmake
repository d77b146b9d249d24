# service.cmake -- squawk run end to end: config, feed, sub, metrics, reload, shutdown offsets.
sq_add_py_test(test_run SCRIPT test_run.py LABELS integration TIMEOUT 400)
sq_add_py_test(test_rules SCRIPT test_rules.py LABELS unit)
sq_add_py_test(test_samples SCRIPT test_samples.py LABELS unit)
sq_add_py_test(test_learned SCRIPT test_learned.py LABELS integration TIMEOUT 400)
sq_add_py_test(test_rescore SCRIPT test_rescore.py LABELS integration)
# issue 21: kill -9 and restart, /healthz before assignment; the small defects (ports, CURVE keys, DLQ)
sq_add_py_test(test_restart SCRIPT test_restart.py LABELS integration)
sq_add_py_test(test_defects SCRIPT test_defects.py LABELS integration)
# issue 21: SIGHUP builds the new engine off the loop (service/reload.c)
sq_add_py_test(test_reload SCRIPT test_reload.py LABELS integration TIMEOUT 900)
# issue 21: the alert journal -- kill -9 x3 with no desk connected, recovery from the journal, through squawk proxy
sq_add_py_test(test_journal SCRIPT test_journal.py LABELS integration TIMEOUT 400)
# Rule generality (tools/templates.py): each headline template of eval/templates.tsv with 300 listed
# companies spread over the gazetteer; `make templates` runs all of them.
sq_add_py_test(test_templates SCRIPT ../tools/templates.py ARGS --build ${CMAKE_BINARY_DIR} --limit 300 LABELS unit TIMEOUT 600)
