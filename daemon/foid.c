/* foid: the background service. */
#include <stdio.h>

#include "log.h"

int main(void)
{
	log_init("foid", LOG_LVL_INFO);
	return 0;
}
