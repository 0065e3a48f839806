/* route.c */
#include "common.h"
