/* The risk rules against values worked out by hand from the published
 * tables and formula: Brock (McWilliams 2013, model 2b), Lung-RADS v2022
 * baseline categories at every size boundary, Fleischner 2017 rows, and
 * the --patient parser. */
#include <math.h>
#include <string.h>

#include "check.h"
#include "medseg/lung.h"

static ms_risk_nodule nod(ms_ntype t, double d, double solid, double spic, int juxta)
{
    ms_risk_nodule n = {d, d, solid, t, 0, spic, juxta};
    return n;
}

static const char *lr(ms_ntype t, double d, double solid, double spic, int juxta)
{
    static ms_lungrads out;
    ms_risk_nodule n = nod(t, d, solid, spic, juxta);
    ms_lungrads_nodule(&n, &out);
    return out.category;
}

static void test_brock(void)
{
    ms_patient p;
    ms_patient_defaults(&p);
    /* Expected: 1 / (1 + exp(-logit)) with the coefficients in ms_brock's
     * comment, evaluated separately (python3 math). */
    ms_risk_nodule n = nod(MS_NTYPE_SOLID, 4, 4, 0, 0);
    CHECK(fabs(ms_brock(&p, &n, 4) - 0.0011246030) < 1e-9);
    n.long_axis_mm = 10;
    CHECK(fabs(ms_brock(&p, &n, 4) - 0.0250983388) < 1e-9);
    ms_patient q = {70, 1, 1, 1, 0, 0, 0, 0};
    n = nod(MS_NTYPE_PART_SOLID, 15, 8, 0.8, 0);
    n.upper_lobe = 1;
    CHECK(fabs(ms_brock(&q, &n, 1) - 0.6912574064) < 1e-9);
    q = (ms_patient){55, 0, 0, 0, 0, 0, 0, 0};
    n = nod(MS_NTYPE_GGO, 6, 0, 0.2, 0);
    CHECK(fabs(ms_brock(&q, &n, 2) - 0.0045396452) < 1e-9);
    n = nod(MS_NTYPE_SOLID, 25, 25, MS_SPICULATED, 0);
    n.upper_lobe = 1;
    CHECK(fabs(ms_brock(&p, &n, 7) - 0.3783962354) < 1e-9);
    /* Spiculation is the model's yes/no: just below the cut is "no". */
    n.spiculation = MS_SPICULATED - 0.01;
    CHECK(ms_brock(&p, &n, 7) < 0.3783962354 - 0.1);
}

static void test_lungrads(void)
{
    /* Solid: < 6 -> 2, 6..8 -> 3, 8..15 -> 4A, >= 15 -> 4B, one decimal. */
    CHECK(!strcmp(lr(MS_NTYPE_SOLID, 5.94, 5.94, 0, 0), "2"));
    CHECK(!strcmp(lr(MS_NTYPE_SOLID, 5.95, 5.95, 0, 0), "3"));
    CHECK(!strcmp(lr(MS_NTYPE_SOLID, 7.94, 7.94, 0, 0), "3"));
    CHECK(!strcmp(lr(MS_NTYPE_SOLID, 8.0, 8.0, 0, 0), "4A"));
    CHECK(!strcmp(lr(MS_NTYPE_SOLID, 14.9, 14.9, 0, 0), "4A"));
    CHECK(!strcmp(lr(MS_NTYPE_SOLID, 15.0, 15.0, 0, 0), "4B"));
    /* Smooth juxtapleural solid < 10 mm is benign-appearing. */
    CHECK(!strcmp(lr(MS_NTYPE_SOLID, 9.9, 9.9, 0.1, 1), "2"));
    CHECK(!strcmp(lr(MS_NTYPE_SOLID, 9.9, 9.9, 0.35, 1), "4A"));
    CHECK(!strcmp(lr(MS_NTYPE_SOLID, 10.0, 10.0, 0.1, 1), "4A"));
    /* Part-solid: total < 6 -> 2; solid part < 6 -> 3, 6..8 -> 4A, >= 8 -> 4B. */
    CHECK(!strcmp(lr(MS_NTYPE_PART_SOLID, 5.9, 3, 0, 0), "2"));
    CHECK(!strcmp(lr(MS_NTYPE_PART_SOLID, 6.0, 5.9, 0, 0), "3"));
    CHECK(!strcmp(lr(MS_NTYPE_PART_SOLID, 12.0, 6.0, 0, 0), "4A"));
    CHECK(!strcmp(lr(MS_NTYPE_PART_SOLID, 12.0, 7.9, 0, 0), "4A"));
    CHECK(!strcmp(lr(MS_NTYPE_PART_SOLID, 12.0, 8.0, 0, 0), "4B"));
    /* Ground glass: < 30 -> 2, >= 30 -> 3. */
    CHECK(!strcmp(lr(MS_NTYPE_GGO, 29.9, 0, 0, 0), "2"));
    CHECK(!strcmp(lr(MS_NTYPE_GGO, 30.0, 0, 0, 0), "3"));
    /* 4X: a category 3 or 4 nodule with spiculation; category 2 stays. */
    CHECK(!strcmp(lr(MS_NTYPE_SOLID, 8.0, 8.0, MS_SPICULATED, 0), "4X"));
    CHECK(!strcmp(lr(MS_NTYPE_SOLID, 6.5, 6.5, 0.9, 0), "4X"));
    CHECK(!strcmp(lr(MS_NTYPE_SOLID, 5.0, 5.0, 0.9, 0), "2"));
    CHECK(!strcmp(lr(MS_NTYPE_GGO, 31, 0, 0.6, 0), "4X"));
    /* Exam: the most suspicious nodule; none is category 1. */
    ms_lungrads cats[3], exam;
    ms_lungrads_exam(cats, 0, &exam);
    CHECK(!strcmp(exam.category, "1"));
    ms_risk_nodule a = nod(MS_NTYPE_SOLID, 5, 5, 0, 0), b = nod(MS_NTYPE_SOLID, 9, 9, 0, 0), c = nod(MS_NTYPE_GGO, 31, 0, 0, 0);
    ms_lungrads_nodule(&a, &cats[0]);
    ms_lungrads_nodule(&b, &cats[1]);
    ms_lungrads_nodule(&c, &cats[2]);
    ms_lungrads_exam(cats, 3, &exam);
    CHECK(!strcmp(exam.category, "4A"));
    CHECK(strstr(exam.management, "3 months") != NULL);
    CHECK(ms_lungrads_rank("4X") > ms_lungrads_rank("4B") && ms_lungrads_rank("4B") > ms_lungrads_rank("4A"));
}

static const char *fl(ms_ntype t, double d, int count)
{
    static ms_fleischner out;
    ms_risk_nodule n = nod(t, d, 0, 0, 0);
    ms_fleischner_nodule(&n, count, &out);
    return out.rule;
}

static void test_fleischner(void)
{
    /* Mean diameter rounded to the nearest millimetre: < 6, 6-8, > 8. */
    CHECK(!strcmp(fl(MS_NTYPE_SOLID, 5.4, 1), "single solid < 6 mm"));
    CHECK(!strcmp(fl(MS_NTYPE_SOLID, 5.5, 1), "single solid 6-8 mm"));
    CHECK(!strcmp(fl(MS_NTYPE_SOLID, 8.4, 1), "single solid 6-8 mm"));
    CHECK(!strcmp(fl(MS_NTYPE_SOLID, 8.5, 1), "single solid > 8 mm"));
    CHECK(!strcmp(fl(MS_NTYPE_SOLID, 7, 3), "multiple solid 6-8 mm"));
    CHECK(!strcmp(fl(MS_NTYPE_GGO, 5.49, 1), "single ground-glass < 6 mm"));
    CHECK(!strcmp(fl(MS_NTYPE_GGO, 6, 1), "single ground-glass >= 6 mm"));
    CHECK(!strcmp(fl(MS_NTYPE_PART_SOLID, 6, 1), "single part-solid >= 6 mm"));
    CHECK(!strcmp(fl(MS_NTYPE_PART_SOLID, 7, 2), "multiple subsolid >= 6 mm"));
    CHECK(!strcmp(fl(MS_NTYPE_GGO, 4, 2), "multiple subsolid < 6 mm"));
    ms_fleischner out;
    ms_risk_nodule n = nod(MS_NTYPE_SOLID, 4, 4, 0, 0);
    ms_fleischner_nodule(&n, 1, &out);
    CHECK(!strcmp(out.low_risk, "no routine follow-up") && strstr(out.high_risk, "12 months"));
}

static void test_patient(void)
{
    ms_patient p;
    char err[200];
    ms_patient_defaults(&p);
    CHECK(p.age == 62 && !p.female && p.age_default && p.sex_default);
    CHECK(ms_patient_parse("age=70,sex=F,family-history=1,emphysema=1", &p, err, sizeof err));
    CHECK(p.age == 70 && p.female && p.family_history && p.emphysema && !p.age_default && !p.emphysema_default);
    ms_patient_defaults(&p);
    CHECK(ms_patient_parse("sex=M", &p, err, sizeof err) && !p.sex_default && p.age_default);
    CHECK(!ms_patient_parse("age=12", &p, err, sizeof err) && strstr(err, "age=12"));
    CHECK(!ms_patient_parse("sex=X", &p, err, sizeof err));
    CHECK(!ms_patient_parse("smoker=1", &p, err, sizeof err) && strstr(err, "smoker"));
    CHECK(!ms_patient_parse("age", &p, err, sizeof err));
    CHECK(!ms_patient_parse("emphysema=2", &p, err, sizeof err));
}

int main(void)
{
    test_brock();
    test_lungrads();
    test_fleischner();
    test_patient();
    return check_summary();
}
