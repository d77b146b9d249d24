/* cmd_version.c -- squawk version: squawk's version and every linked library's. */
#include <stdio.h>

#include <ev.h>
#include <hs/hs.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <microhttpd.h>
#include <msgpack.h>
#include <yaml.h>
#include <zmq.h>

#include "commands.h"
#include "filters/squawk_filter.h"

static const char usage[] =
    "usage: squawk version\n\nPrints squawk's version, the filter ABI, and the version of every library.\n";

int cmd_version(int argc, char **argv)
{
    if (cli_wants_help(argc, argv, usage)) return 0;
    int zmaj, zmin, zpat;
    zmq_version(&zmaj, &zmin, &zpat);
    printf("squawk %s\n", SQUAWK_VERSION);
    printf("filter-abi %d.%d\n", SQUAWK_FILTER_ABI_MAJOR, SQUAWK_FILTER_ABI_MINOR);
    printf("librdkafka %s\n", rd_kafka_version_str());
    printf("libzmq %d.%d.%d\n", zmaj, zmin, zpat);
    printf("msgpack-c %s\n", msgpack_version());
    printf("libev %d.%d\n", ev_version_major(), ev_version_minor());
    printf("hyperscan %s\n", hs_version());
    printf("libyaml %s\n", yaml_get_version_string());
    printf("jansson %s\n", jansson_version_str());
    printf("libmicrohttpd %s\n", MHD_get_version());
    return 0;
}
