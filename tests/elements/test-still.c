/* placeholder */
#include <gst/check/gstcheck.h>
static Suite *still_suite (void) { Suite *s = suite_create ("klingstill"); return s; }
GST_CHECK_MAIN (still);
