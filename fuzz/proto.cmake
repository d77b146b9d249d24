# proto.cmake -- fuzz targets for every decoder of outside bytes in proto/.
sq_add_fuzz(fuzz_article_msgpack SOURCES fuzz_article_msgpack.c LIBS sq_proto)
sq_add_fuzz(fuzz_article_json SOURCES fuzz_article_json.c LIBS sq_proto)
sq_add_fuzz(fuzz_alert_msgpack SOURCES fuzz_alert_msgpack.c LIBS sq_proto)
