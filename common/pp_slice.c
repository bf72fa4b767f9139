/*  pp_slice: slices of a shared TASK message, and their spill codec.      */

#include "pp_slice.h"
#include "pp_error.h"
#include "pp_wire.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct _pp_slice_msg_t {
    atomic_int refs;
    zmsg_t *msg;         /* owns the bytes, or NULL: they follow        */
    const uint8_t *data; /* the batch payload                           */
    size_t size;
    uint8_t bytes[]; /* a slice read back from the spill file      */
};

pp_slice_msg_t *
pp_slice_msg_new (zmsg_t **msg_p, const uint8_t *data, size_t size)
{
    pp_slice_msg_t *self = malloc (sizeof (pp_slice_msg_t));
    if (!self)
        return NULL;
    atomic_init (&self->refs, 1);
    self->msg = *msg_p;
    *msg_p = NULL;
    self->data = data;
    self->size = size;
    return self;
}

void
pp_slice_msg_release (pp_slice_msg_t **self_p)
{
    pp_slice_msg_t *self = *self_p;
    *self_p = NULL;
    if (self &&
        atomic_fetch_sub_explicit (&self->refs, 1, memory_order_acq_rel) == 1) {
        zmsg_destroy (&self->msg);
        free (self);
    }
}

pp_slice_msg_t *
pp_slice_msg_hold (pp_slice_msg_t *self)
{
    atomic_fetch_add_explicit (&self->refs, 1, memory_order_relaxed);
    return self;
}

void
pp_slice_msg_unhold (void *data, void *hint)
{
    (void) data;
    pp_slice_msg_t *self = hint;
    pp_slice_msg_release (&self);
}

const uint8_t *
pp_slice_msg_data (const pp_slice_msg_t *self, size_t *size)
{
    *size = self->size;
    return self->data;
}

int
pp_slice_msg_refs (const pp_slice_msg_t *self)
{
    return atomic_load_explicit (&self->refs, memory_order_relaxed);
}

int
pp_slice_cut (pp_slice_msg_t *msg, size_t *offset, uint32_t max,
              uint32_t slow_weight, pp_slice_t **slice_p)
{
    size_t start = *offset, end = start;
    uint32_t count = 0;
    pp_record_t rec;
    while (count < max && (count == 0 || end - start < PP_SLICE_BYTES) &&
           pp_wire_next_record (msg->data, msg->size, &end, &rec))
        count++;
    if (count == 0)
        return PP_ECLOSED;
    pp_slice_t *slice = malloc (sizeof (pp_slice_t));
    if (!slice)
        return PP_ENOMEM;
    atomic_fetch_add_explicit (&msg->refs, 1, memory_order_relaxed);
    *slice = (pp_slice_t){.msg = msg,
                          .data = msg->data + start,
                          .size = end - start,
                          .count = count,
                          .weight = max == 1 ? slow_weight : count};
    *offset = end;
    *slice_p = slice;
    return 0;
}

void
pp_slice_free (void *arg)
{
    pp_slice_t *slice = arg;
    if (slice) {
        pp_slice_msg_release (&slice->msg);
        free (slice);
    }
}

size_t
pp_slice_weight (const void *slice)
{
    return ((const pp_slice_t *) slice)->weight;
}

/*  Spilled slice: count (4 bytes), then the records as on the wire.       */
static size_t
s_spill_size (const void *arg)
{
    return 4 + ((const pp_slice_t *) arg)->size;
}

static void
s_encode (const void *arg, unsigned char *out)
{
    const pp_slice_t *slice = arg;
    pp_put_u32 (out, slice->count);
    memcpy (out + 4, slice->data, slice->size);
}

static void *
s_decode (const unsigned char *data, size_t size)
{
    pp_reject_t reason;
    if (size < 4 || pp_get_u32 (data) == 0 ||
        pp_wire_check_batch (data + 4, size - 4, pp_get_u32 (data), SIZE_MAX,
                             &reason) != 0)
        return NULL;
    pp_slice_msg_t *msg = malloc (sizeof (pp_slice_msg_t) + size - 4);
    pp_slice_t *slice = malloc (sizeof (pp_slice_t));
    if (!msg || !slice) {
        free (msg);
        free (slice);
        return NULL;
    }
    atomic_init (&msg->refs, 1);
    msg->msg = NULL;
    memcpy (msg->bytes, data + 4, size - 4);
    msg->data = msg->bytes;
    msg->size = size - 4;
    *slice = (pp_slice_t){.msg = msg,
                          .data = msg->bytes,
                          .size = size - 4,
                          .count = pp_get_u32 (data),
                          .weight = pp_get_u32 (data)};
    return slice;
}

const pp_chan_codec_t pp_slice_codec = {s_spill_size, s_encode, s_decode};
