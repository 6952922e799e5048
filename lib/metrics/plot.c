/* Standalone SVG plots a browser opens: FROC (log-2 FP axis, the seven
 * LUNA16 operating points, bootstrap band) and ROC (chosen thresholds,
 * bootstrap band). Written atomically like every output. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "medseg/atomic_file.h"
#include "medseg/metrics.h"

typedef struct canvas {
    FILE *fp;
    double x0, y0, w, h;        /* plot area in pixels */
    double xmin, xmax, ymin, ymax;
    int logx;
} canvas;

static double px(const canvas *c, double x)
{
    double t = c->logx ? (log2(x) - log2(c->xmin)) / (log2(c->xmax) - log2(c->xmin)) : (x - c->xmin) / (c->xmax - c->xmin);
    return c->x0 + t * c->w;
}

static double py(const canvas *c, double y) { return c->y0 + c->h - (y - c->ymin) / (c->ymax - c->ymin) * c->h; }

static void put_escaped(FILE *fp, const char *s)
{
    for (; *s; s++) {
        if (*s == '<') fputs("&lt;", fp);
        else if (*s == '>') fputs("&gt;", fp);
        else if (*s == '&') fputs("&amp;", fp);
        else fputc(*s, fp);
    }
}

static void begin(canvas *c, int width, int height, const char *title)
{
    fprintf(c->fp, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                   "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                   "font-family=\"sans-serif\" font-size=\"13\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
            width, height, width, height);
    fputs("<title>", c->fp);
    put_escaped(c->fp, title);
    fprintf(c->fp, "</title>\n<text x=\"%g\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">", c->x0 + c->w / 2);
    put_escaped(c->fp, title);
    fputs("</text>\n", c->fp);
}

static void grid_x(const canvas *c, double x, const char *label)
{
    fprintf(c->fp, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#ddd\"/>\n", px(c, x), c->y0,
            px(c, x), c->y0 + c->h);
    fprintf(c->fp, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\">%s</text>\n", px(c, x), c->y0 + c->h + 18,
            label);
}

static void grid_y(const canvas *c, double y, const char *label)
{
    fprintf(c->fp, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#ddd\"/>\n", c->x0, py(c, y),
            c->x0 + c->w, py(c, y));
    fprintf(c->fp, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"end\">%s</text>\n", c->x0 - 6, py(c, y) + 4, label);
}

static void axes(const canvas *c, const char *xlabel, const char *ylabel)
{
    for (int k = 0; k <= 5; k++) {
        char t[16];
        snprintf(t, sizeof t, "%.1f", c->ymin + k * (c->ymax - c->ymin) / 5);
        grid_y(c, c->ymin + k * (c->ymax - c->ymin) / 5, t);
    }
    fprintf(c->fp, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"none\" stroke=\"black\"/>\n",
            c->x0, c->y0, c->w, c->h);
    fprintf(c->fp, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\">%s</text>\n", c->x0 + c->w / 2,
            c->y0 + c->h + 40, xlabel);
    fprintf(c->fp, "<text transform=\"translate(%.2f,%.2f) rotate(-90)\" text-anchor=\"middle\">%s</text>\n",
            c->x0 - 44, c->y0 + c->h / 2, ylabel);
}

/* A band between lo and hi over x (NaNs skipped), shaded. */
static void band(const canvas *c, const double *x, const double *lo, const double *hi, int n)
{
    int first = 1;
    fprintf(c->fp, "<path fill=\"#1f77b4\" fill-opacity=\"0.2\" stroke=\"none\" d=\"");
    for (int i = 0; i < n; i++)
        if (isfinite(hi[i])) {
            fprintf(c->fp, "%s%.2f,%.2f ", first ? "M" : "L", px(c, x[i]), py(c, hi[i]));
            first = 0;
        }
    for (int i = n - 1; i >= 0; i--)
        if (isfinite(lo[i])) fprintf(c->fp, "L%.2f,%.2f ", px(c, x[i]), py(c, lo[i]));
    fprintf(c->fp, "Z\"/>\n");
}

static void marker(const canvas *c, double x, double y, const char *colour, const char *label)
{
    fprintf(c->fp, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"4\" fill=\"%s\"/>\n", px(c, x), py(c, y), colour);
    if (label)
        fprintf(c->fp, "<text x=\"%.2f\" y=\"%.2f\" font-size=\"11\" fill=\"%s\">%s</text>\n", px(c, x) + 6,
                py(c, y) + 14, colour, label);
}

static ms_status finish(ms_text_out *t, canvas *c)
{
    fprintf(c->fp, "</svg>\n");
    return ms_text_close(t, !ferror(c->fp));
}

ms_status ms_plot_froc(const char *path, const ms_froc *f, const ms_froc_ci *ci, const char *title)
{
    ms_text_out t;
    ms_status rc = ms_text_open(&t, path);
    if (rc) return rc;
    canvas c = {t.fp, 70, 40, 540, 360, pow(2, -3.5), pow(2, 3.5), 0, 1, 1};
    begin(&c, 640, 470, title);
    static const char *labels[MS_FROC_POINTS] = {"1/8", "1/4", "1/2", "1", "2", "4", "8"};
    for (int k = 0; k < MS_FROC_POINTS; k++) grid_x(&c, ms_froc_fps[k], labels[k]);
    axes(&c, "Average number of false positives per scan", "Sensitivity");
    if (ci && ci->ngrid) band(&c, ci->grid, ci->band_lo, ci->band_hi, ci->ngrid);
    fprintf(c.fp, "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" points=\"");
    for (int i = 0; i <= 400; i++) {
        double x = c.xmin * pow(c.xmax / c.xmin, i / 400.0);
        fprintf(c.fp, "%.2f,%.2f ", px(&c, x), py(&c, ms_froc_interp(f, x)));
    }
    fprintf(c.fp, "\"/>\n");
    for (int k = 0; k < MS_FROC_POINTS; k++) marker(&c, ms_froc_fps[k], f->sens_at[k], "#d62728", NULL);
    fprintf(c.fp, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"end\">CPM %.3f", c.x0 + c.w - 10, c.y0 + c.h - 12,
            f->cpm);
    if (ci) fprintf(c.fp, " (95%% CI %.3f-%.3f)", ci->cpm_lo, ci->cpm_hi);
    fprintf(c.fp, "; %lld of %lld nodules found</text>\n", (long long)f->detected, (long long)f->nodules);
    return finish(&t, &c);
}

ms_status ms_plot_roc(const char *path, const ms_roc *r, const double *grid, const double *lo, const double *hi,
                      int ngrid, const char *title)
{
    ms_text_out t;
    ms_status rc = ms_text_open(&t, path);
    if (rc) return rc;
    canvas c = {t.fp, 70, 40, 420, 420, 0, 1, 0, 1, 0};
    begin(&c, 520, 530, title);
    for (int k = 0; k <= 5; k++) {
        char lab[16];
        snprintf(lab, sizeof lab, "%.1f", k / 5.0);
        grid_x(&c, k / 5.0, lab);
    }
    axes(&c, "False positive rate (1 - specificity)", "True positive rate (sensitivity)");
    fprintf(c.fp, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#999\" stroke-dasharray=\"4 4\"/>\n",
            px(&c, 0), py(&c, 0), px(&c, 1), py(&c, 1));
    if (ngrid) band(&c, grid, lo, hi, ngrid);
    fprintf(c.fp, "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" points=\"");
    for (int64_t i = 0; i < r->npts; i++) fprintf(c.fp, "%.2f,%.2f ", px(&c, r->fpr[i]), py(&c, r->tpr[i]));
    fprintf(c.fp, "\"/>\n");
    char lab[96];
    snprintf(lab, sizeof lab, "threshold %.3g", r->at_threshold.threshold);
    marker(&c, 1 - r->at_threshold.specificity, r->at_threshold.sensitivity, "#d62728", lab);
    snprintf(lab, sizeof lab, "Youden %.3g", r->at_youden.threshold);
    marker(&c, 1 - r->at_youden.specificity, r->at_youden.sensitivity, "#2ca02c", lab);
    fprintf(c.fp, "<text x=\"%.2f\" y=\"%.2f\">AUC %.3f (95%% CI %.3f-%.3f, DeLong)</text>\n", px(&c, 0.35),
            py(&c, 0.08), r->auc, r->auc_lo, r->auc_hi);
    return finish(&t, &c);
}
