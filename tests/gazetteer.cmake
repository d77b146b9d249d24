# gazetteer.cmake -- anonymous company mentions: gazetteer scans, the host's entity service, `squawk score`.
sq_add_test(test_gazetteer SOURCES test_gazetteer.c LIBS sq_filters PkgConfig::JANSSON
            LABELS unit TIMEOUT 300)
add_dependencies(test_gazetteer squawk invest chips regulatory)
