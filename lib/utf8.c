/* utf8.c */
#include "common.h"
