/* Test helper: prints a JWT minted by kling_jwt_mint(), so an independent implementation
 * (PyJWT, in test_jwt_pyjwt.py) can verify it. Usage: jwt-mint AK SK NOW LIFETIME */
#include <stdio.h>
#include <stdlib.h>
#include "kling-auth.h"

int
main (int argc, char **argv)
{
  g_autofree gchar *token = NULL;

  if (argc != 5) {
    fprintf (stderr, "usage: %s ACCESS_KEY SECRET_KEY NOW LIFETIME\n", argv[0]);
    return 2;
  }
  token = kling_jwt_mint (argv[1], argv[2], g_ascii_strtoll (argv[3], NULL, 10),
      g_ascii_strtoll (argv[4], NULL, 10));
  puts (token);
  return 0;
}
