/* utf8.c -- placeholder until its issue lands. */
typedef int sq_placeholder_utf8;
