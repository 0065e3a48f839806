/* jsonx.c */
#include "common.h"
