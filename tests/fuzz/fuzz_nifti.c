/* NIfTI reader, plain file: the input is the file. */
#include "fuzz_common.h"
#include "medseg/io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = fuzz_write("in.nii", data, size);
    ms_volume v;
    if (ms_nifti_read(p, &v) == MS_OK) ms_volume_free(&v);
    return 0;
}
