/* util/topk.c: Space-Saving (see topk.h) over the "stream summary" of Metwally et al.: the
 * counters are grouped in buckets of equal count, kept in a list by increasing count, and each
 * bucket lists its entries. Adding one to a count moves the entry to the next bucket (made when
 * that count has none), and the counter to take over is the first entry of the first bucket, so
 * every add is O(1). A linear-probing index from id to entry finds an item; its slots hold the
 * id (compared in place) and entry number + 1 (0: empty), and a removed id is deleted by backward
 * shifting, so no tombstones pile up. Entry and bucket links are numbers (NONE: no link). */
#include "util/topk.h"

#include <stdlib.h>
#include <string.h>

#define NONE UINT32_MAX

typedef struct entry {
    uint64_t id, error;
    uint32_t bucket;          /* its bucket */
    uint32_t prev, next;      /* in its bucket's list */
    uint32_t text_len;
    int text_cut;
} entry;

typedef struct bucket {
    uint64_t count;
    uint32_t head;            /* first entry */
    uint32_t prev, next;      /* neighbours by count; next of a free bucket: the next free one */
} bucket;

typedef struct slot {
    uint64_t id;
    uint32_t x1;              /* entry number + 1; 0: empty */
} slot;

struct gn_topk {
    size_t cap, n, max_text;
    uint64_t total;
    entry *e;
    bucket *b;                /* cap buckets: at most one per entry */
    uint32_t first;           /* the bucket of the smallest count (NONE while empty) */
    uint32_t free_b;          /* free buckets */
    slot *index;              /* by id */
    size_t index_mask;
    char *text;               /* cap * max_text bytes: entry i's text at i * max_text */
    uint64_t last_id;         /* the item added last and its entry (repeats skip the index) */
    uint32_t last_x;          /* NONE: none */
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
    t->b = calloc(capacity, sizeof *t->b);
    t->index = calloc(isz, sizeof *t->index);
    t->text = malloc(capacity * (max_text ? max_text : 1));
    t->index_mask = isz - 1;
    if (!t->e || !t->b || !t->index || !t->text) {
        gn__topk_free(t);
        return -1;
    }
    for (size_t i = 0; i < capacity; i++) t->b[i].next = i + 1 < capacity ? (uint32_t)(i + 1) : NONE;
    t->free_b = 0;
    t->first = NONE;
    t->last_x = NONE;
    *out = t;
    return 0;
}

void gn__topk_free(gn_topk *t) {
    if (!t) return;
    free(t->e);
    free(t->b);
    free(t->index);
    free(t->text);
    free(t);
}

static inline size_t home(const gn_topk *t, uint64_t id) {
    return (size_t)((id * 0x9E3779B97F4A7C15ull) >> 32) & t->index_mask;
}

/* The index slot holding id, or the empty slot where it would go. */
static inline size_t find_slot(const gn_topk *t, uint64_t id) {
    size_t i = home(t, id);
    while (t->index[i].x1 && t->index[i].id != id) i = (i + 1) & t->index_mask;
    return i;
}

/* Removes the index slot i, shifting later members of its cluster back (linear probing). */
static void index_delete(gn_topk *t, size_t i) {
    size_t j = i;
    for (;;) {
        t->index[i].x1 = 0;
        for (;;) {
            j = (j + 1) & t->index_mask;
            if (!t->index[j].x1) return;
            size_t k = home(t, t->index[j].id);
            /* j's entry stays unless its home lies cyclically outside (i, j] */
            if (i <= j ? (i < k && k <= j) : (i < k || k <= j)) continue;
            break;
        }
        t->index[i] = t->index[j];
        i = j;
    }
}

/* A bucket for `count` right after bucket `after` (NONE: at the front). */
static uint32_t bucket_new(gn_topk *t, uint64_t count, uint32_t after) {
    uint32_t k = t->free_b; /* never NONE: there are as many buckets as entries */
    bucket *b = &t->b[k];
    t->free_b = b->next;
    b->count = count;
    b->head = NONE;
    b->prev = after;
    b->next = after == NONE ? t->first : t->b[after].next;
    if (b->next != NONE) t->b[b->next].prev = k;
    if (after == NONE) t->first = k;
    else t->b[after].next = k;
    return k;
}

static void bucket_release(gn_topk *t, uint32_t k) {
    bucket *b = &t->b[k];
    if (b->prev != NONE) t->b[b->prev].next = b->next;
    else t->first = b->next;
    if (b->next != NONE) t->b[b->next].prev = b->prev;
    b->next = t->free_b;
    t->free_b = k;
}

static void entry_unlink(gn_topk *t, uint32_t x) {
    entry *e = &t->e[x];
    if (e->prev != NONE) t->e[e->prev].next = e->next;
    else t->b[e->bucket].head = e->next;
    if (e->next != NONE) t->e[e->next].prev = e->prev;
}

static void entry_link(gn_topk *t, uint32_t x, uint32_t k) {
    entry *e = &t->e[x];
    e->bucket = k;
    e->prev = NONE;
    e->next = t->b[k].head;
    if (e->next != NONE) t->e[e->next].prev = x;
    t->b[k].head = x;
}

/* Adds one to entry x's count: into the next bucket, made when none has that count. */
static void increment(gn_topk *t, uint32_t x) {
    uint32_t k = t->e[x].bucket;
    bucket *b = &t->b[k];
    uint64_t c = b->count + 1;
    if (b->head == x && t->e[x].next == NONE && (b->next == NONE || t->b[b->next].count != c)) {
        b->count = c; /* alone in its bucket, and no bucket for c: the bucket moves up */
        return;
    }
    uint32_t nk = b->next != NONE && t->b[b->next].count == c ? b->next : bucket_new(t, c, k);
    entry_unlink(t, x);
    entry_link(t, x, nk);
    if (t->b[k].head == NONE) bucket_release(t, k);
}

static void set_text(gn_topk *t, size_t x, const char *text, size_t len) {
    entry *e = &t->e[x];
    e->text_cut = len > t->max_text;
    if (len > t->max_text) len = t->max_text;
    if (len) memcpy(t->text + x * t->max_text, text, len);
    e->text_len = (uint32_t)len;
}

void gn__topk_add(gn_topk *t, uint64_t id, const char *text, size_t len) {
    t->total++;
    if (t->last_x != NONE && t->last_id == id) {
        increment(t, t->last_x);
        return;
    }
    size_t at = find_slot(t, id);
    if (t->index[at].x1) {
        t->last_id = id;
        t->last_x = t->index[at].x1 - 1;
        increment(t, t->last_x);
        return;
    }
    uint32_t x;
    if (t->n < t->cap) { /* a free counter: exact from now on */
        x = (uint32_t)t->n++;
        uint32_t k = t->first != NONE && t->b[t->first].count == 1 ? t->first : bucket_new(t, 1, NONE);
        t->e[x].error = 0;
        entry_link(t, x, k);
    } else { /* take over a counter of the smallest count c: count c + 1, error c */
        x = t->b[t->first].head;
        index_delete(t, find_slot(t, t->e[x].id));
        at = find_slot(t, id);
        t->e[x].error = t->b[t->first].count;
        increment(t, x);
    }
    t->e[x].id = id;
    set_text(t, x, text, len);
    t->index[at].id = id;
    t->index[at].x1 = x + 1;
    t->last_id = id;
    t->last_x = x;
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
        out[i] = (gn_topk_item){e->id, t->b[e->bucket].count, e->error, t->text + i * t->max_text, e->text_len,
                                e->text_cut};
    }
    qsort(out, t->n, sizeof *out, by_count);
    return t->n;
}

/* The smallest count of a full summary: what an item it does not hold may have had (0 when it
 * is not full: then it holds every item it saw). */
static uint64_t floor_count(const gn_topk *t) { return t->n == t->cap ? t->b[t->first].count : 0; }

int gn__topk_merge(gn_topk *into, const gn_topk *from) {
    const size_t n1 = into->n, n2 = from->n;
    gn_topk_item *all = malloc((n1 + n2 + 1) * sizeof *all);
    char *texts = malloc((n1 + n2 + 1) * (into->max_text ? into->max_text : 1));
    if (!all || !texts) {
        free(all);
        free(texts);
        return -1;
    }
    const uint64_t f1 = floor_count(into), f2 = floor_count(from);
    size_t m = 0;
    for (size_t i = 0; i < n1; i++) { /* into's items, plus from's count of each */
        const entry *e = &into->e[i];
        gn_topk_item it = {e->id, into->b[e->bucket].count, e->error, NULL, e->text_len, e->text_cut};
        size_t at = find_slot(from, e->id);
        if (from->index[at].x1) {
            const entry *o = &from->e[from->index[at].x1 - 1];
            it.count += from->b[o->bucket].count;
            it.error += o->error;
        } else {
            it.count += f2;
            it.error += f2;
        }
        memcpy(texts + m * into->max_text, into->text + i * into->max_text, e->text_len);
        it.text = texts + m * into->max_text;
        all[m++] = it;
    }
    for (size_t i = 0; i < n2; i++) { /* from's items that into lacks */
        const entry *o = &from->e[i];
        if (into->index[find_slot(into, o->id)].x1) continue;
        size_t len = o->text_len < into->max_text ? o->text_len : into->max_text;
        gn_topk_item it = {o->id, from->b[o->bucket].count + f1, o->error + f1, NULL, len,
                           o->text_cut || len < o->text_len};
        memcpy(texts + m * into->max_text, from->text + i * from->max_text, len);
        it.text = texts + m * into->max_text;
        all[m++] = it;
    }
    qsort(all, m, sizeof *all, by_count);
    if (m > into->cap) m = into->cap;
    /* rebuild into from the m largest, by increasing count */
    const uint64_t total = into->total + from->total;
    memset(into->index, 0, (into->index_mask + 1) * sizeof *into->index);
    for (size_t i = 0; i < into->cap; i++) into->b[i].next = i + 1 < into->cap ? (uint32_t)(i + 1) : NONE;
    into->free_b = 0;
    into->first = NONE;
    into->n = 0;
    into->last_x = NONE;
    uint32_t last_b = NONE;
    for (size_t k = m; k-- > 0;) {
        const gn_topk_item *it = &all[k];
        uint32_t x = (uint32_t)into->n++;
        entry *e = &into->e[x];
        e->id = it->id;
        e->error = it->error;
        memcpy(into->text + x * into->max_text, it->text, it->text_len);
        e->text_len = (uint32_t)it->text_len;
        e->text_cut = it->text_cut;
        if (last_b == NONE || into->b[last_b].count != it->count) last_b = bucket_new(into, it->count, last_b);
        entry_link(into, x, last_b);
        size_t at = find_slot(into, it->id);
        into->index[at].id = it->id;
        into->index[at].x1 = x + 1;
    }
    into->total = total;
    free(all);
    free(texts);
    return 0;
}

size_t gn__topk_size(const gn_topk *t) { return t->n; }
uint64_t gn__topk_total(const gn_topk *t) { return t->total; }
