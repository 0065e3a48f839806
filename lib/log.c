/* log.c */
#include "common.h"
