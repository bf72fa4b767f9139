/*  pp_error: descriptions of the error codes.                              */

#include "pp_error.h"

const char *
pp_strerror (int code)
{
    switch (code) {
        case PP_OK: return "success";
        case PP_ECLOSED: return "closed";
        case PP_ETIMEDOUT: return "timed out";
        case PP_EAGAIN: return "would block";
        case PP_EPROTO: return "protocol error";
        case PP_EABORTED: return "aborted";
        case PP_ENOMEM: return "out of memory";
        case PP_EINVAL: return "invalid argument";
        case PP_EIO: return "input/output error";
        case PP_ETOOBIG: return "too large";
        case PP_ERANGE: return "out of range";
        default: return "unknown error";
    }
}
