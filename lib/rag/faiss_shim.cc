/* FAISS behind a C API: flat, IVF and HNSW indexes over inner product.
 * Exceptions stop here and become an ms_status with FAISS's message. Built
 * as the plugin libmedseg_faiss (faiss_loader.c opens it), so commands other
 * than rag-index do not load FAISS's BLAS, LAPACK and OpenMP. */
#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIVFFlat.h>
#include <faiss/index_io.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <new>

#include "faiss_plugin.h"

struct ms_faiss {
    faiss::Index *index;
};

using idx_t = faiss::Index::idx_t;

/* Runs f, turning what it throws into a failure naming `what`. */
template <class F> static ms_status guarded(const char *what, F f)
{
    try {
        f();
        return MS_OK;
    } catch (const std::bad_alloc &) {
        return ms_fail(MS_ERR_NOMEM, "%s: out of memory", what);
    } catch (const std::exception &e) {
        return ms_fail(MS_ERR_INPUT, "%s: %s", what, e.what());
    } catch (...) {
        return ms_fail(MS_ERR_INTERNAL, "%s: unknown FAISS failure", what);
    }
}

static ms_status faiss_new(const char *kind, int param, int dim, ms_faiss **out)
{
    *out = nullptr;
    if (dim < 1) return ms_fail(MS_ERR_USAGE, "index dimension %d", dim);
    ms_faiss *ix = new (std::nothrow) ms_faiss{nullptr};
    if (!ix) return ms_fail(MS_ERR_NOMEM, "index: out of memory");
    ms_status rc = guarded("new index", [&] {
        if (!strcmp(kind, "flat")) {
            ix->index = new faiss::IndexFlatIP(dim);
        } else if (!strcmp(kind, "ivf")) {
            auto *ivf = new faiss::IndexIVFFlat(new faiss::IndexFlatIP(dim), dim, (size_t)param,
                                                faiss::METRIC_INNER_PRODUCT);
            ivf->own_fields = true;
            /* Few training points per list is our warning to give, not a
             * line FAISS prints on stderr. */
            ivf->cp.min_points_per_centroid = 1;
            ivf->cp.verbose = false;
            ix->index = ivf;
        } else {
            ix->index = new faiss::IndexHNSWFlat(dim, param, faiss::METRIC_INNER_PRODUCT);
        }
    });
    if (rc) {
        delete ix;
        return rc;
    }
    *out = ix;
    return MS_OK;
}

static ms_status faiss_train(ms_faiss *ix, int64_t n, const float *x)
{
    if (ix->index->is_trained) return MS_OK;
    return guarded("training the index", [&] { ix->index->train((idx_t)n, x); });
}

static ms_status faiss_add(ms_faiss *ix, int64_t n, const float *x)
{
    if (!ix->index->is_trained) return ms_fail(MS_ERR_INTERNAL, "index used before training");
    return guarded("adding to the index", [&] { ix->index->add((idx_t)n, x); });
}

static int faiss_default_probes(const ms_faiss *ix)
{
    if (auto *ivf = dynamic_cast<const faiss::IndexIVF *>(ix->index)) {
        int nlist = (int)ivf->nlist, p = nlist / 8 > 8 ? nlist / 8 : 8;
        return p < nlist ? p : nlist;
    }
    if (dynamic_cast<const faiss::IndexHNSW *>(ix->index)) return 64;
    return 0;
}

static ms_status faiss_search(const ms_faiss *ix, int64_t nq, const float *q, int k, int probes, float *sim,
                              int64_t *ids)
{
    if (probes <= 0) probes = faiss_default_probes(ix);
    return guarded("searching the index", [&] {
        if (auto *ivf = dynamic_cast<faiss::IndexIVF *>(ix->index)) {
            ivf->nprobe = (size_t)probes < ivf->nlist ? (size_t)probes : ivf->nlist;
        } else if (auto *hnsw = dynamic_cast<faiss::IndexHNSW *>(ix->index)) {
            hnsw->hnsw.efSearch = probes > k ? probes : k;
        }
        static_assert(sizeof(idx_t) == sizeof(int64_t), "FAISS ids are 64-bit");
        /* From 20 queries on, FAISS hands flat search to BLAS, which with
         * Debian's reference BLAS is slower than its own loops: batches of 16. */
        const int64_t batch = 16, d = ix->index->d;
        for (int64_t at = 0; at < nq; at += batch)
            ix->index->search((idx_t)(nq - at < batch ? nq - at : batch), q + at * d, (idx_t)k, sim + at * k,
                              reinterpret_cast<idx_t *>(ids + at * k));
    });
}

static ms_status faiss_write(const ms_faiss *ix, const char *path)
{
    return guarded(path, [&] { faiss::write_index(ix->index, path); });
}

static ms_status faiss_read(const char *path, ms_faiss **out)
{
    *out = nullptr;
    faiss::Index *index = nullptr;
    ms_status rc = guarded(path, [&] { index = faiss::read_index(path); });
    if (rc) return ms_fail(MS_ERR_INPUT, "%s: not a FAISS index this build can read (%s)", path, ms_last_error());
    if (index->metric_type != faiss::METRIC_INNER_PRODUCT ||
        !(dynamic_cast<faiss::IndexFlat *>(index) || dynamic_cast<faiss::IndexIVFFlat *>(index) ||
          dynamic_cast<faiss::IndexHNSWFlat *>(index))) {
        delete index;
        return ms_fail(MS_ERR_INPUT, "%s: not a flat, IVF-flat or HNSW-flat inner-product index", path);
    }
    ms_faiss *ix = new (std::nothrow) ms_faiss{index};
    if (!ix) {
        delete index;
        return ms_fail(MS_ERR_NOMEM, "index: out of memory");
    }
    *out = ix;
    return MS_OK;
}

static int64_t faiss_count(const ms_faiss *ix) { return (int64_t)ix->index->ntotal; }
static int faiss_dim(const ms_faiss *ix) { return ix->index->d; }

static void faiss_describe(const ms_faiss *ix, char *buf, size_t n)
{
    if (auto *ivf = dynamic_cast<const faiss::IndexIVF *>(ix->index))
        snprintf(buf, n, "ivf:%zu", ivf->nlist);
    else if (auto *hnsw = dynamic_cast<const faiss::IndexHNSW *>(ix->index))
        snprintf(buf, n, "hnsw:%d", (int)(hnsw->hnsw.nb_neighbors(1)));
    else
        snprintf(buf, n, "flat");
}

static void faiss_free(ms_faiss *ix)
{
    if (!ix) return;
    delete ix->index;
    delete ix;
}

static const ms_faiss_ops ops = {faiss_new,   faiss_train, faiss_add,      faiss_search,         faiss_write, faiss_read,
                                 faiss_count, faiss_dim,   faiss_describe, faiss_default_probes, faiss_free};

extern "C" const ms_faiss_ops *ms_faissp_ops(void) { return &ops; }
