/* util/topk.c: Space-Saving (see topk.h). The counters are an array of entries; a binary
 * min-heap over them by count finds the counter to take over in O(1) and is repaired in
 * O(log capacity) when a count grows; a linear-probing index from id to entry finds an item.
 * Index slots hold entry number + 1 (0: empty); a removed id is deleted by backward shifting, so
 * no tombstones pile up. */
#include "util/topk.h"

#include <stdlib.h>
#include <string.h>

typedef struct entry {
    uint64_t id, count, error;
    uint32_t heap_pos;
    uint32_t text_len;
    int text_cut;
} entry;

struct gn_topk {
    size_t cap, n, max_text;
    uint64_t total;
    entry *e;
    uint32_t *heap;     /* entry numbers, a min-heap by count */
    uint32_t *index;    /* entry number + 1, by id */
    size_t index_mask;
    char *text;         /* cap * max_text bytes: entry i's text at i * max_text */
};

int gn__topk_new(size_t capacity, size_t max_text, gn_topk **out) {
    if (capacity == 0 || capacity > ((size_t)1 << 30)) return -1;
    gn_topk *t = calloc(1, sizeof *t);
    if (!t) return -1;
    size_t isz = 16;
    while (isz < capacity * 2) isz *= 2;
    t->cap = capacity;
    t->max_text = max_text;
    t->e = calloc(capacity, sizeof *t->e);
    t->heap = calloc(capacity, sizeof *t->heap);
    t->index = calloc(isz, sizeof *t->index);
    t->text = malloc(capacity * (max_text ? max_text : 1));
    t->index_mask = isz - 1;
    if (!t->e || !t->heap || !t->index || !t->text) {
        gn__topk_free(t);
        return -1;
    }
    *out = t;
    return 0;
}

void gn__topk_free(gn_topk *t) {
    if (!t) return;
    free(t->e);
    free(t->heap);
    free(t->index);
    free(t->text);
    free(t);
}

static inline size_t home(const gn_topk *t, uint64_t id) {
    return (size_t)((id * 0x9E3779B97F4A7C15ull) >> 32) & t->index_mask;
}

/* The index slot holding id, or the empty slot where it would go. */
static size_t find_slot(const gn_topk *t, uint64_t id) {
    size_t i = home(t, id);
    while (t->index[i] && t->e[t->index[i] - 1].id != id) i = (i + 1) & t->index_mask;
    return i;
}

/* Removes the index slot i, shifting later members of its cluster back (linear probing). */
static void index_delete(gn_topk *t, size_t i) {
    size_t j = i;
    for (;;) {
        t->index[i] = 0;
        for (;;) {
            j = (j + 1) & t->index_mask;
            if (!t->index[j]) return;
            size_t k = home(t, t->e[t->index[j] - 1].id);
            /* j's entry may move to i unless its home lies cyclically in (i, j] */
            if (i <= j ? (i < k && k <= j) : (i < k || k <= j)) continue;
            break;
        }
        t->index[i] = t->index[j];
        i = j;
    }
}

static inline void heap_swap(gn_topk *t, size_t a, size_t b) {
    uint32_t x = t->heap[a];
    t->heap[a] = t->heap[b];
    t->heap[b] = x;
    t->e[t->heap[a]].heap_pos = (uint32_t)a;
    t->e[t->heap[b]].heap_pos = (uint32_t)b;
}

/* Restores the heap below position i after its count grew. */
static void sift_down(gn_topk *t, size_t i) {
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < t->n && t->e[t->heap[l]].count < t->e[t->heap[m]].count) m = l;
        if (r < t->n && t->e[t->heap[r]].count < t->e[t->heap[m]].count) m = r;
        if (m == i) return;
        heap_swap(t, i, m);
        i = m;
    }
}

static void set_text(gn_topk *t, size_t k, const char *text, size_t len) {
    entry *e = &t->e[k];
    e->text_cut = len > t->max_text;
    if (len > t->max_text) len = t->max_text;
    if (len) memcpy(t->text + k * t->max_text, text, len);
    e->text_len = (uint32_t)len;
}

void gn__topk_add(gn_topk *t, uint64_t id, const char *text, size_t len) {
    t->total++;
    size_t slot = find_slot(t, id);
    if (t->index[slot]) {
        entry *e = &t->e[t->index[slot] - 1];
        e->count++;
        sift_down(t, e->heap_pos);
        return;
    }
    if (t->n < t->cap) { /* a free counter: exact from now on; count 1 is the heap's minimum */
        size_t k = t->n++;
        entry *e = &t->e[k];
        e->id = id;
        e->count = 1;
        e->error = 0;
        set_text(t, k, text, len);
        t->index[slot] = (uint32_t)k + 1;
        /* insert at the end, then move up past larger counts (none are smaller than 1) */
        size_t i = k;
        t->heap[i] = (uint32_t)k;
        e->heap_pos = (uint32_t)i;
        while (i > 0 && t->e[t->heap[(i - 1) / 2]].count > e->count) {
            heap_swap(t, i, (i - 1) / 2);
            i = (i - 1) / 2;
        }
        return;
    }
    /* take over the smallest counter */
    size_t k = t->heap[0];
    entry *e = &t->e[k];
    index_delete(t, find_slot(t, e->id));
    e->id = id;
    e->error = e->count;
    e->count++;
    set_text(t, k, text, len);
    t->index[find_slot(t, id)] = (uint32_t)k + 1;
    sift_down(t, 0);
}

static int by_count(const void *a, const void *b) {
    const gn_topk_item *x = a, *y = b;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    size_t l = x->text_len < y->text_len ? x->text_len : y->text_len;
    int c = l ? memcmp(x->text, y->text, l) : 0;
    if (c) return c;
    if (x->text_len != y->text_len) return x->text_len < y->text_len ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

size_t gn__topk_items(const gn_topk *t, gn_topk_item *out) {
    for (size_t i = 0; i < t->n; i++) {
        const entry *e = &t->e[i];
        out[i] = (gn_topk_item){e->id, e->count, e->error, t->text + i * t->max_text, e->text_len, e->text_cut};
    }
    qsort(out, t->n, sizeof *out, by_count);
    return t->n;
}

size_t gn__topk_size(const gn_topk *t) { return t->n; }
uint64_t gn__topk_total(const gn_topk *t) { return t->total; }
