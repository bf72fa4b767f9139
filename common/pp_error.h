/*  pp_error: the error codes every pushpull function returns.

    Functions return 0 on success or one of these negative codes. They are
    distinct so a caller can tell "closed" from "timed out" from "full".     */

#ifndef PP_ERROR_H_INCLUDED
#define PP_ERROR_H_INCLUDED

enum {
    PP_OK = 0,
    PP_ECLOSED = -1,   /* channel closed and drained; no more items        */
    PP_ETIMEDOUT = -2, /* the wait ran out before anything happened        */
    PP_EAGAIN = -3,    /* would block: full on send, empty on receive      */
    PP_EPROTO = -4,    /* a frame or message broke the wire protocol       */
    PP_EABORTED = -5,  /* the channel or run was aborted                   */
    PP_ENOMEM = -6,    /* out of memory                                    */
    PP_EINVAL = -7,    /* a bad argument or value                          */
    PP_EIO = -8,       /* a read, write or socket call failed              */
    PP_ETOOBIG = -9,   /* an item or result is over the size limit         */
};

/*  Returns a static, human-readable description of a PP_E* code.           */
const char *pp_strerror (int code);

#endif
