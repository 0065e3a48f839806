/* token.c */
#include "common.h"
