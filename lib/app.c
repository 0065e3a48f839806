/* app.c */
#include "common.h"
