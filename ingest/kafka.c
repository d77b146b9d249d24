/* kafka.c -- placeholder until its issue lands. */
typedef int sq_placeholder_kafka;
