/* cfg.c */
#include "common.h"
