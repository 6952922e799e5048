// The nodule report as a DICOM Structured Report: DCMTK's TID 1500
// (Measurement Report) template, one TID 1501 measurement group per nodule
// (tracking identifier and UID, finding "Nodule", finding site lung with
// laterality, long axis, short axis, mean diameter, volume, and the Brock
// probability as a measurement of its own code), and the exam's Lung-RADS
// category as a qualitative evaluation. The SR joins the source study; for
// NIfTI input the study UID is the one the caller made up. Built as the
// plugin libmedseg_sr (ms_sr_write in sr_loader.c opens it), so runs that
// write no report do not load DCMTK's SR classes and libxml2's users.
#include "dcmtk/config/osconfig.h"
#include "dcmtk/dcmdata/dcdeftag.h"
#include "dcmtk/dcmdata/dcfilefo.h"
#include "dcmtk/dcmdata/dcuid.h"
#include "dcmtk/dcmsr/cmr/tid1500.h"
#include "dcmtk/dcmsr/codes/dcm.h"
#include "dcmtk/dcmsr/dsrdoc.h"

#include <cstdio>
#include <string>

#include "medseg/atomic_file.h"
#include "medseg/dicom.h"
#include "medseg/sr.h"

// Codes from SNOMED CT (SCT) and a private scheme for what no standard code names.
static const DSRBasicCodedEntry kNodule("27925004", "SCT", "Nodule");
static const DSRBasicCodedEntry kLung("39607008", "SCT", "Lung");
static const DSRBasicCodedEntry kBrock("brock-pancan", "99MEDSEG", "Brock (PanCan) probability of malignancy");
static const DSRBasicCodedEntry kLungRads("lung-rads", "99MEDSEG", "Lung-RADS v2022 category");
static const DSRBasicCodedEntry kNoduleType("nodule-type", "99MEDSEG", "Nodule attenuation type");

static std::string num(double v)
{
    char b[32];
    snprintf(b, sizeof b, "%.2f", v);
    return b;
}

static std::string uid_from(const char *study, const char *what, int i)
{
    char text[200], uid[68];
    snprintf(text, sizeof text, "medseg-sr/%s/%s/%d", study, what, i);
    ms_dicom_uid_from_text(text, uid);
    return uid;
}

typedef CMR_TID1501_in_TID1500::MeasurementValue value;

static OFCondition add_group(TID1500_MeasurementReport &rep, const ms_nodule &n, const char *study, bool first)
{
    OFCondition c = first ? EC_Normal : rep.addIndividualMeasurements(OFFalse);
    TID1500_MeasurementReport::TID1501_Measurements &g = rep.getIndividualMeasurements();
    char id[32];
    snprintf(id, sizeof id, "nodule %d", n.id);
    if (c.good()) c = g.setTrackingIdentifier(id);
    if (c.good()) c = g.setTrackingUniqueIdentifier(uid_from(study, "nodule", n.id).c_str());
    if (c.good()) c = g.setFinding(kNodule);
    if (c.good() && n.side)
        c = g.addFindingSite(kLung, n.side == 1 ? CID244e_Laterality(CID244e_Laterality::Right)
                                                : CID244e_Laterality(CID244e_Laterality::Left));
    if (c.good()) c = g.addMeasurement(CMR_CID7469::LongAxis, value(num(n.long_axis_mm).c_str(), CMR_CID7181::Millimeter));
    if (c.good()) c = g.addMeasurement(CMR_CID7469::ShortAxis, value(num(n.short_axis_mm).c_str(), CMR_CID7181::Millimeter), OFFalse);
    if (c.good()) c = g.addMeasurement(CMR_CID7469::Diameter, value(num(n.diameter_mm).c_str(), CMR_CID7181::Millimeter), OFFalse);
    if (c.good()) c = g.addMeasurement(CMR_CID7469::Volume, value(num(n.volume_mm3).c_str(), CMR_CID7181::CubicMillimeter), OFFalse);
    char p[32];
    snprintf(p, sizeof p, "%.4f", n.brock);
    if (c.good())
        c = g.addMeasurement(CID7469_GenericIntensityAndSizeMeasurements(DSRCodedEntryValue(kBrock)),
                             value(p, CMR_CID7181::NoUnits), OFFalse);
    if (c.good()) c = g.addQualitativeEvaluation(DSRCodedEntryValue(kNoduleType), ms_ntype_name(n.type));
    if (c.good()) c = g.addQualitativeEvaluation(DSRCodedEntryValue(kLungRads), n.lung_rads.category);
    return c;
}

static OFCondition build(const ms_sr_report *r, DSRDocument &doc)
{
    TID1500_MeasurementReport rep(CMR_CID7021::ImagingMeasurementReport);
    OFCondition c = rep.setLanguage(CID5000_Languages::English);
    if (c.good())
        c = rep.getObservationContext().addDeviceObserver(uid_from(r->study_uid, "device", 0).c_str(), "medseg detect-nodules",
                                                          "medseg", "detect-nodules");
    if (c.good()) c = rep.getImageLibrary().createNewImageLibrary();
    if (c.good()) c = rep.addProcedureReported(CMR_CID100::CTUnspecifiedBodyRegion);
    for (int i = 0; i < r->n && c.good(); i++) c = add_group(rep, r->nodules[i], r->study_uid, i == 0);
    if (c.good()) c = rep.addQualitativeEvaluation(DSRCodedEntryValue(kLungRads), r->exam_category);
    if (c.good() && !rep.isValid()) c = makeOFCondition(0, 1, OF_error, "the TID 1500 tree is not valid");
    if (c.good()) c = doc.setTreeFromRootTemplate(rep, OFTrue);
    if (c.good()) c = doc.createNewSeriesInStudy(r->study_uid);
    if (c.good()) c = doc.setSeriesDescription("medseg lung nodule report");
    if (c.good()) c = doc.setManufacturer("medseg");
    return c;
}

/* UIDs of the SR series and instance from the study and the findings. */
static OFCondition set_uids(const ms_sr_report *r, DcmDataset &ds)
{
    std::string key = r->series_uid ? r->series_uid : "nifti";
    for (int i = 0; i < r->n; i++) key += "/" + num(r->nodules[i].center_lps[0]) + num(r->nodules[i].center_lps[1]);
    char series[68], inst[68];
    ms_dicom_uid_from_text((std::string("medseg-sr-series/") + r->study_uid + key).c_str(), series);
    ms_dicom_uid_from_text((std::string("medseg-sr-instance/") + r->study_uid + key).c_str(), inst);
    OFCondition c = ds.putAndInsertString(DCM_SeriesInstanceUID, series);
    if (c.good()) c = ds.putAndInsertString(DCM_SOPInstanceUID, inst);
    if (c.good() && r->frame_uid && r->frame_uid[0]) c = ds.putAndInsertString(DCM_FrameOfReferenceUID, r->frame_uid);
    return c;
}

extern "C" ms_status ms_srp_write(const char *path, const ms_sr_report *r)
{
    DSRDocument doc;
    OFCondition c = build(r, doc);
    DcmFileFormat ff;
    if (c.good()) c = doc.write(*ff.getDataset());
    if (c.good()) c = set_uids(r, *ff.getDataset());
    if (c.bad()) return ms_fail(MS_ERR_INTERNAL, "%s: cannot build the structured report: %s", path, c.text());
    ms_atomic at;
    ms_status st = ms_atomic_begin(&at, path);
    if (st) return st;
    c = ff.saveFile(at.tmp_path, EXS_LittleEndianExplicit);
    if (c.bad()) {
        ms_atomic_abort(&at);
        return ms_fail(MS_ERR_IO, "%s: cannot write: %s", path, c.text());
    }
    return ms_atomic_commit(&at);
}
