/* error.c -- names and messages generated from SQ_ERRNO_MAP. */
#include "error.h"

const char *sq_err_name(int err)
{
    switch (err) {
    case 0: return "OK";
#define SQ_ERR_NAME(name, code, msg) case code: return #name;
    SQ_ERRNO_MAP(SQ_ERR_NAME)
#undef SQ_ERR_NAME
    default: return "UNKNOWN";
    }
}

const char *sq_strerror(int err)
{
    switch (err) {
    case 0: return "success";
#define SQ_ERR_MSG(name, code, msg) case code: return msg;
    SQ_ERRNO_MAP(SQ_ERR_MSG)
#undef SQ_ERR_MSG
    default: return "unknown error";
    }
}
