/* TorchScript models with a model card (a JSON file beside the model), run
 * through the LibTorch shim. The card names the contract the model keeps;
 * a model that does not keep it is refused before it sees any data. */
#ifndef MEDSEG_MODEL_H
#define MEDSEG_MODEL_H

#include "device.h"
#include "seg.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { MS_NORM_WINDOW = 0, MS_NORM_MEANSTD, MS_NORM_MINMAX } ms_norm_kind;

#define MS_MAX_LABELS 64
#define MS_MAX_EMBEDDING 8192

typedef struct ms_model_card {
    char contract[32];       /* "segment-2d", "segment-3d", "patch-classifier" */
    char name[128];
    int input_d;             /* 3-D contracts: "input_size": [D, H, W]; 0 for 2-D */
    int input_h, input_w;    /* "input_size": [H, W] */
    double spacing_mm;       /* patch-classifier: mm per input voxel (default 1) */
    int channels;            /* "input_channels": the slice repeated C times */
    ms_norm_kind norm;       /* "normalization": {"type": ...} */
    double center, width;    /* window: values clamped to center +- width/2, then 0..1 */
    double mean, std;        /* meanstd: (v - mean) / std */
    int pass_points;         /* "prompt_inputs": ["box"] or ["box", "points"] */
    int sigmoid;             /* "output": {"activation": "sigmoid"|"softmax"|"none"} */
    int softmax;
    double threshold;        /* "output": {"threshold": T}, on probabilities */
    int n_labels;            /* image-classifier: "labels", one per output */
    char labels[MS_MAX_LABELS][64];
    int output_dim;          /* embedder: "output_dim", values per image */
} ms_model_card;

typedef struct ms_model ms_model;

/* 1 when this build has LibTorch. */
int ms_torch_available(void);
/* The card's path for a model file: M.pt -> M.json. */
void ms_model_card_path(const char *model, char *out, size_t n);
ms_status ms_model_card_read(const char *path, ms_model_card *card);
/* Reads the card, checks its contract against `contract`, loads the model
 * on `dev` and runs it once on zeros of the card's input size: a model
 * that throws or answers with the wrong shape is refused (MS_ERR_INPUT). */
ms_status ms_model_load(const char *path, const char *contract, ms_device dev, ms_model **out);
void ms_model_free(ms_model *m);
const ms_model_card *ms_model_card_of(const ms_model *m);
/* Replaces the card's intensity window (--window). */
void ms_model_set_window(ms_model *m, double center, double width);

/* An ms_seg2d_fn for segment-2d models (ctx is the ms_model). Resizes the
 * slice to the input size, normalises it, passes the box (and points),
 * maps the probabilities back, thresholds, fills holes and keeps the
 * largest component. When propagating, the previous mask's box is the
 * prompt and its deepest pixel a foreground point. */
ms_status ms_model_segment(void *ctx, const ms_slice *s, const ms_prompt *p, const ms_seg_prior *prior,
                           uint8_t *mask);

/* 1 for the contracts whose input is a volume. */
int ms_contract_is_3d(const char *contract);
/* 1 for the contracts that take a whole image and answer a vector per
 * image (image-classifier, embedder). */
int ms_contract_is_image(const char *contract);

/* An ms_lung_fn (lung.h) for segment-3d models (ctx is the ms_model): the
 * 1 mm HU volume is resized to the card's [D, H, W], normalised, and the
 * answer [1, K, D, H, W] mapped back (nearest). K = 1: lung where the
 * probability passes the threshold, split into right and left at the
 * mask's mean x; K >= 3: argmax, class 1 right lung, 2 left lung. */
ms_status ms_model_lung_mask(void *ctx, const ms_volume *iso, uint8_t *labels);

/* An ms_fp_fn (lung.h) for patch-classifier models: a cube of [D, H, W]
 * voxels of spacing_mm around the candidate (trilinear, -1024 HU outside),
 * normalised; the answer [1, 1] (sigmoid or probability) or [1, 2]
 * (softmax, class 1) is the probability of a nodule. */
ms_status ms_model_patch_probability(void *ctx, const ms_volume *iso, const double c[3], double *p);

/* image-classifier: an image of w x h pixels and `channels` planes (1 grey
 * or 3 RGB, planar, in the units the card's normalization expects) is
 * mapped to the card's channels (grey repeated; RGB to grey by Rec. 601
 * luma when the card takes one), resized bilinearly to [H, W]
 * (align_corners=False), normalised, and run; prob gets n_labels values
 * after the card's activation (sigmoid, softmax or none). */
ms_status ms_model_classify(ms_model *m, const float *img, int64_t w, int64_t h, int channels, double *prob);
/* The same for n images, prob holding n x n_labels values. A model that
 * answered a batch of two when loaded is run on up to 16 images at once;
 * others image by image. */
ms_status ms_model_classify_many(ms_model *m, int n, const float *const *img, const int64_t *w, const int64_t *h,
                                 const int *channels, double *prob);

/* embedder: the same image preparation as ms_model_classify; vec gets
 * n x output_dim raw values (no activation, no normalisation). */
ms_status ms_model_embed_many(ms_model *m, int n, const float *const *img, const int64_t *w, const int64_t *h,
                              const int *channels, float *vec);

#ifdef __cplusplus
}
#endif
#endif
