/* migrate.c */
#include "common.h"
