/* Lung-RADS v2022 (baseline screening) and Fleischner 2017 (incidental
 * nodules) as tables. The recommendation texts paraphrase the published
 * tables; they are a reading aid, not a substitute for them. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "medseg/lung.h"

/* ---- Lung-RADS v2022 --------------------------------------------------
 * Source: American College of Radiology, Lung-RADS v2022 assessment
 * categories (released Nov 2022). Baseline rules only: growth and new
 * nodules need a prior exam. Mean diameter is measured to one decimal.
 * Each row: nodule type, bounds on mean diameter [lo, hi) and on the solid
 * component [slo, shi), an optional juxtapleural condition, category. */
typedef struct {
    ms_ntype type;
    double lo, hi, slo, shi;
    int juxta;               /* 1: row applies only to smooth juxtapleural nodules */
    const char *cat, *rule;
} lr_row;

static const lr_row lr_rows[] = {
    {MS_NTYPE_SOLID, 0, 10, 0, INFINITY, 1, "2", "solid juxtapleural < 10 mm with smooth margins"},
    {MS_NTYPE_SOLID, 0, 6, 0, INFINITY, 0, "2", "solid < 6 mm"},
    {MS_NTYPE_SOLID, 6, 8, 0, INFINITY, 0, "3", "solid >= 6 to < 8 mm"},
    {MS_NTYPE_SOLID, 8, 15, 0, INFINITY, 0, "4A", "solid >= 8 to < 15 mm"},
    {MS_NTYPE_SOLID, 15, INFINITY, 0, INFINITY, 0, "4B", "solid >= 15 mm"},
    {MS_NTYPE_PART_SOLID, 0, 6, 0, INFINITY, 0, "2", "part-solid < 6 mm total"},
    {MS_NTYPE_PART_SOLID, 6, INFINITY, 0, 6, 0, "3", "part-solid >= 6 mm total with solid part < 6 mm"},
    {MS_NTYPE_PART_SOLID, 6, INFINITY, 6, 8, 0, "4A", "part-solid with solid part >= 6 to < 8 mm"},
    {MS_NTYPE_PART_SOLID, 6, INFINITY, 8, INFINITY, 0, "4B", "part-solid with solid part >= 8 mm"},
    {MS_NTYPE_GGO, 0, 30, 0, INFINITY, 0, "2", "ground-glass < 30 mm"},
    {MS_NTYPE_GGO, 30, INFINITY, 0, INFINITY, 0, "3", "ground-glass >= 30 mm"},
};

/* Smooth margins for the juxtapleural rule: well below "spiculated". */
#define LR_SMOOTH 0.3

static const char *lr_management(const char *cat)
{
    if (!strcmp(cat, "1") || !strcmp(cat, "2")) return "continue annual screening with low-dose CT in 12 months";
    if (!strcmp(cat, "3")) return "low-dose CT in 6 months";
    if (!strcmp(cat, "4A"))
        return "low-dose CT in 3 months; PET/CT may be considered when a solid nodule or solid part is >= 8 mm";
    return "diagnostic chest CT with or without contrast, PET/CT when a solid nodule or solid part is >= 8 mm, "
           "tissue sampling and/or referral for clinical evaluation";
}

static double round_to(double v, double step) { return floor(v / step + 0.5) * step; }

void ms_lungrads_nodule(const ms_risk_nodule *n, ms_lungrads *out)
{
    double d = round_to(n->diameter_mm, 0.1), s = round_to(n->solid_diameter_mm, 0.1);
    const lr_row *hit = NULL;
    for (size_t i = 0; i < sizeof lr_rows / sizeof *lr_rows && !hit; i++) {
        const lr_row *r = &lr_rows[i];
        if (r->type != n->type || d < r->lo - 1e-9 || d >= r->hi - 1e-9) continue;
        if (s < r->slo - 1e-9 || s >= r->shi - 1e-9) continue;
        if (r->juxta && !(n->juxtapleural && n->spiculation < LR_SMOOTH)) continue;
        hit = r;
    }
    /* Every (type, size) pair falls in some row; part-solid rows cover all s. */
    snprintf(out->category, sizeof out->category, "%s", hit ? hit->cat : "2");
    out->rule = hit ? hit->rule : "no rule matched";
    if (ms_lungrads_rank(out->category) >= 3 && n->spiculation >= MS_SPICULATED) {
        snprintf(out->category, sizeof out->category, "4X");
        out->rule = n->type == MS_NTYPE_SOLID ? "category 3 or 4 with a suspicious feature (spiculation)"
                                              : "category 3 or 4 subsolid nodule with a suspicious feature (spiculation)";
    }
    out->management = lr_management(out->category);
}

int ms_lungrads_rank(const char *c)
{
    static const char *order[] = {"1", "2", "3", "4A", "4B", "4X"};
    for (int i = 0; i < 6; i++)
        if (!strcmp(c, order[i])) return i + 1;
    return 0;
}

void ms_lungrads_exam(const ms_lungrads *cats, int n, ms_lungrads *out)
{
    snprintf(out->category, sizeof out->category, "1");
    out->rule = "no lung nodules reported";
    for (int i = 0; i < n; i++)
        if (ms_lungrads_rank(cats[i].category) > ms_lungrads_rank(out->category)) {
            snprintf(out->category, sizeof out->category, "%s", cats[i].category);
            out->rule = cats[i].rule;
        }
    out->management = lr_management(out->category);
}

/* ---- Fleischner 2017 --------------------------------------------------
 * Source: MacMahon et al., Radiology 2017;284:228-243, Table 1. Incidental
 * nodules in adults aged 35 or more (not screening, not cancer patients,
 * not immunocompromised). Size is the mean of long and short axes rounded
 * to the nearest millimetre: < 6, 6 to 8, > 8 mm. */
typedef struct {
    ms_ntype type;
    int multiple;
    int lo, hi;              /* rounded mean diameter in [lo, hi] */
    const char *rule, *low, *high;
} fl_row;

static const fl_row fl_rows[] = {
    {MS_NTYPE_SOLID, 0, 0, 5, "single solid < 6 mm", "no routine follow-up", "optional CT at 12 months"},
    {MS_NTYPE_SOLID, 0, 6, 8, "single solid 6-8 mm", "CT at 6-12 months, then consider CT at 18-24 months",
     "CT at 6-12 months, then CT at 18-24 months"},
    {MS_NTYPE_SOLID, 0, 9, 1000, "single solid > 8 mm", "consider CT at 3 months, PET/CT or tissue sampling",
     "consider CT at 3 months, PET/CT or tissue sampling"},
    {MS_NTYPE_SOLID, 1, 0, 5, "multiple solid < 6 mm", "no routine follow-up", "optional CT at 12 months"},
    {MS_NTYPE_SOLID, 1, 6, 8, "multiple solid 6-8 mm", "CT at 3-6 months, then consider CT at 18-24 months",
     "CT at 3-6 months, then CT at 18-24 months"},
    {MS_NTYPE_SOLID, 1, 9, 1000, "multiple solid > 8 mm", "CT at 3-6 months, then consider CT at 18-24 months",
     "CT at 3-6 months, then CT at 18-24 months"},
    {MS_NTYPE_GGO, 0, 0, 5, "single ground-glass < 6 mm", "no routine follow-up", "no routine follow-up"},
    {MS_NTYPE_GGO, 0, 6, 1000, "single ground-glass >= 6 mm",
     "CT at 6-12 months to confirm persistence, then every 2 years until 5 years",
     "CT at 6-12 months to confirm persistence, then every 2 years until 5 years"},
    {MS_NTYPE_PART_SOLID, 0, 0, 5, "single part-solid < 6 mm", "no routine follow-up", "no routine follow-up"},
    {MS_NTYPE_PART_SOLID, 0, 6, 1000, "single part-solid >= 6 mm",
     "CT at 3-6 months to confirm persistence; if unchanged with a solid part < 6 mm, yearly CT for 5 years",
     "CT at 3-6 months to confirm persistence; if unchanged with a solid part < 6 mm, yearly CT for 5 years"},
    {MS_NTYPE_GGO, 1, 0, 5, "multiple subsolid < 6 mm", "CT at 3-6 months; if stable, consider CT at 2 and 4 years",
     "CT at 3-6 months; if stable, consider CT at 2 and 4 years"},
    {MS_NTYPE_GGO, 1, 6, 1000, "multiple subsolid >= 6 mm", "CT at 3-6 months; then as the most suspicious nodule",
     "CT at 3-6 months; then as the most suspicious nodule"},
};

void ms_fleischner_nodule(const ms_risk_nodule *n, int count, ms_fleischner *out)
{
    int d = (int)floor(n->diameter_mm + 0.5), multiple = count > 1;
    /* The table has one row set for multiple subsolid nodules of both kinds. */
    ms_ntype t = multiple && n->type == MS_NTYPE_PART_SOLID ? MS_NTYPE_GGO : n->type;
    for (size_t i = 0; i < sizeof fl_rows / sizeof *fl_rows; i++) {
        const fl_row *r = &fl_rows[i];
        if (r->type == t && r->multiple == multiple && d >= r->lo && d <= r->hi) {
            out->rule = r->rule, out->low_risk = r->low, out->high_risk = r->high;
            return;
        }
    }
    out->rule = "outside the table", out->low_risk = out->high_risk = "clinical judgement";
}
