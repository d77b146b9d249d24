/* zmq_pub.c -- placeholder until its issue lands. */
typedef int sq_placeholder_zmq_pub;
