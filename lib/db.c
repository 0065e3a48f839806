/* db.c */
#include "common.h"
