/* DICOM series assembly: find the files, group them into series, order the
 * slices in space, derive the voxel->LPS matrix and read the pixels.
 *
 * Geometry: for slice s with position P_s, row direction r and column
 * direction c (ImageOrientationPatient), voxel (i, j) sits at
 *     P_s + i * dc * r + j * dr * c        (PixelSpacing = [dr, dc])
 * Slices are ordered by P_s . n with n = r x c, never by file name or
 * InstanceNumber. The stacking vector is the mean step between the first
 * and last positions; it is allowed to lean away from n (gantry tilt), and
 * the affine's third column is then that leaning vector, which keeps every
 * voxel at its true position without resampling. Gaps that differ by more
 * than a tolerance (a missing slice; GE helical head CT that changes
 * spacing part way) cannot be one affine: the slices are then interpolated
 * linearly along the stacking line onto the median gap, and info reports
 * it. */
#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dcm_shim.h"
#include "dicom_seg.h"
#include "dicom_stack.h"
#include "medseg/dicom.h"
#include "medseg/log.h"
#include "medseg/memory.h"
#include "medseg/threads.h"

typedef struct {
    char **paths;
    size_t n, cap;
} path_list;

static ms_status list_push(path_list *l, const char *p)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        char **np = realloc(l->paths, cap * sizeof *np);
        if (!np) return ms_fail(MS_ERR_NOMEM, "out of memory listing files");
        l->paths = np, l->cap = cap;
    }
    if (!(l->paths[l->n] = strdup(p))) return ms_fail(MS_ERR_NOMEM, "out of memory listing files");
    l->n++;
    return MS_OK;
}

static void list_free(path_list *l)
{
    for (size_t i = 0; i < l->n; i++) free(l->paths[i]);
    free(l->paths);
}

/* Directories already walked, by device and inode: a symlink to a parent
 * (or two to ".") would otherwise make the walk endless. */
typedef struct {
    dev_t *dev;
    ino_t *ino;
    size_t n, cap;
} dir_set;

static int dir_seen(dir_set *v, const struct stat *sb, ms_status *st)
{
    for (size_t i = 0; i < v->n; i++)
        if (v->dev[i] == sb->st_dev && v->ino[i] == sb->st_ino) return 1;
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 16;
        dev_t *d = realloc(v->dev, cap * sizeof *d);
        if (d) v->dev = d;
        ino_t *i = d ? realloc(v->ino, cap * sizeof *i) : NULL;
        if (!d || !i) {
            *st = ms_fail(MS_ERR_NOMEM, "out of memory listing directories");
            return 1;
        }
        v->ino = i, v->cap = cap;
    }
    v->dev[v->n] = sb->st_dev;
    v->ino[v->n++] = sb->st_ino;
    return 0;
}

#define MAX_DEPTH 32

static ms_status walk(const char *dir, path_list *l, dir_set *seen, int depth)
{
    if (depth > MAX_DEPTH) return ms_fail(MS_ERR_INPUT, "%s: folders nested deeper than %d levels", dir, MAX_DEPTH);
    DIR *d = opendir(dir);
    if (!d) return ms_fail(MS_ERR_INPUT, "%s: cannot open directory", dir);
    struct dirent *e;
    ms_status st = MS_OK;
    while (!st && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        size_t n = strlen(dir) + strlen(e->d_name) + 2;
        char *p = malloc(n);
        if (!p) { st = ms_fail(MS_ERR_NOMEM, "out of memory"); break; }
        snprintf(p, n, "%s/%s", dir, e->d_name);
        struct stat sb;
        if (stat(p, &sb) == 0) {
            if (S_ISDIR(sb.st_mode)) {
                if (!dir_seen(seen, &sb, &st)) st = walk(p, l, seen, depth + 1);
            } else if (S_ISREG(sb.st_mode)) {
                st = list_push(l, p);
            }
        }
        free(p);
    }
    closedir(d);
    return st;
}

static ms_status walk_root(const char *dir, path_list *l)
{
    dir_set seen = {0};
    struct stat sb;
    ms_status st = MS_OK;
    if (stat(dir, &sb) == 0) dir_seen(&seen, &sb, &st);
    if (!st) st = walk(dir, l, &seen, 0);
    free(seen.dev);
    free(seen.ino);
    return st;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* ---- headers, read in parallel ---- */

typedef struct {
    path_list *files;
    ms_dcm_header *hdr;
    int *ok;
} header_job;

static void read_headers(void *ctx, size_t b, size_t e)
{
    header_job *j = ctx;
    for (size_t i = b; i < e; i++) j->ok[i] = ms_dcm_read_header(j->files->paths[i], &j->hdr[i]) == MS_OK;
}

/* ---- series choice ---- */

typedef struct {
    const ms_dcm_header *hdr;
    const int *ok;
} series_ctx;

/* Every series of the folder (any number), largest first, then by UID so
 * the default choice is stable; info lists the first
 * MS_DICOM_MAX_SERIES_LISTED. */
typedef struct {
    const ms_dcm_header *h;   /* its first image */
    int n;
} series_count;

static int by_size_then_uid(const void *a, const void *b)
{
    const series_count *x = a, *y = b;
    if (x->n != y->n) return x->n > y->n ? -1 : 1;
    return strcmp(x->h->series_uid, y->h->series_uid);
}

static ms_status count_series(const char *path, const ms_dcm_header *h, const int *ok, size_t n, ms_dicom_info *info,
                              series_count **out)
{
    series_count *all = NULL;
    ms_status st = ms_alloc_array((void **)&all, n ? n : 1, sizeof *all, 1, path);
    if (st) return st;
    int count = 0;
    for (size_t i = 0; i < n; i++) {
        if (!ok[i]) continue;
        int s = 0;
        while (s < count && strcmp(all[s].h->series_uid, h[i].series_uid) != 0) s++;
        if (s == count) all[count++].h = &h[i];
        all[s].n++;
    }
    qsort(all, (size_t)count, sizeof *all, by_size_then_uid);
    info->n_series = count;
    for (int s = 0; s < count && s < MS_DICOM_MAX_SERIES_LISTED; s++) {
        ms_dicom_series_summary *ss = &info->series[s];
        snprintf(ss->uid, sizeof ss->uid, "%s", all[s].h->series_uid);
        snprintf(ss->modality, sizeof ss->modality, "%s", all[s].h->modality);
        ss->n_images = all[s].n;
    }
    *out = all;
    return MS_OK;
}

static ms_status choose_series(const char *path, const char *want, ms_dicom_info *info, const series_count *all)
{
    if (!want) {
        snprintf(info->series_uid, sizeof info->series_uid, "%s", all[0].h->series_uid);
        if (info->n_series > 1)
            ms_info("%s: %d series found; reading the largest, %s (%d images); choose with --series",
                    path, info->n_series, info->series_uid, all[0].n);
        return MS_OK;
    }
    for (int s = 0; s < info->n_series; s++)
        if (strcmp(all[s].h->series_uid, want) == 0) {
            snprintf(info->series_uid, sizeof info->series_uid, "%s", want);
            return MS_OK;
        }
    return ms_fail(MS_ERR_INPUT, "%s: no series %s here (%d series; the largest is %s)", path, want,
                   info->n_series, all[0].h->series_uid);
}

/* ---- slice selection and geometry ---- */

static int cmp_slice(const void *a, const void *b)
{
    double x = ((const slice *)a)->t, y = ((const slice *)b)->t;
    return (x > y) - (x < y);
}

static int same_frame(const ms_dcm_header *a, const ms_dcm_header *b)
{
    if (a->rows != b->rows || a->cols != b->cols || a->has_iop != b->has_iop) return 0;
    for (int i = 0; i < 6 && a->has_iop; i++)
        if (fabs(a->iop[i] - b->iop[i]) > 1e-4) return 0;
    return 1;
}

static void cross(const double a[3], const double b[3], double o[3])
{
    o[0] = a[1] * b[2] - a[2] * b[1];
    o[1] = a[2] * b[0] - a[0] * b[2];
    o[2] = a[0] * b[1] - a[1] * b[0];
}

double dicom_dot(const double a[3], const double b[3]) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }

static void normalise(double v[3])
{
    double l = sqrt(dicom_dot(v, v));
    if (l > 0) v[0] /= l, v[1] /= l, v[2] /= l;
}

int dicom_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

ms_status dicom_axes(const char *path, const ms_dcm_header *h0, geometry *g)
{
    static const double axial[6] = {1, 0, 0, 0, 1, 0};
    const double *iop = h0->has_iop ? h0->iop : axial;
    memcpy(g->r, iop, sizeof g->r);
    memcpy(g->c, iop + 3, sizeof g->c);
    normalise(g->r);
    normalise(g->c);
    cross(g->r, g->c, g->n);
    if (fabs(dicom_dot(g->r, g->c)) > 1e-3 || sqrt(dicom_dot(g->n, g->n)) < 0.5)
        return ms_fail(MS_ERR_INPUT, "%s: ImageOrientationPatient is not two orthogonal unit vectors", path);
    normalise(g->n);
    return MS_OK;
}

static ms_status stack_geometry(const char *path, slice *sl, int n, geometry *g, ms_dicom_info *info)
{
    const ms_dcm_header *h0 = sl[0].h;
    ms_status st = dicom_axes(path, h0, g);
    if (st) return st;
    if (!(g->u = calloc((size_t)n, sizeof *g->u))) return ms_fail(MS_ERR_NOMEM, "out of memory");
    if (n == 1) {
        memcpy(g->d, g->n, sizeof g->d);
        g->step = h0->slice_thickness > 0 ? h0->slice_thickness : 1.0;
        g->n_out = 1;
        return MS_OK;
    }
    for (int s = 0; s < n; s++) {
        if (!sl[s].h->has_ipp)
            return ms_fail(MS_ERR_INPUT, "%s: image without ImagePositionPatient; slices cannot be ordered", sl[s].path);
        sl[s].t = dicom_dot(sl[s].h->ipp, g->n);
    }
    qsort(sl, (size_t)n, sizeof *sl, cmp_slice);
    const double *p0 = sl[0].h->ipp, *p1 = sl[n - 1].h->ipp;
    double D[3] = {p1[0] - p0[0], p1[1] - p0[1], p1[2] - p0[2]};
    double len = sqrt(dicom_dot(D, D));
    if (len < 1e-6) return ms_fail(MS_ERR_INPUT, "%s: all %d images share one position (several acquisitions?)", path, n);
    for (int a = 0; a < 3; a++) g->d[a] = D[a] / len;
    double gaps[n - 1];
    for (int s = 0; s < n; s++) {
        const double *p = sl[s].h->ipp;
        double q[3] = {p[0] - p0[0], p[1] - p0[1], p[2] - p0[2]};
        g->u[s] = dicom_dot(q, g->d);
        double off[3] = {q[0] - g->u[s] * g->d[0], q[1] - g->u[s] * g->d[1], q[2] - g->u[s] * g->d[2]};
        if (sqrt(dicom_dot(off, off)) > 0.1)
            return ms_fail(MS_ERR_INPUT, "%s: slice positions do not lie on one line (%.2f mm off at %s)", path,
                           sqrt(dicom_dot(off, off)), sl[s].path);
        if (s > 0) {
            gaps[s - 1] = g->u[s] - g->u[s - 1];
            if (gaps[s - 1] < 1e-3)
                return ms_fail(MS_ERR_INPUT, "%s: two images at the same position (%s and %s); several acquisitions in one series?",
                               path, sl[s - 1].path, sl[s].path);
        }
    }
    double sorted[n - 1];
    memcpy(sorted, gaps, sizeof sorted);
    qsort(sorted, (size_t)(n - 1), sizeof *sorted, dicom_cmp_double);
    double median = sorted[(n - 1) / 2], tol = fmax(0.005, 0.01 * median);
    info->min_gap = sorted[0];
    info->max_gap = sorted[n - 2];
    info->uneven = sorted[n - 2] - median > tol || median - sorted[0] > tol;
    info->tilt_deg = acos(fmin(1.0, fabs(dicom_dot(g->d, g->n)))) * 180.0 / M_PI;
    info->tilted = info->tilt_deg > 0.02;
    if (info->uneven) {
        /* Resampling onto the median gap may add the slices of a few
         * missing images, never multiply the series: a gap of 4000 mm among
         * gaps of 0.001 mm is not a series to interpolate. */
        double count = floor(g->u[n - 1] / median + 0.5) + 1;
        if (!(count <= 4.0 * n + 4))
            return ms_fail(MS_ERR_INPUT, "%s: slice gaps range from %g to %g mm (median %g): resampling %d images "
                           "onto the median gap would make %.0f slices", path, sorted[0], sorted[n - 2], median, n, count);
        g->step = median;
        g->n_out = (int)count;
        if ((g->n_out - 1) * median > g->u[n - 1] + tol) g->n_out--;
        info->resampled = 1;
    } else {
        g->step = len / (n - 1);
        g->n_out = n;
    }
    return MS_OK;
}

ms_status dicom_set_affine(const char *path, const geometry *g, const ms_dcm_header *h0, ms_volume *v)
{
    double dr = h0->has_spacing ? h0->pixel_spacing[0] : 1.0, dc = h0->has_spacing ? h0->pixel_spacing[1] : 1.0;
    double a[4][4] = {{0}};
    for (int x = 0; x < 3; x++) {
        a[x][0] = g->r[x] * dc;
        a[x][1] = g->c[x] * dr;
        a[x][2] = g->d[x] * g->step;
        a[x][3] = h0->has_ipp ? h0->ipp[x] : 0.0;
    }
    a[3][3] = 1;
    ms_status st = ms_affine_check(a, path);
    if (st) ms_volume_free(v);
    else ms_volume_set_affine(v, a);
    return st;
}

/* ---- entry point ---- */

/* A multi-frame image becomes one entry a frame (same path, its frame's
 * header), so sorting, geometry and reading treat frames as slices. */
static ms_status expand_frames(path_list *files, ms_dcm_header **hdr, int **ok, slice **sl)
{
    size_t total = 0;
    for (size_t i = 0; i < files->n; i++) total += (*ok)[i] ? (size_t)(*hdr)[i].frames : 1;
    if (total == files->n) return MS_OK;
    path_list np = {0};
    ms_dcm_header *nh = NULL;
    int *nok = NULL;
    slice *nsl = NULL;
    ms_status st = ms_alloc_array((void **)&nh, total, sizeof *nh, 1, "DICOM frames");
    if (!st) st = ms_alloc_array((void **)&nok, total, sizeof *nok, 1, "DICOM frames");
    if (!st) st = ms_alloc_array((void **)&nsl, total, sizeof *nsl, 1, "DICOM frames");
    for (size_t i = 0, k = 0; !st && i < files->n; i++) {
        int frames = (*ok)[i] ? (*hdr)[i].frames : 1;
        if (frames > 1) st = ms_dcm_frame_headers(files->paths[i], &(*hdr)[i], nh + k);
        else nh[k] = (*hdr)[i];
        for (int f = 0; !st && f < frames; f++, k++) {
            nok[k] = (*ok)[i];
            st = list_push(&np, files->paths[i]);
        }
    }
    if (st) {
        list_free(&np), free(nh), free(nok), free(nsl);
        return st;
    }
    list_free(files), free(*hdr), free(*ok), free(*sl);
    *files = np, *hdr = nh, *ok = nok, *sl = nsl;
    return MS_OK;
}

static int skip_unreadable;

void ms_dicom_set_skip_unreadable(int skip) { skip_unreadable = skip; }

/* A file that carries DICOM's magic but does not parse is a damaged member
 * of some series: refused, naming it, unless the caller asked to skip. */
static ms_status check_unreadable(const path_list *files, ms_dcm_header *hdr, const int *ok, ms_dicom_info *info)
{
    for (size_t i = 0; i < files->n; i++) {
        if (ok[i] || !hdr[i].unreadable) continue;
        ms_dcm_read_header(files->paths[i], &hdr[i]);   /* its message, in this thread */
        if (!skip_unreadable)
            return ms_fail(MS_ERR_INPUT, "%s (--skip-bad-files reads the folder without it)", ms_last_error());
        if (info->n_unreadable++ == 0)
            snprintf(info->first_unreadable, sizeof info->first_unreadable, "%s", files->paths[i]);
        ms_warn("%s; skipped (--skip-bad-files)", ms_last_error());
    }
    return MS_OK;
}

static ms_status gather(const char *path, path_list *files)
{
    struct stat sb;
    if (stat(path, &sb) != 0) return ms_fail(MS_ERR_INPUT, "%s: no such file or directory", path);
    ms_status st = S_ISDIR(sb.st_mode) ? walk_root(path, files) : list_push(files, path);
    if (st) return st;
    if (files->n == 0) return ms_fail(MS_ERR_INPUT, "%s: empty directory, no DICOM files", path);
    qsort(files->paths, files->n, sizeof *files->paths, cmp_str);
    return MS_OK;
}

static ms_status select_slices(const char *path, const path_list *files, const ms_dcm_header *hdr,
                               const int *ok, ms_dicom_info *info, slice *sl, int *n_sl)
{
    int n = 0, first = -1;
    for (size_t i = 0; i < files->n; i++)
        if (ok[i] && strcmp(hdr[i].series_uid, info->series_uid) == 0) {
            if (first < 0) first = (int)i;
            sl[n++] = (slice){&hdr[i], files->paths[i], 0};
        }
    /* Localisers and reformats sometimes share a series: keep the images of
     * the most common size and orientation. */
    int best = 0, best_count = 0;
    for (int a = 0; a < n; a++) {
        int c = 0;
        for (int b = 0; b < n; b++) c += same_frame(sl[a].h, sl[b].h);
        if (c > best_count) best_count = c, best = a;
    }
    int kept = 0;
    const ms_dcm_header *ref = sl[best].h;
    for (int a = 0; a < n; a++)
        if (same_frame(ref, sl[a].h)) sl[kept++] = sl[a];
    info->n_ignored = n - kept;
    if (info->n_ignored)
        ms_warn("%s: ignored %d images of series %s with another size or orientation", path, info->n_ignored,
                info->series_uid);
    *n_sl = kept;
    return MS_OK;
}

static ms_status check_spacing(const char *path, const ms_dcm_header *h)
{
    for (int i = 0; h->has_spacing && i < 2; i++)
        if (!(h->pixel_spacing[i] >= MS_SPACING_MIN && h->pixel_spacing[i] <= MS_SPACING_MAX))
            return ms_fail(MS_ERR_INPUT, "%s: PixelSpacing %g\\%g mm is not usable (each must be within %g..%g mm)", path,
                           h->pixel_spacing[0], h->pixel_spacing[1], MS_SPACING_MIN, MS_SPACING_MAX);
    return MS_OK;
}

static void fill_info_from(const ms_dcm_header *h, ms_dicom_info *info)
{
    snprintf(info->modality, sizeof info->modality, "%s", h->modality);
    snprintf(info->transfer_syntax, sizeof info->transfer_syntax, "%s", h->transfer_syntax);
    snprintf(info->manufacturer, sizeof info->manufacturer, "%s", h->manufacturer);
    snprintf(info->study_uid, sizeof info->study_uid, "%s", h->study_uid);
    snprintf(info->frame_uid, sizeof info->frame_uid, "%s", h->frame_uid);
    info->slice_thickness = h->slice_thickness;
    info->gantry_tilt_tag = h->has_tilt ? h->gantry_tilt : NAN;
}

/* Tags the geometry came without: said once, in the info and a warning,
 * because the world positions are then not the scanner's. */
static void report_assumptions(const char *path, const ms_dcm_header *h0, int n, ms_dicom_info *info)
{
    info->assumed_position = !h0->has_ipp || h0->frame_step_assumed;
    info->assumed_orientation = !h0->has_iop;
    info->assumed_spacing = !h0->has_spacing;
    info->assumed_slice_step = (n == 1 && !(h0->slice_thickness > 0)) || h0->frame_step_assumed;
    char what[160] = "";
    if (info->assumed_position) strcat(what, ", ImagePositionPatient (origin 0 assumed)");
    if (info->assumed_orientation) strcat(what, ", ImageOrientationPatient (axial assumed)");
    if (info->assumed_spacing) strcat(what, ", PixelSpacing (1 mm assumed)");
    if (info->assumed_slice_step)
        strcat(what, h0->frame_step_assumed ? ", frame positions (frames stacked along the normal)"
                                            : ", SliceThickness (1 mm assumed)");
    if (what[0])
        ms_warn("%s: no %s: positions in mm are not the scanner's", path, what + 2);
    if (h0->declared_syntax[0])
        ms_warn("%s: the meta header says transfer syntax %s but the data set is encoded as %s; read as encoded "
                "(as DCMTK and pydicom do)", path, h0->declared_syntax, h0->transfer_syntax);
    if (h0->implicit_dataset)
        ms_warn("%s: the data set is encoded in implicit VR although its transfer syntax %s is explicit VR; read as "
                "encoded (as pydicom does)", path, h0->transfer_syntax);
    if (h0->samples == 3)
        ms_warn("%s: colour (%s) read as grey: Y, or the luma 0.299 R + 0.587 G + 0.114 B", path, h0->photometric);
}

static void report_geometry(const char *path, const ms_dicom_info *info, const geometry *g)
{
    if (info->tilted)
        ms_warn("%s: gantry tilt of %.2f degrees; kept exact in a sheared affine (sform), the qform is the "
                "nearest rigid approximation", path, info->tilt_deg);
    if (info->uneven)
        ms_warn("%s: uneven slice spacing (gaps %.3f to %.3f mm); resampled linearly to %d slices every %.3f mm",
                path, info->min_gap, info->max_gap, g->n_out, g->step);
}

ms_status ms_dicom_read(const char *path, const char *series, ms_volume *v, ms_dicom_info *info_out)
{
    ms_dicom_info local, *info = info_out ? info_out : &local;
    memset(info, 0, sizeof *info);
    memset(v, 0, sizeof *v);
    path_list files = {0};
    ms_dcm_header *hdr = NULL;
    int *ok = NULL;
    slice *sl = NULL;
    series_count *all = NULL;
    geometry g = {0};
    ms_status st = gather(path, &files);
    if (!st) st = ms_alloc_array((void **)&hdr, files.n, sizeof *hdr, 1, path);
    if (!st) st = ms_alloc_array((void **)&ok, files.n, sizeof *ok, 1, path);
    if (!st) st = ms_alloc_array((void **)&sl, files.n, sizeof *sl, 1, path);
    if (st) goto done;
    header_job hj = {&files, hdr, ok};
    ms_parallel_for(files.n, 8, read_headers, &hj);
    info->n_files = (int)files.n;
    if ((st = check_unreadable(&files, hdr, ok, info))) goto done;
    for (size_t i = 0; i < files.n; i++) info->n_non_dicom += !ok[i] && !hdr[i].unreadable;
    if (info->n_non_dicom + info->n_unreadable == (int)files.n) {
        if (files.n == 1) ms_dcm_read_header(files.paths[0], &hdr[0]);   /* restore its message */
        else ms_fail(MS_ERR_INPUT, "%s: none of the %zu files is a DICOM image", path, files.n);
        st = MS_ERR_INPUT;
        goto done;
    }
    int n = 0;
    if ((st = expand_frames(&files, &hdr, &ok, &sl))) goto done;
    if ((st = count_series(path, hdr, ok, files.n, info, &all))) goto done;
    if ((st = choose_series(path, series, info, all))) goto done;
    if ((st = select_slices(path, &files, hdr, ok, info, sl, &n))) goto done;
    fill_info_from(sl[0].h, info);
    if ((st = check_spacing(sl[0].path, sl[0].h))) goto done;
    if (sl[0].h->seg_type) {
        st = dicom_read_seg(path, sl, n, v, info);
        goto done;
    }
    if ((st = stack_geometry(path, sl, n, &g, info))) goto done;
    if ((st = dicom_read_stack(path, sl, n, &g, v))) goto done;
    if ((st = dicom_set_affine(path, &g, sl[0].h, v))) goto done;
    info->n_slices = n;
    info->slice_step = g.step;
    report_geometry(path, info, &g);
    report_assumptions(path, sl[0].h, n, info);
done:
    free(all);
    free(g.u);
    free(sl);
    free(ok);
    free(hdr);
    list_free(&files);
    return st;
}
