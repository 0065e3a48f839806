/* http.c */
#include "common.h"
