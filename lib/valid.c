/* valid.c */
#include "common.h"
