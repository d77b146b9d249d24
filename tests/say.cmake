# say.cmake -- squawk say: text, queue and voice units; the command end to end over real ZeroMQ sockets.
sq_add_test(test_say_text SOURCES test_say_text.c LIBS sq_say LABELS unit)
sq_add_test(test_say_queue SOURCES test_say_queue.c LIBS sq_say LABELS unit)
sq_add_test(test_say_voice SOURCES test_say_voice.c LIBS sq_say LABELS unit)
