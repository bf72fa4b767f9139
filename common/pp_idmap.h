/*  pp_idmap: a hash map from 64-bit keys to 32-bit values, for finding a
    worker by its id (or by a hash of its connection's identity) in O(1)
    however many workers there are. Open addressing with linear probing;
    grows at 1/2 full, never shrinks. Key 0 is reserved (means empty).    */

#ifndef PP_IDMAP_H_INCLUDED
#define PP_IDMAP_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _pp_idmap_t pp_idmap_t;

/*  An empty map; NULL on OOM.                                             */
pp_idmap_t *pp_idmap_new (void);

/*  Frees the map; NULL-safe, nulls *self_p.                               */
void pp_idmap_destroy (pp_idmap_t **self_p);

/*  Sets key (not 0) to value, replacing what was there. Returns 0, or
    PP_ENOMEM (the map is unchanged).                                      */
int pp_idmap_put (pp_idmap_t *self, uint64_t key, uint32_t value);

/*  The value of key into *value: true, or false when key is absent.       */
bool pp_idmap_get (const pp_idmap_t *self, uint64_t key, uint32_t *value);

/*  Removes key; true when it was there.                                   */
bool pp_idmap_remove (pp_idmap_t *self, uint64_t key);

/*  Keys in the map.                                                       */
size_t pp_idmap_size (const pp_idmap_t *self);

/*  A 64-bit hash of len bytes (FNV-1a, never 0), to key byte strings.     */
uint64_t pp_idmap_hash (const void *data, size_t len);

#endif
