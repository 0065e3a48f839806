#include "common.h"
#include "tap.h"

int main(void)
{
	return done_testing();
}
