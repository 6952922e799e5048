// The plugin libmedseg_codecs: DCMTK's JPEG (baseline, extended, lossless)
// and JPEG-LS decoders with their IJG and CharLS libraries, opened by the
// DICOM reader (dcm_shim.cc) on the first frame in one of those transfer
// syntaxes. Linked into libmedseg they made every run load and relocate
// them, about 3 ms of a small series' 30 (tests/bench/io.sh).
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmjpeg/djdecode.h>
#include <dcmtk/dcmjpls/djdecode.h>

extern "C" void ms_codecsp_register(void)
{
    DJDecoderRegistration::registerCodecs();
    DJLSDecoderRegistration::registerCodecs();
}

extern "C" void ms_codecsp_cleanup(void)
{
    DJDecoderRegistration::cleanup();
    DJLSDecoderRegistration::cleanup();
}
