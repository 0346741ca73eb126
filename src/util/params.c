/* util/params.c: the parameter table (gannet/params.h). One row per training option and data-spec
 * field: its public description (name, flag, type, default, range, help) and where it lives in
 * gn_train_options or gn_data_spec. Setting, reading back and range checking are driven by the
 * rows, so a parameter is added in one place. Uses only the public headers. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gannet/gannet.h"
#include "util/error.h"

enum target { IN_TRAIN = 0, IN_SPEC = 1 };
/* The C type of the field a row writes. */
enum ctype {
    C_U32,     /* uint32_t */
    C_U64,     /* uint64_t */
    C_DOUBLE,  /* double */
    C_FLAG,    /* int 0/1 */
    C_ENUM,    /* an int-sized enum or int: the value of the choice (choice_values, or its index) */
    C_SIZE,    /* size_t */
    C_CHARS,   /* char[arr] */
    C_PATH,    /* const char * (borrowed) */
    C_SPECIAL  /* set/get by the row's own functions */
};

typedef struct row {
    gn_param_info info;
    unsigned char target;     /* IN_TRAIN or IN_SPEC */
    size_t off;               /* offset of the field */
    unsigned char ctype;
    size_t arr;               /* C_CHARS: the array's size */
    const int *choice_values; /* C_ENUM: the stored value of each choice (NULL: its index) */
    /* C_SPECIAL: parses and stores the value; other types: NULL, or called after the value was
     * checked and stored, for a side effect */
    int (*set)(void *obj, const char *value, char *why, size_t why_size);
    void (*get)(const void *obj, char *buf, size_t size);
} row;

#define U64_MAX_D 18446744073709551615.0

/* C_ENUM rows store choices through an int pointer. */
_Static_assert(sizeof(gn_format) == sizeof(int) && sizeof(gn_loss) == sizeof(int) && sizeof(gn_model_kind) == sizeof(int) &&
                   sizeof(gn_optimizer) == sizeof(int),
               "enums of the parameter table must be int-sized");
#define TRAIN(field) IN_TRAIN, offsetof(gn_train_options, field)
#define SPEC(field) IN_SPEC, offsetof(gn_data_spec, field)

/* ---- special fields ---- */

static int set_sep(void *obj, const char *v, char *why, size_t n) {
    gn_data_spec *s = obj;
    if (!strcmp(v, "tab") || !strcmp(v, "\\t")) s->sep = '\t';
    else if (!strcmp(v, "auto") || v[0] == '\0') s->sep = 0;
    else if (strlen(v) == 1) s->sep = v[0];
    else {
        snprintf(why, n, "expected one character, 'tab' or 'auto', got '%.40s'", v);
        return GN_EINVAL;
    }
    return GN_OK;
}

static void get_sep(const void *obj, char *buf, size_t size) {
    const gn_data_spec *s = obj;
    if (s->sep == 0) snprintf(buf, size, "auto");
    else if (s->sep == '\t') snprintf(buf, size, "tab");
    else snprintf(buf, size, "%c", s->sep);
}

/* "N" examples or "Ns" seconds between checkpoints. */
static int set_checkpoint_every(void *obj, const char *v, char *why, size_t n) {
    gn_train_options *o = obj;
    size_t vl = strlen(v);
    int secs = vl > 1 && v[vl - 1] == 's';
    char num[32];
    if (vl == 0 || vl >= sizeof num || !isdigit((unsigned char)v[0])) goto bad;
    memcpy(num, v, vl + 1);
    if (secs) num[vl - 1] = '\0';
    char *end;
    errno = 0;
    unsigned long long x = strtoull(num, &end, 10);
    if (*end || errno == ERANGE) goto bad;
    if (x == 0) {
        snprintf(why, n, "must be at least 1");
        return GN_EINVAL;
    }
    if (secs) {
        if (x > 100000000ull) {
            snprintf(why, n, "at most 100000000 seconds");
            return GN_EINVAL;
        }
        o->checkpoint_seconds = (uint32_t)x;
        o->checkpoint_examples = 0;
    } else {
        o->checkpoint_examples = x;
        o->checkpoint_seconds = 0;
    }
    return GN_OK;
bad:
    snprintf(why, n, "expected N (examples) or Ns (seconds), got '%.40s'", v);
    return GN_EINVAL;
}

static void get_checkpoint_every(const void *obj, char *buf, size_t size) {
    const gn_train_options *o = obj;
    if (o->checkpoint_seconds) snprintf(buf, size, "%us", (unsigned)o->checkpoint_seconds);
    else snprintf(buf, size, "%llu", (unsigned long long)o->checkpoint_examples);
}

/* After shuffle_buffer is set: setting the buffer size asks for shuffling too (as
 * --shuffle-buffer always did). */
static int after_shuffle_buffer(void *obj, const char *v, char *why, size_t n) {
    (void)v;
    (void)why;
    (void)n;
    ((gn_train_options *)obj)->shuffle = 1;
    return GN_OK;
}

/* l1: a number >= 0, or auto (GN_L1_AUTO). */
static int set_l1(void *obj, const char *v, char *why, size_t n) {
    gn_train_options *o = obj;
    if (!strcmp(v, "auto")) {
        o->l1 = GN_L1_AUTO;
        return GN_OK;
    }
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (end == v || *end || errno == ERANGE || !isfinite(x) || !(x >= 0)) {
        snprintf(why, n, "expected auto or a number >= 0, got '%.40s'", v);
        return GN_EINVAL;
    }
    o->l1 = x;
    return GN_OK;
}

static void get_l1(const void *obj, char *buf, size_t size) {
    const gn_train_options *o = obj;
    if (o->l1 == GN_L1_AUTO) snprintf(buf, size, "auto");
    else snprintf(buf, size, "%.10g", o->l1);
}

/* passes: a number, or auto (0). */
static int set_passes(void *obj, const char *v, char *why, size_t n) {
    gn_train_options *o = obj;
    if (!strcmp(v, "auto") || !strcmp(v, "0")) {
        o->passes = 0;
        return GN_OK;
    }
    char *end;
    errno = 0;
    unsigned long long x = isdigit((unsigned char)v[0]) ? strtoull(v, &end, 10) : (end = (char *)v, 0);
    if (end == v || *end || errno == ERANGE || x < 1 || x > 100000) {
        snprintf(why, n, "expected auto or a number of passes in [1, 100000], got '%.40s'", v);
        return GN_EINVAL;
    }
    o->passes = (uint32_t)x;
    return GN_OK;
}

static void get_passes(const void *obj, char *buf, size_t size) {
    const gn_train_options *o = obj;
    if (o->passes == 0) snprintf(buf, size, "auto");
    else snprintf(buf, size, "%u", (unsigned)o->passes);
}

static const int header_values[] = {-1, 1, 0};
static const int tf_values[] = {GN_TF_COUNT, GN_TF_BINARY, GN_TF_LOG};

/* --quadratic AB / --cubic ABC (Vowpal Wabbit's -q and --cubic): namespaces by first letter,
 * added to --interactions as "A*B" / "A*B*C". */
static int add_cross(gn_data_spec *s, const char *v, size_t want, char *why, size_t n) {
    if (strlen(v) != want) {
        snprintf(why, n, "expected %zu namespace letters, got '%.40s'", want, v);
        return GN_EINVAL;
    }
    for (size_t i = 0; i < want; i++) {
        if (!isalnum((unsigned char)v[i]) && v[i] != '_') {
            snprintf(why, n, "namespace letter '%c' must be a letter, digit or '_'", v[i]);
            return GN_EINVAL;
        }
    }
    size_t len = strlen(s->interactions);
    if (len + 2 * want + 1 >= sizeof s->interactions) {
        snprintf(why, n, "too many interactions");
        return GN_EINVAL;
    }
    char *o = s->interactions + len;
    if (len) *o++ = ',';
    for (size_t i = 0; i < want; i++) {
        if (i) *o++ = '*';
        *o++ = v[i];
    }
    *o = '\0';
    return GN_OK;
}
static int set_quadratic(void *obj, const char *v, char *why, size_t n) { return add_cross(obj, v, 2, why, n); }
static int set_cubic(void *obj, const char *v, char *why, size_t n) { return add_cross(obj, v, 3, why, n); }
static void get_none(const void *obj, char *buf, size_t size) {
    (void)obj;
    snprintf(buf, size, "%s", ""); /* stored in interactions */
}
static const int kind_values[] = {GN_KIND_LINEAR, GN_KIND_SOFTMAX, GN_KIND_OAA, GN_KIND_FM, GN_KIND_FFM, GN_KIND_MF};

/* ---- the table ---- */

static const row rows[] = {
    /* data */
    {{"format", "--format", NULL, GN_PARAM_CHOICE, GN_PARAM_DATA, "auto", "auto|libsvm|csv|vw|dir|libfm|libffm", 0, 0, 0, 0, 0, "F",
      "input format; auto: detected from the first data line; dir: a tree DIR/<class>/<doc>, one example per file; "
      "libfm: 'label idx:val ...' from index 0; libffm: 'label field:idx:val ...'"},
     SPEC(format), C_ENUM, 0, NULL, NULL, NULL},
    {{"bits", "--bits", "-b", GN_PARAM_INT, GN_PARAM_DATA, "18", NULL, 1, GN_MAX_BITS, 0, 0, 1, "B",
      "hash space of 2^B slots"},
     SPEC(bits), C_U32, 0, NULL, NULL, NULL},
    {{"bias", "--bias", NULL, GN_PARAM_BOOL, GN_PARAM_DATA, "true", NULL, 0, 1, 0, 0, 1, NULL,
      "a constant feature in slot 0 (--no-bias: none)"},
     SPEC(bias), C_FLAG, 0, NULL, NULL, NULL},
    {{"libsvm_hash", "--libsvm-hash", NULL, GN_PARAM_BOOL, GN_PARAM_DATA, "false", NULL, 0, 1, 0, 0, 1, NULL,
      "hash LIBSVM indices instead of using index mod 2^bits"},
     SPEC(libsvm_hash), C_FLAG, 0, NULL, NULL, NULL},
    {{"sep", "--sep", NULL, GN_PARAM_TEXT, GN_PARAM_DATA, "auto", NULL, 0, 0, 0, 0, 0, "C",
      "CSV separator: one character or 'tab'; auto: tab if the first line has one, else ','"},
     SPEC(sep), C_SPECIAL, 0, NULL, set_sep, get_sep},
    {{"header", "--header", NULL, GN_PARAM_CHOICE, GN_PARAM_DATA, "auto", "auto|true|false", 0, 0, 0, 0, 0, NULL,
      "CSV first line is a header (--no-header: is data); auto: detected"},
     SPEC(header), C_ENUM, 0, header_values, NULL, NULL},
    {{"label", "--label", NULL, GN_PARAM_TEXT, GN_PARAM_DATA, "1", NULL, 0, 0, 0, 0, 0, "COL",
      "CSV label column, header name or 1-based index"},
     SPEC(label_col), C_CHARS, sizeof(((gn_data_spec *)0)->label_col), NULL, NULL, NULL},
    {{"categorical", "--categorical", NULL, GN_PARAM_TEXT, GN_PARAM_DATA, "", NULL, 0, 0, 0, 0, 1, "COLS",
      "CSV columns hashed as name=value, e.g. 15-40,city"},
     SPEC(categorical), C_CHARS, GN_COLSPEC_MAX, NULL, NULL, NULL},
    {{"numeric", "--numeric", NULL, GN_PARAM_TEXT, GN_PARAM_DATA, "", NULL, 0, 0, 0, 0, 1, "COLS",
      "CSV columns used as numbers (a column with no role: a number if it parses as one)"},
     SPEC(numeric), C_CHARS, GN_COLSPEC_MAX, NULL, NULL, NULL},
    {{"ignore", "--ignore", NULL, GN_PARAM_TEXT, GN_PARAM_DATA, "", NULL, 0, 0, 0, 0, 1, "COLS",
      "CSV columns to skip (ids, timestamps)"},
     SPEC(ignore), C_CHARS, GN_COLSPEC_MAX, NULL, NULL, NULL},
    {{"na_values", "--na-values", NULL, GN_PARAM_TEXT, GN_PARAM_DATA, "", NULL, 0, 0, 0, 0, 0, "LIST",
      "CSV values read as missing besides an empty field and the defaults NA,N/A,n/a,NaN,nan,null,NULL,None,?,#N/A "
      "(e.g. -999)"},
     SPEC(na_values), C_CHARS, GN_NA_VALUES_MAX, NULL, NULL, NULL},
    {{"default_na", "--default-na", NULL, GN_PARAM_BOOL, GN_PARAM_DATA, "true", NULL, 0, 1, 0, 0, 0, NULL,
      "the default missing-value tokens apply (--no-default-na: only an empty field and --na-values)"},
     SPEC(na_defaults), C_FLAG, 0, NULL, NULL, NULL},
    {{"log_numeric", "--log-numeric", NULL, GN_PARAM_BOOL, GN_PARAM_DATA, "false", NULL, 0, 1, 0, 0, 1, NULL,
      "CSV numbers x enter as sign(x)*log(1+|x|)"},
     SPEC(log_numeric), C_FLAG, 0, NULL, NULL, NULL},
    {{"positive", "--positive", NULL, GN_PARAM_TEXT, GN_PARAM_DATA, "", NULL, 0, 0, 0, 0, 0, "VALUE",
      "binary losses: the label of the positive class (default: the positive-like one of the two: 1, true, yes, y, "
      "t, pos, positive)"},
     SPEC(positive), C_CHARS, sizeof(((gn_data_spec *)0)->positive), NULL, NULL, NULL},
    {{"classes", "--classes", NULL, GN_PARAM_TEXT, GN_PARAM_DATA, "", NULL, 0, 0, 0, 0, 0, "LIST",
      "multiclass losses (softmax): the classes in order, e.g. a,b,c; a label outside them is an error (default: "
      "every label of the input, sorted: numbers ascending, then names)"},
     SPEC(classes), C_CHARS, GN_CLASSES_TEXT_MAX, NULL, NULL, NULL},
    {{"text", "--text", NULL, GN_PARAM_TEXT, GN_PARAM_DATA, "", NULL, 0, 0, 0, 0, 0, "COLS",
      "CSV columns (or VW namespaces) holding text: tokenized into lowercase words and n-grams"},
     SPEC(text), C_CHARS, GN_COLSPEC_MAX, NULL, NULL, NULL},
    {{"ngrams", "--ngrams", NULL, GN_PARAM_INT, GN_PARAM_DATA, "1", NULL, 1, GN_MAX_NGRAMS, 0, 0, 1, "N",
      "text: word n-grams of 1..N words"},
     SPEC(ngrams), C_U32, 0, NULL, NULL, NULL},
    {{"skips", "--skips", NULL, GN_PARAM_INT, GN_PARAM_DATA, "0", NULL, 0, GN_MAX_SKIPS, 0, 0, 1, "K",
      "text: n-grams may skip up to K words in all (skip-grams)"},
     SPEC(skips), C_U32, 0, NULL, NULL, NULL},
    {{"tf", "--tf", NULL, GN_PARAM_CHOICE, GN_PARAM_DATA, "count", "count|binary|log", 0, 0, 0, 0, 1, "W",
      "text: a term's value from its count c in the document: c, 1, or 1+ln(c)"},
     SPEC(tf), C_ENUM, 0, tf_values, NULL, NULL},
    {{"idf", "--idf", NULL, GN_PARAM_BOOL, GN_PARAM_DATA, "false", NULL, 0, 1, 0, 0, 1, NULL,
      "text: weight terms by ln((1+n)/(1+df))+1 from the training documents (stored in the model)"},
     SPEC(idf), C_FLAG, 0, NULL, NULL, NULL},
    {{"normalize_rows", "--normalize-rows", NULL, GN_PARAM_BOOL, GN_PARAM_DATA, "false", NULL, 0, 1, 0, 0, 1, NULL,
      "text: scale each document's text features to unit L2 norm"},
     SPEC(normalize_rows), C_FLAG, 0, NULL, NULL, NULL},
    {{"interactions", "--interactions", NULL, GN_PARAM_TEXT, GN_PARAM_DATA, "", NULL, 0, 0, 0, 0, 0, "LIST",
      "crossed features of columns/namespaces, e.g. 'site*app,user*item*hour' (VW: a one-letter name is a "
      "namespace's first letter)"},
     SPEC(interactions), C_CHARS, GN_COLSPEC_MAX, NULL, NULL, NULL},
    {{"fields", "--fields", NULL, GN_PARAM_TEXT, GN_PARAM_DATA, "", NULL, 0, 0, 0, 0, 0, "LIST|N",
      "kind ffm: VW input: the namespaces, each a field ('u,i,c'); libffm input: the number of fields; CSV: each "
      "feature column is a field (leave it out)"},
     SPEC(fields), C_CHARS, GN_COLSPEC_MAX, NULL, NULL, NULL},
    {{"quadratic", "--quadratic", NULL, GN_PARAM_TEXT, GN_PARAM_DATA, "", NULL, 0, 0, 0, 0, 0, "AB",
      "VW's -q AB: adds A*B to --interactions (namespaces by first letter)"},
     SPEC(interactions), C_SPECIAL, 0, NULL, set_quadratic, get_none},
    {{"cubic", "--cubic", NULL, GN_PARAM_TEXT, GN_PARAM_DATA, "", NULL, 0, 0, 0, 0, 0, "ABC",
      "VW's --cubic ABC: adds A*B*C to --interactions"},
     SPEC(interactions), C_SPECIAL, 0, NULL, set_cubic, get_none},
    {{"skip_bad", "--skip-bad", NULL, GN_PARAM_BOOL, GN_PARAM_DATA, "false", NULL, 0, 1, 0, 0, 0, NULL,
      "skip bad lines, count them and report the count (default: stop at the first)"},
     SPEC(skip_bad), C_FLAG, 0, NULL, NULL, NULL},
    {{"max_line", "--max-line", NULL, GN_PARAM_SIZE, GN_PARAM_DATA, "64M", NULL, 1024, 1073741824.0, 0, 0, 0, "BYTES",
      "longest accepted line"},
     SPEC(max_line), C_SIZE, 0, NULL, NULL, NULL},
    /* training */
    {{"kind", "--kind", NULL, GN_PARAM_CHOICE, GN_PARAM_TRAIN, "linear", "linear|softmax|oaa|fm|ffm|mf", 0, 0, 0, 0, 1, "K",
      "the model kind; softmax: K weights per slot, one per class (--loss softmax selects it); oaa: made by --oaa; "
      "fm: a factorization machine (logistic, hinge, squared or softmax loss; --rank); ffm: a field-aware one (--fields); "
      "mf: matrix factorization of --user/--item/--rating CSV columns (docs/recommend.md)"},
     TRAIN(kind), C_ENUM, 0, kind_values, NULL, NULL},
    {{"loss", "--loss", NULL, GN_PARAM_CHOICE, GN_PARAM_TRAIN, "logistic", "logistic|squared|hinge|quantile|poisson|softmax",
      0, 0, 0, 0, 1, "L", "the loss to minimise"},
     TRAIN(loss), C_ENUM, 0, NULL, NULL, NULL},
    {{"optimizer", "--optimizer", NULL, GN_PARAM_CHOICE, GN_PARAM_TRAIN, "auto", "auto|sgd|adagrad|ftrl|lbfgs|owlqn|als",
      0, 0, 0, 0, 1, "O", "auto: ftrl for logistic, adagrad for the other losses (kind mf: als); lbfgs and owlqn are "
      "batch solvers; als: alternating least squares (kind mf)"},
     TRAIN(optimizer), C_ENUM, 0, NULL, NULL, NULL},
    {{"lr", "--lr", NULL, GN_PARAM_REAL, GN_PARAM_TRAIN, "0", NULL, 0, 1e300, 0, 0, 1, "X",
      "learning rate (FTRL alpha); 0: the optimizer's default"},
     TRAIN(lr), C_DOUBLE, 0, NULL, NULL, NULL},
    {{"l1", "--l1", NULL, GN_PARAM_REAL, GN_PARAM_TRAIN, "auto", NULL, 0, 1e300, 0, 0, 1, "X",
      "L1 regularisation of sum_i loss_i + l1*|w|_1 + l2/2*|w|^2; auto: 1 for normalized ftrl, else 0"},
     TRAIN(l1), C_SPECIAL, 0, NULL, set_l1, get_l1},
    {{"l2", "--l2", NULL, GN_PARAM_REAL, GN_PARAM_TRAIN, "0", NULL, 0, 1e300, 0, 0, 1, "X",
      "L2 regularisation (LIBLINEAR's C is l2 = 1/C)"},
     TRAIN(l2), C_DOUBLE, 0, NULL, NULL, NULL},
    {{"normalize", "--normalize", NULL, GN_PARAM_BOOL, GN_PARAM_TRAIN, "true", NULL, 0, 1, 0, 0, 1, NULL,
      "per-feature normalized online updates, insensitive to each column's scale "
      "(--no-normalize: the plain updates of gannet 0.1)"},
     TRAIN(normalize), C_FLAG, 0, NULL, NULL, NULL},
    {{"ftrl_beta", "--ftrl-beta", NULL, GN_PARAM_REAL, GN_PARAM_TRAIN, "1", NULL, 0, 1e300, 0, 0, 1, "X", "FTRL beta"},
     TRAIN(ftrl_beta), C_DOUBLE, 0, NULL, NULL, NULL},
    {{"power_t", "--power-t", NULL, GN_PARAM_REAL, GN_PARAM_TRAIN, "0.5", NULL, 0, 1, 0, 0, 1, "X",
      "SGD step decay lr/(1+t)^power_t"},
     TRAIN(power_t), C_DOUBLE, 0, NULL, NULL, NULL},
    {{"quantile_tau", "--quantile-tau", NULL, GN_PARAM_REAL, GN_PARAM_TRAIN, "0.5", NULL, 0, 1, 1, 1, 1, "X",
      "quantile loss level"},
     TRAIN(quantile_tau), C_DOUBLE, 0, NULL, NULL, NULL},
    {{"passes", "--passes", NULL, GN_PARAM_INT, GN_PARAM_TRAIN, "auto", NULL, 0, 100000, 0, 0, 1, "N",
      "passes over the data; auto: inputs up to 256 MiB get as many passes as a 10% holdout likes (at most "
      "max(10, 2^23/features read in a pass), and 100), then a refit on all the data; larger inputs and stdin one pass (cv and "
      "tune: one pass)"},
     TRAIN(passes), C_SPECIAL, 0, NULL, set_passes, get_passes},
    {{"holdout", "--holdout", NULL, GN_PARAM_REAL, GN_PARAM_TRAIN, "0", NULL, 0, 1, 0, 1, 0, "F",
      "hold out this fraction of examples to measure loss and stop early"},
     TRAIN(holdout), C_DOUBLE, 0, NULL, NULL, NULL},
    {{"early_stop", "--early-stop", NULL, GN_PARAM_INT, GN_PARAM_TRAIN, "3", NULL, 0, 100000, 0, 0, 0, "N",
      "stop after N passes without holdout improvement (0: never)"},
     TRAIN(early_stop), C_U32, 0, NULL, NULL, NULL},
    {{"seed", "--seed", NULL, GN_PARAM_INT, GN_PARAM_TRAIN, "0", NULL, 0, U64_MAX_D, 0, 0, 0, "N",
      "seed of the holdout, the folds, shuffling and random search"},
     TRAIN(seed), C_U64, 0, NULL, NULL, NULL},
    {{"threads", "--threads", NULL, GN_PARAM_INT, GN_PARAM_TRAIN, "0", NULL, 0, 1024, 0, 0, 0, "N",
      "threads; 0: all cores (shared by the mpirun ranks of a machine), but one per 4 MiB of input at most"},
     TRAIN(threads), C_U32, 0, NULL, NULL, NULL},
    {{"deterministic", "--deterministic", NULL, GN_PARAM_BOOL, GN_PARAM_TRAIN, "false", NULL, 0, 1, 0, 0, 0, NULL,
      "the same model on every run for a given --threads"},
     TRAIN(deterministic), C_FLAG, 0, NULL, NULL, NULL},
    {{"batch_size", "--batch-size", NULL, GN_PARAM_INT, GN_PARAM_TRAIN, "1024", NULL, 1, 1048576, 0, 0, 0, "N",
      "examples per parsed batch in train (cv and tune read 8192)"},
     TRAIN(batch_size), C_U32, 0, NULL, NULL, NULL},
    {{"lbfgs_memory", "--lbfgs-memory", "--memory", GN_PARAM_INT, GN_PARAM_TRAIN, "10", NULL, 1, 1000, 0, 0, 1, "M",
      "L-BFGS/OWL-QN history size"},
     TRAIN(lbfgs_memory), C_U32, 0, NULL, NULL, NULL},
    {{"tol", "--tol", NULL, GN_PARAM_REAL, GN_PARAM_TRAIN, "1e-06", NULL, 0, 1e300, 1, 0, 1, "T",
      "L-BFGS/OWL-QN relative gradient tolerance"},
     TRAIN(tol), C_DOUBLE, 0, NULL, NULL, NULL},
    {{"max_iter", "--max-iter", NULL, GN_PARAM_INT, GN_PARAM_TRAIN, "500", NULL, 1, 1e9, 0, 0, 1, "N",
      "L-BFGS/OWL-QN iteration limit"},
     TRAIN(max_iter), C_U32, 0, NULL, NULL, NULL},
    {{"warm_start", "--warm-start", NULL, GN_PARAM_CHOICE, GN_PARAM_TRAIN, "none", "none|online", 0, 0, 0, 0, 1, "W",
      "online: one online pass before the batch solver"},
     TRAIN(warm_start_online), C_ENUM, 0, NULL, NULL, NULL},
    {{"class_weights", "--class-weights", NULL, GN_PARAM_TEXT, GN_PARAM_TRAIN, "", NULL, 0, 0, 0, 0, 0, "LIST",
      "classification: weigh each example by its class, e.g. a:2,b:1 (classes not named: 1)"},
     TRAIN(class_weights), C_PATH, 0, NULL, NULL, NULL},
    {{"oaa", "--oaa", NULL, GN_PARAM_BOOL, GN_PARAM_TRAIN, "false", NULL, 0, 1, 0, 0, 0, NULL,
      "multiclass one-against-all over the binary --loss (logistic or hinge): K binary weight vectors (kind oaa); lbfgs/owlqn: logistic"},
     TRAIN(oaa), C_FLAG, 0, NULL, NULL, NULL},
    {{"balanced", "--balanced", NULL, GN_PARAM_BOOL, GN_PARAM_TRAIN, "false", NULL, 0, 1, 0, 0, 0, NULL,
      "classification: weigh each class by n_samples / (K * n_class), as scikit-learn's class_weight='balanced'"},
     TRAIN(balanced), C_FLAG, 0, NULL, NULL, NULL},
    {{"rank", "--rank", NULL, GN_PARAM_INT, GN_PARAM_TRAIN, "8", NULL, 1, 1023, 0, 0, 1, "K",
      "kinds fm, ffm, mf: latent factors per feature (ffm: per feature and field; mf: per user and item)"},
     TRAIN(fm_rank), C_U32, 0, NULL, NULL, NULL},
    {{"fm_init", "--fm-init", NULL, GN_PARAM_REAL, GN_PARAM_TRAIN, "0.01", NULL, 0, 1e300, 0, 0, 1, "X",
      "kinds fm, ffm: factors start uniform in [-X, X] (seeded by --seed)"},
     TRAIN(fm_init), C_DOUBLE, 0, NULL, NULL, NULL},
    {{"fm_l2", "--fm-l2", NULL, GN_PARAM_REAL, GN_PARAM_TRAIN, "0", NULL, 0, 1e300, 0, 0, 1, "X",
      "kinds fm, ffm: L2 regularisation of the latent factors"},
     TRAIN(fm_l2), C_DOUBLE, 0, NULL, NULL, NULL},
    {{"fm_lr", "--fm-lr", NULL, GN_PARAM_REAL, GN_PARAM_TRAIN, "0", NULL, 0, 1e300, 0, 0, 1, "X",
      "kinds fm, ffm: the latent factors' learning rate (--lr drives the linear weights); 0: 0.2 with adagrad, "
      "--lr with sgd"},
     TRAIN(fm_lr), C_DOUBLE, 0, NULL, NULL, NULL},
    {{"user", "--user", NULL, GN_PARAM_TEXT, GN_PARAM_TRAIN, "", NULL, 0, 0, 0, 0, 0, "COL",
      "kind mf: the CSV column of user ids (header name or 1-based index)"},
     TRAIN(mf_user), C_PATH, 0, NULL, NULL, NULL},
    {{"item", "--item", NULL, GN_PARAM_TEXT, GN_PARAM_TRAIN, "", NULL, 0, 0, 0, 0, 0, "COL",
      "kind mf: the CSV column of item ids (header name or 1-based index)"},
     TRAIN(mf_item), C_PATH, 0, NULL, NULL, NULL},
    {{"rating", "--rating", NULL, GN_PARAM_TEXT, GN_PARAM_TRAIN, "", NULL, 0, 0, 0, 0, 0, "COL",
      "kind mf: the CSV column of ratings (--implicit: counts; none: each row counts 1)"},
     TRAIN(mf_rating), C_PATH, 0, NULL, NULL, NULL},
    {{"implicit", "--implicit", NULL, GN_PARAM_BOOL, GN_PARAM_TRAIN, "false", NULL, 0, 1, 0, 0, 1, NULL,
      "kind mf: implicit feedback, weighted ALS with confidence 1 + alpha*rating (Hu, Koren, Volinsky 2008)"},
     TRAIN(implicit), C_FLAG, 0, NULL, NULL, NULL},
    {{"alpha", "--alpha", NULL, GN_PARAM_REAL, GN_PARAM_TRAIN, "10", NULL, 0, 1e300, 0, 0, 1, "X",
      "kind mf --implicit: confidence 1 + alpha*rating"},
     TRAIN(alpha), C_DOUBLE, 0, NULL, NULL, NULL},
    /* one run */
    {{"cache", "--cache", NULL, GN_PARAM_TEXT, GN_PARAM_RUN, "", NULL, 0, 0, 0, 0, 0, "FILE",
      "read examples from this binary cache, made from the data first when missing or stale (see gannet cache); "
      "without -d the cache is the data, and data flags given must agree with it"},
     TRAIN(cache_path), C_PATH, 0, NULL, NULL, NULL},
    {{"shuffle", "--shuffle", NULL, GN_PARAM_BOOL, GN_PARAM_RUN, "false", NULL, 0, 1, 0, 0, 0, NULL,
      "read plain files in chunks and caches in blocks in a random order (seeded by --seed, new each pass), "
      "and shuffle examples within a bounded buffer; gzip/zstd/stdin: the buffer only"},
     TRAIN(shuffle), C_FLAG, 0, NULL, NULL, NULL},
    {{"shuffle_buffer", "--shuffle-buffer", NULL, GN_PARAM_INT, GN_PARAM_RUN, "65536", NULL, 1, 67108864, 0, 0, 0,
      "N", "examples in the --shuffle buffer (implies --shuffle); a chunk of a plain file holds about N/32 of them"},
     TRAIN(shuffle_buffer), C_U32, 0, NULL, after_shuffle_buffer, NULL},
    {{"checkpoint", "--checkpoint", NULL, GN_PARAM_TEXT, GN_PARAM_RUN, "", NULL, 0, 0, 0, 0, 0, "FILE",
      "save the run to FILE (atomically) every --checkpoint-every"},
     TRAIN(checkpoint_path), C_PATH, 0, NULL, NULL, NULL},
    {{"checkpoint_every", "--checkpoint-every", NULL, GN_PARAM_TEXT, GN_PARAM_RUN, "0", NULL, 0, 0, 0, 0, 0, "N|Ns",
      "N examples, or N seconds (e.g. 30s), between checkpoints"},
     IN_TRAIN, 0, C_SPECIAL, 0, NULL, set_checkpoint_every, get_checkpoint_every},
    {{"max_memory", "--max-memory", NULL, GN_PARAM_SIZE, GN_PARAM_RUN, "0", NULL, 0, 1e18, 0, 0, 0, "BYTES",
      "kind mf: refuse before allocating when the model's tables would need more (0: no limit)"},
     TRAIN(max_memory), C_SIZE, 0, NULL, NULL, NULL},
    {{"resume", "--resume", NULL, GN_PARAM_TEXT, GN_PARAM_RUN, "", NULL, 0, 0, 0, 0, 0, "FILE",
      "continue the run saved in FILE (same data and flags)"},
     TRAIN(resume_path), C_PATH, 0, NULL, NULL, NULL},
};
#define NROWS (sizeof rows / sizeof rows[0])

size_t gn_param_count(void) { return NROWS; }
const gn_param_info *gn_param_at(size_t i) { return i < NROWS ? &rows[i].info : NULL; }

/* a and b equal with '-' and '_' the same. */
static int same_name(const char *a, const char *b) {
    for (; *a && *b; a++, b++) {
        char x = *a == '-' ? '_' : *a, y = *b == '-' ? '_' : *b;
        if (x != y) return 0;
    }
    return *a == *b;
}

static const row *find_row(const char *name) {
    if (!name) return NULL;
    for (size_t i = 0; i < NROWS; i++) {
        const gn_param_info *p = &rows[i].info;
        if (!strcmp(name, p->flag) || (p->alias && !strcmp(name, p->alias))) return &rows[i];
    }
    const char *bare = name;
    while (*bare == '-') bare++;
    for (size_t i = 0; i < NROWS; i++) {
        const gn_param_info *p = &rows[i].info;
        if (same_name(bare, p->name)) return &rows[i];
        if (p->alias) {
            const char *a = p->alias;
            while (*a == '-') a++;
            if (same_name(bare, a)) return &rows[i];
        }
    }
    return NULL;
}

const gn_param_info *gn_param_find(const char *name) {
    const row *r = find_row(name);
    return r ? &r->info : NULL;
}

/* ---- parsing values ---- */

static int parse_bool(const char *v, int *out) {
    static const char *const yes[] = {"true", "1", "yes", "on"}, *const no[] = {"false", "0", "no", "off"};
    for (size_t i = 0; i < 4; i++) {
        if (!strcasecmp(v, yes[i])) { *out = 1; return 0; }
        if (!strcasecmp(v, no[i])) { *out = 0; return 0; }
    }
    return -1;
}

gn_status gn_parse_size(const char *text, uint64_t *out) {
    if (!text || !out) return gn__fail(GN_EINVAL, "size: NULL argument");
    const char *s = text;
    while (*s == ' ') s++;
    if (!isdigit((unsigned char)*s) && *s != '.') goto bad;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno == ERANGE || !(v >= 0)) goto bad;
    double mul = 1;
    switch (*end) {
    case 'k': case 'K': mul = 1024.0; end++; break;
    case 'm': case 'M': mul = 1048576.0; end++; break;
    case 'g': case 'G': mul = 1073741824.0; end++; break;
    case 't': case 'T': mul = 1099511627776.0; end++; break;
    default: break;
    }
    if (mul > 1 && *end == 'i') end++;
    if (*end == 'B' || *end == 'b') end++;
    if (*end) goto bad;
    v *= mul;
    if (v >= 18446744073709551615.0) goto bad;
    if (v != floor(v)) v = floor(v);
    *out = (uint64_t)v;
    return GN_OK;
bad:
    return gn__fail(GN_EINVAL, "'%.40s' is not a size in bytes (e.g. 4096, 512K, 64M, 2G)", text);
}

/* "must be in [a, b]" etc. for a numeric row and the value v it refuses. A maximum of 1e300 or
 * more (a real with no upper limit but finiteness) is left out unless v is above it. */
static void range_text(const gn_param_info *p, double v, char *buf, size_t n) {
    const int lo_set = !(p->min <= -1e300), hi_set = p->max < 1e299 && p->max < U64_MAX_D;
    if (lo_set && hi_set)
        snprintf(buf, n, "in %c%.10g, %.10g%c", p->min_open ? '(' : '[', p->min, p->max, p->max_open ? ')' : ']');
    else if (lo_set && !(v > p->max))
        snprintf(buf, n, "%s %.10g", p->min_open ? ">" : ">=", p->min);
    else if (lo_set)
        snprintf(buf, n, "%s %.10g and %s %.10g", p->min_open ? ">" : ">=", p->min, p->max_open ? "<" : "<=", p->max);
    else
        snprintf(buf, n, "%s %.10g", p->max_open ? "<" : "<=", p->max);
}

static int in_range(const gn_param_info *p, double v) {
    if (p->min_open ? !(v > p->min) : !(v >= p->min)) return 0;
    if (p->max_open ? !(v < p->max) : !(v <= p->max)) return 0;
    return 1;
}

static void *field_of(const row *r, gn_train_options *o, gn_data_spec *s) {
    void *base = r->target == IN_TRAIN ? (void *)o : (void *)s;
    return base ? (char *)base + r->off : NULL;
}

static int choice_index(const char *choices, const char *v) {
    size_t vl = strlen(v);
    int i = 0;
    for (const char *c = choices; *c; i++) {
        const char *bar = strchr(c, '|');
        size_t cl = bar ? (size_t)(bar - c) : strlen(c);
        if (cl == vl && !strncmp(c, v, cl)) return i;
        if (!bar) break;
        c = bar + 1;
    }
    return -1;
}

static int choice_value(const row *r, int index) { return r->choice_values ? r->choice_values[index] : index; }

static gn_status set_row(const row *r, gn_train_options *o, gn_data_spec *s, const char *v) {
    const gn_param_info *p = &r->info;
    void *f = field_of(r, o, s);
    if (!f) return gn__fail(GN_EINVAL, "%s: is a %s parameter", p->name, r->target == IN_TRAIN ? "training" : "data");
    if (!v) return gn__fail(GN_EINVAL, "%s: needs a value", p->name);
    char why[160];
    char rt[96];
    switch (r->ctype) {
    case C_FLAG: {
        int b;
        if (parse_bool(v, &b) != 0) return gn__fail(GN_EINVAL, "%s: expected true or false, got '%.40s'", p->name, v);
        *(int *)f = b;
        return GN_OK;
    }
    case C_ENUM: {
        int b, i = choice_index(p->choices, v);
        /* a yes/no choice also takes the boolean spellings */
        if (i < 0 && parse_bool(v, &b) == 0) i = choice_index(p->choices, b ? "true" : "false");
        if (i < 0) return gn__fail(GN_EINVAL, "%s: unknown value '%.40s' (%s)", p->name, v, p->choices);
        *(int *)f = choice_value(r, i);
        return GN_OK;
    }
    case C_U32:
    case C_U64: {
        const char *t = v;
        while (*t == ' ') t++;
        char *end;
        errno = 0;
        unsigned long long x = isdigit((unsigned char)*t) ? strtoull(t, &end, 10) : (end = (char *)t, 0);
        if (end == t || *end || errno == ERANGE)
            return gn__fail(GN_EINVAL, "%s: '%.40s' is not a non-negative integer", p->name, v);
        if (!in_range(p, (double)x)) {
            range_text(p, (double)x, rt, sizeof rt);
            return gn__fail(GN_EINVAL, "%s: must be %s (got %.40s)", p->name, rt, v);
        }
        if (r->ctype == C_U32) *(uint32_t *)f = (uint32_t)x;
        else *(uint64_t *)f = (uint64_t)x;
        if (r->set) return r->set(r->target == IN_TRAIN ? (void *)o : (void *)s, v, why, sizeof why);
        return GN_OK;
    }
    case C_DOUBLE: {
        char *end;
        errno = 0;
        double x = strtod(v, &end);
        if (end == v || *end || errno == ERANGE || !isfinite(x))
            return gn__fail(GN_EINVAL, "%s: '%.40s' is not a number", p->name, v);
        if (!in_range(p, x)) {
            range_text(p, x, rt, sizeof rt);
            return gn__fail(GN_EINVAL, "%s: must be %s (got %.40s)", p->name, rt, v);
        }
        *(double *)f = x;
        return GN_OK;
    }
    case C_SIZE: {
        uint64_t x;
        if (gn_parse_size(v, &x) != GN_OK) return gn__fail_prefix(GN_EINVAL, "%s", p->name);
        if (!in_range(p, (double)x)) {
            range_text(p, (double)x, rt, sizeof rt);
            return gn__fail(GN_EINVAL, "%s: must be %s bytes (got %.40s)", p->name, rt, v);
        }
        *(size_t *)f = (size_t)x;
        return GN_OK;
    }
    case C_CHARS:
        if (strlen(v) >= r->arr) return gn__fail(GN_EINVAL, "%s: longer than %zu characters", p->name, r->arr - 1);
        memcpy(f, v, strlen(v) + 1);
        return GN_OK;
    case C_PATH:
        *(const char **)f = v[0] ? v : NULL;
        return GN_OK;
    case C_SPECIAL:
        if (r->set(r->target == IN_TRAIN ? (void *)o : (void *)s, v, why, sizeof why) != GN_OK)
            return gn__fail(GN_EINVAL, "%s: %s", p->name, why);
        return GN_OK;
    }
    return gn__fail(GN_EINTERNAL, "%s: unknown field type", p->name);
}

gn_status gn_param_set(gn_train_options *o, gn_data_spec *spec, const char *name, const char *value) {
    const row *r = find_row(name);
    if (!r) return gn__fail(GN_EINVAL, "unknown parameter '%.64s'", name ? name : "(null)");
    return set_row(r, o, spec, value);
}

gn_status gn_train_options_set(gn_train_options *o, const char *name, const char *value) {
    if (!o) return gn__fail(GN_EINVAL, "options: NULL argument");
    return gn_param_set(o, NULL, name, value);
}

gn_status gn_data_spec_set(gn_data_spec *spec, const char *name, const char *value) {
    if (!spec) return gn__fail(GN_EINVAL, "data spec: NULL argument");
    return gn_param_set(NULL, spec, name, value);
}

/* The value of a row as text. */
static void get_row(const row *r, const void *obj, char *buf, size_t size) {
    const void *f = (const char *)obj + r->off;
    switch (r->ctype) {
    case C_FLAG: snprintf(buf, size, "%s", *(const int *)f ? "true" : "false"); return;
    case C_ENUM: {
        int v = *(const int *)f, i = 0;
        for (const char *c = r->info.choices; *c; i++) {
            const char *bar = strchr(c, '|');
            size_t cl = bar ? (size_t)(bar - c) : strlen(c);
            if (choice_value(r, i) == v) {
                snprintf(buf, size, "%.*s", (int)cl, c);
                return;
            }
            if (!bar) break;
            c = bar + 1;
        }
        snprintf(buf, size, "%d", v);
        return;
    }
    case C_U32: snprintf(buf, size, "%u", (unsigned)*(const uint32_t *)f); return;
    case C_U64: snprintf(buf, size, "%llu", (unsigned long long)*(const uint64_t *)f); return;
    case C_DOUBLE: snprintf(buf, size, "%.10g", *(const double *)f); return;
    case C_SIZE: {
        size_t x = *(const size_t *)f;
        static const char units[] = "KMGT";
        int u = -1;
        while (x && x % 1024 == 0 && u < 3) { x /= 1024; u++; }
        if (u >= 0) snprintf(buf, size, "%zu%c", x, units[u]);
        else snprintf(buf, size, "%zu", x);
        return;
    }
    case C_CHARS: snprintf(buf, size, "%s", (const char *)f); return;
    case C_PATH: snprintf(buf, size, "%s", *(const char *const *)f ? *(const char *const *)f : ""); return;
    case C_SPECIAL: r->get(obj, buf, size); return;
    }
    if (size) buf[0] = '\0';
}

gn_status gn_param_get(const gn_train_options *o, const gn_data_spec *spec, const char *name, char *buf,
                       size_t size) {
    const row *r = find_row(name);
    if (!r) return gn__fail(GN_EINVAL, "unknown parameter '%.64s'", name ? name : "(null)");
    const void *obj = r->target == IN_TRAIN ? (const void *)o : (const void *)spec;
    if (!obj) return gn__fail(GN_EINVAL, "%s: is a %s parameter", r->info.name, r->target == IN_TRAIN ? "training" : "data");
    if (!buf || size == 0) return gn__fail(GN_ELIMIT, "%s: no room for the value", r->info.name);
    char tmp[2048];
    get_row(r, obj, tmp, sizeof tmp);
    if (strlen(tmp) >= size) return gn__fail(GN_ELIMIT, "%s: the value needs %zu bytes", r->info.name, strlen(tmp) + 1);
    memcpy(buf, tmp, strlen(tmp) + 1);
    return GN_OK;
}

/* Range checks of the numeric, flag and choice rows of one target. */
static gn_status check_rows(int target, const void *obj) {
    char rt[96];
    for (size_t i = 0; i < NROWS; i++) {
        const row *r = &rows[i];
        const gn_param_info *p = &r->info;
        if (r->target != target) continue;
        const void *f = (const char *)obj + r->off;
        double v;
        switch (r->ctype) {
        case C_FLAG:
            if (*(const int *)f != 0 && *(const int *)f != 1)
                return gn__fail(GN_EINVAL, "%s must be 0 or 1 (got %d)", p->name, *(const int *)f);
            continue;
        case C_ENUM: {
            int x = *(const int *)f, ok = 0, n = 1;
            for (const char *c = p->choices; *c; c++) n += *c == '|';
            for (int k = 0; k < n; k++) ok |= choice_value(r, k) == x;
            if (!ok) return gn__fail(GN_EINVAL, "%s: unknown value %d (%s)", p->name, x, p->choices);
            continue;
        }
        case C_U32: v = (double)*(const uint32_t *)f; break;
        case C_U64: v = (double)*(const uint64_t *)f; break;
        case C_DOUBLE: v = *(const double *)f; break;
        case C_SIZE: v = (double)*(const size_t *)f; break;
        default: continue;
        }
        if (!in_range(p, v)) {
            range_text(p, v, rt, sizeof rt);
            return gn__fail(GN_EINVAL, "%s must be %s (got %.10g)", p->name, rt, v);
        }
    }
    return GN_OK;
}

gn_status gn_param_check_train(const gn_train_options *o) {
    if (!o) return gn__fail(GN_EINVAL, "options: NULL argument");
    return check_rows(IN_TRAIN, o);
}

gn_status gn_param_check_data(const gn_data_spec *spec) {
    if (!spec) return gn__fail(GN_EINVAL, "data spec: NULL argument");
    return check_rows(IN_SPEC, spec);
}
