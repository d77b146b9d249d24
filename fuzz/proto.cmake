# proto.cmake -- fuzz targets for every decoder of outside bytes in proto/.
sq_add_fuzz(fuzz_article_msgpack SOURCES fuzz_article.c LIBS sq_proto DEFS FUZZ_ARTICLE_MSGPACK)
sq_add_fuzz(fuzz_article_json SOURCES fuzz_article.c LIBS sq_proto)
sq_add_fuzz(fuzz_alert_msgpack SOURCES fuzz_alert_msgpack.c LIBS sq_proto)
