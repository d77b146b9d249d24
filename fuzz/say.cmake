# say.cmake -- fuzz target for squawk say's text, which reads headlines, names and amounts from the wire.
sq_add_fuzz(fuzz_say_text SOURCES fuzz_say_text.c LIBS sq_say)
