# check.cmake -- (cmake -P script) runs `squawk rules parity` on the hand-written packs and articles beside it and checks every count.
set(D ${CMAKE_CURRENT_LIST_DIR})
function(parity out_var)
  execute_process(COMMAND ${BIN} rules parity ${D}/v1.yml ${D}/v2.yml ${D}/articles.jsonl ${ARGN}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "parity ${ARGN}: exit ${rc}\n${out}\n${err}")
  endif()
  set(${out_var} "${out}\n--stderr--\n${err}" PARENT_SCOPE)
endfunction()
function(expect out)
  foreach(want ${ARGN})
    string(REGEX MATCH "${want}" hit "${out}")
    if(NOT hit)
      message(FATAL_ERROR "missing /${want}/ in:\n${out}")
    endif()
  endforeach()
endfunction()

# With the gazetteer, "Nvidia probe" fills the slot (a3): one article both, one (a2) only v1.
parity(out --gazetteer ${GAZ})
expect("${out}" "articles: 5 \\(skipped lines: 1\\)"
       "t.fine +2 +0 +0 +100.0%"
       "t.probe +1 +1 +0 +50.0%"
       "t.zebra +0 +1 +0 +0.0%  \\(v1 only\\)"
       "t.giraffe +0 +0 +1 +0.0%  \\(v2 only\\)"
       "summary: 2 rules in both packs, 2 fired, 1 of them with agreement >= 95%"
       "worst: t.probe 50.0% t.fine 100.0%"
       "articles.jsonl:5: skipped")
# Without it nothing fills the slot: t.probe fires only in v1, in a2 and a3.
parity(out --gazetteer none --rule t.probe --examples 1)
expect("${out}" "t.probe +0 +2 +0 +0.0%"
       "only v1: a2 headline: Regulators open a \\[\\[probe\\]\\] into accounting")
string(FIND "${out}" "t.fine" at)
if(NOT at EQUAL -1)
  message(FATAL_ERROR "--rule t.probe printed t.fine:\n${out}")
endif()
# An unknown rule is a usage error.
execute_process(COMMAND ${BIN} rules parity ${D}/v1.yml ${D}/v2.yml ${D}/articles.jsonl --gazetteer none --rule t.nope
                RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE err)
if(NOT rc EQUAL 2 OR NOT err MATCHES "no rule 't.nope'")
  message(FATAL_ERROR "--rule t.nope: exit ${rc}: ${err}")
endif()
