/* Helpers every C suite needs for its temporary files. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Removes @path and everything below it (a test's temporary cache directory). */
void test_remove_tree (const gchar *path);

G_END_DECLS
