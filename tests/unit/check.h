/* A tiny assertion counter; prints "N passed, M failed" at the end. */
#ifndef MEDSEG_TEST_CHECK_H
#define MEDSEG_TEST_CHECK_H
#include <stdio.h>
static int n_pass, n_fail;
#define CHECK(cond)                                                              \
    do {                                                                         \
        if (cond) n_pass++;                                                      \
        else {                                                                   \
            n_fail++;                                                            \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                        \
    } while (0)
static int check_summary(void)
{
    printf("%d passed, %d failed\n", n_pass, n_fail);
    return n_fail ? 1 : 0;
}
#endif
