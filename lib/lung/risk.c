/* Risk rules shared by detect-nodules and classify, each a table with its
 * source. Sizes are compared after the rounding each guideline asks for. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "medseg/lung.h"

const char *ms_ntype_name(ms_ntype t)
{
    static const char *n[] = {"solid", "part-solid", "ground-glass"};
    return t <= MS_NTYPE_GGO ? n[t] : "?";
}

int ms_ntype_parse(const char *s, ms_ntype *t)
{
    static const char *alias[][2] = {{"solid", "0"}, {"part-solid", "1"}, {"partsolid", "1"}, {"ground-glass", "2"},
                                     {"ggo", "2"}, {"non-solid", "2"}, {"nonsolid", "2"}};
    for (size_t i = 0; i < sizeof alias / sizeof *alias; i++)
        if (!strcmp(s, alias[i][0])) {
            *t = (ms_ntype)(alias[i][1][0] - '0');
            return 1;
        }
    return 0;
}

void ms_patient_defaults(ms_patient *p)
{
    memset(p, 0, sizeof *p);
    p->age = 62;
    p->age_default = p->sex_default = p->family_default = p->emphysema_default = 1;
}

static int parse_bool(const char *v, int *out)
{
    if (!strcmp(v, "0") || !strcmp(v, "no")) *out = 0;
    else if (!strcmp(v, "1") || !strcmp(v, "yes")) *out = 1;
    else return 0;
    return 1;
}

static int set_field(ms_patient *p, const char *key, const char *val)
{
    if (!strcmp(key, "age")) {
        char *end;
        double a = strtod(val, &end);
        if (*end || !(a >= 18 && a <= 120)) return 0;
        p->age = a, p->age_default = 0;
        return 1;
    }
    if (!strcmp(key, "sex")) {
        if (!strcmp(val, "F") || !strcmp(val, "f")) p->female = 1;
        else if (!strcmp(val, "M") || !strcmp(val, "m")) p->female = 0;
        else return 0;
        p->sex_default = 0;
        return 1;
    }
    if (!strcmp(key, "family-history")) return parse_bool(val, &p->family_history) && !(p->family_default = 0);
    if (!strcmp(key, "emphysema")) return parse_bool(val, &p->emphysema) && !(p->emphysema_default = 0);
    return 0;
}

int ms_patient_parse(const char *s, ms_patient *p, char *err, int errlen)
{
    char buf[256];
    if (strlen(s) >= sizeof buf) {
        snprintf(err, (size_t)errlen, "--patient is too long");
        return 0;
    }
    strcpy(buf, s);
    for (char *save = NULL, *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(item, '=');
        if (eq) *eq = 0;
        if (!eq || !set_field(p, item, eq + 1)) {
            snprintf(err, (size_t)errlen,
                     "--patient: bad item '%s%s%s' (age=18..120, sex=M|F, family-history=0|1, emphysema=0|1)", item,
                     eq ? "=" : "", eq ? eq + 1 : "");
            return 0;
        }
    }
    return 1;
}

/* McWilliams et al., N Engl J Med 2013;369:910-9, full model 2b (with
 * spiculation). The size term is centred at 4 mm, age at 62 years and
 * nodule count at 4: sqrt(10/4) = 1.58113883. */
double ms_brock(const ms_patient *p, const ms_risk_nodule *n, int count)
{
    static const double type_coef[] = {0.0, 0.377, -0.1276};
    double size = fmax(n->long_axis_mm, 0.5);
    double logit = -6.7892 + 0.0287 * (p->age - 62) + 0.6011 * p->female + 0.2961 * p->family_history +
                   0.2953 * p->emphysema - 5.3854 * (pow(size / 10.0, -0.5) - 1.58113883) + type_coef[n->type] +
                   0.6581 * (n->upper_lobe != 0) - 0.0824 * (count - 4) + 0.7729 * (n->spiculation >= MS_SPICULATED);
    return 1.0 / (1.0 + exp(-logit));
}
