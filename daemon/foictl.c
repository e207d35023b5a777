/* foictl: the command-line helper. */
#include <stdio.h>

#include "log.h"

int main(void)
{
	log_init("foictl", LOG_LVL_INFO);
	return 0;
}
