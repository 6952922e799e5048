/* DICOM: one file, or a small folder. The input is split at the 8-byte
 * marker "MSFUZZ\n\n" into up to 4 files of one folder; without a marker it
 * is a single file read on its own. */
#include "fuzz_common.h"
#include "medseg/dicom.h"

static const char MARK[] = "MSFUZZ\n\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char dir[160];
    snprintf(dir, sizeof dir, "%s/series", fuzz_dir());
    mkdir(dir, 0700);
    int files = 0;
    size_t start = 0;
    for (size_t i = 0; i + 8 <= size && files < 3; i++)
        if (memcmp(data + i, MARK, 8) == 0) {
            char name[32];
            snprintf(name, sizeof name, "series/f%d.dcm", files++);
            fuzz_write(name, data + start, i - start);
            start = i + 8;
            i += 7;
        }
    char name[32];
    snprintf(name, sizeof name, "series/f%d.dcm", files++);
    const char *last = fuzz_write(name, data + start, size - start);
    ms_volume v;
    ms_dicom_info info;
    if (ms_dicom_read(files == 1 ? last : dir, NULL, &v, &info) == MS_OK) ms_volume_free(&v);
    for (int f = 0; f < files; f++) {
        char p[200];
        snprintf(p, sizeof p, "%s/f%d.dcm", dir, f);
        unlink(p);
    }
    return 0;
}
