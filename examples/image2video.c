/* Render a still image into a video clip with Kling, from C.
 *
 *   KLING_ACCESS_KEY=... KLING_SECRET_KEY=... \
 *       ./image2video examples/media/still.jpg "a slow zoom over colour bars" clip.mp4
 *
 * Saves the MP4 Kling made (not re-encoded). Against the bundled kling-sandbox, set
 * KLING_API_URL to the URL it prints. Progress and errors come from the bus.
 */
#include <stdlib.h>
#include <gst/gst.h>

static gboolean
on_message (GstBus * bus, GstMessage * message, gpointer user_data)
{
  GMainLoop *loop = user_data;
  GError *error = NULL;
  gchar *text = NULL, *debug = NULL, *code = NULL;

  switch (GST_MESSAGE_TYPE (message)) {
    case GST_MESSAGE_PROGRESS:
      gst_message_parse_progress (message, NULL, &code, &text);
      g_print ("[%s] %s\n", code, text);
      break;
    case GST_MESSAGE_ERROR:
      gst_message_parse_error (message, &error, &debug);
      g_printerr ("error: %s\n  (%s)\n", error->message, debug);
      g_object_set_data (G_OBJECT (bus), "failed", GINT_TO_POINTER (1));
      g_main_loop_quit (loop);
      break;
    case GST_MESSAGE_EOS:
      g_main_loop_quit (loop);
      break;
    default:
      break;
  }
  g_clear_error (&error);
  g_free (text);
  g_free (code);
  g_free (debug);
  return G_SOURCE_CONTINUE;
}

int
main (int argc, char **argv)
{
  GstElement *pipeline, *kling;
  GMainLoop *loop;
  GstBus *bus;
  GError *error = NULL;
  gchar *description;
  gboolean failed;

  gst_init (&argc, &argv);
  if (argc != 4) {
    g_printerr ("usage: %s STILL.jpg PROMPT OUT.mp4\n", argv[0]);
    return 2;
  }

  /* jpegparse: the JPEG goes to Kling as it is; the MP4 comes back untouched. */
  description = g_strdup_printf ("filesrc location=\"%s\" ! jpegparse ! "
      "klingimage2video name=kling ! video/quicktime ! filesink location=\"%s\"",
      argv[1], argv[3]);
  pipeline = gst_parse_launch (description, &error);
  g_free (description);
  if (!pipeline) {
    g_printerr ("bad pipeline: %s\n", error->message);
    return 1;
  }
  kling = gst_bin_get_by_name (GST_BIN (pipeline), "kling");
  g_object_set (kling, "prompt", argv[2], NULL);
  gst_object_unref (kling);

  loop = g_main_loop_new (NULL, FALSE);
  bus = gst_element_get_bus (pipeline);
  gst_bus_add_watch (bus, on_message, loop);

  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  g_main_loop_run (loop);
  gst_element_set_state (pipeline, GST_STATE_NULL);

  failed = g_object_get_data (G_OBJECT (bus), "failed") != NULL;
  gst_bus_remove_watch (bus);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  g_main_loop_unref (loop);
  if (!failed)
    g_print ("saved %s\n", argv[3]);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
