/*  pp_wire: the pushpull wire protocol -- encode and defensive decode.

    Every message is two frames (a ROUTER adds an identity frame in front):
      frame 1  a 32-byte header, network byte order (see docs/PROTOCOL.md)
      frame 2  the payload, whose layout depends on the type (may be empty)
    TASK and RESULT payloads are batches: count records, each a 56-byte
    record header followed by its data and (RESULT) its input. The decoder
   trusts nothing: every length is checked against the frame and the item size
   limit before use. */

#ifndef PP_WIRE_H_INCLUDED
#define PP_WIRE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PP_WIRE_MAGIC 0x7070 /* "pp": filters stray bytes early     */
#define PP_WIRE_VERSION 3    /* 3: run settings in STATE and HELLO */
#define PP_WIRE_HEADER_SIZE 32
#define PP_WIRE_RECORD_SIZE 56 /* per item inside a batch payload     */
/*  A failed or dropped record's data is a reason, not an item: it may be
    this long whatever --max-item-size (a run of items of 16 bytes still
    says why one failed).                                                  */
#define PP_WIRE_REASON_MAX 512

typedef enum {
    PP_MSG_TASK = 1,     /* ventilator -> worker: batch of items           */
    PP_MSG_RESULT = 2,   /* worker -> sink: batch of outcomes              */
    PP_MSG_HELLO = 3,    /* worker -> ventilator, sink: who I am           */
    PP_MSG_ACK = 4,      /* sink -> ventilator: ranges of recorded seqs    */
    PP_MSG_COMPLETE = 5, /* sink -> ventilator: every item has an outcome  */
    PP_MSG_STATE = 6,    /* ventilator -> all (control PUB): run state     */
    PP_MSG_REQUEST = 7,  /* anyone -> ventilator: please drain / abort     */
    PP_MSG_CREDIT = 8,   /* worker -> ventilator (credit flow): grant      */
    PP_MSG_BYE = 9,      /* worker -> ventilator: leaving, hands back      */
    PP_MSG_RENAME = 10,  /* ventilator -> all (control PUB): that worker's
                            id is another's, it takes a new one       */
    PP_MSG_TYPE_MAX = 10
} pp_msg_type_t;

/*  Run states carried by STATE messages (header flags).                   */
typedef enum {
    PP_STATE_WAITING = 1, /* waiting for --wait-workers                   */
    PP_STATE_RUNNING = 2,
    PP_STATE_DRAINING = 3, /* input ended: total is final                  */
    PP_STATE_DONE = 4,     /* the sink has every outcome; exit             */
    PP_STATE_ABORTED = 5,  /* stop now                                     */
} pp_run_state_t;

/*  REQUEST flags.                                                          */
enum { PP_REQUEST_DRAIN = 1, PP_REQUEST_ABORT = 2 };

/*  ACK flags: 0 recorded; RETRY: failed, send again (--retries).          */
enum { PP_ACK_RETRY = 1 };

/*  Item outcomes carried in RESULT records (and TASK records: 0).          */
enum { PP_OUTCOME_OK = 0, PP_OUTCOME_FAILED = 1, PP_OUTCOME_DROPPED = 2 };

/*  Why a message was rejected; counters are indexed by this.              */
typedef enum {
    PP_REJECT_SHORT = 0, /* fewer frames or bytes than the type needs    */
    PP_REJECT_VERSION,   /* bad magic or unknown version                 */
    PP_REJECT_TYPE,      /* unknown or unexpected message type           */
    PP_REJECT_OVERSIZE,  /* an item over --max-item-size                 */
    PP_REJECT_BATCH,     /* records do not add up to the frame           */
    PP_REJECT_RUN,       /* foreign run id                               */
    PP_REJECT_COUNT      /* number of reasons                            */
} pp_reject_t;

/*  Name of a reject reason, for summaries ("bad_version", ...).           */
const char *pp_reject_name (pp_reject_t reason);

/*  Frame 1, decoded.                                                       */
typedef struct {
    uint8_t version;
    uint8_t type;   /* pp_msg_type_t                                  */
    uint16_t flags; /* state, request kind, ...                       */
    uint64_t run_id;
    uint64_t seq; /* first sequence number, or a count              */
    uint32_t worker_id;
    uint32_t count; /* records in the payload                         */
} pp_header_t;

/*  One record of a TASK or RESULT batch, pointing into the frame.         */
typedef struct {
    uint64_t seq;
    uint64_t t_enq_us;   /* wall clock at the ventilator, microseconds     */
    uint64_t record;     /* 1-based input record number (0: none)          */
    uint64_t start_us;   /* RESULT: wall clock when the job started, or 0  */
    uint64_t runtime_us; /* RESULT: how long the job ran                   */
    uint32_t len;
    uint32_t input_len; /* RESULT: bytes of the item's input              */
    uint8_t outcome;    /* PP_OUTCOME_*                                   */
    uint8_t attempt;    /* 0 first delivery, 1.. redeliveries             */
    int16_t status;     /* RESULT: exit status, -signal, or 0             */
    const char *data;   /* len bytes, not NUL-terminated                  */
    const char *input;  /* input_len bytes (may be data itself)           */
} pp_record_t;

/*  STATE and COMPLETE payload.                                             */
typedef struct {
    uint64_t sent;   /* items dispatched so far (first sends)          */
    uint64_t total;  /* final item count, PP_TOTAL_UNKNOWN until drain */
    uint32_t window; /* the ventilator's --window                      */
    uint64_t ok, failed, dropped; /* outcomes (COMPLETE, DONE)             */
    uint32_t retries;    /* the ventilator's --retries                     */
    uint64_t expected;   /* the total the input holds, ahead: 0 unknown  */
    bool expected_exact; /* it is counted (--generate), not estimated   */
} pp_state_t;
#define PP_TOTAL_UNKNOWN UINT64_MAX
#define PP_STATE_PAYLOAD_SIZE 57

/*  Run-wide settings: the ventilator's, carried by every STATE after its
    counts, so that workers and the sink adopt them (pp_ctl.h).           */
typedef struct {
    uint64_t max_item;     /* --max-item-size, bytes (1..1 GiB)           */
    uint32_t heartbeat_ms; /* credit flow: workers beat this often       */
    uint8_t flow;          /* --flow: 0 push, 1 credit                    */
} pp_settings_t;
#define PP_SETTINGS_SIZE 16
#define PP_SETTINGS_MAX_ITEM (1ULL << 30) /* = PP_MAX_ITEM_LIMIT          */

/*  HELLO payload: a worker describes itself.                               */
typedef struct {
    uint32_t pid;
    uint32_t threads;
    uint32_t capacity;
    uint8_t flow;      /* 0 push, 1 credit                           */
    uint32_t max_item; /* its --max-item-size (0: not said)          */
    char host[64];     /* NUL-terminated, truncated                  */
} pp_hello_t;
#define PP_HELLO_PAYLOAD_MIN 17

/*  Writes hdr into out (PP_WIRE_HEADER_SIZE bytes).                       */
void pp_wire_encode_header (const pp_header_t *hdr, uint8_t *out);

/*  Decodes frame 1. Returns 0, or PP_EPROTO with *reason set (short, bad
    magic or version, unknown type).                                        */
int pp_wire_decode_header (const void *data, size_t size, pp_header_t *hdr,
                           pp_reject_t *reason);

/*  Bytes rec takes in a batch: the header, its data and its input unless
    the input is the same bytes as the data (an echo is not sent twice).   */
size_t pp_wire_record_size (const pp_record_t *rec);

/*  Writes rec at out (pp_wire_record_size (rec) bytes). Returns the bytes
    written.                                                                */
size_t pp_wire_encode_record (const pp_record_t *rec, uint8_t *out);

/*  Writes only rec's record header at out (PP_WIRE_RECORD_SIZE bytes):
    for bytes that lie where pp_wire_encode_record would write them.      */
void pp_wire_encode_record_head (const pp_record_t *rec, uint8_t *out);

/*  Checks that a batch payload holds exactly count well-formed records,
    no data or input longer than max_item (but a failed or dropped
    record's data, its reason: PP_WIRE_REASON_MAX when that is more).
    Returns 0, or PP_EPROTO with *reason. Only a checked payload may be
    walked with pp_wire_next_record.                                        */
int pp_wire_check_batch (const void *data, size_t size, uint32_t count,
                         size_t max_item, pp_reject_t *reason);

/*  Reads the record at *offset of a checked payload and advances *offset.
    Returns true, or false at the end of the payload.                       */
bool pp_wire_next_record (const void *data, size_t size, size_t *offset,
                          pp_record_t *rec);

/*  STATE / COMPLETE payload codec. decode returns 0 or PP_EPROTO.         */
void pp_wire_encode_state (const pp_state_t *state, uint8_t *out);
int pp_wire_decode_state (const void *data, size_t size, pp_state_t *state);

/*  Run settings codec (PP_SETTINGS_SIZE bytes). decode returns 0, or
    PP_EPROTO for another size, a max_item of 0 or over 1 GiB, a flow
    other than 0 or 1, or reserved bytes that are not 0.                    */
void pp_wire_encode_settings (const pp_settings_t *settings, uint8_t *out);
int pp_wire_decode_settings (const void *data, size_t size,
                             pp_settings_t *settings);

/*  HELLO payload codec. encode returns the bytes written (<= 80).          */
size_t pp_wire_encode_hello (const pp_hello_t *hello, uint8_t *out);
int pp_wire_decode_hello (const void *data, size_t size, pp_hello_t *hello);

/*  ACK payload: count ranges of 16 bytes (first seq, number of seqs).     */
#define PP_ACK_RANGE_SIZE 16
void pp_wire_encode_range (uint64_t first, uint64_t n, uint8_t *out);
int pp_wire_decode_range (const void *data, size_t size, uint32_t index,
                          uint64_t *first, uint64_t *n);

/*  Big-endian helpers, shared by the codecs and tests.                     */
void pp_put_u16 (uint8_t *p, uint16_t v);
void pp_put_u32 (uint8_t *p, uint32_t v);
void pp_put_u64 (uint8_t *p, uint64_t v);
uint16_t pp_get_u16 (const uint8_t *p);
uint32_t pp_get_u32 (const uint8_t *p);
uint64_t pp_get_u64 (const uint8_t *p);

#endif
