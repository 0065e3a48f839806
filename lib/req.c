/* req.c */
#include "common.h"
