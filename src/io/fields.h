/* io/fields.h: field-aware hashing (kind ffm). With spec->field_aware, the slots 1..2^bits-1 are
 * split into nfields equal ranges of P = (2^bits - 1) / nfields slots, one per field, and a
 * feature of field f lands in range f; slot 0 stays the bias's, which belongs to no field. The
 * field of a slot is then known from the slot alone, so batches, caches, the server and the
 * model's scoring need nothing more than the slots. The one rule behind the parser (which maps)
 * and the ffm kind (which reads a slot's field back). */
#ifndef GN_IO_FIELDS_H
#define GN_IO_FIELDS_H

#include <stdint.h>

/* Slots per field: 0 when 2^bits - 1 slots cannot hold nfields fields. */
static inline uint32_t gn__field_span(uint32_t bits, uint32_t nfields) {
    const uint64_t usable = ((uint64_t)1 << bits) - 1;
    return nfields ? (uint32_t)(usable / nfields) : 0;
}

/* The slot of a feature of field f whose plain slot (hashed into 2^bits) is `slot`. */
static inline uint32_t gn__field_slot(uint32_t slot, uint32_t f, uint32_t span) {
    return 1u + f * span + slot % span;
}

/* The field of a slot; nfields for slot 0 (the bias: no field). */
static inline uint32_t gn__slot_field(uint32_t slot, uint32_t span, uint32_t nfields) {
    if (slot == 0) return nfields;
    const uint32_t f = (slot - 1) / span;
    return f < nfields ? f : nfields - 1;
}

#endif
