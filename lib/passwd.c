/* passwd.c */
#include "common.h"
