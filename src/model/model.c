/* model/model.c: the gn_model lifecycle (new, finalize, free), its read-only accessors, the link
 * functions, top weights, the metadata JSON, and the loss / kind names (gannet/model.h).
 *
 * Thread-safety: everything that takes a const gn_model * only reads it. The metadata text and the
 * version are built once by gn__model_finalize (called by the trainer and the loader before the
 * model is shared), so the getters never build anything lazily and need no lock. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "io/text.h"
#include "model/loss_table.h"
#include "model/kind.h"
#include "model/model.h"
#include "util/error.h"
#include "util/json_safe.h"

const char *gn_model_kind_name(gn_model_kind kind) {
    const gn_kind *k = gn__kind_by_id(kind);
    return k ? k->name : "unknown";
}

static int loss_valid(gn_loss loss) { return gn__loss_info_of(loss) != NULL; }

int gn__model_new(gn_model_kind kind, gn_loss loss, const gn_data_spec *spec, uint32_t weights_per_slot,
                  gn_model **out) {
    if (!spec || !out) return gn__fail(GN_EINVAL, "model: NULL argument");
    const gn_kind *ops = gn__kind_by_id(kind);
    if (!ops) return gn__fail(GN_EINVAL, "model: unknown model kind %d", (int)kind);
    if (!loss_valid(loss)) return gn__fail(GN_EINVAL, "model: unknown loss %d", (int)loss);
    if (weights_per_slot < 1 || weights_per_slot > GN__MODEL_MAX_WEIGHTS_PER_SLOT)
        return gn__fail(GN_EINVAL, "model: weights_per_slot must be between 1 and %u (got %u)",
                        GN__MODEL_MAX_WEIGHTS_PER_SLOT, (unsigned)weights_per_slot);
    if (gn_data_spec_check(spec) != GN_OK) return gn__fail_prefix(GN_EINVAL, "model spec");
    size_t slots = (size_t)1 << spec->bits;
    if (slots > SIZE_MAX / sizeof(float) / weights_per_slot)
        return gn__fail(GN_ENOMEM, "model: 2^%u x %u weights do not fit in memory", (unsigned)spec->bits,
                        (unsigned)weights_per_slot);
    gn_model *m = calloc(1, sizeof *m);
    if (!m) return gn__fail(GN_ENOMEM, "model: out of memory");
    m->kind = kind;
    m->ops = ops;
    m->loss = loss;
    m->spec = *spec;
    m->quantile_tau = 0.5;
    m->weights_per_slot = weights_per_slot;
    m->nweights = slots * weights_per_slot;
    m->w = calloc(m->nweights, sizeof(float));
    if (!m->w) {
        free(m);
        return gn__fail(GN_ENOMEM, "model: out of memory for %zu weights", slots * weights_per_slot);
    }
    m->created = (int64_t)time(NULL);
    *out = m;
    return GN_OK;
}

void gn_model_free(gn_model *model) {
    if (!model) return;
    if (model->payload && model->ops && model->ops->payload_free) model->ops->payload_free(model);
    free(model->w);
    gn__idf_unref(model->idf);
    json_decref(model->extra);
    free(model->meta_json);
    free(model);
}

/* Keys gannet writes itself; a key of extra may not shadow them. */
static const char *const reserved_keys[] = {"kind", "loss", "bits", "quantile_tau", "weights_per_slot",
                                            "spec", "created", "nonzero", "version"};

int gn__model_reserved_key(const char *key) {
    for (size_t i = 0; i < sizeof reserved_keys / sizeof reserved_keys[0]; i++)
        if (strcmp(reserved_keys[i], key) == 0) return 1;
    for (size_t k = 0; k < gn__kind_count(); k++) {
        const char *const *hk = gn__kind_at(k)->header_keys;
        for (size_t i = 0; hk && hk[i]; i++)
            if (strcmp(hk[i], key) == 0) return 1;
    }
    return 0;
}

/* Years 0000..9999 keep the text exactly 20 characters. */
#define GN_UTC_MAX ((int64_t)253402300799) /* 9999-12-31T23:59:59Z */

int gn__format_utc(int64_t t, char out[32]) {
    if (t < 0 || t > GN_UTC_MAX) return gn__fail(GN_EINVAL, "time %lld is outside 1970..9999", (long long)t);
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm)) return gn__fail(GN_EINVAL, "time %lld cannot be represented", (long long)t);
    if (strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) != 20)
        return gn__fail(GN_EINVAL, "time %lld cannot be formatted", (long long)t);
    return GN_OK;
}

int gn__parse_utc(const char *text, int64_t *out) {
    static const char pattern[] = "dddd-dd-ddTdd:dd:ddZ";
    if (!text || strlen(text) != sizeof pattern - 1) goto bad;
    for (size_t i = 0; i < sizeof pattern - 1; i++) {
        if (pattern[i] == 'd' ? (text[i] < '0' || text[i] > '9') : text[i] != pattern[i]) goto bad;
    }
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    int year = (text[0] - '0') * 1000 + (text[1] - '0') * 100 + (text[2] - '0') * 10 + (text[3] - '0');
    tm.tm_year = year - 1900;
    tm.tm_mon = (text[5] - '0') * 10 + (text[6] - '0') - 1;
    tm.tm_mday = (text[8] - '0') * 10 + (text[9] - '0');
    tm.tm_hour = (text[11] - '0') * 10 + (text[12] - '0');
    tm.tm_min = (text[14] - '0') * 10 + (text[15] - '0');
    tm.tm_sec = (text[17] - '0') * 10 + (text[18] - '0');
    time_t t = timegm(&tm);
    /* timegm normalises out-of-range fields (Feb 30 -> Mar 2): formatting back must give the
     * same text, or the date did not exist. */
    char again[32];
    if (t == (time_t)-1 || gn__format_utc((int64_t)t, again) != GN_OK || strcmp(again, text) != 0) goto bad;
    *out = (int64_t)t;
    return GN_OK;
bad:
    return gn__fail(GN_EFORMAT, "'%.40s' is not a UTC time like 2024-05-01T12:00:00Z", text ? text : "(null)");
}

static int put(json_t *obj, const char *key, json_t *value) {
    if (!value) return 0;
    return json_object_set_new(obj, key, value) == 0;
}

int gn__model_header_json(const gn_model *m, json_t **out) {
    if (!m || !out) return gn__fail(GN_EINVAL, "model: NULL argument");
    if (!m->ops || m->ops != gn__kind_by_id(m->kind)) return gn__fail(GN_EINVAL, "model: unknown model kind %d", (int)m->kind);
    if (!loss_valid(m->loss)) return gn__fail(GN_EINVAL, "model: unknown loss %d", (int)m->loss);
    if (gn_data_spec_check(&m->spec) != GN_OK) return gn__fail_prefix(GN_EINVAL, "model spec");
    if (!(m->quantile_tau > 0 && m->quantile_tau < 1))
        return gn__fail(GN_EINVAL, "model: quantile_tau must be in (0, 1) (got %g)", m->quantile_tau);
    if (m->weights_per_slot < 1 || m->weights_per_slot > GN__MODEL_MAX_WEIGHTS_PER_SLOT)
        return gn__fail(GN_EINVAL, "model: weights_per_slot must be between 1 and %u (got %u)",
                        GN__MODEL_MAX_WEIGHTS_PER_SLOT, (unsigned)m->weights_per_slot);
    if (m->ops->weights_per_slot && m->weights_per_slot != m->ops->weights_per_slot)
        return gn__fail(GN_EINVAL, "model: a %s model has %u weight%s per slot (got %u)", m->ops->name,
                        (unsigned)m->ops->weights_per_slot, m->ops->weights_per_slot == 1 ? "" : "s",
                        (unsigned)m->weights_per_slot);
    if (m->extra && !json_is_object(m->extra)) return gn__fail(GN_EINVAL, "model: extra metadata must be an object");
    char created[32];
    if (gn__format_utc(m->created, created) != GN_OK) return gn__fail_prefix(GN_EINVAL, "model: created");

    json_t *obj = json_object();
    if (!obj) return gn__fail(GN_ENOMEM, "model: out of memory");
    int ok = put(obj, "kind", json_string(gn_model_kind_name(m->kind))) &&
             put(obj, "loss", json_string(gn_loss_name(m->loss))) &&
             put(obj, "bits", json_integer((json_int_t)m->spec.bits)) &&
             put(obj, "quantile_tau", json_real(m->quantile_tau)) &&
             put(obj, "weights_per_slot", json_integer((json_int_t)m->weights_per_slot)) &&
             put(obj, "spec", gn__spec_to_json(&m->spec)) && put(obj, "created", json_string(created));
    if (!ok) goto nomem;
    if (m->ops->header_write && m->ops->header_write(m, obj) != GN_OK) {
        json_decref(obj);
        return gn__fail_prefix(GN_EINVAL, "model");
    }
    if (m->extra) {
        const char *key;
        json_t *value;
        json_object_foreach(m->extra, key, value) {
            if (gn__model_reserved_key(key)) {
                json_decref(obj);
                return gn__fail(GN_EINVAL, "model: extra metadata key '%s' is reserved", key);
            }
            /* A deep copy leaves the model's own values (and their reference counts) untouched,
             * so concurrent readers of a const model never write to shared memory. */
            if (!put(obj, key, json_deep_copy(value))) goto nomem;
        }
    }
    *out = obj;
    return GN_OK;
nomem:
    json_decref(obj);
    return gn__fail(GN_ENOMEM, "model: out of memory building metadata");
}

static size_t count_nonzero(const gn_model *m) {
    size_t n = 0;
    for (size_t i = gn__next_stored(m->w, 0, m->nweights); i < m->nweights; i = gn__next_stored(m->w, i + 1, m->nweights))
        n += m->w[i] != 0.0f; /* -0 is stored, not counted */
    return n;
}

static int finalize(gn_model *m, const uint64_t *checksum) {
    if (!m) return gn__fail(GN_EINVAL, "model: NULL argument");
    uint64_t sum;
    if (checksum) {
        sum = *checksum;
    } else {
        GN_TRY(gn__model_file_checksum(m, &sum)); /* also rejects non-finite weights */
    }
    char version[17];
    snprintf(version, sizeof version, "%016llx", (unsigned long long)sum);
    size_t nonzero = count_nonzero(m);

    json_t *meta;
    GN_TRY(gn__model_header_json(m, &meta));
    char *text = NULL;
    if (put(meta, "nonzero", json_integer((json_int_t)nonzero)) && put(meta, "version", json_string(version)))
        text = gn__json_dumps(meta, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
    json_decref(meta);
    if (!text) return gn__fail(GN_ENOMEM, "model: out of memory building metadata");

    free(m->meta_json);
    m->meta_json = text;
    memcpy(m->version, version, sizeof m->version);
    m->nonzero = nonzero;
    m->finalized = 1;
    return GN_OK;
}

int gn__model_finalize(gn_model *m) { return finalize(m, NULL); }

int gn__model_finalize_as(gn_model *m, uint64_t checksum) { return finalize(m, &checksum); }

gn_model_kind gn_model_get_kind(const gn_model *model) { return model ? model->kind : GN_KIND_LINEAR; }

gn_loss gn_model_get_loss(const gn_model *model) { return model ? model->loss : GN_LOSS_LOGISTIC; }

uint32_t gn_model_get_bits(const gn_model *model) { return model ? model->spec.bits : 0; }

const gn_data_spec *gn_model_get_spec(const gn_model *model) { return model ? &model->spec : NULL; }

size_t gn_model_nonzero(const gn_model *model) {
    if (!model) return 0;
    return model->finalized ? model->nonzero : count_nonzero(model);
}

const char *gn_model_metadata_json(const gn_model *model) {
    return model && model->meta_json ? model->meta_json : "{}";
}

const char *gn_model_version(const gn_model *model) { return model ? model->version : ""; }

double gn_model_link(const gn_model *model, double score) {
    return model ? gn__link(model->loss, score) : score;
}

/* Order of top weights: larger |value| first, then the smaller slot first (deterministic). */
static int ranks_before(float av, uint32_t as, float bv, uint32_t bs) {
    float a = fabsf(av), b = fabsf(bv);
    return a > b || (a == b && as < bs);
}

static void heap_swap(uint32_t *slots, float *values, size_t i, size_t j) {
    uint32_t s = slots[i];
    slots[i] = slots[j];
    slots[j] = s;
    float v = values[i];
    values[i] = values[j];
    values[j] = v;
}

/* Min-heap by rank: the root is the weakest weight kept so far. */
static void heap_down(uint32_t *slots, float *values, size_t n, size_t i) {
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, weakest = i;
        if (l < n && ranks_before(values[weakest], slots[weakest], values[l], slots[l])) weakest = l;
        if (r < n && ranks_before(values[weakest], slots[weakest], values[r], slots[r])) weakest = r;
        if (weakest == i) return;
        heap_swap(slots, values, i, weakest);
        i = weakest;
    }
}

static void heap_up(uint32_t *slots, float *values, size_t i) {
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!ranks_before(values[parent], slots[parent], values[i], slots[i])) return;
        heap_swap(slots, values, i, parent);
        i = parent;
    }
}

/* Uses the caller's arrays as a bounded heap: O(nslots log k) time, no allocation. */
int gn__top_strided(const float *base, size_t nslots, size_t stride, size_t k, uint32_t *slots, float *values,
                    size_t *n_out) {
    if (k > nslots) k = nslots;
    size_t n = 0;
    for (size_t s = 0; s < nslots && k > 0; s++) {
        float v = base[s * stride];
        if (v == 0.0f || isnan(v)) continue;
        if (n < k) {
            slots[n] = (uint32_t)s;
            values[n] = v;
            heap_up(slots, values, n);
            n++;
        } else if (ranks_before(v, (uint32_t)s, values[0], slots[0])) {
            slots[0] = (uint32_t)s;
            values[0] = v;
            heap_down(slots, values, n, 0);
        }
    }
    /* Heap sort: moving the weakest to the end each time leaves the strongest first. */
    for (size_t end = n; end > 1; end--) {
        heap_swap(slots, values, 0, end - 1);
        heap_down(slots, values, end - 1, 0);
    }
    *n_out = n;
    return GN_OK;
}

gn_status gn_model_top_weights(const gn_model *model, size_t k, uint32_t *slots, float *values, size_t *n_out) {
    if (!model || !n_out || (k > 0 && (!slots || !values)))
        return gn__fail(GN_EINVAL, "top weights: NULL argument");
    return model->ops->top_weights(model, k, slots, values, n_out);
}

/* ---- prediction: the one way to the weights ---- */

void gn__model_scores(const gn_model *m, const gn_rows *rows, double *out) { m->ops->score_batch(m, rows, out); }

size_t gn_model_outputs(const gn_model *model) { return model ? model->ops->outputs(model) : 0; }

gn_status gn_model_predict_batch(const gn_model *m, const gn_rows *rows, double *out, size_t out_len) {
    if (!m || !rows || (rows->n && (!rows->start || !out))) return gn__fail(GN_EINVAL, "predict batch: NULL argument");
    const size_t k = m->ops->outputs(m);
    if (rows->n > out_len / k) return gn__fail(GN_EINVAL, "predict batch: out has room for %zu numbers, %zu rows need %zu",
                                               out_len, rows->n, rows->n * k);
    if (rows->n == 0) return GN_OK;
    if (rows->start[0] > rows->start[rows->n] || (rows->start[rows->n] > rows->start[0] && (!rows->index || !rows->value)))
        return gn__fail(GN_EINVAL, "predict batch: bad row offsets");
    const uint64_t slots = (uint64_t)1 << m->spec.bits;
    for (size_t r = 0; r < rows->n; r++) {
        if (rows->start[r + 1] < rows->start[r]) return gn__fail(GN_EINVAL, "predict batch: row %zu: offsets decrease", r);
        for (size_t i = rows->start[r]; i < rows->start[r + 1]; i++)
            if (rows->index[i] >= slots)
                return gn__fail(GN_EINVAL, "predict batch: row %zu: slot %u is outside the model's 2^%u slots", r,
                                (unsigned)rows->index[i], (unsigned)m->spec.bits);
    }
    gn__model_predictions(m, rows, out);
    return GN_OK;
}

void gn__model_predictions(const gn_model *m, const gn_rows *rows, double *out) {
    m->ops->score_batch(m, rows, out);
    const size_t k = m->ops->outputs(m);
    if (k == 1) {
        for (size_t i = 0; i < rows->n; i++) out[i] = gn__link(m->loss, out[i]);
        return;
    }
    for (size_t r = 0; r < rows->n; r++) gn__link_row(m->loss, out + r * k, k); /* softmax: a row at a time */
}
