/* auth.c */
#include "common.h"
