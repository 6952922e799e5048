/* Every CSV the commands read: the generic reader, then the same text as
 * each typed table (detection candidates and annotations, classifier
 * scores and labels, rag-index cases with their label lists). */
#include "fuzz_common.h"
#include "medseg/csv.h"
#include "medseg/metrics.h"
#include "medseg/rag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = fuzz_write("in.csv", data, size);
    ms_csv c;
    if (ms_csv_read(p, &c) == MS_OK) ms_csv_free(&c);
    char path[200];
    snprintf(path, sizeof path, "%s", p);
    const char *ann = fuzz_write("ann.csv", (const uint8_t *)"seriesuid,coordX,coordY,coordZ,diameter_mm\ns,0,0,0,5\n", 52);
    char annp[200];
    snprintf(annp, sizeof annp, "%s", ann);
    ms_detect_input d;
    if (ms_detect_read(path, annp, NULL, NULL, &d) == MS_OK) ms_detect_free(&d);
    if (ms_detect_read(annp, path, path, NULL, &d) == MS_OK) ms_detect_free(&d);
    ms_binary_input b;
    const char *lab = fuzz_write("lab.csv", (const uint8_t *)"id,label\na,1\nb,0\n", 17);
    char labp[200];
    snprintf(labp, sizeof labp, "%s", lab);
    if (ms_binary_read(path, labp, &b) == MS_OK) ms_binary_free(&b);
    ms_rag_cases cs;
    if (ms_rag_cases_read(path, -1, &cs) == MS_OK) {
        ms_rag_cases_shard(&cs, 1, 3);
        ms_rag_cases_free(&cs);
    }
    return 0;
}
