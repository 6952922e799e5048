/* Core library: size arithmetic, volume limits, casts, RNG streams,
 * orientation codes, atomic outputs, CSV parsing, DICOM UIDs. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "medseg/atomic_file.h"
#include "medseg/csv.h"
#include "medseg/dicom.h"
#include "medseg/rng.h"
#include "medseg/threads.h"
#include "medseg/volume.h"

static void test_sizes(void)
{
    size_t r = 7;
    CHECK(ms_mul_size(1u << 20, 1u << 20, &r) && r == (size_t)1 << 40);
    CHECK(!ms_mul_size(SIZE_MAX / 2 + 1, 2, &r));
    CHECK(!ms_mul3_size(1u << 30, 1u << 30, 1u << 30, &r));
    CHECK(!ms_add_size(SIZE_MAX, 1, &r));
    int64_t huge[3] = {1 << 30, 1 << 30, 1 << 30};
    CHECK(ms_volume_size(huge, MS_I16, NULL, NULL, "x") == MS_ERR_INPUT);
    int64_t neg[3] = {10, -1, 3};
    CHECK(ms_volume_size(neg, MS_U8, NULL, NULL, "x") == MS_ERR_INPUT);
    CHECK(strstr(ms_last_error(), "dimension 2") != NULL);
    ms_set_voxel_limit(1000);
    int64_t big[3] = {10, 10, 11};
    CHECK(ms_volume_size(big, MS_U8, NULL, NULL, "x") == MS_ERR_INPUT);
    ms_set_voxel_limit(0);
    CHECK(ms_volume_size(big, MS_U8, NULL, NULL, "x") == MS_OK);
    CHECK(ms_status_exit_code(MS_ERR_INPUT) == 3 && ms_status_exit_code(MS_ERR_USAGE) == 2 &&
          ms_status_exit_code(MS_ERR_IO) == 1 && ms_status_exit_code(MS_OK) == 0);
}

static void test_cast(void)
{
    int64_t dim[3] = {4, 1, 1};
    ms_volume v, c;
    CHECK(ms_volume_alloc(&v, dim, MS_F32, "v") == MS_OK);
    float *f = v.data;
    f[0] = -3.6f, f[1] = 2.5f, f[2] = 300.0f, f[3] = 1e9f;
    size_t clamped = 0;
    CHECK(ms_volume_cast(&c, &v, MS_U8, &clamped) == MS_OK);
    const uint8_t *u = c.data;
    CHECK(u[0] == 0 && u[1] == 2 && u[2] == 255 && u[3] == 255);   /* round half to even */
    CHECK(clamped == 3);
    ms_volume_free(&c);
    CHECK(ms_volume_cast(&c, &v, MS_I16, &clamped) == MS_OK);
    const int16_t *s = c.data;
    CHECK(s[0] == -4 && s[2] == 300 && s[3] == 32767 && clamped == 1);
    ms_volume_free(&c);
    ms_volume_free(&v);
}

static void test_rng(void)
{
    ms_rng a, b, c;
    ms_rng_seed(&a, 42, 3);
    ms_rng_seed(&b, 42, 3);
    ms_rng_seed(&c, 42, 4);
    int same = 1, differ = 0;
    double sum = 0, sq = 0;
    for (int i = 0; i < 100000; i++) {
        uint64_t x = ms_rng_u64(&a), y = ms_rng_u64(&b), z = ms_rng_u64(&c);
        same &= x == y;
        differ += x != z;
        double g = ms_rng_normal(&a);
        ms_rng_normal(&b);
        sum += g, sq += g * g;
    }
    CHECK(same);
    CHECK(differ > 99990);
    CHECK(fabs(sum / 100000) < 0.02 && fabs(sq / 100000 - 1) < 0.02);
}

static void test_orientation(void)
{
    double a[4][4] = {{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}};
    char code[4];
    ms_orientation_code(a, code);
    CHECK(strcmp(code, "LPS") == 0);
    double b[4][4] = {{-0.9, 0, 0, 0}, {0, 0, -2, 0}, {0, 1.2, 0, 0}, {0, 0, 0, 1}};
    ms_orientation_code(b, code);
    CHECK(strcmp(code, "RSA") == 0);
}

static void test_atomic(const char *dir)
{
    mkdir(dir, 0777);
    char path[512];
    snprintf(path, sizeof path, "%s/out.csv", dir);
    unlink(path);
    ms_text_out o;
    CHECK(ms_text_open(&o, path) == MS_OK);
    fputs("a,b\n", o.fp);
    struct stat sb;
    CHECK(stat(path, &sb) != 0);            /* nothing visible before commit */
    CHECK(ms_text_close(&o, 1) == MS_OK);
    CHECK(stat(path, &sb) == 0 && sb.st_size == 4);
    unlink(path);
    CHECK(ms_text_open(&o, path) == MS_OK);
    fputs("partial", o.fp);
    ms_text_close(&o, 0);                   /* a failure leaves nothing */
    CHECK(stat(path, &sb) != 0);
}

static void test_csv(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/in.csv", dir);
    FILE *fp = fopen(path, "w");
    fputs("id,name,score\r\n1,\"Smith, J\",0.5\n\n2,\"say \"\"hi\"\"\",1e-3\n3,\"multi\nline\",7", fp);
    fclose(fp);
    ms_csv c;
    CHECK(ms_csv_read(path, &c) == MS_OK);
    CHECK(c.n == 4);
    CHECK(c.n == 4 && c.row[1].n == 3 && strcmp(c.row[1].field[1], "Smith, J") == 0);
    CHECK(c.n == 4 && strcmp(c.row[2].field[1], "say \"hi\"") == 0 && c.row[2].line == 4);
    CHECK(c.n == 4 && strcmp(c.row[3].field[1], "multi\nline") == 0 && strcmp(c.row[3].field[2], "7") == 0);
    CHECK(ms_csv_column(&c, "score") == 2 && ms_csv_column(&c, "nope") == -1);
    ms_csv_free(&c);
    fp = fopen(path, "w");
    fputs("a,b\n1,\"open\n", fp);
    fclose(fp);
    CHECK(ms_csv_read(path, &c) == MS_ERR_INPUT);
    CHECK(strstr(ms_last_error(), ":2:") != NULL);
    /* A UTF-8 byte-order mark is not part of the first header name; a
     * leading 0xEF that is not one stays. */
    fp = fopen(path, "w");
    fputs("\xef\xbb\xbfid,x\n7,8\n", fp);
    fclose(fp);
    CHECK(ms_csv_read(path, &c) == MS_OK && ms_csv_column(&c, "id") == 0 && c.n == 2);
    ms_csv_free(&c);
    fp = fopen(path, "w");
    fputs("\xef\xbc\xa1,x\n", fp);
    fclose(fp);
    CHECK(ms_csv_read(path, &c) == MS_OK && c.n == 1 && strcmp(c.row[0].field[0], "\xef\xbc\xa1") == 0);
    ms_csv_free(&c);
}

static void test_uid(void)
{
    char a[68], b[68], c[68];
    ms_dicom_uid_from_text("x", a);
    ms_dicom_uid_from_text("x", b);
    ms_dicom_uid_from_text("y", c);
    CHECK(strcmp(a, b) == 0 && strcmp(a, c) != 0);
    CHECK(strncmp(a, "2.25.", 5) == 0 && strlen(a) <= 64 && a[5] != '0');
}

typedef struct { int *hits; } pf_ctx;
static void mark(void *ctx, size_t b, size_t e)
{
    pf_ctx *p = ctx;
    for (size_t i = b; i < e; i++) p->hits[i]++;
}

static void test_parallel(void)
{
    int hits[1000] = {0};
    pf_ctx c = {hits};
    ms_threads_set(3);
    ms_parallel_for(1000, 1, mark, &c);
    int ok = 1;
    for (int i = 0; i < 1000; i++) ok &= hits[i] == 1;
    CHECK(ok);
    ms_threads_set(0);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "tmp_core";
    test_sizes();
    test_cast();
    test_rng();
    test_orientation();
    test_atomic(dir);
    test_csv(dir);
    test_uid();
    test_parallel();
    return check_summary();
}
