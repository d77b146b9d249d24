# tpat_lint.cmake -- (cmake -P script, not a test list) runs `squawk rules lint` on a bad pack: exit 1 and one file:line: reason per problem
# (the tpat_bad.yml ones, or -DWANT="line;line" for another file).
execute_process(COMMAND ${BIN} rules lint ${FILE} RESULT_VARIABLE rc OUTPUT_VARIABLE out)
if(NOT rc EQUAL 1)
  message(FATAL_ERROR "exit ${rc}, wanted 1:\n${out}")
endif()
if(NOT DEFINED WANT)
  set(WANT "tpat_bad.yml:10: unknown key 'tag' in bad.unknown_key"
           "tpat_bad.yml:11: rule bad.lexicon: undefined lexicon <verbs>"
           "tpat_bad.yml:14: rule bad.slot: company slot without a role"
           "tpat_bad.yml:17: rule bad.never: 'take-over,bid' is not one token")
endif()
foreach(want ${WANT})
  string(FIND "${out}" "${want}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "missing '${want}' in:\n${out}")
  endif()
endforeach()
