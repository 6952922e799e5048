/* NIfTI reader through zlib: the input is the decompressed content, written
 * gzip-compressed, so mutations reach the header and not only the stream. */
#include <zlib.h>

#include "fuzz_common.h"
#include "medseg/io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[160];
    snprintf(path, sizeof path, "%s/in.nii.gz", fuzz_dir());
    gzFile f = gzopen(path, "wb1");
    if (!f) abort();
    if (size) gzwrite(f, data, (unsigned)size);
    gzclose(f);
    ms_volume v;
    if (ms_nifti_read(path, &v) == MS_OK) ms_volume_free(&v);
    return 0;
}
