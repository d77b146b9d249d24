# say.cmake -- squawk say: text, queue and voice units; the command end to end over real ZeroMQ sockets.
sq_add_test(test_say_text SOURCES test_say_text.c LIBS sq_say LABELS unit)
sq_add_test(test_say_queue SOURCES test_say_queue.c LIBS sq_say LABELS unit)
sq_add_test(test_say_voice SOURCES test_say_voice.c LIBS sq_say LABELS unit)
# End to end: a pyzmq XPUB publisher (replay: a real squawk run), the squawk binary, sox for the WAVs. One ctest entry per scenario.
foreach(s samples rate urgent flood stale copies device topic latency replay)
  sq_add_py_test(test_say_${s} SCRIPT test_say.py ARGS ${s} LABELS integration TIMEOUT 120)
endforeach()
