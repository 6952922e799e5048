/* Model cards: the JSON file beside a model that states its contract. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "medseg/model.h"
#include "medseg/textfile.h"

void ms_model_card_path(const char *model, char *out, size_t n)
{
    const char *dot = strrchr(model, '.'), *slash = strrchr(model, '/');
    size_t stem = dot && (!slash || dot > slash) ? (size_t)(dot - model) : strlen(model);
    snprintf(out, n, "%.*s.json", (int)stem, model);
}

static ms_status bad(const char *path, const char *what)
{
    return ms_fail(MS_ERR_INPUT, "model card %s: %s", path, what);
}

static ms_status read_norm(const char *path, const cJSON *n, ms_model_card *c)
{
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(n, "type");
    if (!cJSON_IsString(type)) return bad(path, "\"normalization\" needs a \"type\" (window, meanstd or minmax)");
    const cJSON *a, *b;
    if (strcmp(type->valuestring, "window") == 0) {
        c->norm = MS_NORM_WINDOW;
        a = cJSON_GetObjectItemCaseSensitive(n, "center");
        b = cJSON_GetObjectItemCaseSensitive(n, "width");
        if (!cJSON_IsNumber(a) || !cJSON_IsNumber(b) || !(b->valuedouble > 0))
            return bad(path, "a window normalization needs \"center\" and a positive \"width\"");
        c->center = a->valuedouble;
        c->width = b->valuedouble;
    } else if (strcmp(type->valuestring, "meanstd") == 0) {
        c->norm = MS_NORM_MEANSTD;
        a = cJSON_GetObjectItemCaseSensitive(n, "mean");
        b = cJSON_GetObjectItemCaseSensitive(n, "std");
        if (!cJSON_IsNumber(a) || !cJSON_IsNumber(b) || !(b->valuedouble > 0))
            return bad(path, "a meanstd normalization needs \"mean\" and a positive \"std\"");
        c->mean = a->valuedouble;
        c->std = b->valuedouble;
    } else if (strcmp(type->valuestring, "minmax") == 0) {
        c->norm = MS_NORM_MINMAX;
    } else {
        return bad(path, "normalization type must be window, meanstd or minmax");
    }
    return MS_OK;
}

static ms_status read_prompts(const char *path, const cJSON *p, ms_model_card *c)
{
    int box = 0, n = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, p) {
        if (!cJSON_IsString(e)) return bad(path, "\"prompt_inputs\" must list strings");
        if (strcmp(e->valuestring, "box") == 0 && n == 0) box = 1;
        else if (strcmp(e->valuestring, "points") == 0 && n == 1) c->pass_points = 1;
        else return bad(path, "\"prompt_inputs\" must be [\"box\"] or [\"box\", \"points\"]");
        n++;
    }
    return box ? MS_OK : bad(path, "\"prompt_inputs\" must start with \"box\"");
}

static ms_status read_output(const char *path, const cJSON *o, ms_model_card *c)
{
    const cJSON *act = cJSON_GetObjectItemCaseSensitive(o, "activation");
    const cJSON *thr = cJSON_GetObjectItemCaseSensitive(o, "threshold");
    c->sigmoid = 1;
    c->threshold = 0.5;
    if (act) {
        if (!cJSON_IsString(act) ||
            (strcmp(act->valuestring, "sigmoid") && strcmp(act->valuestring, "softmax") && strcmp(act->valuestring, "none")))
            return bad(path, "output activation must be \"sigmoid\" or \"softmax\" (logits) or \"none\" (probabilities)");
        c->sigmoid = strcmp(act->valuestring, "sigmoid") == 0;
        c->softmax = strcmp(act->valuestring, "softmax") == 0;
    }
    if (thr) {
        if (!cJSON_IsNumber(thr) || !(thr->valuedouble > 0 && thr->valuedouble < 1))
            return bad(path, "output threshold must lie strictly between 0 and 1");
        c->threshold = thr->valuedouble;
    }
    return MS_OK;
}

int ms_contract_is_3d(const char *contract)
{
    return !strcmp(contract, "segment-3d") || !strcmp(contract, "patch-classifier");
}

int ms_contract_is_image(const char *contract)
{
    return !strcmp(contract, "image-classifier") || !strcmp(contract, "embedder");
}

static ms_status read_size(const char *path, const cJSON *root, ms_model_card *c)
{
    const cJSON *sz = cJSON_GetObjectItemCaseSensitive(root, "input_size");
    const cJSON *ch = cJSON_GetObjectItemCaseSensitive(root, "input_channels");
    int dims = ms_contract_is_3d(c->contract) ? 3 : 2;
    if (!cJSON_IsArray(sz) || cJSON_GetArraySize(sz) != dims)
        return bad(path, dims == 3 ? "\"input_size\" must be [D, H, W]" : "\"input_size\" must be [H, W]");
    double v[3];
    for (int i = 0; i < dims; i++) {
        const cJSON *e = cJSON_GetArrayItem(sz, i);
        v[i] = cJSON_IsNumber(e) ? e->valuedouble : -1;
        if (!(v[i] >= 1 && v[i] <= (dims == 3 ? 1024 : 4096)) || v[i] != floor(v[i]))
            return bad(path, "\"input_size\" must hold whole numbers 1..4096 (1..1024 for volumes)");
    }
    c->input_d = dims == 3 ? (int)v[0] : 0;
    c->input_h = (int)v[dims - 2];
    c->input_w = (int)v[dims - 1];
    c->channels = 1;
    if (ch) {
        if (!cJSON_IsNumber(ch) || ch->valuedouble < 1 || ch->valuedouble > 4 || ch->valuedouble != floor(ch->valuedouble))
            return bad(path, "\"input_channels\" must be 1..4");
        c->channels = (int)ch->valuedouble;
    }
    const cJSON *sp = cJSON_GetObjectItemCaseSensitive(root, "spacing_mm");
    c->spacing_mm = 1;
    if (sp) {
        if (!cJSON_IsNumber(sp) || !(sp->valuedouble >= 0.1 && sp->valuedouble <= 10))
            return bad(path, "\"spacing_mm\" must be a number 0.1..10");
        c->spacing_mm = sp->valuedouble;
    }
    return MS_OK;
}

static ms_status read_labels(const char *path, const cJSON *l, ms_model_card *c)
{
    if (!cJSON_IsArray(l) || cJSON_GetArraySize(l) < 1 || cJSON_GetArraySize(l) > MS_MAX_LABELS)
        return bad(path, "an image-classifier needs \"labels\": a list of 1..64 names, one per output");
    const cJSON *e;
    cJSON_ArrayForEach(e, l) {
        if (!cJSON_IsString(e) || !e->valuestring[0] || strlen(e->valuestring) >= sizeof c->labels[0])
            return bad(path, "each label must be a name of 1..63 characters");
        snprintf(c->labels[c->n_labels++], sizeof c->labels[0], "%s", e->valuestring);
    }
    return MS_OK;
}

static ms_status read_dim(const char *path, const cJSON *d, ms_model_card *c)
{
    if (!cJSON_IsNumber(d) || d->valuedouble < 1 || d->valuedouble > MS_MAX_EMBEDDING ||
        d->valuedouble != floor(d->valuedouble))
        return bad(path, "an embedder needs \"output_dim\": a whole number 1..8192");
    c->output_dim = (int)d->valuedouble;
    return MS_OK;
}

static ms_status parse_card(const char *path, const cJSON *root, ms_model_card *c)
{
    const cJSON *contract = cJSON_GetObjectItemCaseSensitive(root, "contract");
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(root, "name");
    const cJSON *norm = cJSON_GetObjectItemCaseSensitive(root, "normalization");
    const cJSON *prompts = cJSON_GetObjectItemCaseSensitive(root, "prompt_inputs");
    const cJSON *output = cJSON_GetObjectItemCaseSensitive(root, "output");
    if (!cJSON_IsString(contract) || strlen(contract->valuestring) >= sizeof c->contract)
        return bad(path, "no \"contract\" string");
    snprintf(c->contract, sizeof c->contract, "%s", contract->valuestring);
    snprintf(c->name, sizeof c->name, "%s", cJSON_IsString(name) ? name->valuestring : "");
    ms_status rc = read_size(path, root, c);
    if (rc) return rc;
    int prompted = !strcmp(c->contract, "segment-2d");
    if (!cJSON_IsObject(norm)) return bad(path, "no \"normalization\" object");
    if ((rc = read_norm(path, norm, c))) return rc;
    if (prompted && !cJSON_IsArray(prompts)) return bad(path, "no \"prompt_inputs\" list");
    if (prompted && (rc = read_prompts(path, prompts, c))) return rc;
    if (output && !cJSON_IsObject(output)) return bad(path, "\"output\" must be an object");
    if (!strcmp(c->contract, "image-classifier") &&
        (rc = read_labels(path, cJSON_GetObjectItemCaseSensitive(root, "labels"), c)))
        return rc;
    if (!strcmp(c->contract, "embedder") &&
        (rc = read_dim(path, cJSON_GetObjectItemCaseSensitive(root, "output_dim"), c)))
        return rc;
    return read_output(path, output, c);
}

ms_status ms_model_card_read(const char *path, ms_model_card *card)
{
    memset(card, 0, sizeof *card);
    ms_text_why why;
    char *txt = ms_read_text(path, (1 << 20) - 1, &why);
    if (!txt) return ms_fail(MS_ERR_INPUT, "model card %s: cannot read it (a model needs its card beside it)", path);
    cJSON *root = cJSON_Parse(txt);
    free(txt);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return bad(path, "not a JSON object");
    }
    ms_status rc = parse_card(path, root, card);
    cJSON_Delete(root);
    return rc;
}
