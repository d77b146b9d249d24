# tpat.cmake -- detection engine v2: the tokeniser and the token-pattern rule language.
sq_add_test(test_token SOURCES test_token.c LIBS sq_filters LABELS unit)
sq_add_test(test_tpat SOURCES test_tpat.c LIBS sq_filters LABELS unit)
# squawk rules lint: the sample pack loads (exit 0); a bad pack prints file:line: reason per problem (exit 1).
add_test(NAME rules_lint_ok COMMAND squawk rules lint ${CMAKE_SOURCE_DIR}/filters/rules/v2/invest_sample.yml)
set_tests_properties(rules_lint_ok PROPERTIES LABELS unit
  PASS_REGULAR_EXPRESSION "invest_sample.yml: ok: pack invest_sample, 10 rules")
add_test(NAME rules_lint_bad COMMAND ${CMAKE_COMMAND} -DBIN=$<TARGET_FILE:squawk>
  -DFILE=${CMAKE_SOURCE_DIR}/tests/data/tpat_bad.yml -P ${CMAKE_SOURCE_DIR}/tests/data/tpat_lint.cmake)
set_tests_properties(rules_lint_bad PROPERTIES LABELS unit)
# squawk rules parity: per-rule agreement of a v1 regex pack and a v2 pack over hand-written articles.
add_test(NAME rules_parity COMMAND ${CMAKE_COMMAND} -DBIN=$<TARGET_FILE:squawk>
  -DGAZ=${CMAKE_SOURCE_DIR}/tests/data/gazetteer-mini.yml -P ${CMAKE_SOURCE_DIR}/tests/data/parity/check.cmake)
set_tests_properties(rules_parity PROPERTIES LABELS unit)
# The regulatory pack (rules/v2/regulatory.yml) loads (its rule count changes as the pack grows).
add_test(NAME rules_lint_regulatory COMMAND squawk rules lint ${CMAKE_SOURCE_DIR}/filters/rules/v2/regulatory.yml)
set_tests_properties(rules_lint_regulatory PROPERTIES LABELS unit
  PASS_REGULAR_EXPRESSION "regulatory.yml: ok: pack regulatory, [0-9]+ rules")
sq_add_test(test_tpat_vocab SOURCES test_tpat_vocab.c LIBS sq_filters LABELS unit)
# squawk rules lint reads FILTER.calib.yml as a score calibration: the shipped ones load; one that
# names another filter is an error with file:line (exit 1).
add_test(NAME rules_lint_calib COMMAND squawk rules lint ${CMAKE_SOURCE_DIR}/filters/rules/v2/chips.calib.yml
  ${CMAKE_SOURCE_DIR}/filters/rules/v2/invest.calib.yml ${CMAKE_SOURCE_DIR}/filters/rules/v2/regulatory.calib.yml)
set_tests_properties(rules_lint_calib PROPERTIES LABELS unit
  PASS_REGULAR_EXPRESSION "chips.calib.yml: ok: calibration of chips.*invest.calib.yml: ok: calibration of invest.*regulatory.calib.yml: ok: calibration of regulatory")
add_test(NAME rules_lint_calib_bad COMMAND ${CMAKE_COMMAND} -DBIN=$<TARGET_FILE:squawk>
  -DFILE=${CMAKE_SOURCE_DIR}/tests/data/calib/invest.calib.yml
  "-DWANT=invest.calib.yml:2: filter: chips, not invest" -P ${CMAKE_SOURCE_DIR}/tests/data/tpat_lint.cmake)
set_tests_properties(rules_lint_calib_bad PROPERTIES LABELS unit)
