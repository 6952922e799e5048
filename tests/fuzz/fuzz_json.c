/* The JSON inputs: 2-D prompt files, 3-D point files, model cards; and the
 * --patient text of detect-nodules; a rag-index meta.json. */
#include "fuzz_common.h"
#include "medseg/lung.h"
#include "medseg/model.h"
#include "medseg/rag.h"
#include "medseg/seg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = fuzz_write("in.json", data, size);
    ms_prompt pr;
    memset(&pr, 0, sizeof pr);
    int64_t k;
    ms_axis a;
    ms_prompt_read(p, &pr, &k, &a);
    ms_volume v;
    int64_t dim[3] = {32, 32, 16};
    if (ms_volume_alloc(&v, dim, MS_U8, "fuzz") == MS_OK) {
        ms_points3 pts;
        if (ms_points3_read(p, &v, &pts) == MS_OK) ms_points3_free(&pts);
        ms_volume_free(&v);
    }
    ms_model_card card;
    ms_model_card_read(p, &card);
    char text[512], err[256];
    size_t n = size < sizeof text - 1 ? size : sizeof text - 1;
    memcpy(text, data, n);
    text[n] = '\0';
    ms_patient pt;
    ms_patient_parse(text, &pt, err, sizeof err);
    fuzz_write("meta.json", data, size);
    char *meta = NULL;
    if (ms_rag_describe(fuzz_dir(), &meta) == MS_OK) free(meta);
    return 0;
}
