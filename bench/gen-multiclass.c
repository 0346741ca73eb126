/* bench/gen-multiclass.c: the generated multiclass set of bench/multiclass.sh, fast (the awk
 * generator it replaces took minutes at K = 100 and a million rows). ROWS rows of 40 features,
 * each present with probability 1/2 with a value uniform in [0, 1) (3 decimals); K planted weight
 * vectors uniform in [-1, 1); the label is the class of the largest planted score (0..K-1), or
 * with --binary, 1 for class 0 and -1 otherwise. LIBSVM text on stdout; a fixed seed, so the same
 * arguments give the same file.
 *   usage: gen-multiclass ROWS K [--binary]      build: cc -O2 -o gen-multiclass gen-multiclass.c */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define D 40

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static double uniform(void) { /* xorshift64*, 53 bits */
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (double)((rng * 0x2545F4914F6CDD1Dull) >> 11) / 9007199254740992.0;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: gen-multiclass ROWS K [--binary]\n");
        return 2;
    }
    const long rows = atol(argv[1]), k = atol(argv[2]);
    const int binary = argc > 3 && strcmp(argv[3], "--binary") == 0;
    if (rows < 1 || k < 2 || k > 100000) {
        fprintf(stderr, "gen-multiclass: ROWS >= 1 and 2 <= K <= 100000\n");
        return 2;
    }
    double *w = malloc((size_t)k * D * sizeof *w), *s = malloc((size_t)k * sizeof *s);
    if (!w || !s) return 1;
    for (long i = 0; i < k * D; i++) w[i] = 2 * uniform() - 1;
    static char line[D * 16 + 48];
    for (long r = 0; r < rows; r++) {
        for (long c = 0; c < k; c++) s[c] = 0;
        char *o = line + 24; /* the label goes in front */
        for (int j = 0; j < D; j++) {
            if (uniform() >= 0.5) continue;
            const int milli = (int)(uniform() * 1000);
            const double x = milli / 1000.0;
            o += sprintf(o, " %d:%d.%03d", j + 1, milli / 1000, milli % 1000);
            for (long c = 0; c < k; c++) s[c] += w[c * D + j] * x;
        }
        long best = 0;
        for (long c = 1; c < k; c++)
            if (s[c] > s[best]) best = c;
        char lab[24];
        int ll = binary ? sprintf(lab, "%d", best == 0 ? 1 : -1) : sprintf(lab, "%ld", best);
        memcpy(line + 24 - ll, lab, (size_t)ll);
        *o++ = '\n';
        fwrite(line + 24 - ll, 1, (size_t)(o - (line + 24 - ll)), stdout);
    }
    free(w);
    free(s);
    return ferror(stdout) ? 1 : 0;
}
